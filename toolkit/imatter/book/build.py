"""Build the book: catalogue pages and toc, notebooks run in parallel, then Sphinx, then the
offline audit.

1. A hash of every input (config, catalogue, modules, front matter, extra pages, the toolkit's
   book code and versions) is compared with the last successful build's: if nothing changed
   and the site exists, nothing is rebuilt.
2. `_toc.yml` and `book/catalogue/` are regenerated (files are rewritten only if their text
   changed, so Sphinx re-reads only what changed).
3. Notebooks whose code changed are run in parallel into the jupyter-cache (`execute`).
   A notebook whose code is as it was at the last build is not even looked up.
4. Jupyter Book's Sphinx build runs in this process with `execute_notebooks: cache`, so it
   takes every notebook's outputs from the cache, and re-reads only changed pages.
5. Extra static files (a workspace's `public/` folder) are copied in, and the site is audited
   for requests to other hosts (`offline`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ImatterError
from .project import BookProject, course_materials

STATE_FILE = ".imatter-build.json"
SPHINX_CONFIG_FILE = ".imatter-sphinx-config.json"
STATE_VERSION = 1
VERSIONED = (
    "jupyter-book",
    "myst-nb",
    "sphinx",
    "sphinx-book-theme",
    "ipywidgets",
    "anywidget",
    "imatter",
)
SKIP_PARTS = {"__pycache__", ".ipynb_checkpoints", "_build"}


class BuildError(ImatterError):
    """The book could not be built: a notebook failed, Sphinx failed, or a page is not offline."""


@dataclass(frozen=True)
class BuildResult:
    """A book build: where the HTML is, what was executed, skipped and written, and how long it
    took."""

    html_dir: Path
    skipped: bool
    seconds: float
    executed: tuple[Path, ...] = ()
    pages_written: tuple[Path, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def index(self) -> Path:
        return self.html_dir / "index.html"


# ---------------------------------------------------------------- inputs
def _files(folder: Path, exclude: Iterable[Path] = ()) -> list[Path]:
    if not folder.is_dir():
        return []
    skip = [e.resolve() for e in exclude]
    found = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder).parts
        if any(part in SKIP_PARTS or part.startswith(".") for part in rel):
            continue
        if path.is_file() and not any(path.resolve().is_relative_to(s) for s in skip):
            found.append(path)
    return sorted(found)


# The toolkit's files that shape the built site (the linter and scaffold do not).
BOOK_MODULES = (
    "build",
    "execute",
    "offline",
    "pages",
    "programme_map",
    "project",
    "sphinx_ext",
    "toc",
)


def _toolkit_files() -> list[Path]:
    package = Path(__file__).resolve().parents[1]
    return [
        *(package / "book" / f"{name}.py" for name in BOOK_MODULES),
        *_files(package / "book" / "static"),
        # Shipped files that book pages literalinclude (the hosting guide).
        *_files(package / "data" / "deploy"),
        package / "data" / "permissions.yml",  # shown by "Keeping records safe"
        *_files(package / "notebook"),
        package / "programme.py",
        package / "takestock.py",
    ]


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": sys.version.split()[0]}
    for name in VERSIONED:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "-"
    return found


def _digest(paths: Iterable[Path], base: Path, extra: Any = None) -> str:
    total = hashlib.sha256()
    for path in paths:
        if not path.is_file():
            continue
        try:
            name = path.resolve().relative_to(base).as_posix()
        except ValueError:
            name = path.name
        total.update(name.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    total.update(json.dumps(extra, sort_keys=True, default=str).encode())
    return total.hexdigest()


def input_fingerprint(project: BookProject, public: Path | None = None) -> str:
    """One hash of everything the built site depends on."""
    root = project.root.resolve()
    files = [project.config_path, project.programme_path]
    files += _files(project.modules_dir)
    files += _files(project.book_dir, exclude=[project.catalogue_dir])
    if public is not None:
        files += _files(public)
    files += _toolkit_files()
    return _digest(files, root, {"versions": _versions(), "public": str(public)})


def execution_fingerprint() -> str:
    """What notebook outputs depend on beyond their own code: the notebook runtime
    (`imatter.notebook`: activities, glance, questionnaire) and the versions of Python,
    ipywidgets and anywidget. When it changes, the execution cache is cleared."""
    package = Path(__file__).resolve().parents[1]
    versions = _versions()
    return _digest(
        _files(package / "notebook"),
        package,
        {k: versions[k] for k in ("python", "ipywidgets", "anywidget")},
    )


def code_hash(notebook: Path) -> str:
    """A hash of a notebook's code cells and kernel (what decides whether it must run)."""
    from .project import cell_source, read_notebook_json

    nb = read_notebook_json(notebook)
    parts = [json.dumps(nb.get("metadata", {}).get("kernelspec", {}), sort_keys=True)]
    parts += [cell_source(c) for c in nb["cells"] if c.get("cell_type") == "code"]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _read_config(project: BookProject) -> dict[str, Any]:

    from ..yamlfile import YAML_FAILURES, read_text, safe_load
    from ..yamlfile import problem as yaml_problem

    text = read_text(project.config_path, BuildError)
    try:
        data = safe_load(text) or {}
    except YAML_FAILURES as err:
        line, problem = yaml_problem(err, text)
        raise BuildError(f"{project.config_path}:{line}: not valid YAML ({problem})") from None
    return data if isinstance(data, dict) else {}


def _state_path(project: BookProject) -> Path:
    return project.build_dir / STATE_FILE


def _read_state(project: BookProject) -> dict[str, Any]:
    try:
        state = json.loads(_state_path(project).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) and state.get("version") == STATE_VERSION else {}


def _write_state(project: BookProject, state: dict[str, Any]) -> None:
    project.build_dir.mkdir(parents=True, exist_ok=True)
    state = {"version": STATE_VERSION, **state}
    _state_path(project).write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")


# ---------------------------------------------------------------- the build
def generate_sources(project: BookProject) -> tuple[dict[str, Any], list[Path]]:
    """Write `_toc.yml` and the catalogue pages; return the toc and the pages written."""
    from .pages import write_pages
    from .project import write_if_changed
    from .toc import build_toc, toc_text

    programme = project.programme()
    materials = course_materials(project, programme)
    toc = build_toc(project, programme, materials)
    written = write_pages(project, programme, materials)
    if write_if_changed(project.toc_path, toc_text(toc)):
        written.append(project.toc_path)
    return toc, written


def book_notebooks(project: BookProject, toc: dict[str, Any]) -> list[Path]:
    from .toc import toc_docnames

    found = []
    for doc in toc_docnames(toc):
        path = project.root / f"{doc}.ipynb"
        if path.is_file():
            found.append(path.resolve())
    return found


def build_book(
    project: BookProject,
    *,
    jobs: int | None = None,
    force: bool = False,
    public: Path | None = None,
    strict: bool = False,
    echo: Callable[[str], None] = print,
) -> BuildResult:
    """Build the HTML book into `_build/html`, doing only the work that its changes need.

    :param jobs: worker processes for notebooks (default one per CPU).
    :param force: rebuild even if no input changed (notebooks still come from the cache).
    :param public: a folder (a workspace's `public/`) copied into the site as `public/`.
    :param strict: treat Sphinx warnings as errors; a strict build always runs (it reads
        every page again, so no warning hides behind an earlier build).
    :raises BuildError: a notebook failed to run, Sphinx failed, a page is not offline, or a
        session still holds placeholder (TODO) text.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = now - since
        return now

    state = _read_state(project)
    fingerprint = input_fingerprint(project, public)
    t = lap("fingerprint", started)
    if (
        not force
        and not strict
        and state.get("inputs") == fingerprint
        and (project.html_dir / "index.html").is_file()
    ):
        return BuildResult(
            project.html_dir, skipped=True, seconds=time.perf_counter() - started, timings=timings
        )

    toc, written = generate_sources(project)
    t = lap("generate", t)
    config = _read_config(project)
    execute = config.get("execute") or {}
    notebooks = book_notebooks(project, toc)
    left_in = placeholders(project, notebooks)
    if left_in:
        raise BuildError(
            f"{len(left_in)} placeholder(s) (TODO) left in the sessions; the book was not built",
            details=left_in + ["Replace each TODO with the real content, then build again."],
        )
    if str(execute.get("execute_notebooks", "cache")) != "cache":
        raise BuildError(
            f"{project.config_path}: execute.execute_notebooks must be 'cache' (imatter runs "
            "the notebooks first, in parallel, and Sphinx reads their outputs from the cache)"
        )
    skip = [str(p) for p in execute.get("exclude_patterns") or []]
    if skip:
        from fnmatch import fnmatch

        notebooks = [
            nb
            for nb in notebooks
            if not any(
                fnmatch(nb.relative_to(project.root.resolve()).as_posix(), pattern)
                for pattern in skip
            )
        ]

    exec_env = execution_fingerprint()
    known: dict[str, str] = dict(state.get("code") or {})
    if state.get("exec_env") != exec_env or not project.cache_dir.is_dir():
        if project.cache_dir.is_dir() and state.get("exec_env") not in (None, exec_env):
            echo("The activities or the Python environment changed: re-running every notebook.")
            shutil.rmtree(project.cache_dir)
        known = {}
    hashes = {str(p): code_hash(p) for p in notebooks}
    to_check = [p for p in notebooks if known.get(str(p)) != hashes[str(p)]]
    executed: tuple[Path, ...] = ()
    if to_check:
        from .execute import execute_notebooks

        report = execute_notebooks(
            to_check,
            project.cache_dir,
            jobs=jobs,
            timeout=int(execute.get("timeout") or 120),
            allow_errors=bool(execute.get("allow_errors", False)),
            progress=echo,
        )
        executed = report.executed
        failed = {str(f.path) for f in report.failed}
        known.update({k: v for k, v in hashes.items() if k not in failed})
        if report.failed:
            _write_state(project, {"exec_env": exec_env, "code": known})
            raise BuildError(
                f"{len(report.failed)} notebook(s) failed to run; the book was not built",
                details=[f"{f.path.relative_to(project.root)}: {f.error}" for f in report.failed]
                + ["Run the notebook in Jupyter to see the whole traceback, then fix the cell."],
            )
    known = {k: v for k, v in known.items() if k in hashes}
    t = lap("execute", t)

    sphinx_started = time.time()
    # A notebook that ran again (its code, the activities or the environment changed) must be
    # read again even if its file did not change: its outputs did.
    root = project.root.resolve()
    reread = [p.resolve().relative_to(root).with_suffix("").as_posix() for p in executed]
    status = run_sphinx(project, strict=strict, reread=reread, fresh=strict)
    t = lap("sphinx", t)
    if status != 0:
        raise BuildError(
            f"Sphinx could not build the book (see the messages above); status {status}"
        )
    if public is not None and public.is_dir():
        shutil.copytree(public, project.html_dir / "public", dirs_exist_ok=True)

    from .offline import audit_offline

    # A site that passed before needs only its new pages read; otherwise read everything.
    full = force or "inputs" not in state
    problems = audit_offline(project.html_dir, since=None if full else sphinx_started - 2)
    if public is not None and public.is_dir() and not full:
        problems += audit_offline(project.html_dir / "public")
    t = lap("audit", t)
    if problems:
        raise BuildError(
            f"the built book would fetch from {len(problems)} place(s) on other hosts",
            details=problems[:50]
            + ["Ship the asset in toolkit/imatter/book/static/ or remove the reference."],
        )
    _write_state(project, {"inputs": fingerprint, "exec_env": exec_env, "code": known})
    return BuildResult(
        project.html_dir,
        skipped=False,
        seconds=time.perf_counter() - started,
        executed=executed,
        pages_written=tuple(written),
        timings=timings,
    )


def sphinx_config(project: BookProject) -> dict[str, Any]:
    """Jupyter Book's Sphinx configuration for `_config.yml`, cached in `_build/` by the
    config's hash (so an incremental build need not import Jupyter Book's config machinery)."""
    key = _digest(
        [project.config_path],
        project.root.resolve(),
        {"toc": project.toc_path.as_posix(), "versions": _versions()},
    )
    cache = project.build_dir / SPHINX_CONFIG_FILE
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached.get("key") == key:
            return cached["config"]
    except (OSError, ValueError, AttributeError):
        pass
    from jupyter_book.config import get_final_config

    config, _meta = get_final_config(
        user_yaml=project.config_path,
        cli_config={
            "external_toc_path": project.toc_path.as_posix(),
            "latex_individualpages": False,
        },
        sourcedir=project.root,
        use_external_toc=True,
    )
    project.build_dir.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"key": key, "config": config}), encoding="utf-8")
    return config


def placeholders(project: BookProject, notebooks: Iterable[Path]) -> list[str]:
    """`file, cell N: ...` for every TODO (or `{{ }}`) placeholder in the book's notebooks."""
    from .lint_notebook import PLACEHOLDER
    from .project import cell_source, read_notebook_json

    found = []
    root = project.root.resolve()
    for path in notebooks:
        try:
            cells = read_notebook_json(path).get("cells", [])
        except (ImatterError, OSError, ValueError):
            continue  # the notebook run reports an unreadable notebook
        for number, cell in enumerate(cells, start=1):
            match = PLACEHOLDER.search(cell_source(cell))
            if match:
                line = cell_source(cell)[: match.end()].count("\n") + 1
                text = cell_source(cell).splitlines()[line - 1].strip()[:80]
                found.append(f"{path.relative_to(root)}, cell {number}: {text}")
    return found


def run_sphinx(
    project: BookProject,
    *,
    strict: bool = False,
    jobs: int = 1,
    reread: Iterable[str] = (),
    fresh: bool = False,
) -> int:
    """Jupyter Book's HTML build (as `jupyter-book build` runs it), in this process; returns
    Sphinx's status. ``reread``: docnames Sphinx must read again (their outputs changed);
    ``fresh``: read every page again (so every warning is seen)."""
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    config = sphinx_config(project)
    try:
        with patch_docutils(None), docutils_namespace():
            app = Sphinx(
                srcdir=str(project.root),
                confdir=None,
                outdir=str(project.html_dir),
                doctreedir=str(project.build_dir / ".doctrees"),
                buildername="html",
                confoverrides=config,
                status=None,
                warning=sys.stderr,
                freshenv=fresh,
                warningiserror=strict,
                keep_going=strict,
                parallel=jobs,
            )
            again = set(reread)
            if again:
                app.connect(
                    "env-get-outdated",
                    lambda _app, env, _added, _changed, _removed: sorted(
                        again & set(env.found_docs)
                    ),
                )
            if app.config["use_multitoc_numbering"] and "numbered: true" in (
                project.toc_path.read_text(encoding="utf-8")
            ):
                app.setup_extension("sphinx_multitoc_numbering")
            app.build(False, [])
            return int(app.statuscode or 0)
    except Exception as err:  # Sphinx and its extensions raise many kinds
        raise BuildError(f"Sphinx failed: {type(err).__name__}: {err}") from err
