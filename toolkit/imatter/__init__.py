"""The I Matter course toolkit: programme, records, eligibility, credentials, delivery."""

__version__ = "0.3.0"
