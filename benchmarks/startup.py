"""`imatter --help` start-up time as a ratio to `python -c pass`, measured in one run.

    python benchmarks/startup.py [--runs 20]

Runs are interleaved so that machine noise falls on both alike; medians are compared.
Target: at most 6x (`python -c "import click"` alone is about 3x here).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _time(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import click'": [sys.executable, "-c", "import click"],
        "imatter --help": [str(BIN / "imatter"), "--help"],
        "imatter status --help": [str(BIN / "imatter"), "status", "--help"],
    }
    timings: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            timings[name].append(_time(cmd))
    base = statistics.median(timings["python -c pass"])
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:28s} {median * 1000:7.1f} ms  {median / base:5.2f}x python -c pass")


if __name__ == "__main__":
    main()
