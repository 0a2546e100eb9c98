"""Core commands: workspace, settings, people, completions, status, eligibility, awards."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from .common import (
    as_of_option,
    emit_json,
    json_option,
    parse_date,
    table,
    today_or,
    who,
    workspace,
)

by_option = click.option("--by", "recorded_by", help="Who is recording this (default: you).")


# ----------------------------------------------------------------------------- init
@click.command()
@click.argument("path", required=False, type=click.Path(file_okay=False))
@click.pass_context
def init(ctx: click.Context, path: str | None) -> None:
    """Create a workspace (folder, config and database) at PATH."""
    from ..workspace import init_workspace

    obj = ctx.find_root().obj or {}
    ws = init_workspace(
        path or obj.get("workspace"), db=obj.get("db"), programme=obj.get("programme")
    )
    click.echo(
        f"Workspace ready at {ws.path} (database {ws.db_url}, schema {ws.store.schema_version()})"
    )


# ----------------------------------------------------------------------------- clusters
@click.group()
def cluster() -> None:
    """Clusters of settings and Integrated Care Communities: add, list, view, contact."""


@cluster.command("add")
@click.argument("cluster_id")
@click.option("--name", required=True, help="The cluster's name.")
@click.option("--kind", type=click.Choice(["cluster", "icc"]), default="cluster", show_default=True)
@click.option("--area", help="Area or locality.")
@click.pass_context
def cluster_add(
    ctx: click.Context, cluster_id: str, name: str, kind: str, area: str | None
) -> None:
    """Add a cluster (or an Integrated Care Community with --kind icc)."""
    from ..records import add_cluster

    add_cluster(workspace(ctx).store, cluster_id, name, kind=kind, area=area)
    click.echo(f"Added cluster {cluster_id}")


@cluster.command("list")
@json_option
@click.pass_context
def cluster_list(ctx: click.Context, as_json: bool) -> None:
    """List clusters and their settings."""
    from ..records import list_clusters

    rows = list_clusters(workspace(ctx).store)
    if as_json:
        emit_json([asdict(r) for r in rows])
        return
    click.echo(
        table(
            [(r.id, r.name, r.kind, ", ".join(r.settings)) for r in rows],
            ["id", "name", "kind", "settings"],
        )
    )


# ----------------------------------------------------------------------------- settings
@click.group()
def setting() -> None:
    """Schools and services."""


@setting.command("add")
@click.argument("setting_id")
@click.option("--name", required=True, help="The setting's name.")
@click.option(
    "--kind", type=click.Choice(["school", "service"]), default="school", show_default=True
)
@click.option("--pupils", type=int, help="Pupils on roll (schools).")
@click.option("--cluster", "cluster_id", help="Cluster id.")
@click.option("--area", help="Area or locality.")
@click.pass_context
def setting_add(
    ctx: click.Context,
    setting_id: str,
    name: str,
    kind: str,
    pupils: int | None,
    cluster_id: str | None,
    area: str | None,
) -> None:
    """Add a school (with --pupils) or a service."""
    from ..records import add_setting

    add_setting(
        workspace(ctx).store,
        setting_id,
        name,
        kind=kind,
        pupils_on_roll=pupils,
        cluster=cluster_id,
        area=area,
    )
    click.echo(f"Added {kind} {setting_id}")


@setting.command("list")
@json_option
@click.pass_context
def setting_list(ctx: click.Context, as_json: bool) -> None:
    """List settings."""
    from ..records import list_settings

    rows = list_settings(workspace(ctx).store)
    if as_json:
        emit_json([asdict(r) for r in rows])
        return
    click.echo(
        table(
            [(r.id, r.name, r.kind, r.pupils_on_roll, r.cluster_id, r.members) for r in rows],
            ["id", "name", "kind", "pupils", "cluster", "members"],
        )
    )


# ----------------------------------------------------------------------------- people
@click.group()
def person() -> None:
    """People and the settings they belong to."""


@person.command("add")
@click.argument("name")
@click.option("--email", help="Email address (optional for parents).")
@click.option("--setting", "setting_id", help="Setting id.")
@click.option("--position", help="Position in the setting (default staff).")
@click.option("--since", help="Member of the setting since (YYYY-MM-DD).")
@click.option("--area", help="Area or locality.")
@click.pass_context
def person_add(
    ctx: click.Context,
    name: str,
    email: str | None,
    setting_id: str | None,
    position: str | None,
    since: str | None,
    area: str | None,
) -> None:
    """Add a person, optionally to a setting in a position."""
    from ..records import add_person

    ws = workspace(ctx)
    person_id = add_person(
        ws.store,
        ws.programme,
        name,
        email=email,
        setting=setting_id,
        position=position,
        since=parse_date(since, "--since"),
        area=area,
    )
    click.echo(f"Added person {person_id}: {name}")


@person.command("join")
@click.argument("person_ref")
@click.argument("setting_id")
@click.option("--position", default="staff", show_default=True, help="Position in the setting.")
@click.option("--since", help="Since (YYYY-MM-DD).")
@click.pass_context
def person_join(
    ctx: click.Context, person_ref: str, setting_id: str, position: str, since: str | None
) -> None:
    """Add a person (id or email) to another setting."""
    from ..records import add_affiliation

    ws = workspace(ctx)
    add_affiliation(
        ws.store, ws.programme, person_ref, setting_id, position, since=parse_date(since, "--since")
    )
    click.echo(f"Person {person_ref} is now {position} at {setting_id}")


@person.command("list")
@click.option("--setting", "setting_id", help="Only people in this setting.")
@json_option
@click.pass_context
def person_list(ctx: click.Context, setting_id: str | None, as_json: bool) -> None:
    """List people."""
    from ..records import list_people

    rows = list_people(workspace(ctx), setting=setting_id)
    if as_json:
        emit_json([asdict(r) for r in rows])
        return
    click.echo(
        table(
            [(r.id, r.name, r.email, "; ".join(r.settings)) for r in rows],
            ["id", "name", "email", "settings"],
        )
    )


@person.command("update")
@click.argument("person_ref")
@click.option("--name", help="Their name.")
@click.option("--email", help="Their email address (empty to remove it).")
@click.option("--area", help="Area or locality.")
@click.option("--setting", "setting_id", help="The setting whose position or start date changes.")
@click.option("--position", help="Their position in --setting (e.g. teacher, TA).")
@click.option("--since", help="Their start date in --setting (31/12/2026 or 2026-12-31).")
@click.pass_context
def person_update(
    ctx: click.Context,
    person_ref: str,
    name: str | None,
    email: str | None,
    area: str | None,
    setting_id: str | None,
    position: str | None,
    since: str | None,
) -> None:
    """Change PERSON's (id or email) details, or their position or start date in a setting."""
    from ..records import update_person

    ws = workspace(ctx)
    changed = update_person(
        ws.store,
        ws.programme,
        person_ref,
        name=name,
        email=email,
        area=area,
        setting=setting_id,
        position=position,
        since=_uk_date(since, "--since"),
    )
    if not changed:
        click.echo(f"Person {person_ref}: nothing to change")
        return
    click.echo(f"Updated person {person_ref}:")
    for line in changed:
        click.echo(f"  {line}")


def _uk_date(value: str | None, option: str):
    """A date option in UK (31/12/2026) or ISO (2026-12-31) form."""
    if value is None:
        return None
    from ..errors import UsageError
    from ..records.csvfile import parse_date as parse_any

    try:
        return parse_any(value, option)
    except ValueError as err:
        raise UsageError(str(err)) from None


@person.command("leave")
@click.argument("person_ref")
@click.option("--setting", "setting_id", required=True, help="The setting they left.")
@click.option("--on", "on", required=True, help="Their last day (31/12/2026 or 2026-12-31).")
@click.pass_context
def person_leave(ctx: click.Context, person_ref: str, setting_id: str, on: str) -> None:
    """Record that PERSON left a setting; their history stays, and they stop counting as staff."""
    from ..records import leave_setting

    ws = workspace(ctx)
    day = _uk_date(on, "--on")
    leave_setting(ws.store, person_ref, setting_id, day)
    click.echo(f"Person {person_ref} left {setting_id} on {day} (their records stay)")


@person.command("merge")
@click.argument("keep_ref")
@click.argument("drop_ref")
@click.pass_context
def person_merge(ctx: click.Context, keep_ref: str, drop_ref: str) -> None:
    """Merge DROP into KEEP (two records of one person): DROP's records move to KEEP."""
    from ..records import merge_people

    ws = workspace(ctx)
    moved = merge_people(ws.store, keep_ref, drop_ref)
    listed = ", ".join(f"{n} {table}" for table, n in sorted(moved.items())) or "no records"
    click.echo(f"Merged person {drop_ref} into {keep_ref}: moved {listed}")


@person.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--setting", "setting_id", help="The setting the staff list is for.")
@click.option(
    "--map",
    "mapping",
    multiple=True,
    help='A header or position name of yours, saved for the setting: "Job Title=position", '
    '"Site Manager=staff".',
)
@click.pass_context
def person_import(
    ctx: click.Context, csv_file: Path, setting_id: str | None, mapping: tuple[str, ...]
) -> None:
    """Import or re-import people from CSV, such as a school MIS staff export; all or nothing.

    Columns: name (or forename and surname), email, position, since, area, and setting unless
    --setting is given. Known people are updated (matched by email, or by name and flagged).
    """
    from ..records import import_people

    ws = workspace(ctx)
    result = import_people(
        ws.store, ws.programme, csv_file, setting=setting_id, mapping=mapping, saved_by=who()
    )
    click.echo(f"Imported people from {csv_file}: {result.summary}")
    if result.ignored:
        click.echo(f"Columns not used: {', '.join(result.ignored)}")
    if mapping:
        click.echo(f"Saved {len(mapping)} mapping(s) for {setting_id}'s next imports")
    if result.flagged:
        click.echo("Check these rows (matched by name, as they have no email):")
        for line in result.flagged:
            click.echo(f"  {line}")


# ----------------------------------------------------------------------------- completions
class _RecordByDefault(click.Group):
    """`imatter complete PERSON COURSE` records one; `imatter complete import ...` etc. too."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["record", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_RecordByDefault)
def complete() -> None:
    """Record a completion (`complete PERSON COURSE`), or import, correct and review them."""


@complete.command("record")
@click.argument("person_ref")
@click.argument("course_id")
@click.option("--on", "on", help="Completion date (YYYY-MM-DD; default today).")
@click.option("--evidence", default="", help="What shows it (register, assessment ...).")
@by_option
@click.pass_context
def complete_record(
    ctx: click.Context,
    person_ref: str,
    course_id: str,
    on: str | None,
    evidence: str,
    recorded_by: str | None,
) -> None:
    """Record that PERSON (id or email) completed COURSE."""
    from ..records import record_completion

    ws = workspace(ctx)
    today = today_or(None)
    record_id = record_completion(
        ws.store,
        ws.programme,
        person_ref,
        course_id,
        parse_date(on, "--on") or today,
        recorded_by=recorded_by or who(),
        today=today,
        evidence=evidence,
    )
    click.echo(f"Recorded completion {record_id}: person {person_ref} completed {course_id}")


@complete.command("import")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@by_option
@click.pass_context
def complete_import(ctx: click.Context, csv_file: Path, recorded_by: str | None) -> None:
    """Import completions from CSV (person,course,date[,evidence]); all or nothing."""
    from ..records import import_completions

    ws = workspace(ctx)
    count = import_completions(
        ws.store, ws.programme, csv_file, recorded_by=recorded_by or who(), today=today_or(None)
    )
    click.echo(f"Imported {count} completions from {csv_file}")


@complete.command("correct")
@click.argument("record_id", type=int)
@click.option("--reason", required=True, help="Why the record is corrected.")
@click.option("--course", "course_id", help="The right course.")
@click.option("--on", "on", help="The right date.")
@click.option("--withdraw", is_flag=True, help="The completion should not have been recorded.")
@click.option("--evidence", help="The evidence that it was completed (replaces the old).")
@by_option
@click.pass_context
def complete_correct(
    ctx: click.Context,
    record_id: int,
    reason: str,
    course_id: str | None,
    on: str | None,
    withdraw: bool,
    evidence: str | None,
    recorded_by: str | None,
) -> None:
    """Supersede completion RECORD_ID with a corrected one (the old one stays in history)."""
    from ..records import correct_completion

    ws = workspace(ctx)
    new_id = correct_completion(
        ws.store,
        ws.programme,
        record_id,
        reason=reason,
        recorded_by=recorded_by or who(),
        today=today_or(None),
        course_id=course_id,
        on=parse_date(on, "--on"),
        withdraw=withdraw,
        evidence=evidence,
    )
    click.echo(f"Recorded correction {new_id}, superseding {record_id}")


@complete.command("check")
@as_of_option
@click.option("--withdraw", is_flag=True, help="Withdraw every completion listed.")
@click.option("--reason", help="Why they are withdrawn (with --withdraw).")
@by_option
@json_option
@click.pass_context
def complete_check(
    ctx: click.Context,
    as_of: str | None,
    withdraw: bool,
    reason: str | None,
    recorded_by: str | None,
    as_json: bool,
) -> None:
    """Completions that break their course's rule (attendance and assessment), and the fix."""
    from ..delivery.groups.completion import completions_breaking_rule, withdraw_breaches

    ws = workspace(ctx)
    on = today_or(as_of)
    if withdraw:
        if not (reason and reason.strip()):
            raise click.UsageError("--withdraw needs a --reason")
        done = withdraw_breaches(
            ws.store,
            ws.programme,
            on,
            reason=reason,
            recorded_by=recorded_by or who(),
            today=today_or(None),
        )
        for b, new_id in done:
            click.echo(
                f"Withdrew completion {b.completion_id} ({b.name}, {b.course_id}): record {new_id}"
            )
        click.echo(f"Withdrew {len(done)} completion(s) that broke their course's rule")
        return
    breaches = completions_breaking_rule(ws.store, ws.programme, on)
    if as_json:
        from dataclasses import asdict

        emit_json([asdict(b) for b in breaches])
        return
    if not breaches:
        click.echo("Every completion meets its course's rule or carries evidence recorded by hand.")
        return
    click.echo(f"{len(breaches)} completion(s) break their course's rule:")
    rows = [
        (b.completion_id, b.name, b.course_id, b.completed_on, "; ".join(b.missing))
        for b in breaches
    ]
    click.echo(table(rows, ["record", "person", "course", "date", "what the rule still needs"]))
    click.echo(
        "Fix each one: withdraw it (imatter complete correct RECORD --withdraw --reason ...), "
        "or supersede it with the evidence that it was completed (imatter complete correct "
        "RECORD --evidence ... --reason ...). To withdraw them all: imatter complete check "
        "--withdraw --reason ..."
    )


@complete.command("history")
@click.argument("person_ref")
@json_option
@click.pass_context
def complete_history(ctx: click.Context, person_ref: str, as_json: bool) -> None:
    """Every completion record of a person, with corrections."""
    from ..records import completion_history

    rows = completion_history(workspace(ctx).store, person_ref)
    if as_json:
        emit_json([asdict(r) for r in rows])
        return
    click.echo(
        table(
            [(r.id, r.course_id, r.completed_on, r.state, r.recorded_by, r.reason) for r in rows],
            ["record", "course", "date", "state", "recorded by", "reason"],
        )
    )


# ----------------------------------------------------------------------------- status
@click.command()
@click.argument("person_ref")
@as_of_option
@json_option
@click.pass_context
def status(ctx: click.Context, person_ref: str, as_of: str | None, as_json: bool) -> None:
    """What PERSON (id or email) holds, what is next, and what is missing."""
    from ..api import person_status

    ws = workspace(ctx)
    report = person_status(ws, person_ref, today_or(as_of))
    if as_json:
        emit_json(report)
        return
    click.echo(f"{report['name']} (person {report['person_id']}) on {report['on']}")
    click.echo("Completed: " + (", ".join(report["completed"]) or "nothing yet"))
    click.echo("Holds: " + (", ".join(report["holds"]) or "no roles yet"))
    rows = [
        (r["title"], r["state"], "; ".join(r["missing"] + r["advice"])) for r in report["roles"]
    ]
    click.echo(table(rows, ["role", "state", "what is missing"]))
    if report["next"]:
        click.echo("Next: " + "; ".join(report["next"]))


# ----------------------------------------------------------------------------- eligible
@click.command()
@click.option("--role", "role_id", required=True, help="Role id (see modules/programme.yml).")
@click.option("--setting", "setting_id", help="Only people in this setting.")
@as_of_option
@json_option
@click.pass_context
def eligible(
    ctx: click.Context, role_id: str, setting_id: str | None, as_of: str | None, as_json: bool
) -> None:
    """Who qualifies for ROLE now (not yet awarded), and who is one step away."""
    from ..api import eligible_for_role

    ws = workspace(ctx)
    result = eligible_for_role(ws, role_id, today_or(as_of), setting=setting_id)
    if as_json:
        emit_json(result)
        return
    click.echo(f"{result['role']} on {result['on']}")
    click.echo(f"Eligible now ({len(result['eligible'])}):")
    click.echo(table([(p["person_id"], p["name"]) for p in result["eligible"]], ["id", "name"]))
    click.echo(f"One step away ({len(result['one_step'])}):")
    click.echo(
        table(
            [(p["person_id"], p["name"], p["missing"]) for p in result["one_step"]],
            ["id", "name", "missing"],
        )
    )


# ----------------------------------------------------------------------------- award
@click.command()
@click.argument("person_ref")
@click.argument("role_id")
@click.option("--on", "on", help="Date the award takes effect (default today).")
@click.option("--setting", "setting_id", help="The setting the award is for.")
@by_option
@click.pass_context
def award(
    ctx: click.Context,
    person_ref: str,
    role_id: str,
    on: str | None,
    setting_id: str | None,
    recorded_by: str | None,
) -> None:
    """Grant ROLE to PERSON when the rules say it is met; otherwise say what is missing."""
    from ..services.awards import award_role

    ws = workspace(ctx)
    result = award_role(
        ws, person_ref, role_id, today_or(on), granted_by=recorded_by or who(), setting=setting_id
    )
    until = f" until {result.valid_until}" if result.valid_until else ""
    click.echo(
        f"Awarded {result.role_title} to {result.person_name} from {result.valid_from}{until}"
        f" (award {result.award_id})"
    )
    if result.credential:
        click.echo(f"Credential: {result.credential}")
    else:
        from ..credentials.issue import pending_reason

        with ws.store.read() as conn:
            why = pending_reason(ws, conn, result.award_id)
        if why:
            click.echo(f"Credential: pending ({why})")


# ----------------------------------------------------------------------------- applications
@click.group(name="apply")
def apply() -> None:
    """Applications for a role (the trainee licence, Trainer status)."""


@apply.command("add")
@click.argument("person_ref")
@click.argument("role_id")
@click.option("--on", "on", help="Date submitted (default today).")
@click.option("--setting", "setting_id", help="The setting the application is from.")
@click.pass_context
def apply_add(
    ctx: click.Context, person_ref: str, role_id: str, on: str | None, setting_id: str | None
) -> None:
    """Record an application by PERSON for ROLE."""
    from ..records import apply_for_role

    ws = workspace(ctx)
    app_id = apply_for_role(
        ws.store, ws.programme, person_ref, role_id, today_or(on), setting=setting_id
    )
    click.echo(f"Recorded application {app_id}")


def _decide(
    ctx: click.Context,
    app_id: int,
    approve: bool,
    on: str | None,
    reason: str | None,
    recorded_by: str | None,
) -> None:
    from ..records import decide_application

    decide_application(
        workspace(ctx).store,
        app_id,
        approve=approve,
        decided_by=recorded_by or who(),
        on=today_or(on),
        reason=reason,
    )
    click.echo(f"Application {app_id} {'approved' if approve else 'refused'}")


@apply.command("approve")
@click.argument("app_id", type=int)
@click.option("--on", "on", help="Decision date (default today).")
@by_option
@click.pass_context
def apply_approve(ctx: click.Context, app_id: int, on: str | None, recorded_by: str | None) -> None:
    """Approve application APP_ID."""
    _decide(ctx, app_id, True, on, None, recorded_by)


@apply.command("refuse")
@click.argument("app_id", type=int)
@click.option("--reason", required=True, help="Why it is refused (told to the applicant).")
@click.option("--on", "on", help="Decision date (default today).")
@by_option
@click.pass_context
def apply_refuse(
    ctx: click.Context, app_id: int, reason: str, on: str | None, recorded_by: str | None
) -> None:
    """Refuse application APP_ID with a reason."""
    _decide(ctx, app_id, False, on, reason, recorded_by)


# ----------------------------------------------------------------------------- cases
@click.group()
def case() -> None:
    """Documented cases (anonymised references only, never a child's name)."""


@case.command("add")
@click.argument("person_ref")
@click.argument("reference")
@click.option("--started", required=True, help="When support began (YYYY-MM-DD).")
@click.option("--reviewed", help="Last review (YYYY-MM-DD); leave out while ongoing.")
@by_option
@click.pass_context
def case_add(
    ctx: click.Context,
    person_ref: str,
    reference: str,
    started: str,
    reviewed: str | None,
    recorded_by: str | None,
) -> None:
    """Record a documented case REFERENCE (e.g. FAM-0007) supported by PERSON."""
    from ..records import add_case

    case_id = add_case(
        workspace(ctx).store,
        person_ref,
        reference,
        parse_date(started, "--started"),  # type: ignore[arg-type]
        recorded_by=recorded_by or who(),
        last_reviewed_on=parse_date(reviewed, "--reviewed"),
    )
    click.echo(f"Recorded case {reference} ({case_id})")


# ----------------------------------------------------------------------------- licence, membership
@click.command("check")
@click.argument("setting_id")
@as_of_option
@json_option
@click.pass_context
def licence_check(ctx: click.Context, setting_id: str, as_of: str | None, as_json: bool) -> None:
    """Whether SETTING meets the school licence rule, and what is missing."""
    from ..delivery.licences import check_setting_licence

    ws = workspace(ctx)
    on = today_or(as_of)
    result = check_setting_licence(ws.store, ws.programme, setting_id, on)
    if as_json:
        emit_json(
            {
                "setting": setting_id,
                "on": on,
                "met": result.met,
                "licensed": result.licensed,
                "missing": list(result.missing),
                "details": list(result.details),
            }
        )
        return
    click.echo(
        f"{setting_id}: {'meets' if result.met else 'does not yet meet'} the school licence "
        f"rule on {on}; currently {'licensed' if result.licensed else 'not licensed'}"
    )
    for line in [*result.details, *(f"missing: {m}" for m in result.missing)]:
        click.echo(f"  {line}")


@click.command("grant")
@click.argument("setting_id")
@click.option("--on", "on", help="Licence start (default today).")
@click.option("--until", help="Licence end (YYYY-MM-DD; default open).")
@by_option
@click.pass_context
def licence_grant(
    ctx: click.Context, setting_id: str, on: str | None, until: str | None, recorded_by: str | None
) -> None:
    """Grant SETTING its school licence (refused, with reasons, unless the rule is met)."""
    from ..records import grant_setting_licence

    ws = workspace(ctx)
    grant_setting_licence(
        ws.store,
        ws.programme,
        setting_id,
        today_or(on),
        granted_by=recorded_by or who(),
        valid_until=parse_date(until, "--until"),
    )
    click.echo(f"Granted the school licence to {setting_id}")


@click.group()
def membership() -> None:
    """Annual membership, priced by pupils on roll."""


@membership.command("add")
@click.argument("setting_id")
@click.option("--from", "starts", help="Start date (default today).")
@by_option
@click.pass_context
def membership_add(
    ctx: click.Context, setting_id: str, starts: str | None, recorded_by: str | None
) -> None:
    """Record a year's membership for SETTING, priced from the programme's bands."""
    from ..records import add_membership

    ws = workspace(ctx)
    result = add_membership(
        ws.store, ws.programme, setting_id, today_or(starts), recorded_by=recorded_by or who()
    )
    click.echo(
        f"Membership for {setting_id} from {result.starts_on} to {result.ends_on}: "
        f"{ws.programme.membership.currency} {result.fee:.2f}"
    )


# ----------------------------------------------------------------------------- demo
@click.command()
@click.option("--as-of", help="Demo date (default today).")
@click.option("--force", is_flag=True, help="Replace an existing demo workspace.")
@click.pass_context
def demo(ctx: click.Context, as_of: str | None, force: bool) -> None:
    """Build a workspace with a synthetic cluster and print the eligibility table."""
    from ..demo import build_demo

    obj = ctx.find_root().obj or {}
    ws = build_demo(
        obj.get("workspace"), today_or(as_of), force=force, programme=obj.get("programme")
    )
    from ..api import eligibility_table

    frame = eligibility_table(ws, today_or(as_of))
    click.echo(f"Demo workspace: {ws.path} (synthetic people; nothing real)")
    click.echo(frame.to_string())
    from ..demo import DEMO_LEAD

    click.echo(
        f"\nYou are this workspace's admin. To see what Brook Primary's Lead sees, try:\n"
        f"  imatter -w {ws.path} --as {DEMO_LEAD} person list"
    )
    from ..demo import demo_term

    term = demo_term(ws)
    w = f"imatter -w {ws.path}"
    click.echo("\nA whole term:")
    if term is not None:
        click.echo(
            f"  Issuer key made first; {term.credentials} award(s) issued as signed credentials: "
            f"{w} credential list"
        )
        click.echo(f"  Study group {term.group_id}, {term.group_name}: 3 of 6 sessions registered")
        if term.course_dir is not None:
            click.echo(
                f"  Its assessment: {len(term.marked)} marked and fed back, "
                f"{', '.join(term.not_returned)} not returned: "
                f"{w} assess -g {term.group_id} status foundation-a"
            )
    click.echo("Open the dashboards (each serves on http://127.0.0.1:8866/, Ctrl-C to stop):")
    click.echo(f"  the Lead's:         {w} --as {DEMO_LEAD} dashboard lead")
    click.echo(f"  a learner's:        {w} dashboard progress --person z.hughes@brook.example")
    click.echo(f"  the organisation's: {w} dashboard organisation")


# `cluster view` and `cluster contact` live with the other cluster commands; the old spellings
# `cluster-view` and `cluster-contact` stay as hidden aliases for one release.
from .clusters import cluster_contact, cluster_view  # noqa: E402

cluster.add_command(cluster_view, "view")
cluster.add_command(cluster_contact, "contact")
