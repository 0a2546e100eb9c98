"""Load on a REAL JupyterHub (tests/hub): N learners sign in, fetch and submit at once.

    sudo env PYTHONPATH=$PWD/toolkit python benchmarks/hub_load.py [--crowd 30]

Runs tests/hub/test_load.py's crowd test on its own (it starts the hub, PostgreSQL and the
exchange as tests/hub/conftest.py does, releases Foundation A if nothing released it yet, and
makes N system accounts), then prints what it measured: the hub's start, each server's spawn
time (8 servers started at once), sign-in and submit latency for one learner alone and then
for N at once (the same-run anchor: the crowd's median as a multiple of the lone learner's),
and collect throughput. Its goals, printed beside the figures: no submission lost, and the
crowd at once served in no more time than the same learners one after another would take (the
lone learner's whole round trip times N). Needs root, as the hub tests do; loopback only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST = "tests/hub/test_load.py::test_thirty_learners_sign_in_fetch_and_submit_at_once"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crowd", type=int, default=30, help="learners at once (30)")
    args = parser.parse_args()
    env = {**os.environ, "IMATTER_HUB_CROWD": str(args.crowd)}
    env.setdefault("PYTHONPATH", str(ROOT / "toolkit"))
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-s", TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    figures = [
        line.strip()
        for line in done.stdout.splitlines()
        if line.strip().startswith(("hub start", "load:", "load goal:"))
    ]
    if done.returncode != 0 or not figures:
        raise SystemExit(f"the load test failed:\n{done.stdout[-3000:]}{done.stderr[-2000:]}")
    print("\n".join(figures))


if __name__ == "__main__":
    main()
