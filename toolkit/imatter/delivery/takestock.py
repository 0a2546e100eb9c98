"""Take stock: a whole-school self-review against the seven characteristics of an I Matter
school, turned into an action plan (action, owner, due date, status) and reviewed over time.

The plan is a row in `action_plans` with its `action_items`: the action plan that the school
licence rule asks for. A new plan from a later review replaces the setting's active one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..errors import InvalidValue, NotFound
from ..records.clock import utcnow
from ..store import Store
from ..store import schema as t
from ..trust.access import require, require_or_missing


@dataclass(frozen=True, slots=True)
class Characteristic:
    """One of the characteristics a setting rates itself on when it takes stock."""

    number: int
    title: str
    description: str


# What an I Matter school looks like (PROGRAMME.md), in the toolkit's own words.
CHARACTERISTICS: tuple[Characteristic, ...] = (
    Characteristic(
        1,
        "A trained pastoral team",
        "The school has its own pastoral team trained in I Matter, backed by senior leaders.",
    ),
    Characteristic(
        2,
        "Understanding development",
        "Staff understand that children grow through their relationships with adults, and how "
        "adverse childhood experiences and trauma affect them.",
    ),
    Characteristic(
        3,
        "Training for every member of staff",
        "Every member of staff, new starters included, is trained in attachment and the social "
        "and emotional foundations of learning.",
    ),
    Characteristic(
        4,
        "Stress-aware, attachment-sensitive practice",
        "Staff work with parents, colleagues and children in a way that notices stress and "
        "respects attachment.",
    ),
    Characteristic(
        5,
        "Regulation and growing skills",
        "Staff notice, and work skilfully with, how children and adults regulate themselves and "
        "how their skills mature.",
    ),
    Characteristic(
        6,
        "Parents and carers on a learning journey",
        "A range of resources draws the wider community of parents and carers into learning "
        "together.",
    ),
    Characteristic(
        7,
        "Older pupils as attachment figures",
        "Older pupils learn about their own part as attachment figures for younger ones.",
    ),
)
RATINGS: Mapping[int, str] = {1: "not yet", 2: "beginning", 3: "developing", 4: "established"}
NEEDS_ACTION_BELOW = 3  # a characteristic rated below 'developing' needs at least one action
ACTION_STATUSES = ("open", "in progress", "done", "dropped")
REVIEW_COLUMNS = ("characteristic", "rating", "evidence")
PLAN_COLUMNS = ("characteristic", "action", "owner", "due")


def characteristic(number: int) -> Characteristic:
    """The characteristic with this number (1 to 7), or InvalidValue."""
    if not 1 <= number <= len(CHARACTERISTICS):
        raise InvalidValue(
            f"characteristic {number} does not exist; use 1 to {len(CHARACTERISTICS)}"
        )
    return CHARACTERISTICS[number - 1]


def parse_rating(value: str | int) -> int:
    """A rating 1-4 or its word (not yet, beginning, developing, established)."""
    text = str(value).strip().lower()
    if text.isdigit() and int(text) in RATINGS:
        return int(text)
    for number, word in RATINGS.items():
        if text == word:
            return number
    scale = ", ".join(f"{n} {w}" for n, w in RATINGS.items())
    raise ValueError(f"rating '{value}' is not on the scale; use {scale}")


# ------------------------------------------------------------------ the self-review
@dataclass(frozen=True, slots=True)
class Rating:
    """A setting's rating of one characteristic, with its evidence."""

    characteristic: int
    rating: int
    evidence: str

    @property
    def word(self) -> str:
        return RATINGS[self.rating]

    @property
    def title(self) -> str:
        return CHARACTERISTICS[self.characteristic - 1].title


@dataclass(frozen=True, slots=True)
class SelfReview:
    """A setting's self-review: who took stock, when, its ratings and the plan it led to."""

    id: int
    setting: str
    reviewed_on: dt.date
    reviewed_by: str
    plan_id: int | None
    ratings: tuple[Rating, ...]

    def needs_action(self) -> tuple[int, ...]:
        """Characteristics rated below 'developing': the plan must act on each."""
        return tuple(r.characteristic for r in self.ratings if r.rating < NEEDS_ACTION_BELOW)


def record_self_review(
    store: Store,
    setting_id: str,
    reviewed_on: dt.date,
    ratings: Mapping[int, tuple[int, str]],
    *,
    reviewed_by: str,
) -> int:
    """Record a self-review: every characteristic rated 1-4 with an evidence note. Returns its id.

    InvalidValue lists every problem (a characteristic missing, a rating off the scale, an empty
    evidence note) and nothing is recorded.
    """
    from ..records.settings import require_setting

    problems = []
    for c in CHARACTERISTICS:
        if c.number not in ratings:
            problems.append(f"characteristic {c.number} ({c.title}) is not rated; rate it 1-4")
            continue
        rating, evidence = ratings[c.number]
        if rating not in RATINGS:
            problems.append(f"characteristic {c.number}: rating {rating} is not 1 to 4")
        if not str(evidence or "").strip():
            problems.append(
                f"characteristic {c.number}: add an evidence note (what you saw that supports "
                "the rating)"
            )
    problems += [
        f"characteristic {n} does not exist; use 1 to 7"
        for n in ratings
        if n not in range(1, len(CHARACTERISTICS) + 1)
    ]
    if problems:
        raise InvalidValue(
            f"the self-review has {len(problems)} problem(s); nothing was recorded:",
            details=problems,
        )
    with store.write() as conn:
        require_setting(conn, setting_id)
        require(conn, "delivery.manage", setting=setting_id)
        review_id = int(
            conn.execute(
                t.self_reviews.insert().values(
                    setting_id=setting_id,
                    reviewed_on=reviewed_on,
                    reviewed_by=reviewed_by,
                    recorded_at=utcnow(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        for number, (rating, evidence) in sorted(ratings.items()):
            conn.execute(
                t.self_review_ratings.insert().values(
                    review_id=review_id,
                    characteristic=number,
                    rating=rating,
                    evidence=" ".join(str(evidence).split()),
                )
            )
    return review_id


def read_review_csv(path: str | Path) -> dict[int, tuple[int, str]]:
    """Ratings from a CSV (characteristic, rating, evidence[, title]); ImportRowError lists
    every bad line."""
    from ..errors import ImportRowError
    from ..records.csv_import import read_csv

    path = Path(path)
    ratings: dict[int, tuple[int, str]] = {}
    problems = []
    for line, row in read_csv(path, REVIEW_COLUMNS, ("title",)):
        try:
            number = _number(row.get("characteristic", ""))
            if number in ratings:
                raise ValueError(f"characteristic {number} is rated twice; keep one row")
            ratings[number] = (parse_rating(row.get("rating", "")), row.get("evidence", ""))
        except ValueError as err:
            problems.append(f"line {line}: {err}")
    if problems:
        raise ImportRowError(
            f"{path}: {len(problems)} bad row(s); nothing was recorded. Fix them and try again:",
            details=problems,
        )
    return ratings


def _number(text: str) -> int:
    if not text.strip().isdigit() or not 1 <= int(text) <= len(CHARACTERISTICS):
        raise ValueError(f"characteristic '{text}' must be a number from 1 to 7")
    return int(text)


def write_review_template(path: str | Path) -> Path:
    """A CSV to fill in: one row per characteristic, with its title, rating and evidence blank."""
    import csv

    from ..cells import safe_row

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["characteristic", "title", "rating", "evidence"])
        for c in CHARACTERISTICS:
            writer.writerow(safe_row([c.number, c.title, "", ""]))
    return path


def _reviews(conn: sa.Connection, where: sa.ColumnElement[bool]) -> list[SelfReview]:
    sr, rr = t.self_reviews, t.self_review_ratings
    rows = conn.execute(sa.select(sr).where(where).order_by(sr.c.reviewed_on, sr.c.id)).all()
    ratings: dict[int, list[Rating]] = {row.id: [] for row in rows}
    if rows:
        for r in conn.execute(
            sa.select(rr)
            .where(rr.c.review_id.in_(list(ratings)))
            .order_by(rr.c.review_id, rr.c.characteristic)
        ):
            ratings[r.review_id].append(Rating(r.characteristic, r.rating, r.evidence))
    return [
        SelfReview(
            row.id,
            row.setting_id,
            row.reviewed_on,
            row.reviewed_by,
            row.plan_id,
            tuple(ratings[row.id]),
        )
        for row in rows
    ]


def get_review(store: Store, review_id: int) -> SelfReview:
    """One self-review with its ratings, or NotFound."""
    missing = NotFound(f"no self-review {review_id}; see `imatter takestock history SETTING`")
    with store.read() as conn:
        found = _reviews(conn, t.self_reviews.c.id == review_id)
        if not found:
            raise missing
        # Another setting's review looks exactly like a missing one.
        require_or_missing(conn, "delivery.read", missing, setting=found[0].setting)
    return found[0]


def review_history(store: Store, setting_id: str) -> list[SelfReview]:
    """A setting's self-reviews, oldest first: how its ratings moved over time."""
    with store.read() as conn:
        from ..records.settings import require_setting

        require_setting(conn, setting_id)
        require(conn, "delivery.read", setting=setting_id)  # another's: as if missing
        return _reviews(conn, t.self_reviews.c.setting_id == setting_id)


def compare_reviews(before: SelfReview, after: SelfReview) -> list[tuple[int, int, int]]:
    """(characteristic, rating before, rating after) for each characteristic that moved."""
    old = {r.characteristic: r.rating for r in before.ratings}
    return [
        (r.characteristic, old[r.characteristic], r.rating)
        for r in after.ratings
        if r.characteristic in old and old[r.characteristic] != r.rating
    ]


# ------------------------------------------------------------------ the action plan
@dataclass(frozen=True, slots=True)
class Action:
    """One action to be planned: which characteristic it serves, what, who, by when."""

    characteristic: int
    action: str
    owner: str
    due_on: dt.date


def read_plan_csv(path: str | Path) -> list[Action]:
    """Actions from a CSV (characteristic, action, owner, due); ImportRowError lists every bad
    line."""
    from ..errors import ImportRowError
    from ..records.csv_import import read_csv

    path = Path(path)
    from ..records.csvfile import parse_date

    actions, problems = [], []
    for line, row in read_csv(path, PLAN_COLUMNS, ()):
        try:
            number = _number(row.get("characteristic", ""))
            if not row.get("action"):
                raise ValueError("action is empty; say what will be done")
            if not row.get("owner"):
                raise ValueError("owner is empty; name who will do it")
            due = parse_date(row.get("due", ""), "due")
            actions.append(Action(number, row["action"], row["owner"], due))
        except ValueError as err:
            problems.append(f"line {line}: {err}")
    if problems:
        raise ImportRowError(
            f"{path}: {len(problems)} bad row(s); nothing was planned. Fix them and try again:",
            details=problems,
        )
    return actions


def plan_from_review(
    store: Store,
    review_id: int,
    actions: list[Action],
    *,
    created_on: dt.date,
    created_by: str,
    title: str | None = None,
) -> int:
    """Turn a self-review into the setting's action plan; returns the plan's id.

    Each characteristic rated below 'developing' needs at least one action; every action needs
    an owner and a due date on or after `created_on`. The new plan becomes the setting's active
    plan (an earlier active plan is marked 'replaced'), all in one transaction.
    """
    review = get_review(store, review_id)
    problems = []
    if not actions:
        problems.append("add at least one action")
    if review.plan_id is not None:
        problems.append(f"self-review {review_id} already has action plan {review.plan_id}")
    if created_on < review.reviewed_on:
        problems.append(f"the plan ({created_on}) cannot predate the review ({review.reviewed_on})")
    for i, a in enumerate(actions, start=1):
        if not 1 <= a.characteristic <= len(CHARACTERISTICS):
            problems.append(f"action {i}: characteristic {a.characteristic} does not exist")
        if not a.action.strip() or not a.owner.strip():
            problems.append(f"action {i}: needs both an action and an owner")
        if a.due_on < created_on:
            problems.append(f"action {i}: due {a.due_on} is before the plan starts ({created_on})")
    planned = {a.characteristic for a in actions}
    for number in review.needs_action():
        if number not in planned:
            c = characteristic(number)
            rated = RATINGS[next(r.rating for r in review.ratings if r.characteristic == number)]
            problems.append(
                f"characteristic {number} ({c.title}) is rated '{rated}' but has no action; add one"
            )
    if problems:
        raise InvalidValue(
            f"the action plan has {len(problems)} problem(s); nothing was recorded:",
            details=problems,
        )
    ap, items = t.action_plans, t.action_items
    with store.write() as conn:
        require(conn, "delivery.manage", setting=review.setting)
        conn.execute(
            ap.update()
            .where(ap.c.setting_id == review.setting, ap.c.status == "active")
            .values(status="replaced")
        )
        plan_id = int(
            conn.execute(
                ap.insert().values(
                    setting_id=review.setting,
                    title=title or f"Action plan from the self-review of {review.reviewed_on}",
                    created_on=created_on,
                    status="active",
                    created_by=created_by,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        for a in actions:
            conn.execute(
                items.insert().values(
                    plan_id=plan_id,
                    action=" ".join(a.action.split()),
                    owner=a.owner.strip(),
                    due_on=a.due_on,
                    status="open",
                    characteristic=a.characteristic,
                )
            )
        conn.execute(
            t.self_reviews.update().where(t.self_reviews.c.id == review_id).values(plan_id=plan_id)
        )
    return plan_id


def update_action(
    store: Store,
    item_id: int,
    status: str,
    on: dt.date,
    *,
    updated_by: str,
    note: str | None = None,
) -> None:
    """Move an action to a new status (open, in progress, done, dropped), keeping the history."""
    if status not in ACTION_STATUSES:
        raise InvalidValue(f"status '{status}' must be one of: {', '.join(ACTION_STATUSES)}")
    if status == "dropped" and not (note and note.strip()):
        raise InvalidValue("dropping an action needs a --note saying why")
    items = t.action_items
    with store.write() as conn:
        row = conn.execute(sa.select(items).where(items.c.id == item_id)).first()
        missing = NotFound(f"no action {item_id}; see `imatter takestock plan SETTING`")
        if row is None:
            raise missing
        plan_setting = conn.execute(
            sa.select(t.action_plans.c.setting_id).where(t.action_plans.c.id == row.plan_id)
        ).scalar()
        require_or_missing(conn, "delivery.manage", missing, setting=plan_setting)
        conn.execute(items.update().where(items.c.id == item_id).values(status=status))
        conn.execute(
            t.action_item_updates.insert().values(
                item_id=item_id,
                updated_on=on,
                status=status,
                note=(note or "").strip() or None,
                updated_by=updated_by,
            )
        )


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One action of a setting's plan: who owns it, when it is due, and how it is going."""

    id: int
    characteristic: int | None
    action: str
    owner: str
    due_on: dt.date | None
    status: str
    overdue: bool
    last_update: dt.date | None
    last_note: str | None


@dataclass(frozen=True, slots=True)
class PlanReview:
    """An action plan reviewed on a date: its items, what is overdue, how far it has got."""

    plan_id: int
    setting: str
    title: str
    created_on: dt.date
    status: str
    items: tuple[PlanItem, ...]

    @property
    def counts(self) -> dict[str, int]:
        return {s: sum(1 for i in self.items if i.status == s) for s in ACTION_STATUSES}

    @property
    def overdue(self) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if i.overdue)


def review_plan(
    store: Store, on: dt.date, *, setting: str | None = None, plan_id: int | None = None
) -> PlanReview:
    """A setting's active plan (or a given plan) on a date: items, overdue, last updates."""
    ap, items, up = t.action_plans, t.action_items, t.action_item_updates
    with store.read() as conn:
        if plan_id is not None:
            plan = conn.execute(sa.select(ap).where(ap.c.id == plan_id)).first()
            missing = NotFound(f"no action plan {plan_id}")
            if plan is None:
                raise missing
            require_or_missing(conn, "delivery.read", missing, setting=plan.setting_id)
        else:
            from ..records.settings import require_setting

            require_setting(conn, str(setting))
            require(conn, "delivery.read", setting=setting)  # another's: as if missing
            plan = conn.execute(
                sa.select(ap)
                .where(ap.c.setting_id == setting, ap.c.status == "active")
                .order_by(ap.c.created_on.desc(), ap.c.id.desc())
            ).first()
            if plan is None:
                raise NotFound(
                    f"{setting} has no active action plan; take stock first "
                    f"(`imatter takestock record {setting} FILE`, then `imatter takestock plan`)"
                )
        rows = conn.execute(
            sa.select(items).where(items.c.plan_id == plan.id).order_by(items.c.due_on, items.c.id)
        ).all()
        latest: dict[int, sa.Row] = {}
        for u in conn.execute(
            sa.select(up)
            .where(up.c.item_id.in_([r.id for r in rows]))
            .order_by(up.c.updated_on, up.c.id)
        ):
            latest[u.item_id] = u
    return PlanReview(
        plan.id,
        plan.setting_id,
        plan.title,
        plan.created_on,
        plan.status,
        tuple(
            PlanItem(
                r.id,
                r.characteristic,
                r.action,
                r.owner,
                r.due_on,
                r.status,
                r.due_on is not None and r.due_on < on and r.status in ("open", "in progress"),
                latest[r.id].updated_on if r.id in latest else None,
                latest[r.id].note if r.id in latest else None,
            )
            for r in rows
        ),
    )
