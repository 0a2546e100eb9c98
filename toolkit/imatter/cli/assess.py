"""`imatter assess`: reflective assessments with nbgrader, one course directory per group.

Thin: parse, call `imatter.assess`, format. Nothing here prints what a learner wrote.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from ..errors import AssessmentError, UsageError
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


def _course(ctx: click.Context):  # type: ignore[no-untyped-def]
    from ..assess.course_dir import open_course_dir

    return open_course_dir(_course_path(ctx))


def _sources(ctx: click.Context) -> Path:
    from ..assess.course_dir import default_sources

    obj = ctx.find_object(dict) or {}
    return Path(obj.get("sources") or default_sources())


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
@click.pass_context
def init(
    ctx: click.Context,
    learners: tuple[str, ...],
    course_id: str | None,
    timeout: int | None,
    exchange_root: str | None,
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
    people_for(store, ids)  # unknown people stop here, before anything is created
    current = open_course_dir(path) if (path / COURSE_FILE).exists() else None
    course = create_course_dir(
        path,
        course_id or (current.course_id if current else path.resolve().name),
        timeout=timeout or (current.timeout if current else DEFAULT_TIMEOUT),
        exchange_root=exchange_root or (current.exchange_root if current else None),
    )
    added = add_learners(course, store, ids) if ids else []
    click.echo(f"Course directory {course.root} ready (nbgrader course '{course.course_id}')")
    for learner in added:
        click.echo(f"  on the roster: {learner.student_id} {learner.name}")


@assess.command("learners")
@json_option
@click.pass_context
def learners_cmd(ctx: click.Context, as_json: bool) -> None:
    """List the course directory's roster."""
    from ..assess.course_dir import learners

    rows = learners(_course(ctx))
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
    """Each learner's score, marking and outcome; and what is in quarantine."""
    from ..assess.collect import quarantined
    from ..assess.results import learner_results
    from ..assess.rubric import load_checked

    course = _course(ctx)
    rubric = load_checked(course.source(assessment_id), assessment_id)
    results = learner_results(course, assessment_id, workspace(ctx).store, rubric)
    held = quarantined(course, assessment_id)
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
                    for r in results
                ],
                "quarantined": [{**q, "path": str(q["path"])} for q in held],
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
        for r in results
    ]
    click.echo(table(rows, ["learner", "name", "score", "outcome", "why"]))
    if held:
        click.echo(f"In quarantine ({course.quarantine(assessment_id)}):")
        for q in held:
            click.echo(f"  {q.get('file')} ({q.get('learner')}): {'; '.join(q['problems'])}")


# ----------------------------------------------------------------------------- feedback
@assess.command()
@assessment_arg
@click.option("--to", "to", type=click.Path(file_okay=False), help="Folder for the files.")
@click.option("--exchange", is_flag=True, help="Release it through nbgrader's exchange (a hub).")
@click.pass_context
def feedback(ctx: click.Context, assessment_id: str, to: str | None, exchange: bool) -> None:
    """Write an HTML feedback file per fully marked learner, to hand back."""
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
    report = write_feedback(course, assessment_id, workspace(ctx).store, target)
    click.echo(f"Wrote {len(report.written)} feedback file(s) in {target}")
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
@click.option("--by", "by", help="Who chooses the sample (default: you).")
@click.pass_context
def moderate(
    ctx: click.Context,
    assessment_id: str,
    second_marker: str | None,
    size: int | None,
    fraction: float,
    seed: int | None,
    by: str | None,
) -> None:
    """Moderation: sample marked work for a second marker, then list disagreements.

    With --second-marker, adds learners to the sample (they re-mark with `mark --second`).
    Without it, compares the two markers over the sample.
    """
    from ..assess.moderate import compare, select_sample

    course = _course(ctx)
    store = workspace(ctx).store
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
        click.echo(f"They mark with: imatter assess mark {assessment_id} --second")
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


# ----------------------------------------------------------------------------- sync
@assess.command()
@assessment_arg
@click.option("--by", "by", help="Who is recording (default: you).")
@click.option("--on", "on", help="Treat this as today (YYYY-MM-DD).")
@click.pass_context
def sync(ctx: click.Context, assessment_id: str, by: str | None, on: str | None) -> None:
    """Record a completion for each learner who has passed (once)."""
    from ..assess.sync import sync as run

    ws = workspace(ctx)
    report = run(
        _course(ctx),
        assessment_id,
        ws.store,
        ws.programme,
        recorded_by=who(by),
        today=today_or(on),
    )
    click.echo(
        f"{report.count('recorded')} completion(s) of {report.course_id} recorded; "
        f"{report.count('already synced') + report.count('already held')} already recorded; "
        f"{report.count('not yet')} not yet passed; {report.count('not marked')} not fully marked"
    )
    for line in report.lines:
        if line.status in ("not marked", "unknown", "already held"):
            click.echo(
                f"  {line.student}: {line.status}{': ' + line.detail if line.detail else ''}"
            )
