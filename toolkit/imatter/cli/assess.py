"""`imatter assess`: reflective assessments with nbgrader, one course directory per group.

Thin: parse, call `imatter.assess`, format. Nothing here prints what a learner wrote.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click

from ..errors import AssessmentError, NotFound, UsageError
from .common import emit_json, json_option, table, today_or, who, workspace


def _course_path(ctx: click.Context) -> Path:
    obj = ctx.find_object(dict) or {}
    if obj.get("course_dir"):
        return Path(obj["course_dir"])
    if obj.get("group"):
        group = obj["group"]
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}", group):
            raise UsageError(f"--group '{group}': use letters, digits, '.', '_' or '-'")
        return workspace(ctx).path / "assess" / group
    raise UsageError("say which course directory: --group NAME or --course-dir PATH")


def _command(ctx: click.Context) -> str:
    """`imatter assess` with the course directory option as given, for hints that work."""
    import shlex

    obj = ctx.find_object(dict) or {}
    if obj.get("course_dir"):
        return f"imatter assess -C {shlex.quote(str(obj['course_dir']))}"
    if obj.get("group"):
        return f"imatter assess -g {obj['group']}"
    return "imatter assess"


def _course(ctx: click.Context):
    """The course directory, once the actor may do this command's action on it."""
    from ..assess.course_dir import open_course_dir

    path = _course_path(ctx)
    _guard(ctx, _Named(path))
    return open_course_dir(path)


class _Named:
    """A course directory not opened yet: its folder is enough to tell its setting."""

    def __init__(self, root: Path, setting: str | None = None) -> None:
        self.root = Path(root).resolve()
        self.course_id = None
        self.setting = setting


def _guard(ctx: click.Context, course) -> None:
    """The command's action (permissions.yml) on this course directory (see assess.guard)."""
    from ..assess.guard import require_course
    from ..trust.access.gate import command_action
    from .common import command_path

    action = command_action(command_path(ctx)).removeprefix("self:")
    if action != "open":
        require_course(workspace(ctx).store, course, action)


def _check_setting(store, setting: str) -> None:
    """Refuse a setting the actor may not run assessments in, exactly as one that is unknown."""
    import sqlalchemy as sa

    from ..store import schema as t
    from ..trust.access import require_or_missing

    missing = NotFound(f"--setting {setting}: no such setting; see `imatter setting list`")
    with store.read() as conn:
        require_or_missing(conn, "assess.run", missing, setting=setting)
        if (
            conn.execute(sa.select(t.settings.c.id).where(t.settings.c.id == setting)).first()
            is None
        ):
            raise missing


def _sources(ctx: click.Context) -> Path:
    from ..assess.course_dir import default_sources

    obj = ctx.find_object(dict) or {}
    return Path(obj.get("sources") or default_sources())


def _study_group_of(ctx: click.Context, store) -> int | None:
    """The study group a --group names, when it is the number of one in the store."""
    import sqlalchemy as sa

    from ..store import schema as t

    group = (ctx.find_object(dict) or {}).get("group")
    if not group or not group.isdigit():
        return None
    with store.read() as conn:
        found = conn.execute(
            sa.select(t.study_groups.c.id).where(t.study_groups.c.id == int(group))
        ).first()
    return int(group) if found else None


def _learner_ids(values: tuple[str, ...]) -> list[int]:
    ids: list[int] = []
    for value in values:
        for part in value.replace(",", " ").split():
            text = part[1:] if part.startswith("p") else part
            if not text.isdigit() or int(text) < 1:
                raise UsageError(f"'{part}' is not a person id (a number, or p<number>)")
            ids.append(int(text))
    return ids


assessment_arg = click.argument("assessment_id", metavar="ASSESSMENT")
learner_option = click.option(
    "--learner",
    "learners",
    multiple=True,
    help="A person id (12 or p12); repeat, or give a comma-separated list.",
)


@click.group()
@click.option(
    "--group",
    "-g",
    envvar="IMATTER_GROUP",
    help="Study group or setting: its course directory is <workspace>/assess/<GROUP>.",
)
@click.option(
    "--course-dir",
    "-C",
    envvar="IMATTER_COURSE_DIR",
    type=click.Path(file_okay=False),
    help="The nbgrader course directory (instead of --group).",
)
@click.option(
    "--sources",
    envvar="IMATTER_ASSESSMENTS",
    type=click.Path(file_okay=False),
    help="Assessment sources (default: the project's assessments/source).",
)
@click.pass_context
def assess(
    ctx: click.Context, group: str | None, course_dir: str | None, sources: str | None
) -> None:
    """Reflective assessments: generate, release, collect, autograde, mark, feedback,
    moderate and sync, with one nbgrader course directory per study group or setting."""
    ctx.obj = {**(ctx.obj or {}), "group": group, "course_dir": course_dir, "sources": sources}


# ----------------------------------------------------------------------------- check / init
@assess.command()
@click.argument("assessment_ids", nargs=-1, metavar="[ASSESSMENT]...")
@click.pass_context
def check(ctx: click.Context, assessment_ids: tuple[str, ...]) -> None:
    """Check assessment notebooks and rubrics (all that the catalogue names, by default)."""
    from ..assess.sources import check_assessment, check_sources

    sources = _sources(ctx)
    if assessment_ids:
        for assessment_id in assessment_ids:
            check_assessment(sources, assessment_id)
            click.echo(f"{assessment_id}: notebook and rubric OK")
        return
    from ..programme import load_programme

    programme = load_programme((ctx.find_root().obj or {}).get("programme"))
    report = check_sources(sources, programme)
    for assessment_id in report.checked:
        click.echo(f"{assessment_id}: notebook and rubric OK")
    if report.problems:
        raise AssessmentError(
            f"{len(report.problems)} problem(s) in {sources}", details=list(report.problems)
        )


@assess.command()
@learner_option
@click.option("--course-id", help="nbgrader course id (default: the group or folder name).")
@click.option(
    "--timeout",
    type=int,
    help="Seconds a learner's cell may run before it is stopped (default 30).",
)
@click.option("--exchange", "exchange_root", help="nbgrader exchange folder, where a hub exists.")
@click.option(
    "--study-group",
    "study_group",
    type=int,
    help="Enrol this study group's learners (default: the --group, when it is a group number).",
)
@click.option(
    "--setting",
    help="The setting this course belongs to, when its name does not say (a hosted course): "
    "that setting's Lead may then run it.",
)
@click.pass_context
def init(
    ctx: click.Context,
    learners: tuple[str, ...],
    study_group: int | None,
    course_id: str | None,
    timeout: int | None,
    exchange_root: str | None,
    setting: str | None,
) -> None:
    """Create (or update) the course directory and put learners on its roster."""
    from ..assess.course_dir import (
        COURSE_FILE,
        DEFAULT_TIMEOUT,
        add_learners,
        create_course_dir,
        open_course_dir,
        people_for,
    )

    path = _course_path(ctx)
    ids = _learner_ids(learners)
    store = workspace(ctx).store
    if setting:
        _check_setting(store, setting)
        _guard(ctx, _Named(path, setting))
    if (path / COURSE_FILE).exists() or not setting:
        _guard(ctx, _Named(path))  # and whoever the course belongs to now
    group = study_group or _study_group_of(ctx, store)
    members: list[int] = []
    if group is not None:
        from ..assess.course_dir import study_group_learners

        label, members = study_group_learners(store, group)
        ids = sorted({*ids, *members})
    people_for(store, ids)  # unknown people stop here, before anything is created
    current = open_course_dir(path) if (path / COURSE_FILE).exists() else None
    course = create_course_dir(
        path,
        course_id or (current.course_id if current else path.resolve().name),
        timeout=timeout or (current.timeout if current else DEFAULT_TIMEOUT),
        exchange_root=exchange_root or (current.exchange_root if current else None),
        setting=setting or (current.setting if current else None),
    )
    added = add_learners(course, store, ids) if ids else []
    click.echo(f"Course directory {course.root} ready (nbgrader course '{course.course_id}')")
    if group is not None:
        click.echo(f"Enrolled {len(members)} learner(s) of study group {group} ({label})")
    for learner in added:
        click.echo(f"  on the roster: {learner.student_id} {learner.name}")


@assess.command("learners")
@json_option
@click.pass_context
def learners_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the course directory's roster."""
    from ..assess.course_dir import learners

    rows = learners(_course(ctx), workspace(ctx).store)
    if as_json:
        emit_json([{"student": r.student_id, "person": r.person_id, "name": r.name} for r in rows])
        return
    click.echo(
        table([(r.student_id, r.person_id, r.name) for r in rows], ["learner", "person", "name"])
    )


# ----------------------------------------------------------------------------- generate / release
@assess.command()
@assessment_arg
@click.pass_context
def generate(ctx: click.Context, assessment_id: str) -> None:
    """Copy the assessment in, check its rubric and make the learners' version."""
    from ..assess.release import generate as run
    from ..assess.sync import course_for

    course = _course(ctx)
    course_for(workspace(ctx).programme, assessment_id)  # it must be in the catalogue
    report = run(course, _sources(ctx), assessment_id)
    click.echo(
        f"Generated {assessment_id}: {report.released_notebook} "
        f"({len(report.rubric.criteria)} criteria, pass mark {report.rubric.pass_mark:g})"
    )


@assess.command()
@assessment_arg
@click.option("--to", "to", type=click.Path(), help="Folder (or .zip with --zip) to write to.")
@click.option("--zip", "as_zip", is_flag=True, help="Write one zip file instead of a folder.")
@click.option("--exchange", is_flag=True, help="Release to nbgrader's exchange (a hub).")
@learner_option
@click.pass_context
def release(
    ctx: click.Context,
    assessment_id: str,
    to: str | None,
    as_zip: bool,
    exchange: bool,
    learners: tuple[str, ...],
) -> None:
    """Send the assessment out: a named copy per learner, as files or a zip, or by exchange."""
    from ..assess.release import release_exchange, release_files

    course = _course(ctx)
    if exchange:
        report = release_exchange(course, assessment_id)
        click.echo(
            f"Released {assessment_id} to the exchange for {len(report.learners)} learner(s)"
        )
        if not to:
            return
    target = (
        Path(to)
        if to
        else course.root / "outbox" / (f"{assessment_id}.zip" if as_zip else assessment_id)
    )
    report = release_files(
        course, assessment_id, target, as_zip=as_zip, people=_learner_ids(learners) or None
    )
    where = report.archive or target
    click.echo(f"Released {assessment_id} for {len(report.learners)} learner(s): {where}")
    click.echo("Send each learner their own file; ask them to return it without renaming it.")


# ----------------------------------------------------------------------------- collect / autograde
@assess.command()
@assessment_arg
@click.argument("inbox", required=False, type=click.Path(exists=True))
@click.option("--exchange", is_flag=True, help="Collect from nbgrader's exchange (a hub).")
@json_option
@click.pass_context
def collect(
    ctx: click.Context, assessment_id: str, inbox: str | None, exchange: bool, as_json: bool
) -> None:
    """Collect returned notebooks from a folder or zip (INBOX), or from the exchange.

    Damaged submissions are kept unchanged in quarantine and listed; the others are collected.
    """
    from ..assess.collect import collect_exchange, collect_files

    course = _course(ctx)
    if exchange == bool(inbox):
        raise UsageError("give a folder or zip of returned files, or --exchange (not both)")
    report = (
        collect_exchange(course, assessment_id)
        if exchange
        else collect_files(course, assessment_id, Path(inbox))  # type: ignore[arg-type]
    )
    if as_json:
        emit_json(
            {
                "collected": list(report.collected),
                "unchanged": list(report.unchanged),
                "quarantined": [
                    {"file": p.file, "learner": p.learner, "problems": list(p.problems)}
                    for p in report.problems
                ],
                "notes": [{"learner": n.learner, "note": n.message} for n in report.notes],
                "resubmitted": [
                    {"learner": r.learner, "changed": list(r.changed), "kept_at": str(r.kept_at)}
                    for r in report.resubmitted
                ],
                "cleared": list(report.cleared),
            }
        )
        return
    click.echo(
        f"Collected {len(report.collected)} submission(s) of {assessment_id}"
        + (f": {', '.join(report.collected)}" if report.collected else "")
    )
    if report.unchanged:
        click.echo(f"Unchanged since last collected: {', '.join(report.unchanged)}")
    for note in report.notes:
        click.echo(f"  note: {note}")
    for again in report.resubmitted:
        click.echo(f"  {again} in {again.kept_at}")
    if report.cleared:
        click.echo(f"Cleared from quarantine (now collected): {', '.join(report.cleared)}")
    if report.problems:
        click.echo(f"Quarantined {len(report.problems)} file(s) in {report.quarantine}:")
        for problem in report.problems:
            click.echo(f"  {problem}")


@assess.command()
@assessment_arg
@click.option("--workers", type=int, help="Worker processes (default: one per core).")
@click.option("--force", is_flag=True, help="Grade again even if already autograded.")
@learner_option
@click.pass_context
def autograde(
    ctx: click.Context,
    assessment_id: str,
    workers: int | None,
    force: bool,
    learners: tuple[str, ...],
) -> None:
    """Autograde the knowledge checks of collected submissions, in parallel."""
    from ..assess.autograde import autograde as run

    chosen = [f"p{p}" for p in _learner_ids(learners)] or None
    report = run(_course(ctx), assessment_id, workers=workers, force=force, students=chosen)
    done = [r for r in report.results if r.ok]
    click.echo(
        f"Autograded {len(done)} submission(s) of {assessment_id} with {report.workers} "
        f"worker(s) in {report.seconds:.1f} s"
    )
    if report.up_to_date:
        click.echo(f"Already up to date: {', '.join(report.up_to_date)}")
    for result in done:
        if result.message:
            click.echo(f"  note: {result.student}: {result.message}")
    if report.unknown:
        click.echo(f"Not on the roster (not graded): {', '.join(report.unknown)}")
    if report.failed:
        raise AssessmentError(
            f"{len(report.failed)} submission(s) could not be autograded",
            details=[f"{r.student}: {r.message}" for r in report.failed],
        )


# ----------------------------------------------------------------------------- mark / status
def _parse_levels(values: tuple[str, ...]) -> dict[str, str]:
    levels = {}
    for value in values:
        criterion, sep, level = value.partition("=")
        if not sep or not criterion.strip() or not level.strip():
            raise UsageError(f"--level '{value}': write CRITERION=LEVEL, e.g. practice=secure")
        levels[criterion.strip()] = level.strip()
    return levels


@assess.command()
@assessment_arg
@click.option("--marker", help="Who is marking (default: you).")
@click.option("--second", is_flag=True, help="Mark as the second marker (moderation sample).")
@click.option("--list", "show_list", is_flag=True, help="List reflections and their state.")
@click.option("--learner", "learner", help="Record one mark for this learner (p12) ...")
@click.option("--reflection", help="... on this reflection (its answer cell id) ...")
@click.option("--level", "levels", multiple=True, help="... at CRITERION=LEVEL (repeat).")
@click.option("--comment", default="", help="... with this comment for the learner.")
@click.pass_context
def mark(
    ctx: click.Context,
    assessment_id: str,
    marker: str | None,
    second: bool,
    show_list: bool,
    learner: str | None,
    reflection: str | None,
    levels: tuple[str, ...],
    comment: str,
) -> None:
    """Mark reflections against the rubric.

    With no options, writes the marking notebook (the rubric marking widget) into the course
    directory and says how to open it. --list shows what is marked; --learner, --reflection
    and --level record one mark from the command line.
    """
    from ..assess.marking import Marking

    course = _course(ctx)
    ws = workspace(ctx)
    role = "second" if second else "first"
    session = Marking(course, assessment_id, ws.store, marker=who(marker), role=role)
    if learner or reflection or levels:
        if not (learner and reflection and levels):
            raise UsageError("to record a mark give --learner, --reflection and --level")
        student = learner if learner.startswith("p") else f"p{learner}"
        item = session.mark(student, reflection, _parse_levels(levels), comment)
        points = session.rubric.points_for(item.cell, item.levels or {})
        click.echo(f"Marked {student} {reflection}: {points:g} point(s) ({role} marker)")
        if role == "first":
            _warn_stale(ctx, course, assessment_id, ws.store)
        return
    if show_list:
        rows = [
            (
                i.student,
                i.name,
                i.cell,
                "marked" if i.marked else ("changed: mark again" if i.stale else "to mark"),
                ", ".join(f"{k}={v}" for k, v in (i.levels or {}).items()),
            )
            for i in session.items()
        ]
        click.echo(table(rows, ["learner", "name", "reflection", "state", "levels"]))
        return
    from ..assess.widget import marking_notebook

    target = course.root / "marking" / f"{assessment_id}-{role}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nb = marking_notebook(
        course.root, assessment_id, marker=session.marker, role=role, workspace=ws.path.resolve()
    )
    target.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    left = len(session.queue())
    click.echo(f"{left} reflection(s) to mark. Open {target} in Jupyter and run it.")


@assess.command()
@assessment_arg
@json_option
@click.pass_context
def status(ctx: click.Context, assessment_id: str, as_json: bool) -> None:
    """Each learner's score, marking and outcome, who has not returned work, what is in
    quarantine, and feedback that is out of date."""
    from ..assess.results import assessment_status

    course = _course(ctx)
    report = assessment_status(course, assessment_id, workspace(ctx).store)
    if as_json:
        emit_json(
            {
                "learners": [
                    {
                        "learner": r.student,
                        "name": r.name,
                        "score": r.score,
                        "max_score": r.max_score,
                        "outcome": r.outcome.label,
                        "reasons": list(r.outcome.reasons),
                        "problems": list(r.problems),
                    }
                    for r in report.results
                ],
                "waiting": [
                    {"learner": w.student, "name": w.name, "state": w.state, "why": w.why}
                    for w in report.waiting
                ],
                "quarantined": [{**q, "path": str(q["path"])} for q in report.quarantined],
                "stale_feedback": [
                    {"learner": f.student, "issued": f.issued, "now": f.now}
                    for f in report.stale_feedback
                ],
            }
        )
        return
    rows = [
        (
            r.student,
            r.name,
            f"{r.score:g}/{r.max_score:g}",
            r.outcome.label,
            "; ".join([*r.outcome.reasons, *r.problems]),
        )
        for r in report.results
    ]
    rows += [(w.student, w.name, "", w.state, w.why) for w in report.waiting]
    click.echo(table(rows, ["learner", "name", "score", "outcome", "why"]))
    if report.quarantined:
        click.echo(f"In quarantine ({course.quarantine(assessment_id)}):")
        for q in report.quarantined:
            click.echo(f"  {q.get('file')} ({q.get('learner')}): {'; '.join(q['problems'])}")
        click.echo(
            f"Clear an entry once dealt with: {_command(ctx)} quarantine clear {assessment_id} "
            "--learner LEARNER (or --all)"
        )
    if report.stale_feedback:
        click.echo(
            f"Warning: feedback out of date for {len(report.stale_feedback)} learner(s); "
            f"re-issue with: {_command(ctx)} feedback {assessment_id}"
        )
        for item in report.stale_feedback:
            click.echo(f"  {item}")


@assess.group()
def quarantine() -> None:
    """Returned files kept in quarantine: list them, or clear those dealt with."""


@quarantine.command("list")
@assessment_arg
@click.option("--all", "show_all", is_flag=True, help="Include entries already resolved.")
@click.pass_context
def quarantine_list(ctx: click.Context, assessment_id: str, show_all: bool) -> None:
    """List the files in quarantine for an assessment."""
    from ..assess.collect import quarantined

    held = quarantined(_course(ctx), assessment_id, include_resolved=show_all)
    if not held:
        click.echo(f"Nothing in quarantine for {assessment_id}")
        return
    for q in held:
        done = f" [resolved {q['resolved']}]" if q.get("resolved") else ""
        click.echo(f"{q.get('file')} ({q.get('learner')}): {'; '.join(q['problems'])}{done}")


@quarantine.command("clear")
@assessment_arg
@learner_option
@click.option("--file", "files", multiple=True, help="A quarantined file's name (repeat).")
@click.option("--all", "clear_all", is_flag=True, help="Clear every entry.")
@click.option("--reason", default="cleared by the Lead", show_default=True, help="Why.")
@click.pass_context
def quarantine_clear(
    ctx: click.Context,
    assessment_id: str,
    learners: tuple[str, ...],
    files: tuple[str, ...],
    clear_all: bool,
    reason: str,
) -> None:
    """Clear quarantine entries that have been dealt with (the files are kept)."""
    from ..assess.collect import resolve_quarantine

    if clear_all == bool(learners or files):
        raise UsageError("say what to clear: --learner, --file, or --all")
    chosen = [f"p{p}" for p in _learner_ids(learners)] if learners else None
    done = resolve_quarantine(
        _course(ctx),
        assessment_id,
        chosen,
        files=list(files) or None,
        why=f"{reason} ({who(None)})",
    )
    if not done:
        raise NotFound(f"nothing in quarantine for {assessment_id} matches")
    click.echo(
        f"Cleared {len(done)} quarantine entr{'y' if len(done) == 1 else 'ies'}: {', '.join(done)}"
    )


# ----------------------------------------------------------------------------- feedback
@assess.command()
@assessment_arg
@click.option("--to", "to", type=click.Path(file_okay=False), help="Folder for the files.")
@click.option(
    "--nbgrader",
    "as_nbgrader",
    is_flag=True,
    help="Also lay the files out in nbgrader's feedback/ folder (for `nbgrader release_feedback`).",
)
@click.option(
    "--exchange",
    is_flag=True,
    help="Release it through nbgrader's exchange (a hub) instead of writing files.",
)
@click.pass_context
def feedback(
    ctx: click.Context, assessment_id: str, to: str | None, as_nbgrader: bool, exchange: bool
) -> None:
    """Write an HTML feedback file per fully marked learner, to hand back (again, when the
    marks changed since)."""
    from ..assess.feedback import write_feedback

    course = _course(ctx)
    if exchange:
        if to:
            raise UsageError("give --to or --exchange, not both")
        from ..assess.exchange_feedback import release_feedback_exchange

        report = release_feedback_exchange(course, assessment_id, workspace(ctx).store)
        click.echo(f"Released {len(report.written)} feedback file(s) through the exchange")
        for student, why in report.skipped:
            click.echo(f"  skipped {student}: {why}")
        return
    target = Path(to) if to else course.root / "handback" / assessment_id
    report = write_feedback(
        course, assessment_id, workspace(ctx).store, target, nbgrader=as_nbgrader
    )
    click.echo(f"Wrote {len(report.written)} feedback file(s) in {target}")
    if as_nbgrader and report.written:
        click.echo(f"  and in nbgrader's {course.root / 'feedback'} (release with nbgrader)")
    for student, was, now in report.reissued:
        click.echo(f"  re-issued {student}: was {was}, now {now}")
    for student, why in report.skipped:
        click.echo(f"  skipped {student}: {why}")


# ----------------------------------------------------------------------------- moderate
@assess.command()
@assessment_arg
@click.option("--second-marker", help="Choose a sample for this second marker to re-mark.")
@click.option("--sample", "size", type=int, help="How many learners to sample.")
@click.option(
    "--fraction",
    type=float,
    default=0.2,
    show_default=True,
    help="Share of marked learners to sample when --sample is not given.",
)
@click.option("--seed", type=int, help="Random seed (for a repeatable sample).")
@click.option("--by", "by", help="Who chooses the sample or resolves (default: you).")
@click.option("--resolve", "resolve_learner", help="Resolve the disagreements over this learner.")
@click.option(
    "--keep",
    type=click.Choice(["first", "second"]),
    help="With --resolve: whose levels stand (second re-marks the learner's work).",
)
@click.pass_context
def moderate(
    ctx: click.Context,
    assessment_id: str,
    second_marker: str | None,
    size: int | None,
    fraction: float,
    seed: int | None,
    by: str | None,
    resolve_learner: str | None,
    keep: str | None,
) -> None:
    """Moderation: sample marked work for a second marker, list and resolve disagreements.

    With --second-marker, adds learners to the sample (they re-mark with `mark --second`).
    With --resolve LEARNER --keep first|second, settles a disagreement (sync waits for it).
    Without either, compares the two markers over the sample.
    """
    from ..assess.moderate import compare, resolve, select_sample, unresolved

    course = _course(ctx)
    store = workspace(ctx).store
    if bool(resolve_learner) != bool(keep):
        raise UsageError("to resolve a disagreement give --resolve LEARNER and --keep first|second")
    if resolve_learner:
        student = resolve_learner if resolve_learner.startswith("p") else f"p{resolve_learner}"
        settled = resolve(course, assessment_id, store, student, keep=keep or "", by=who(by))
        whose = "first marker's" if keep == "first" else "second marker's"
        click.echo(
            f"Resolved {len(settled)} disagreement(s) for {student}: the {whose} levels stand"
        )
        _warn_stale(ctx, course, assessment_id, store)
        return
    if second_marker:
        chosen = select_sample(
            course,
            assessment_id,
            store,
            second_marker=second_marker,
            selected_by=who(by),
            size=size,
            fraction=fraction,
            seed=seed,
        )
        click.echo(f"Sampled for {second_marker}: {', '.join(chosen)}")
        click.echo(
            f"They mark with: {_command(ctx)} mark {assessment_id} --second --marker "
            f"{shlex.quote(' '.join(second_marker.split()))}"
        )
        return
    report = compare(course, assessment_id, store)
    click.echo(
        f"Sample {len(report.sampled)}: {len(report.second_marked)} re-marked, "
        f"{len(report.waiting)} waiting; {report.agreed} criteria agreed, "
        f"{len(report.disagreements)} disagreed"
    )
    if report.disagreements:
        click.echo(
            table(
                [(d.student, d.criterion, d.first, d.second) for d in report.disagreements],
                ["learner", "criterion", "first marker", "second marker"],
            )
        )
    for student, first, second in report.outcome_changes:
        click.echo(f"Outcome differs for {student}: first marker {first}, second marker {second}")
    if report.disagreements:
        left = sorted({d.student for d in unresolved(course, assessment_id, store)})
        if left:
            click.echo(
                f"Not resolved: {', '.join(left)}. Resolve with: {_command(ctx)} moderate "
                f"{assessment_id} --resolve LEARNER --keep first|second"
            )
        else:
            click.echo("All disagreements resolved.")


def _warn_stale(ctx: click.Context, course, assessment_id: str, store) -> None:
    """Say when feedback already handed back no longer matches the marks."""
    from ..assess.feedback import stale_feedback

    stale = stale_feedback(course, assessment_id, store)
    if stale:
        click.echo(
            f"Feedback out of date for {len(stale)} learner(s); re-issue with: "
            f"{_command(ctx)} feedback {assessment_id}"
        )
        for item in stale:
            click.echo(f"  {item}")


# ----------------------------------------------------------------------------- sync
@assess.command()
@assessment_arg
@click.option("--by", "by", help="Who is recording (default: you).")
@click.option("--on", "on", help="Treat this as today (YYYY-MM-DD).")
@click.pass_context
def sync(ctx: click.Context, assessment_id: str, by: str | None, on: str | None) -> None:
    """Record each pass, and the course completion when the course's rule is met (once)."""
    from ..assess.moderate import require_resolved
    from ..assess.sync import sync as run

    ws = workspace(ctx)
    course = _course(ctx)
    require_resolved(
        course, assessment_id, ws.store, hint=f"{_command(ctx)} moderate {assessment_id}"
    )
    report = run(
        course,
        assessment_id,
        ws.store,
        ws.programme,
        recorded_by=who(by),
        today=today_or(on),
    )
    click.echo(
        f"{report.count('recorded')} completion(s) of {report.course_id} recorded; "
        f"{report.count('passed')} passed, completion waiting for the course's rule; "
        f"{report.count('already synced') + report.count('already held')} already recorded; "
        f"{report.count('not yet')} not yet passed; {report.count('not marked')} not fully marked"
    )
    for line in report.lines:
        if line.status in ("passed", "not marked", "unknown", "already held"):
            click.echo(
                f"  {line.student}: {line.status}{': ' + line.detail if line.detail else ''}"
            )
