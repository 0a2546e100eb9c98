"""The I Matter course toolkit: programme, records, eligibility, credentials, delivery."""

__version__ = "0.3.0"

import gc

_collecting = gc.isenabled()
gc.disable()  # the package's start-up makes many objects and no garbage worth collecting
try:
    from . import _moved, dataclass_code

    dataclass_code.install()  # the methods of our dataclasses compiled once, kept like bytecode
    _moved.install()  # old import paths of modules moved in 0.3.0 (imatter.licences, ...)
finally:
    if _collecting:
        gc.enable()
