"""Run the book's notebooks in parallel, before Sphinx, into the jupyter-cache MyST-NB reads.

Jupyter Book executes notebooks one by one while Sphinx reads them. Here every notebook whose
code has no match in the cache runs first, in a pool of worker processes (one kernel each);
the parent alone writes the cache (no SQLite lock contention). Sphinx then finds every
notebook in the cache (`execute_notebooks: cache`) and runs none itself.

A notebook matches the cache by the hash jupyter-cache takes of its code cells and kernelspec,
so a Markdown-only edit needs no execution at all.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Kernel log lines (such as ipykernel's note about unencrypted local TCP) are not notebook
# output; keep them out of the build log.
KERNEL_ARGS = ["--IPKernelApp.log_level=ERROR"]


def skip_optional_iri_checker() -> None:
    """Make `import nbformat` about 1-2 s faster in this process (DECISIONS.md, 9).

    jsonschema builds the grammar of the optional `rfc3987_syntax` package at import, only to
    check the "iri" string format, which no notebook or config schema uses. The CLI calls this
    before the build; library code does not, so a test process keeps the full checker.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Failure:
    """A notebook that failed to run, with its error."""

    path: Path
    error: str
    traceback: str


@dataclass(frozen=True)
class ExecutionReport:
    """Notebooks executed, reused from the cache and failed, and the time taken."""

    executed: tuple[Path, ...]
    cached: tuple[Path, ...]
    failed: tuple[Failure, ...]
    seconds: float


def _run_one(job: tuple[str, int, bool]) -> dict[str, Any]:
    """Worker: execute one notebook in its own folder; return it (or the error) to the parent."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    path, timeout, allow_errors = job
    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(
        nb,
        cwd=str(Path(path).parent),
        timeout=timeout,
        allow_errors=allow_errors,
        extra_arguments=KERNEL_ARGS,
    )
    if result.err is not None:
        return {
            "path": path,
            "error": f"{type(result.err).__name__}: {_last_line(str(result.err))}",
            "traceback": result.exc_string or "",
        }
    return {"path": path, "nb": nbformat.writes(result.nb), "seconds": result.time}


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else text


def execute_notebooks(
    paths: Sequence[Path],
    cache_dir: Path,
    *,
    jobs: int | None = None,
    timeout: int = 120,
    allow_errors: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ExecutionReport:
    """Execute every notebook in `paths` that the cache has no match for, `jobs` at a time
    (default: one per CPU), and cache the results."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    cache = get_cache(str(cache_dir))
    todo: list[Path] = []
    cached: list[Path] = []
    for path in paths:
        nb = nbformat.read(str(path), as_version=4)
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            todo.append(path)
        else:
            cached.append(path)
    executed: list[Path] = []
    failed: list[Failure] = []
    if todo:
        workers = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
        say(f"Executing {len(todo)} notebook(s) on {workers} process(es)...")
        args = [(str(p), timeout, allow_errors) for p in todo]
        if workers == 1:
            results: Iterator[dict[str, Any]] = map(_run_one, args)
            pool = None
        else:
            import multiprocessing

            # Never share the SQLite connection across fork() (DECISIONS.md, 7).
            cache.db.dispose()
            pool = multiprocessing.get_context("fork").Pool(workers)
            results = pool.imap_unordered(_run_one, args)
        try:
            for result in results:
                path = Path(result["path"])
                if "error" in result:
                    failed.append(Failure(path, result["error"], result["traceback"]))
                    say(f"  failed: {path} ({result['error']})")
                    continue
                nb = nbformat.reads(result["nb"], as_version=4)
                cache.cache_notebook_bundle(
                    CacheBundleIn(nb, str(path), data={"execution_seconds": result["seconds"]}),
                    check_validity=False,
                    overwrite=True,
                )
                executed.append(path)
                say(f"  ran {path.name} in {result['seconds']:.1f} s")
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    return ExecutionReport(
        executed=tuple(executed),
        cached=tuple(cached),
        failed=tuple(failed),
        seconds=time.perf_counter() - started,
    )
