"""``python -m imatter.assess.worker JOB``: one autograde worker (see `autograde.run_workers`)."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    # jsonschema imports the optional `rfc3987_syntax` format checker when present, which is
    # most of nbformat's (and so nbgrader's) import time here (DECISIONS.md, 9). Notebook
    # validation does not use those formats, so this fresh process goes without it.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

    from .autograde import worker_main

    sys.exit(worker_main(sys.argv[1]))
