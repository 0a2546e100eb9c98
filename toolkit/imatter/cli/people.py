"""People commands: clusters, settings and people (added, imported, updated, merged, leaving)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import click

from .common import (
    emit_json,
    json_option,
    parse_date,
    table,
    who,
    workspace,
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
    help='A header or position name of yours, saved for the setting: "Staff Type=position", '
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


# `cluster view` and `cluster contact` live with the other cluster commands; the old spellings
# `cluster-view` and `cluster-contact` stay as hidden aliases for one release.
from .clusters import cluster_contact, cluster_view  # noqa: E402

cluster.add_command(cluster_view, "view")
cluster.add_command(cluster_contact, "contact")
