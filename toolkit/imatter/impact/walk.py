"""Finding answers files: the walk `collect` uses, in this process or in a child process.

A collect over thousands of returned folders spends most of its time in system calls: one
directory listing per folder, then reading each file. `collect` runs this file as a script
(`python -I -S walk.py FOLDER`, no imports beyond the standard library) so that a second
process walks while the first reads each file as soon as it is named; the same walk also runs
in process (`answers_files`) when no child can be started.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

ANSWERS_FOLDER = "imatter-answers"  # the folder answers files are written into
END = b"E\0"  # the child's last record: its list is complete (others: F or L, a path, NUL)


def answers_files(top: str, found_one: Callable[[str, bool], object]) -> None:
    """Call `found_one(path, is_link)` for every answers file under the folder `top`, as
    `Path(top).rglob("*.json")` would find it inside an `imatter-answers` folder (files or
    links; linked folders not entered; names starting with '.' skipped), with one scandir per
    folder. Each path is the text `Path` gives it (`top` normalised, so only "." needs its
    "./" taken off). The order is the walk's: sort the paths afterwards."""
    cut = len(os.curdir + os.sep) if top == os.curdir else 0
    scandir = os.scandir
    stack = [(top, os.path.basename(top) == ANSWERS_FOLDER)]
    pop, push = stack.pop, stack.append
    while stack:
        folder, answers = pop()
        try:
            entries = scandir(folder)
        except OSError:
            continue
        with entries:
            for entry in entries:
                name = entry.name
                try:
                    inner = entry.is_dir(follow_symlinks=False)  # a linked one is not entered
                except OSError:
                    inner = False
                if inner:
                    push((entry.path, name == ANSWERS_FOLDER))
                if answers and name.endswith(".json") and name[0] != ".":
                    found_one(entry.path[cut:], entry.is_symlink())


def main(top: str) -> None:
    """Write each file found to stdout as F (a file) or L (a link), its path and NUL; then
    END."""
    out = sys.stdout.buffer
    pending: list[bytes] = []
    encode = os.fsencode

    def found_one(path: str, link: bool) -> None:
        pending.append((b"L" if link else b"F") + encode(path) + b"\0")
        if len(pending) >= 64:  # (the reader starts on the first files at once)
            out.write(b"".join(pending))
            out.flush()
            pending.clear()

    answers_files(top, found_one)
    out.write(b"".join(pending) + END)
    out.flush()


if __name__ == "__main__":
    main(sys.argv[1])
