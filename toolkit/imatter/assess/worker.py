"""``python -m imatter.assess.worker``: autograde workers (see `autograde.Workers`).

The caller starts its workers first and sends them their jobs (a JSON list on stdin) once it
knows who needs grading, so nbgrader's imports here overlap the caller's own work: a worker
pays its start-up once and grades its whole share of learners in one nbgrader run. With
``--fork`` one process imports nbgrader, then forks a copy of itself for each further share
(before any kernel, event loop, ZeroMQ context or database connection exists), so the
imports' CPU time is paid once for all workers.

Inside a worker, three things make each learner cheaper without changing what nbgrader does
or what a learner's code sees:

- each learner's kernel is started ahead (`KernelsAhead`, `prestarted_execute`): the first
  while nbgrader is imported, the next while this learner's code runs. Still one fresh kernel
  per learner, started as nbgrader starts it (same kernel manager, arguments and
  ``NBGRADER_EXECUTION`` variable) and moved into the learner's folder before any cell runs;
  used kernels are shut down gracefully in the background. A kernel is never reused for a
  second learner: nothing in one learner's notebook can reach another's;
- nbgrader's gradebook opens the database many times per learner; here the SQLAlchemy engine
  is kept per database, so its statements are compiled once, not at every opening;
- nbgrader checks every cell's metadata against its JSON schema with `jsonschema.validate`,
  which checks the schema itself every time; here the checked validator is kept.

Grading in the caller's own process (one worker, or the demo) uses the same kernels started
ahead and the same kept engines and validators, for the grading only (`kept_setup`).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any


def _keep_gradebook_engines() -> Callable[[], None]:
    """One SQLAlchemy engine per database URL until undone (nbgrader's `Gradebook` makes a
    new one at every opening and disposes of it when closed; a disposed engine simply opens
    a new connection when used again). Returns what undoes it."""
    import nbgrader.api

    make = nbgrader.api.create_engine

    @functools.lru_cache(maxsize=8)
    def kept(url: str, **kwargs: Any) -> Any:
        return make(url, **kwargs)

    def create_engine(url: Any, **kwargs: Any) -> Any:
        try:
            return kept(str(url), **kwargs)
        except TypeError:  # an argument that cannot be a cache key
            return make(url, **kwargs)

    nbgrader.api.create_engine = create_engine

    def undo() -> None:
        nbgrader.api.create_engine = make

    return undo


def _keep_schema_validators() -> Callable[[], None]:
    """nbgrader's cell-metadata check with its JSON schema checked once, not for every cell:
    the same validator class (the schema's own draft) and the same errors. Returns what
    undoes it."""
    import jsonschema
    import nbgrader.nbgraderformat.common as common

    validators: dict[int, Any] = {}

    def validate(instance: Any, schema: Any, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            return jsonschema.validate(instance, schema, *args, **kwargs)
        validator = validators.get(id(schema))
        if validator is None or validator.schema is not schema:
            if len(validators) > 64:
                validators.clear()
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validator = validators[id(schema)] = cls(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error

    class _Jsonschema:
        """`jsonschema` as nbgrader's metadata validators see it, with `validate` kept."""

        def __getattr__(self, name: str) -> Any:
            return getattr(jsonschema, name)

    shim = _Jsonschema()
    shim.validate = validate  # type: ignore[attr-defined]
    common.jsonschema, before = shim, common.jsonschema

    def undo() -> None:
        common.jsonschema = before

    return undo


@contextmanager
def kept_setup() -> Iterator[None]:
    """While grading: gradebook engines and schema validators made once, not per use."""
    undo = [_keep_gradebook_engines(), _keep_schema_validators()]
    try:
        yield
    finally:
        for step in reversed(undo):
            step()


HISTORY = ":memory:"  # nbgrader's `Execute.ipython_hist_file` default (nbclient's)


class KernelsAhead:
    """Kernels started before the learners who will use them, one fresh kernel per learner.

    A kernel is started as nbclient starts one for nbgrader's `Execute` (same kernel manager
    class, kernel name, arguments and ``NBGRADER_EXECUTION`` variable), but in a neutral folder
    and before it is needed, so that it boots while other work goes on. Each is handed out
    once (`take`) and shut down after its learner; none is ever given to a second learner.
    Needs only jupyter_client, so a worker can start one before importing nbgrader.
    """

    def __init__(self) -> None:
        self.ready: list[tuple[tuple[str, tuple[str, ...]], Any]] = []
        self.stopping: list[Any] = []  # graceful shutdowns still running in the background
        self.folder: str | None = None  # where a kernel waits for its learner

    def start(self, name: str = "python3", extra: Sequence[str] = ()) -> bool:
        """Start one kernel ahead (its process boots while the caller carries on)."""
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import ensure_event_loop

        if self.folder is None:
            self.folder = tempfile.mkdtemp(prefix="imatter-kernel-")
        km = AsyncKernelManager(kernel_name=name) if name else AsyncKernelManager()
        args = list(extra)
        if km.ipykernel and not any(a.startswith("--HistoryManager.hist_file") for a in args):
            args.append(f"--HistoryManager.hist_file={HISTORY}")
        env = {**os.environ, "NBGRADER_EXECUTION": "autograde"}
        try:
            ensure_event_loop().run_until_complete(
                km.start_kernel(extra_arguments=args, cwd=self.folder, env=env)
            )
        except Exception:  # the learner's kernel is then started the usual way
            return False
        self.ready.append(((name, tuple(extra)), km))
        return True

    def take(self, name: str, extra: Sequence[str]) -> Any | None:
        """The next kernel started ahead for this kernel name and arguments, or None (any
        started for something else is stopped)."""
        while self.ready:
            key, km = self.ready.pop(0)
            if key == (name, tuple(extra)):
                return km
            self.stop(km)
        return None

    def top_up(self, name: str, extra: Sequence[str], wanted: int) -> None:
        """Have `wanted` kernels started ahead (fewer when start-up fails)."""
        while len(self.ready) < wanted and self.start(name, extra):
            pass

    def stop(self, km: Any) -> None:
        """Shut a kernel down gracefully (as nbclient does) in the background."""
        from jupyter_core.utils import ensure_event_loop

        self.stopping = [t for t in self.stopping if not t.done()]
        self.stopping.append(ensure_event_loop().create_task(_shutdown(km)))

    def close(self) -> None:
        """Stop the kernels not handed out and wait for every shutdown to finish."""
        from jupyter_core.utils import ensure_event_loop

        while self.ready:
            self.stop(self.ready.pop(0)[1])
        loop = ensure_event_loop()
        for task in self.stopping:
            loop.run_until_complete(task)
        self.stopping = []
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


async def _shutdown(km: Any) -> None:
    try:
        if await km.is_alive():
            await km.shutdown_kernel(now=False)
    except RuntimeError:
        pass
    finally:
        await km.cleanup_resources()


# Settings under which a kernel started ahead would differ from the one nbclient would start.
_KERNEL_SETTINGS = (
    "KernelManager",
    "AsyncKernelManager",
    "KernelSpecManager",
    "KernelProvisionerFactory",
)


def prestarted_execute(kernels: KernelsAhead, to_run: int, ahead: int = 1):
    """nbgrader's `Execute` preprocessor for `to_run` notebooks, each run in a fresh kernel
    taken from `kernels`, with `ahead` more kept starting for the learners to come (built
    here so that nbgrader is imported only where it is used)."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync
    from nbgrader.preprocessors import Execute

    class PrestartedExecute(Execute):
        """`Execute` with each learner's kernel started ahead (one per learner)."""

        remaining = to_run  # notebooks still to run: no kernel is started for nobody

        def preprocess(self, nb, resources=None, km=None):
            name = self.kernel_name or nb.metadata.get("kernelspec", {}).get("name", "")
            extra = list(self.extra_arguments)
            PrestartedExecute.remaining -= 1
            usable = (
                km is None
                and self.kernel_manager_class is AsyncKernelManager
                and bool(self.ipython_hist_file == HISTORY)
                and not any(section in self.config for section in _KERNEL_SETTINGS)
            )
            ready = kernels.take(name, extra) if usable else None
            if usable:  # the next learners' kernels boot while this one's code runs
                kernels.top_up(name, extra, min(ahead, self.remaining))
            if ready is None:
                return super().preprocess(nb, resources, km)
            self._chdir = (resources or {}).get("metadata", {}).get("path") or None
            try:
                return super().preprocess(nb, resources, ready)
            finally:
                if self.kc is not None:
                    self.kc.stop_channels()
                    self.kc = None
                kernels.stop(ready)

        async def async_start_new_kernel_client(self):
            kc = await super().async_start_new_kernel_client()
            folder = getattr(self, "_chdir", None)
            if folder:  # the folder nbgrader would have started the kernel in
                code = f"__import__('os').chdir({os.path.abspath(folder)!r})"
                reply = await self.async_wait_for_reply(
                    kc.execute(code, silent=True, store_history=False)
                )
                if not reply or reply["content"].get("status") != "ok":
                    raise RuntimeError(f"the kernel could not move to {folder}")
            return kc

        start_new_kernel_client = run_sync(async_start_new_kernel_client)

    return PrestartedExecute


def _lazy_archive_util() -> ModuleType:
    """A stand-in for `setuptools.archive_util`: each function taken from it loads the real
    module when called, and calls the real function."""
    module = ModuleType("setuptools.archive_util")

    def real() -> ModuleType:
        if sys.modules.get("setuptools.archive_util") is module:
            del sys.modules["setuptools.archive_util"]
        import setuptools.archive_util

        return setuptools.archive_util

    def attribute(name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return getattr(real(), name)(*args, **kwargs)

        return call

    module.__getattr__ = attribute  # type: ignore[method-assign]
    return module


def main(argv: Sequence[str] | None = None) -> int:
    """Grade the jobs sent on stdin (a JSON list, one job per process). With ``--fork``,
    import nbgrader first, then fork one copy of this process for each further job."""
    fork = "--fork" in (sys.argv[1:] if argv is None else argv)
    # jsonschema imports the optional `rfc3987_syntax` format checker when present, which is
    # most of nbformat's (and so nbgrader's) import time here (DECISIONS.md, 9). Notebook
    # validation does not use those formats, so this fresh process goes without it.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    # nbgrader's utils import `setuptools.archive_util` (for zip collection, not autograde),
    # and with it all of setuptools and pkg_resources: a fifth of a worker's start-up here.
    # The worker gets a stand-in that imports the real thing if it is ever called.
    sys.modules.setdefault("setuptools.archive_util", _lazy_archive_util())
    kernels = KernelsAhead()
    if not fork:
        # The first learner's kernel boots while nbgrader is imported (a worker is only
        # started with learners to grade; should it get none, the kernel is shut down).
        # Not before a fork: a copy must not inherit a kernel, event loop or ZeroMQ context.
        kernels.start()
    try:
        import nbgrader.converters  # noqa: F401 - the start-up, paid while the caller works

        _keep_gradebook_engines()  # for the worker's life
        _keep_schema_validators()
        job_text = sys.stdin.read()
        if not job_text.strip():  # nothing for this worker after all
            return 0
        jobs = json.loads(job_text)
        index, children = _fork(len(jobs)) if fork else (0, [])
        if index:
            _run_copy(jobs[index], kernels)  # never returns
        from .autograde import worker_main

        if fork:
            kernels.start()
        try:
            return worker_main(json.dumps(jobs[0]), kernels=kernels)
        finally:
            for pid in children:
                os.waitpid(pid, 0)
    finally:
        kernels.close()


def _fork(count: int) -> tuple[int, list[int]]:
    """Fork count - 1 copies of this process: (which job this process does, the copies'
    process ids, in the first process). The first process, stopped, stops its copies."""
    children: list[int] = []
    for index in range(1, count):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            return index, []
        children.append(pid)

    def stop(signum: int, _frame: Any) -> None:
        for pid in children:
            try:
                os.kill(pid, signum)
            except OSError:
                pass
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    return 0, children


def _run_copy(job: dict[str, Any], kernels: KernelsAhead) -> None:
    """A forked copy: its errors to its own log, its job graded, then exit (never return
    into the first process's code)."""
    code = 1
    try:
        log = os.open(job["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 2)
        os.close(log)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
        from .autograde import worker_main

        kernels.start()
        try:
            code = worker_main(json.dumps(job), kernels=kernels)
        finally:
            kernels.close()
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
