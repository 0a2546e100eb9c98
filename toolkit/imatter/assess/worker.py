"""``python -m imatter.assess.worker``: one autograde worker (see `autograde.Workers`).

The caller starts its workers first and sends each its job (JSON on stdin) once it knows
who needs grading, so nbgrader's imports here overlap the caller's own work: a worker pays its
start-up once and grades its whole share of learners in one nbgrader run.

Inside a worker, three things make each learner cheaper without changing what nbgrader does
or what a learner's code sees:

- the next learner's kernel is started while this learner is graded (`PrestartedExecute`):
  still one fresh kernel per learner, started as nbgrader starts it (same kernel, same
  ``NBGRADER_EXECUTION`` variable) and moved into the learner's folder before any cell runs;
  the last kernel is shut down gracefully in the background. A kernel is never reused for a
  second learner: nothing in one learner's notebook can reach another's;
- nbgrader's gradebook opens the database many times per learner; here the SQLAlchemy engine
  is kept per database, so its statements are compiled once, not at every opening;
- nbgrader checks every cell's metadata against its JSON schema with `jsonschema.validate`,
  which checks the schema itself every time; here the checked validator is kept.
"""

from __future__ import annotations

import functools
import os
import sys
import tempfile
from types import ModuleType
from typing import Any


def _keep_gradebook_engines() -> None:
    """One SQLAlchemy engine per database URL for the worker's life (nbgrader's `Gradebook`
    makes a new one at every opening and disposes of it when closed; a disposed engine
    simply opens a new connection when used again)."""
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


def _keep_schema_validators() -> None:
    """nbgrader's cell-metadata check with its JSON schema checked once, not for every cell:
    the same validator class (the schema's own draft) and the same errors."""
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
    common.jsonschema = shim


def prestarted_execute():
    """nbgrader's `Execute` preprocessor whose kernel was started during the previous learner
    (built here so that nbgrader is imported only in the worker)."""
    from jupyter_core.utils import ensure_event_loop, run_sync
    from nbgrader.preprocessors import Execute

    class PrestartedExecute(Execute):
        """`Execute` with the next learner's kernel started ahead (one per learner)."""

        ready: Any = None  # (kernel name, kernel manager) started for the next learner
        to_run = 0  # notebooks still to execute in this worker: none left, none started ahead
        stopping: list[Any] = []  # graceful shutdowns still running in the background
        folder = tempfile.mkdtemp(prefix="imatter-kernel-")  # where a kernel waits

        def preprocess(self, nb, resources=None, km=None):
            name = self.kernel_name or nb.metadata.get("kernelspec", {}).get("name", "")
            PrestartedExecute.to_run -= 1
            ready, PrestartedExecute.ready = PrestartedExecute.ready, None
            if km is not None or ready is None or ready[0] != name:
                if ready is not None:
                    self._stop(ready[1])
                try:
                    return super().preprocess(nb, resources, km)
                finally:
                    if km is None:
                        self._start_next(name)
            self._chdir = (resources or {}).get("metadata", {}).get("path") or None
            try:
                return super().preprocess(nb, resources, ready[1])
            finally:
                if self.kc is not None:
                    self.kc.stop_channels()
                    self.kc = None
                self._stop(ready[1])
                self._start_next(name)

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

        def _start_next(self, name: str) -> None:
            """Start the next learner's kernel the way nbclient starts one, but in a neutral
            folder: Popen returns at once, and the kernel boots while we carry on."""
            if PrestartedExecute.to_run <= 0:
                return
            self.kernel_name = name
            km, self.km = self.create_kernel_manager(), None
            extra = list(self.extra_arguments)
            if getattr(km, "ipykernel", False) and self.ipython_hist_file:
                if not any(a.startswith("--HistoryManager.hist_file") for a in extra):
                    extra.append(f"--HistoryManager.hist_file={self.ipython_hist_file}")
            env = {**os.environ, "NBGRADER_EXECUTION": "autograde"}
            loop = ensure_event_loop()
            try:
                loop.run_until_complete(
                    km.start_kernel(extra_arguments=extra, cwd=self.folder, env=env)
                )
            except Exception:  # the next learner's kernel is then started the usual way
                self.log.debug("could not start a kernel ahead", exc_info=True)
                return
            PrestartedExecute.ready = (name, km)

        def _stop(self, km: Any) -> None:
            """Shut a used kernel down gracefully (as nbclient does) in the background."""
            loop = ensure_event_loop()
            PrestartedExecute.stopping = [t for t in self.stopping if not t.done()]
            PrestartedExecute.stopping.append(loop.create_task(_shutdown(km)))

        @classmethod
        def close(cls) -> None:
            """Stop the kernel started ahead and wait for every shutdown to finish."""
            loop = ensure_event_loop()
            if cls.ready is not None:
                cls.stopping.append(loop.create_task(_shutdown(cls.ready[1])))
                cls.ready = None
            for task in cls.stopping:
                loop.run_until_complete(task)
            cls.stopping = []

    async def _shutdown(km: Any) -> None:
        try:
            if await km.is_alive():
                await km.shutdown_kernel(now=False)
        except RuntimeError:
            pass
        finally:
            await km.cleanup_resources()

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


def main() -> int:
    # jsonschema imports the optional `rfc3987_syntax` format checker when present, which is
    # most of nbformat's (and so nbgrader's) import time here (DECISIONS.md, 9). Notebook
    # validation does not use those formats, so this fresh process goes without it.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    # nbgrader's utils import `setuptools.archive_util` (for zip collection, not autograde),
    # and with it all of setuptools and pkg_resources: a fifth of a worker's start-up here.
    # The worker gets a stand-in that imports the real thing if it is ever called.
    sys.modules.setdefault("setuptools.archive_util", _lazy_archive_util())
    import nbgrader.converters  # noqa: F401 - the start-up, paid while the caller works

    _keep_gradebook_engines()
    _keep_schema_validators()
    execute = prestarted_execute()
    job_text = sys.stdin.read()
    if not job_text.strip():  # nothing for this worker after all
        return 0
    from .autograde import worker_main

    try:
        return worker_main(job_text, execute=execute)
    finally:
        execute.close()


if __name__ == "__main__":
    sys.exit(main())
