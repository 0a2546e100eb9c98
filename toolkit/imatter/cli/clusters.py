"""`imatter cluster view` and `imatter cluster contact`: who is trained where in a cluster."""

from __future__ import annotations

import click

from .common import as_of_option, emit_json, json_option, parse_date, table, today_or, workspace


@click.command("cluster-view")
@click.argument("cluster_id")
@as_of_option
@json_option
@click.pass_context
def cluster_view(ctx: click.Context, cluster_id: str, as_of: str | None, as_json: bool) -> None:
    """Who is trained where in a cluster or ICC, and its community contacts."""
    from dataclasses import asdict

    from ..delivery import clusters
    from ..programme import LEVELS

    ws = workspace(ctx)
    view = clusters.cluster_view(ws.store, ws.programme, cluster_id, today_or(as_of))
    if as_json:
        emit_json(asdict(view))
        return
    click.echo(f"{view.name} ({view.kind}{', ' + view.area if view.area else ''})")
    roles = [r for r in ws.programme.roles if any(s.role_counts().get(r) for s in view.settings)]
    click.echo(
        table(
            [
                (
                    s.setting,
                    "yes" if s.licensed else "no",
                    len(s.people),
                    *(s.level_counts()[lvl] for lvl in LEVELS),
                    *(s.role_counts().get(r, 0) for r in roles),
                )
                for s in view.settings
            ],
            ["setting", "licensed", "people", *LEVELS, *roles],
        )
    )
    click.echo("(level columns: people whose highest completed course is at that level)")
    if view.contacts:
        click.echo("")
        click.echo(
            table(
                [(c.name, c.position, c.where, ", ".join(c.roles)) for c in view.contacts],
                ["contact", "position", "where", "roles"],
            )
        )


@click.group("cluster-contact")
def cluster_contact() -> None:
    """Community contacts (GP safeguarding leads, school nurses) attached to a whole cluster."""


@cluster_contact.command("add")
@click.argument("cluster_id")
@click.argument("person")
@click.option("--position", required=True, help="e.g. gp-safeguarding-lead, school-nurse.")
@click.option("--since", help="Since (YYYY-MM-DD).")
@click.pass_context
def cluster_contact_add(
    ctx: click.Context, cluster_id: str, person: str, position: str, since: str | None
) -> None:
    """Attach PERSON to CLUSTER_ID as a community contact."""
    from ..delivery import clusters

    ws = workspace(ctx)
    clusters.add_cluster_contact(
        ws.store, ws.programme, cluster_id, person, position, since=parse_date(since, "--since")
    )
    click.echo(f"Added {person} to {cluster_id} as {position}")


@cluster_contact.command("remove")
@click.argument("cluster_id")
@click.argument("person")
@click.pass_context
def cluster_contact_remove(ctx: click.Context, cluster_id: str, person: str) -> None:
    """Detach PERSON from CLUSTER_ID."""
    from ..delivery import clusters

    clusters.remove_cluster_contact(workspace(ctx).store, cluster_id, person)
    click.echo(f"Removed {person} from {cluster_id}")
