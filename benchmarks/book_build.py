"""`imatter book build` against a plain `jupyter-book build` of the same book, in one run.

Both build their own copy of the project (the `_config.yml`, `book/` and `modules/` folders) in
a temporary folder, through their command lines, in three scenarios:

1. cold: no `_build` folder at all;
2. no change: the same build again;
3. one edit: a sentence added to a Markdown cell of one notebook.

The plain copy gets its generated `_toc.yml` and catalogue pages from `imatter book toc` before
the clock starts. Targets: imatter's cold build at least 1.4x faster than plain Jupyter Book;
its no-change rebuild at most 5% of its own cold build; its one-edit rebuild at most 15%.

    .venv/bin/python benchmarks/book_build.py                # the real book
    .venv/bin/python benchmarks/book_build.py --synthetic 20 # 20 small generated notebooks

Other work on the machine shows in every figure: run it on a quiet machine. Each scenario
runs `--repeat N` times (default 3), alternating which tool goes first, and each tool's median
run counts.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGETS = {"cold": 1.4, "no change": 0.05, "one edit": 0.15}


def copy_project(dest: Path) -> None:
    dest.mkdir(parents=True)
    shutil.copy2(ROOT / "_config.yml", dest / "_config.yml")
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "catalogue")
    shutil.copytree(ROOT / "book", dest / "book", ignore=ignore)
    shutil.copytree(ROOT / "modules", dest / "modules", ignore=ignore)


def synthesise(dest: Path, count: int) -> None:
    """Replace the copy's notebooks with `count` small ones, spread over its course folders."""
    folders = sorted(p.parent for p in (dest / "modules").glob("*/course.yml"))
    for old in (dest / "modules").glob("*/*.ipynb"):
        old.unlink()
    for i in range(count):
        folder = folders[i % len(folders)]
        number = i // len(folders) + 1
        cells = [
            _cell(
                "markdown",
                f"# Session {number}: practice {i}\n\nA short page.\n\n"
                "## Learning outcomes\n\n- read a short page.",
            ),
            _cell(
                "code",
                "from imatter.activities import choice_check\n\n"
                f"choice_check('Question {i}?', {{'Yes': 'Right.', 'No': 'Not quite.'}}, 'Yes')",
            ),
            _cell("markdown", "## Summary\n\n- It was short."),
        ]
        nb = {
            "cells": cells,
            "metadata": {
                "imatter": {"schema": 1, "session": number, "minutes": 30},
                "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        (folder / f"{number:02d}-practice-{i}.ipynb").write_text(json.dumps(nb, indent=1))


def _cell(kind: str, source: str) -> dict:
    cell = {
        "cell_type": kind,
        "id": f"c{abs(hash(source)) % 10**8}",
        "metadata": {},
        "source": source,
    }
    if kind == "code":
        cell.update(outputs=[], execution_count=None)
    return cell


def edit_one_notebook(project: Path) -> Path:
    """Add a sentence to the first Markdown cell of the first session notebook."""
    path = sorted((project / "modules").glob("*/*.ipynb"))[0]
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            source = cell["source"]
            text = "".join(source) if isinstance(source, list) else source
            cell["source"] = text + "\n\nThis sentence was added by the benchmark."
            break
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def timed(cmd: list[str], log: Path) -> float:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    started = time.perf_counter()
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}; see {log}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--synthetic",
        type=int,
        metavar="N",
        help="build N small generated notebooks instead of the real ones",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="N",
        help="run each scenario N times, alternating the two tools; the medians count",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="imatter-bench-"))
    plain, fast = work / "plain", work / "imatter"
    log = work / "build.log"
    for dest in (plain, fast):
        copy_project(dest)
        if args.synthetic:
            synthesise(dest, args.synthetic)
    subprocess.run(
        [str(BIN / "imatter"), "book", "toc", "--root", str(plain)], check=True, capture_output=True
    )
    notebooks = len(list((fast / "modules").glob("*/*.ipynb")))
    print(
        f"Book: {notebooks} notebooks; {os.cpu_count()} CPUs; load average "
        f"{os.getloadavg()[0]:.1f}; logs in {log}"
    )

    jb = [str(BIN / "jupyter-book"), "build", str(plain)]
    im = [str(BIN / "imatter"), "book", "build", "--verbose", "--root", str(fast)]
    results: dict[str, tuple[float, float]] = {}
    tools = [("jupyter-book", jb, plain), ("imatter", im, fast)]
    for scenario in ("cold", "no change", "one edit"):
        runs: dict[str, list[float]] = {"jupyter-book": [], "imatter": []}
        for turn in range(args.repeat):
            # Alternate which tool goes first, so that neither always meets the same load.
            for name, cmd, project in tools if turn % 2 == 0 else tools[::-1]:
                if scenario == "cold":
                    shutil.rmtree(project / "_build", ignore_errors=True)
                elif scenario == "one edit":
                    edit_one_notebook(project)
                seconds = timed(cmd, log)
                runs[name].append(seconds)
                print(
                    f"  {scenario} #{turn + 1}: {name} {seconds:.1f} s "
                    f"(load average {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
        results[scenario] = (
            statistics.median(runs["jupyter-book"]),
            statistics.median(runs["imatter"]),
        )

    plain_pages = sorted(
        p.relative_to(plain / "_build/html") for p in (plain / "_build/html").rglob("*.html")
    )
    fast_pages = sorted(
        p.relative_to(fast / "_build/html") for p in (fast / "_build/html").rglob("*.html")
    )
    cold = results["cold"][1]
    print()
    print(f"{'scenario':<10} {'jupyter-book':>13} {'imatter':>9}  {'measure':<32} {'target':>8}")
    ok = True
    for scenario, (jb_s, im_s) in results.items():
        if scenario == "cold":
            value, target = jb_s / im_s, TARGETS[scenario]
            measure, passed = f"{value:.2f}x faster than jupyter-book", value >= target
            shown = f">= {target}x"
        else:
            value, target = im_s / cold, TARGETS[scenario]
            measure, passed = f"{value:.1%} of imatter's cold build", value <= target
            shown = f"<= {target:.0%}"
        ok &= passed
        print(
            f"{scenario:<10} {jb_s:>12.1f}s {im_s:>8.1f}s  {measure:<32} {shown:>8} "
            f"{'PASS' if passed else 'MISS'}"
        )
    same = plain_pages == fast_pages
    print(f"\nSame pages built by both: {'yes' if same else 'NO'} ({len(fast_pages)} pages)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok and same else 1


if __name__ == "__main__":
    sys.exit(main())
