"""The I Matter course toolkit: programme, records, eligibility, credentials, delivery."""

__version__ = "0.3.0"

from . import _moved

_moved.install()  # old import paths of modules moved in 0.3.0 (imatter.licences, ...)
