"""`imatter takestock`: the whole-school self-review, its action plan, and reviewing it."""

from __future__ import annotations

from pathlib import Path

import click

from .common import as_of_option, emit_json, json_option, table, today_or, who, workspace


@click.group()
def takestock() -> None:
    """Take stock: rate the seven characteristics, plan, and review the plan over time."""


@takestock.command("characteristics")
def takestock_characteristics() -> None:
    """The seven characteristics of an I Matter school and the rating scale."""
    from ..delivery import takestock as ts

    for c in ts.CHARACTERISTICS:
        click.echo(f"{c.number}. {c.title}: {c.description}")
    click.echo("Ratings: " + ", ".join(f"{n} {w}" for n, w in ts.RATINGS.items()))


@takestock.command("template")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
def takestock_template(csv_file: Path) -> None:
    """Write a self-review CSV to fill in (rating 1-4 and evidence for each characteristic)."""
    from ..delivery import takestock as ts

    click.echo(f"Wrote {ts.write_review_template(csv_file)}")


@takestock.command("record")
@click.argument("setting_id")
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--on", help="Date of the review (default today).")
@click.option("--by", help="Who carried out the review (default: you).")
@click.pass_context
def takestock_record(
    ctx: click.Context, setting_id: str, csv_file: Path, on: str | None, by: str | None
) -> None:
    """Record SETTING_ID's self-review from a filled-in CSV (every characteristic rated)."""
    from ..delivery import takestock as ts

    ws = workspace(ctx)  # who may record it, before reading the file
    ratings = ts.read_review_csv(csv_file)
    review = ts.record_self_review(ws.store, setting_id, today_or(on), ratings, reviewed_by=who(by))
    needs = ts.get_review(ws.store, review).needs_action()
    click.echo(f"Recorded self-review {review} for {setting_id}")
    if needs:
        click.echo("The plan needs an action for characteristic(s) " + ", ".join(map(str, needs)))


@takestock.command("plan")
@click.argument("review_id", type=int)
@click.argument("csv_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--title", help="The plan's title.")
@click.option("--on", help="Date the plan starts (default today).")
@click.option("--by", help="Who wrote the plan (default: you).")
@click.pass_context
def takestock_plan(
    ctx: click.Context,
    review_id: int,
    csv_file: Path,
    title: str | None,
    on: str | None,
    by: str | None,
) -> None:
    """Turn self-review REVIEW_ID into the action plan (characteristic, action, owner, due)."""
    from ..delivery import takestock as ts

    ws = workspace(ctx)  # who may plan, before reading the file
    actions = ts.read_plan_csv(csv_file)
    plan = ts.plan_from_review(
        ws.store,
        review_id,
        actions,
        created_on=today_or(on),
        created_by=who(by),
        title=title,
    )
    click.echo(f"Recorded action plan {plan} with {len(actions)} action(s)")


@takestock.command("show")
@click.argument("setting_id")
@as_of_option
@json_option
@click.pass_context
def takestock_show(ctx: click.Context, setting_id: str, as_of: str | None, as_json: bool) -> None:
    """SETTING_ID's active action plan: each action, who, when, status, what is overdue."""
    from dataclasses import asdict

    from ..delivery import takestock as ts

    plan = ts.review_plan(workspace(ctx).store, today_or(as_of), setting=setting_id)
    if as_json:
        emit_json({**asdict(plan), "counts": plan.counts})
        return
    click.echo(f"Plan {plan.plan_id}: {plan.title} (from {plan.created_on}, {plan.status})")
    click.echo(
        table(
            [
                (
                    i.id,
                    i.characteristic or "",
                    i.action,
                    i.owner,
                    i.due_on or "",
                    i.status + (" OVERDUE" if i.overdue else ""),
                    i.last_note or "",
                )
                for i in plan.items
            ],
            ["id", "char.", "action", "owner", "due", "status", "last note"],
        )
    )
    counts = ", ".join(f"{n} {s}" for s, n in plan.counts.items() if n)
    click.echo(f"{counts}; {len(plan.overdue)} overdue")


@takestock.command("action")
@click.argument("item_id", type=int)
@click.argument("status", type=click.Choice(["open", "in progress", "done", "dropped"]))
@click.option("--note", help="What happened (needed to drop an action).")
@click.option("--on", help="Date of the update (default today).")
@click.option("--by", help="Who updates it (default: you).")
@click.pass_context
def takestock_action(
    ctx: click.Context,
    item_id: int,
    status: str,
    note: str | None,
    on: str | None,
    by: str | None,
) -> None:
    """Move action ITEM_ID to a new STATUS, keeping the history."""
    from ..delivery import takestock as ts

    ts.update_action(
        workspace(ctx).store, item_id, status, today_or(on), updated_by=who(by), note=note
    )
    click.echo(f"Action {item_id} is now {status}")


@takestock.command("history")
@click.argument("setting_id")
@json_option
@click.pass_context
def takestock_history(ctx: click.Context, setting_id: str, as_json: bool) -> None:
    """SETTING_ID's self-reviews over time: each characteristic's rating at each review."""
    from dataclasses import asdict

    from ..delivery import takestock as ts

    reviews = ts.review_history(workspace(ctx).store, setting_id)
    if as_json:
        emit_json([asdict(r) for r in reviews])
        return
    headers = ["characteristic"] + [f"{r.reviewed_on} (#{r.id})" for r in reviews]
    rows = []
    for c in ts.CHARACTERISTICS:
        cells = [f"{c.number}. {c.title}"]
        for r in reviews:
            found = [x for x in r.ratings if x.characteristic == c.number]
            cells.append(f"{found[0].rating} {found[0].word}" if found else "")
        rows.append(cells)
    click.echo(table(rows, headers))
