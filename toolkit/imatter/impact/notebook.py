"""Put the questionnaire into a session notebook: a markdown cell and a code cell.

The pre-course questionnaire goes near the start of a course's first session (after the
opening cell with the title, welcome and learning outcomes); the post-course one near the end of
its last session (before Facilitator notes and References, else at the end). Run it on a copy
or a fixture first: it rewrites the notebook file.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ImatterError, NotFound
from .items import check_course, check_stage

TAG = "imatter-questionnaire"

_MARKDOWN = {
    "pre": (
        "## Before you start: where are you now?\n\n"
        "Please answer four short statements before you begin. Make up a code that you will "
        "remember, such as KESTREL-42, and type it in: please do not use your name. At the end "
        "of the course you will answer the same statements with the same code, so that we can "
        "see what the course changed for the group as a whole.\n\n"
        "Your answers go with your code, never your name. The box below says where they are "
        "kept: in this browser when you read the book, or in a small file next to the notebook "
        "in Jupyter. Results are only shown for groups of five or more people."
    ),
    "post": (
        "## Before you go: what has changed?\n\n"
        "Please answer the same four statements as at the start of the course, using the same "
        "code as last time. It takes a minute and shows us what the course changed for the "
        "group as a whole.\n\n"
        "Your answers go with your code, never your name. The box below says where they are "
        "kept: in this browser when you read the book, or in a small file next to the notebook "
        "in Jupyter. Results are only shown for groups of five or more people."
    ),
}

_CODE = (
    'from imatter.impact import questionnaire\n\nquestionnaire(course="{course}", stage="{stage}")'
)

_BEFORE_POST = ("## facilitator notes", "## references")


def questionnaire_cells(course: str, stage: str) -> list:  # type: ignore[type-arg]
    """The two cells (markdown, code) for a course and stage, as nbformat v4 nodes."""
    import nbformat

    meta = {"tags": [TAG], "imatter": {"questionnaire": {"course": course, "stage": stage}}}
    markdown = nbformat.v4.new_markdown_cell(_MARKDOWN[stage], metadata=meta)
    code = nbformat.v4.new_code_cell(_CODE.format(course=course, stage=stage), metadata=meta)
    markdown.id = f"imatter-{stage}-questionnaire-md"
    code.id = f"imatter-{stage}-questionnaire-code"
    return [markdown, code]


def _is_ours(cell, stage: str) -> bool:  # type: ignore[no-untyped-def]
    ours = cell.get("metadata", {}).get("imatter")
    info = ours.get("questionnaire") if isinstance(ours, dict) else None
    return isinstance(info, dict) and info.get("stage") == stage


def _read(path: Path):  # type: ignore[no-untyped-def]
    """The notebook, checked valid before anything is changed (ImatterError naming the file)."""
    import json
    import warnings

    import nbformat

    from ..safejson import refuse_hostile

    try:
        text = path.read_bytes().decode("utf-8")
        refuse_hostile(text, source=str(path))
        json.loads(text)
    except UnicodeDecodeError:
        raise ImatterError(f"{path}: not UTF-8 text, so not a notebook") from None
    except json.JSONDecodeError as err:
        raise ImatterError(
            f"{path}:{err.lineno}: not valid JSON ({err.msg}); the notebook is damaged"
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. missing cell ids, added below
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001 - nbformat raises several kinds
        at = list(getattr(err, "absolute_path", None) or [])
        where = " at " + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in at)
        raise ImatterError(
            f"{path}: not a valid Jupyter notebook{where if at else ''}; open it in Jupyter, "
            "save it and try again"
        ) from None
    return nb


def add_questionnaire_cells(notebook_path: str | Path, course: str, stage: str) -> bool:
    """Insert the questionnaire's markdown+code cell pair; False if it is already there.

    An existing pair for the same stage is replaced in place when its course or its text
    differs (so running it again brings older notebooks' wording up to date), and the
    function can be run again safely.
    """
    import nbformat

    check_course(course)
    check_stage(stage)
    path = Path(notebook_path)
    if not path.exists():
        raise NotFound(f"{path}: notebook not found")
    nb = _read(path)
    if nb.nbformat_minor < 5:  # cell ids arrived in nbformat 4.5
        from nbformat.corpus.words import generate_corpus_id

        nb.nbformat_minor = 5
        for cell in nb.cells:
            cell.setdefault("id", generate_corpus_id())
    cells = nb.cells
    existing = [i for i, cell in enumerate(cells) if _is_ours(cell, stage)]
    new = questionnaire_cells(course, stage)
    if existing:
        current = cells[existing[0]]["metadata"]["imatter"]["questionnaire"]
        same = [cells[i].source for i in existing] == [c.source for c in new]
        if current.get("course") == course and len(existing) == 2 and same:
            return False
        at = existing[0]
        nb.cells = [c for i, c in enumerate(cells) if i not in existing]
    elif stage == "pre":
        at = 1 if cells and cells[0].cell_type == "markdown" else 0
    else:
        at = len(cells)
        for i, cell in enumerate(cells):
            if cell.cell_type == "markdown" and cell.source.lstrip().lower().startswith(
                _BEFORE_POST
            ):
                at = i
                break
    taken = {cell.get("id") for cell in nb.cells}
    for cell in new:
        if cell.id in taken:
            raise ImatterError(f"{path}: a cell already has the id '{cell.id}'; rename it")
    nb.cells[at:at] = new
    nbformat.validate(nb)
    tmp = path.with_name(f".{path.name}.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(path)
    return True
