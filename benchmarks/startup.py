"""Start-up of REAL read commands against a real demo workspace, as a ratio to `python -c pass`,
measured in one run.

    python benchmarks/startup.py [--runs 15]

Builds the demo workspace (`imatter demo`) in a temporary folder, adds a signing key, a
credential and a study group, then times `imatter status`, `eligible`, `person list`,
`group show` and `credential show` (each doing its whole job: imports, workspace, programme,
database, output), interleaved with `python -c pass` so that machine noise falls on all alike.
Medians are compared; the goal is at most 6x `python -c pass` (issue 16). Bytecode is written
and used as on a user's machine (PYTHONDONTWRITEBYTECODE unset, PYTHONPYCACHEPREFIX in the
temporary folder), after one warm-up run of each command. CPU time (user + system of the child)
is printed beside wall time: on a busy machine it is the steadier of the two.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 6.0


def _env(workspace: Path) -> dict[str, str]:
    """Bytecode written and used (in a folder of this run's own, so no checkout is touched)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        IMATTER_WORKSPACE=str(workspace),
        IMATTER_USER="benchmark",
        PYTHONPYCACHEPREFIX=str(workspace.parent / "pycache"),
    )
    return env


def _imatter(*args: str) -> list[str]:
    return [sys.executable, "-c", "from imatter.cli import run; run()", *args]


def _run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[3:])} failed: {(done.stderr or done.stdout)[-400:]}")
    return done.stdout


def build(folder: Path) -> tuple[Path, dict[str, list[str]]]:
    """The demo workspace with a key, one credential and one group; the commands to time."""
    workspace = folder / "imatter-workspace"
    env = _env(workspace)
    _run(_imatter("demo", "--force"), folder, env)
    if not (workspace / "keys" / "issuer.key").exists():  # the demo may have made one
        _run(_imatter("keys", "init"), folder, env)
    award = _run(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("
            "'SELECT id FROM awards ORDER BY person_id, role_id LIMIT 1').fetchone()[0])",
            str(workspace / "imatter.db"),
        ],
        folder,
        env,
    ).strip()
    issued = _run(_imatter("credential", "issue", award), folder, env)
    credential = re.search(r"Issued (\S+)", issued)
    assert credential, issued
    created = _run(
        _imatter(
            "group",
            "create",
            "--course",
            "foundation-a",
            "--term",
            "2026-27",
            "--leader",
            "3",
            "--setting",
            "brook-primary",
        ),
        folder,
        env,
    )
    group = re.search(r"Created group (\d+)", created)
    assert group, created
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "imatter --help": _imatter("--help"),
        "imatter status 3": _imatter("status", "3"),
        "imatter eligible --role link-professional": _imatter(
            "eligible", "--role", "link-professional"
        ),
        "imatter person list": _imatter("person", "list"),
        f"imatter group show {group.group(1)}": _imatter("group", "show", group.group(1)),
        "imatter credential show ID": _imatter("credential", "show", credential.group(1)),
    }
    return workspace, commands


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _time(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run."""
    cpu, start = _cpu(), time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="imatter-startup-") as tmp:
        folder = Path(tmp)
        print("Building the demo workspace ...", flush=True)
        workspace, commands = build(folder)
        env = _env(workspace)
        for cmd in commands.values():  # warm up: bytecode written, the programme cached
            _run(cmd, folder, env)
        timings: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                timings[name].append(_time(cmd, folder, env))
    base = statistics.median(wall for wall, _ in timings["python -c pass"])
    base_cpu = statistics.median(cpu for _, cpu in timings["python -c pass"])
    print(f"median of {args.runs} interleaved runs (load average {os.getloadavg()[0]:.2f}):")
    print(f"  {'':44s} {'wall':>7s}     {'ratio':>5s}   {'CPU':>7s}     {'ratio':>5s}")
    worst = 0.0
    for name, values in timings.items():
        median = statistics.median(wall for wall, _ in values)
        cpu = statistics.median(cpu for _, cpu in values)
        ratio = median / base
        if name.startswith("imatter") and name != "imatter --help":
            worst = max(worst, ratio)
        print(
            f"  {name:44s} {median * 1000:7.1f} ms  {ratio:5.2f}x  {cpu * 1000:7.1f} ms  "
            f"{cpu / base_cpu:5.2f}x python -c pass"
        )
    verdict = "meets" if worst <= GOAL else "misses"
    print(f"slowest read command: {worst:.2f}x python -c pass; {verdict} the goal <= {GOAL:.0f}x")


if __name__ == "__main__":
    main()
