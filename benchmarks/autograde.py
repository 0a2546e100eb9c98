"""Benchmark: `imatter assess autograde` (parallel workers) against plain serial
`nbgrader autograde`, over the same N synthetic submissions, in the same run.

    .venv/bin/python benchmarks/autograde.py                 # 8 and 40 submissions, 2 workers
    .venv/bin/python benchmarks/autograde.py -n 10 --workers 2 --keep

Both are run as commands, start-up included, each grading every submission (--force), in
alternating rounds (--repeat, default 3). The MEDIAN of the rounds counts (not the best), and
the speed-up is serial time over parallel time for the median runs; the goal is at least 1.8x
on 2 cores, printed beside it. The cost per submission is wall-clock seconds and CPU seconds
(all processes, kernels included). Both runs must give the same scores. Nothing is fetched
from the network.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path

from measure import Timed, median, run

ROOT = Path(__file__).resolve().parents[1]
ASSESSMENT = "foundation-a"
CHOICES = ["a", "b", "c", "B", "(b)", ""]
WORDS = ["relationships", "Relationship", "ropes", ""]


def build(base: Path, n: int, seed: int):  # type: ignore[no-untyped-def]
    """A workspace with n people, a course directory with their submissions collected."""
    from imatter.assess.collect import collect_files
    from imatter.assess.course_dir import add_learners, create_course_dir, default_sources
    from imatter.assess.release import generate, release_files
    from imatter.records import add_person
    from imatter.workspace import init_workspace

    ws = init_workspace(base / "ws", programme=ROOT / "modules" / "programme.yml")
    ids = [add_person(ws.store, ws.programme, f"Learner {i:03d}") for i in range(1, n + 1)]
    course = create_course_dir(base / "course", "benchmark")
    add_learners(course, ws.store, ids)
    generate(course, default_sources(), ASSESSMENT)
    release_files(course, ASSESSMENT, base / "outbox")
    rng = random.Random(seed)
    inbox = base / "inbox"
    inbox.mkdir()
    for path in sorted((base / "outbox").glob("p*.ipynb")):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            gid = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
            if gid in ("q1-answer", "q2-answer"):
                n_ = gid[1]
                cell["source"] = f'answer_{n_} = "{rng.choice(CHOICES)}"\n'
            elif gid == "q3-answer":
                cell["source"] = f'answer_3 = "{rng.choice(WORDS)}"\n'
            elif gid.startswith("reflect-") and not gid.endswith(("-prompt", "-intro")):
                cell["source"] = "A synthetic reflection of a few sentences. " * rng.randint(3, 12)
        (inbox / path.name).write_text(json.dumps(nb))
    report = collect_files(course, ASSESSMENT, inbox)
    assert len(report.collected) == n and not report.problems, report
    ws.store.dispose()
    return ws, course


def scores(course) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from imatter.assess.course_dir import gradebook

    with gradebook(course) as gb:
        return {s.student.id: round(s.score, 3) for s in gb.find_assignment(ASSESSMENT).submissions}


def _median(runs: list[Timed]) -> tuple[float, float, float]:
    """Median wall, median CPU and median share of the machine used by others."""
    return (
        median(r.wall for r in runs),
        median(r.cpu for r in runs),
        median(r.others for r in runs),
    )


def measure(n: int, workers: int, repeat: int, seed: int, keep: bool) -> float:
    """Build n submissions, time both commands in alternating rounds, print, return ratio."""
    base = Path(tempfile.mkdtemp(prefix="imatter-bench-"))
    print(f"Setting up {n} submissions of {ASSESSMENT} in {base} ...", flush=True)
    ws, course = build(base, n, seed)
    env = {**os.environ, "IMATTER_WORKSPACE": str(ws.path), "IMATTER_USER": "benchmark"}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    imatter = [
        sys.executable,
        "-c",
        "from imatter.cli import run; run()",
        "assess",
        "--course-dir",
        str(course.root),
        "autograde",
        ASSESSMENT,
        "--force",
        "--workers",
        str(workers),
    ]
    nbgrader = [sys.executable, "-m", "nbgrader", "autograde", ASSESSMENT, "--force"]

    runs: dict[str, list[Timed]] = {"serial": [], "parallel": []}
    expected: dict[str, float] | None = None
    for round_ in range(1, repeat + 1):
        for label, command in (("serial", nbgrader), ("parallel", imatter)):
            what = "nbgrader autograde" if label == "serial" else "imatter assess autograde"
            print(f"  round {round_}: {what} ...", flush=True)
            runs[label].append(run(command, course.root, env))
            got = scores(course)
            if len(got) != n or (expected is not None and got != expected):
                raise SystemExit("the runs gave different scores")
            expected = got
    serial_wall, serial_cpu, serial_others = _median(runs["serial"])
    parallel_wall, parallel_cpu, parallel_others = _median(runs["parallel"])
    ratio = serial_wall / parallel_wall
    each = ", ".join(
        f"{s.wall / p.wall:.2f}x" for s, p in zip(runs["serial"], runs["parallel"], strict=True)
    )
    print(f"{n} submissions, median of {repeat} rounds (load average {os.getloadavg()[0]:.2f}):")
    print(
        f"  nbgrader (serial)     {serial_wall:7.1f} s wall  {serial_wall / n:6.2f} s/submission"
        f"  {serial_cpu / n:6.2f} CPU s/submission"
    )
    print(
        f"  imatter ({workers} workers)   {parallel_wall:7.1f} s wall  "
        f"{parallel_wall / n:6.2f} s/submission  {parallel_cpu / n:6.2f} CPU s/submission"
    )
    print(f"  speed-up {ratio:.2f}x (goal >= 1.8x); round by round: {each}")
    print(
        f"  other work on the machine meanwhile (median): {serial_others:.0%} of its cores "
        f"in the serial runs, {parallel_others:.0%} in the parallel runs"
    )
    if max(serial_others, parallel_others) > 0.1:
        print("  (the machine was not quiet: these figures are noisy; run it again when idle)")
    if not keep:
        import shutil

        shutil.rmtree(base, ignore_errors=True)
    else:
        print(f"  kept {base}")
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-n", type=int, nargs="+", default=[8, 40], help="synthetic submissions (default 8 40)"
    )
    parser.add_argument("--workers", type=int, default=2, help="imatter workers (default 2)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--repeat", type=int, default=3, help="rounds of both runs; the median counts"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders")
    args = parser.parse_args(argv)
    print(f"cores {os.cpu_count()}")
    ratios = {n: measure(n, args.workers, args.repeat, args.seed, args.keep) for n in args.n}
    print()
    for n, ratio in ratios.items():
        verdict = "meets" if ratio >= 1.8 else "misses"
        print(f"autograde speed-up at {n} submissions: {ratio:.2f}x, {verdict} the goal >= 1.8x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
