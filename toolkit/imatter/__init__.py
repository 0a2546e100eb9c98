"""The I Matter course toolkit: programme, records, eligibility, credentials, delivery."""

__version__ = "0.3.0"

from . import _moved, dataclass_code

dataclass_code.install()  # the methods of our dataclasses compiled once, kept like bytecode
_moved.install()  # old import paths of modules moved in 0.3.0 (imatter.licences, ...)
