"""The reports, each a pandas DataFrame: completions, attendance, assessments, roles, the
pipeline, licences and renewals. Every function takes the store, the programme, a scope and
its dates as parameters (no clock), and opens one read transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..errors import InvalidValue
from ..programme import Programme
from ..store import Store
from ..store import schema as t
from .scope import (
    DEFAULT_TERMS,
    Scope,
    ScopeInfo,
    as_days,
    in_scope,
    people_on,
    resolve_scope,
    term_key,
)

if TYPE_CHECKING:
    import pandas as pd

# The roles in the pipeline: who is one step from each. "Lead" is either kind of Lead.
PIPELINE: dict[str, tuple[str, ...]] = {
    "Link": ("link-professional",),
    "Trainee": ("trainee-lead",),
    "Lead": ("school-lead", "community-lead"),
}
ASSESSMENT_EVIDENCE = "assessment"  # a pass recorded by assess starts its evidence with this


def _info(conn: sa.Connection, scope: Scope | ScopeInfo) -> ScopeInfo:
    return scope if isinstance(scope, ScopeInfo) else resolve_scope(conn, scope)


def _check_period(start: dt.date | None, end: dt.date) -> None:
    if start is not None and start > end:
        raise InvalidValue(f"the period starts ({start}) after it ends ({end})")


def within_period(
    frame: pd.DataFrame, column: str, start: dt.date | None, end: dt.date
) -> pd.DataFrame:
    import pandas as pd

    day = as_days(frame[column])
    ok = day <= pd.Timestamp(end)
    if start is not None:
        ok &= day >= pd.Timestamp(start)
    return frame[ok]


def _short(title: str) -> str:
    return title.split(":")[0].strip()


def completions_frame(conn: sa.Connection) -> pd.DataFrame:
    import pandas as pd

    from ..records.load import current_completions

    rows = current_completions(conn)
    return pd.DataFrame(
        [(r.id, r.person_id, r.course_id, r.completed_on, r.evidence or "") for r in rows],
        columns=["id", "person_id", "course_id", "completed_on", "evidence"],
    )


# ------------------------------------------------------------------------------ completions
def completions_by_term(
    store: Store,
    programme: Programme,
    scope: Scope | ScopeInfo,
    *,
    end: dt.date,
    start: dt.date | None = None,
    terms: tuple[tuple[str, int], ...] = DEFAULT_TERMS,
) -> pd.DataFrame:
    """Current completions per course (rows, programme order) and school term (columns).

    Index `course_id`; columns `course` (short title), one per term in order, and `total`.
    Only courses with a completion in the period are listed.
    """
    import pandas as pd

    _check_period(start, end)
    with store.read() as conn:
        info = _info(conn, scope)
        done = completions_frame(conn)
    done = in_scope(within_period(done, "completed_on", start, end), info, "completed_on")
    order = list(programme.courses)
    if done.empty:
        frame = pd.DataFrame(columns=["course", "total"], index=pd.Index([], name="course_id"))
        return frame.astype({"total": "int64"})
    keys = [term_key(d, terms) for d in done["completed_on"]]
    done = done.assign(
        term=[f"{y}/{(y + 1) % 100:02d} {terms[i][0]}" for y, i in keys],
        term_order=[y * 10 + i for y, i in keys],
    )
    term_names = (
        done[["term", "term_order"]].drop_duplicates().sort_values("term_order")["term"].tolist()
    )
    table = pd.crosstab(done["course_id"], done["term"]).reindex(columns=term_names, fill_value=0)
    table = table.reindex([c for c in order if c in table.index])
    table.columns.name = None
    table.index.name = "course_id"
    table["total"] = table.sum(axis=1)
    table.insert(0, "course", [_short(programme.courses[c].title) for c in table.index])
    return table


# ------------------------------------------------------------------------------ attendance
def attendance_rates(
    store: Store,
    programme: Programme,
    scope: Scope | ScopeInfo,
    *,
    end: dt.date,
    start: dt.date | None = None,
) -> pd.DataFrame:
    """Attendance per study group over sessions held (not cancelled) in the period.

    Index `group_id`; columns: group, course, setting, term, learners, sessions (with a
    register taken), present, marked (register marks), rate (present / marked), required
    (the course's attendance share) and below (learners whose own rate is under it).
    """
    import pandas as pd

    _check_period(start, end)
    g, gm, gs, at = t.study_groups, t.group_members, t.group_sessions, t.attendance
    with store.read() as conn:
        info = _info(conn, scope)
        query = sa.select(g.c.id, g.c.name, g.c.course_id, g.c.setting_id, g.c.term)
        if info.group_ids is not None:
            query = query.where(g.c.id.in_(info.group_ids))
        groups = pd.DataFrame(
            conn.execute(query.order_by(g.c.id)).all(),
            columns=["group_id", "group", "course_id", "setting", "term"],
        )
        ids = groups["group_id"].tolist()
        learners = dict(
            conn.execute(
                sa.select(gm.c.group_id, sa.func.count())
                .where(gm.c.group_id.in_(ids))
                .group_by(gm.c.group_id)
            ).all()
        )
        marks = pd.DataFrame(
            conn.execute(
                sa.select(gs.c.group_id, gs.c.id, gs.c.held_on, at.c.person_id, at.c.present)
                .select_from(at.join(gs, gs.c.id == at.c.session_id))
                .where(gs.c.group_id.in_(ids), gs.c.cancelled.is_(False))
            ).all(),
            columns=["group_id", "session_id", "held_on", "person_id", "present"],
        )
    columns = [
        "group",
        "course",
        "setting",
        "term",
        "learners",
        "sessions",
        "present",
        "marked",
        "rate",
        "required",
        "below",
    ]
    if groups.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="group_id"))
    marks = within_period(marks, "held_on", start, end)
    marks = marks.assign(present=marks["present"].astype(bool))
    rows = []
    for group in groups.itertuples(index=False):
        mine = marks[marks["group_id"] == group.group_id]
        course = programme.courses.get(group.course_id)
        required = course.attendance if course else float("nan")
        per_person = mine.groupby("person_id")["present"].mean()
        marked = len(mine)
        present = int(mine["present"].sum())
        rows.append(
            {
                "group_id": group.group_id,
                "group": group.group,
                "course": _short(course.title) if course else group.course_id,
                "setting": group.setting or "",
                "term": group.term,
                "learners": int(learners.get(group.group_id, 0)),
                "sessions": int(mine["session_id"].nunique()),
                "present": present,
                "marked": marked,
                "rate": present / marked if marked else float("nan"),
                "required": required,
                "below": int((per_person < required - 1e-9).sum()),
            }
        )
    return pd.DataFrame(rows, columns=["group_id", *columns]).set_index("group_id")


# ------------------------------------------------------------------------------ assessments
def pass_date() -> sa.ColumnElement:
    """The day of an assessment pass (`assessment_syncs` outer-joined to `completions`): its
    own date, or for a row made without one, the completion it was recorded as."""
    sy = t.assessment_syncs
    return sa.func.coalesce(sy.c.passed_on, t.completions.c.completed_on).label("passed_on")


def assessments_passed(
    store: Store,
    programme: Programme,
    scope: Scope | ScopeInfo,
    *,
    end: dt.date,
    start: dt.date | None = None,
) -> pd.DataFrame:
    """Assessed courses: people marked, passed (an assessment pass on record) and
    completed in the period, and the mean synced score as a percentage.

    Index `course_id` (every course with an assessment, programme order).
    """
    import pandas as pd

    _check_period(start, end)
    assessed = {cid: c for cid, c in programme.courses.items() if c.assessment}
    am, sy = t.assessment_marks, t.assessment_syncs
    with store.read() as conn:
        info = _info(conn, scope)
        done = completions_frame(conn)
        marks = pd.DataFrame(
            conn.execute(
                sa.select(am.c.assessment_id, am.c.person_id, am.c.marked_at).where(
                    am.c.role == "first"
                )
            ).all(),
            columns=["assessment_id", "person_id", "marked_at"],
        )
        syncs = pd.DataFrame(
            conn.execute(
                sa.select(
                    sy.c.course_id,
                    sy.c.person_id,
                    sy.c.score,
                    sy.c.max_score,
                    sy.c.synced_at,
                    pass_date(),
                ).select_from(sy.outerjoin(t.completions, t.completions.c.id == sy.c.completion_id))
            ).all(),
            columns=["course_id", "person_id", "score", "max_score", "synced_at", "passed_on"],
        )
    # a pass is kept apart from the completion (which may wait for the course's rule)
    passes = syncs.dropna(subset=["passed_on"])
    passes = in_scope(within_period(passes, "passed_on", start, end), info, "passed_on")
    done = in_scope(within_period(done, "completed_on", start, end), info, "completed_on")
    marks = in_scope(within_period(marks, "marked_at", start, end), info, "marked_at")
    syncs = in_scope(within_period(syncs, "synced_at", start, end), info, "synced_at")
    rows = []
    for cid, course in assessed.items():
        mine = done[done["course_id"] == cid]
        legacy = mine.loc[mine["evidence"].str.startswith(ASSESSMENT_EVIDENCE), "person_id"]
        passed = set(legacy) | set(passes.loc[passes["course_id"] == cid, "person_id"])
        scored = syncs[(syncs["course_id"] == cid) & (syncs["max_score"] > 0)]
        rows.append(
            {
                "course_id": cid,
                "course": _short(course.title),
                "assessment": course.assessment,
                "marked": int(
                    marks.loc[marks["assessment_id"] == course.assessment, "person_id"].nunique()
                ),
                "passed": len(passed),
                "completed": int(mine["person_id"].nunique()),
                "mean_score_pct": float((scored["score"] / scored["max_score"]).mean() * 100)
                if not scored.empty
                else float("nan"),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "course_id",
            "course",
            "assessment",
            "marked",
            "passed",
            "completed",
            "mean_score_pct",
        ],
    ).set_index("course_id")


# ------------------------------------------------------------------------------ roles
def awards_frame(conn: sa.Connection) -> pd.DataFrame:
    import pandas as pd

    from ..records.load import current_awards

    rows = current_awards(conn)
    return pd.DataFrame(
        [
            (
                r.id,
                r.person_id,
                r.role_id,
                r.kind,
                r.setting_id,
                r.valid_from,
                r.valid_until,
                r.revoked_on,
            )
            for r in rows
        ],
        columns=[
            "award_id",
            "person_id",
            "role_id",
            "kind",
            "setting_id",
            "valid_from",
            "valid_until",
            "revoked_on",
        ],
    )


def roles_awarded(
    store: Store,
    programme: Programme,
    scope: Scope | ScopeInfo,
    *,
    on: dt.date,
    end: dt.date | None = None,
    start: dt.date | None = None,
) -> pd.DataFrame:
    """Per role: awards made in the period, revoked in it, and people holding it on `on`.

    Index `role_id` (programme order); columns: role, kind, awarded, revoked, holders.
    """
    import pandas as pd

    end = end or on
    _check_period(start, end)
    from ..delivery.licences import held_roles

    with store.read() as conn:
        info = _info(conn, scope)
        awards = awards_frame(conn)
        # held as the engine sees it (a licence does not count while its setting has lapsed)
        held = held_roles(conn, programme, sorted(set(awards["person_id"])), on)
    made = in_scope(within_period(awards, "valid_from", start, end), info, "valid_from")
    revoked = awards.dropna(subset=["revoked_on"])
    revoked = in_scope(within_period(revoked, "revoked_on", start, end), info, "revoked_on")
    members = people_on(info, on)
    held_ids = {row.id for roles in held.values() for row in roles.values()}
    holding = awards[awards["award_id"].isin(held_ids)] if not awards.empty else awards
    if members is not None:
        holding = holding[holding["person_id"].isin(members)]
    rows = []
    for rid, role in programme.roles.items():
        rows.append(
            {
                "role_id": rid,
                "role": role.title,
                "kind": role.kind,
                "awarded": int((made["role_id"] == rid).sum()),
                "revoked": int((revoked["role_id"] == rid).sum()),
                "holders": int(holding.loc[holding["role_id"] == rid, "person_id"].nunique()),
            }
        )
    return pd.DataFrame(rows).set_index("role_id")


# ------------------------------------------------------------------------------ pipeline
def pipeline(
    store: Store,
    programme: Programme,
    scope: Scope | ScopeInfo,
    *,
    on: dt.date,
    targets: dict[str, tuple[str, ...]] | None = None,
) -> pd.DataFrame:
    """People one step from Link, Trainee or Lead on `on`, with what the step is.

    One row per person and target (a person who already holds a target role is left out).
    Columns: person_id, name, settings, target, role, missing. Uses the bulk engine for
    everyone, then explains only the people it finds one step away.
    """
    import pandas as pd

    from ..eligibility import evaluate_role
    from ..records.columns import bulk_eligibility
    from ..records.load import people_records

    targets = targets or PIPELINE
    for roles in targets.values():
        for rid in roles:
            programme.role(rid)
    table = bulk_eligibility(store, programme, on)
    with store.read() as conn:
        info = _info(conn, scope)
        members = people_on(info, on)
        if members is not None:
            table = table[table.index.isin(members)]
        found: list[tuple[int, str, str]] = []
        for target, roles in targets.items():
            from ..programme import roles_beyond

            beyond = sorted({b for rid in roles for b in roles_beyond(programme, rid)} - set(roles))
            held = table[[f"{rid}_held" for rid in (*roles, *beyond)]].any(axis=1)
            for rid in roles:
                near = table[~held & ~table[rid] & (table[f"{rid}_steps"] == 1)]
                found.extend((int(pid), target, rid) for pid in near.index)
        seen: set[tuple[int, str]] = set()
        unique = []
        for pid, target, rid in found:
            if (pid, target) not in seen:
                seen.add((pid, target))
                unique.append((pid, target, rid))
        records = people_records(conn, sorted({pid for pid, _, _ in unique}))
    rows = []
    for pid, target, rid in unique:
        facts = records[pid]
        result = evaluate_role(programme, facts, rid, on)
        settings = sorted({s.id for s in facts.settings if s.member_on(on)})
        rows.append(
            {
                "person_id": pid,
                "name": facts.name,
                "settings": ", ".join(settings),
                "target": target,
                "role": programme.roles[rid].title,
                "missing": "; ".join(result.missing),
            }
        )
    order = {name: i for i, name in enumerate(targets)}
    frame = pd.DataFrame(
        rows, columns=["person_id", "name", "settings", "target", "role", "missing"]
    )
    if not frame.empty:
        frame = frame.sort_values(
            ["target", "name", "person_id"],
            key=lambda s: s.map(order) if s.name == "target" else s,
        )
    return frame.set_index("person_id")


# ------------------------------------------------------------------------------ licences
def _held_on(awards: pd.DataFrame, on: dt.date) -> dict[int, set[str]]:
    """The roles each person holds on a date (awarded, started, not ended or revoked)."""
    import pandas as pd

    held: dict[int, set[str]] = {}
    if awards.empty:
        return held
    day = pd.Timestamp(on)
    for a in awards.itertuples(index=False):
        if pd.Timestamp(a.valid_from) > day:
            continue
        if pd.notna(a.valid_until) and pd.Timestamp(a.valid_until) < day:
            continue
        if pd.notna(a.revoked_on) and pd.Timestamp(a.revoked_on) <= day:
            continue
        held.setdefault(int(a.person_id), set()).add(a.role_id)
    return held


def licences_due(
    store: Store,
    programme: Programme,
    scope: Scope | ScopeInfo,
    *,
    on: dt.date,
    within_days: int = 90,
) -> pd.DataFrame:
    """School licences, memberships and trainee licences with their end dates and status.

    Status: lapsed (ended before `on`), due (ends within `within_days`), current, revoked,
    open-ended, or completed (a personal licence whose holder has gone on to a role that builds
    on it: a trainee licence of today's School Lead). Only the latest of each (per setting, or
    per person and licence) is listed. `days_left` is the days until it ends (due or current
    only); `lapsed_days` how long ago a lapsed one ended: neither is ever negative.
    Columns: kind, setting, holder, ends_on, days_left, lapsed_days, status, renewal_fee.
    """
    import pandas as pd

    if within_days < 0:
        raise InvalidValue("--within cannot be negative")
    horizon = on + dt.timedelta(days=within_days)
    st, lic, mem = t.settings, t.setting_licences, t.memberships
    rows: list[dict] = []

    def status(ends: dt.date | None, revoked: dt.date | None = None) -> str:
        if revoked is not None and revoked <= on:
            return "revoked"
        if ends is None:
            return "open-ended"
        if ends < on:
            return "lapsed"
        return "due" if ends <= horizon else "current"

    with store.read() as conn:
        info = _info(conn, scope)
        query = sa.select(st)
        if info.setting_ids is not None:
            query = query.where(st.c.id.in_(info.setting_ids))
        settings = {row.id: row for row in conn.execute(query.order_by(st.c.id))}
        licences = conn.execute(
            sa.select(lic)
            .where(lic.c.setting_id.in_(list(settings)))
            .order_by(lic.c.setting_id, lic.c.valid_from, lic.c.id)
        ).all()
        latest_licence = {row.setting_id: row for row in licences}  # last wins
        memberships = conn.execute(
            sa.select(mem)
            .where(mem.c.setting_id.in_(list(settings)))
            .order_by(mem.c.setting_id, mem.c.ends_on, mem.c.id)
        ).all()
        latest_membership = {row.setting_id: row for row in memberships}
        awards = awards_frame(conn)
        names = dict(conn.execute(sa.select(t.people.c.id, t.people.c.name)).all())
    for sid, row in latest_licence.items():
        rows.append(
            {
                "kind": "school licence",
                "setting": sid,
                "holder": settings[sid].name,
                "ends_on": row.valid_until,
                "days_left": (row.valid_until - on).days if row.valid_until else None,
                "status": status(row.valid_until, row.revoked_on),
                "renewal_fee": None,
            }
        )
    for sid, row in latest_membership.items():
        setting = settings[sid]
        roll = setting.pupils_on_roll if setting.kind == "school" else None
        rows.append(
            {
                "kind": "membership",
                "setting": sid,
                "holder": setting.name,
                "ends_on": row.ends_on,
                "days_left": (row.ends_on - on).days,
                "status": status(row.ends_on),
                "renewal_fee": programme.membership.fee_for(roll),
            }
        )
    personal = awards[awards["kind"] == "licence"] if not awards.empty else awards
    members = people_on(info, on)
    if members is not None:
        personal = personal[personal["person_id"].isin(members)]
    personal = personal[as_days(personal["valid_from"]) <= pd.Timestamp(on)]
    personal = personal.sort_values("valid_from").groupby(["person_id", "role_id"]).tail(1)
    held_now = _held_on(awards, on)
    from ..programme import roles_beyond

    for award in personal.itertuples(index=False):
        until = award.valid_until if pd.notna(award.valid_until) else None
        revoked = award.revoked_on if pd.notna(award.revoked_on) else None
        state = status(until, revoked)
        beyond = roles_beyond(programme, award.role_id) & held_now.get(award.person_id, set())
        if beyond and state in ("lapsed", "due", "current", "open-ended"):
            state = "completed"
        rows.append(
            {
                "kind": programme.roles[award.role_id].title
                if award.role_id in programme.roles
                else award.role_id,
                "setting": award.setting_id or "",
                "holder": names.get(award.person_id, str(award.person_id)),
                "ends_on": until,
                "days_left": (until - on).days if until else None,
                "status": state,
                "renewal_fee": None,
            }
        )
    for row in rows:
        left = row["days_left"]
        row["lapsed_days"] = -left if row["status"] == "lapsed" and left is not None else None
        if row["status"] not in ("due", "current"):
            row["days_left"] = None
    frame = pd.DataFrame(
        rows,
        columns=[
            "kind",
            "setting",
            "holder",
            "ends_on",
            "days_left",
            "lapsed_days",
            "status",
            "renewal_fee",
        ],
    )
    frame["days_left"] = frame["days_left"].astype("Int64")
    frame["lapsed_days"] = frame["lapsed_days"].astype("Int64")
    frame["renewal_fee"] = frame["renewal_fee"].astype(float)
    rank = {"lapsed": 0, "due": 1, "revoked": 2, "current": 3, "open-ended": 4, "completed": 5}
    frame = frame.assign(_rank=frame["status"].map(rank), _ends=as_days(frame["ends_on"]))
    frame = frame.sort_values(["_rank", "_ends", "setting", "holder"], na_position="last")
    return frame.drop(columns=["_rank", "_ends"]).reset_index(drop=True)


# ------------------------------------------------------------------------------ staff trained
TRAINED_COURSE = "foundation-a"
NOT_STAFF = ("parent",)


def staff_trained(
    store: Store, programme: Programme, scope: Scope | ScopeInfo, *, on: dt.date
) -> pd.DataFrame:
    """How many staff are trained, by staff group, on `on`: "N of M staff trained".

    Staff are the people with a position other than parent in a setting in scope on `on`
    (leavers and erased people are not counted). Trained means Foundation A completed by `on`;
    Foundation A and B are shown too. Index `staff_group` (the position's title, catalogue
    order), last row "All staff" with each person once. The headline is in `frame.attrs`.
    """
    import pandas as pd

    from ..trust.privacy.coverage import erased_name

    aff = t.affiliations
    with store.read() as conn:
        info = _info(conn, scope)
        query = sa.select(aff.c.person_id, aff.c.position, aff.c.since, aff.c.until).where(
            aff.c.position.not_in(NOT_STAFF)
        )
        if info.setting_ids is not None:
            query = query.where(aff.c.setting_id.in_(info.setting_ids))
        rows = conn.execute(query).all()
        names = dict(conn.execute(sa.select(t.people.c.id, t.people.c.name)).all())
        done = completions_frame(conn)
    staff: dict[str, set[int]] = {}
    for person, position, since, until in rows:
        if (since is not None and since > on) or (until is not None and until < on):
            continue
        if names.get(person) == erased_name(person):
            continue
        staff.setdefault(position, set()).add(int(person))
    done = done[pd.to_datetime(done["completed_on"]) <= pd.Timestamp(on)]
    has_a = set(done.loc[done["course_id"] == TRAINED_COURSE, "person_id"].astype(int))
    has_b = set(done.loc[done["course_id"] == "foundation-b", "person_id"].astype(int))
    order = list(programme.positions)
    groups = sorted(staff, key=lambda p: (order.index(p) if p in order else len(order), p))
    everyone = set().union(*staff.values()) if staff else set()
    table = []
    for label, people in [
        *((programme.positions.get(g, g), staff[g]) for g in groups),
        ("All staff", everyone),
    ]:
        trained = len(people & has_a)
        table.append(
            {
                "staff_group": label,
                "staff": len(people),
                "trained": trained,
                "share": trained / len(people) if people else float("nan"),
                "foundation_a_and_b": len(people & has_a & has_b),
            }
        )
    frame = pd.DataFrame(
        table if everyone else [],
        columns=["staff_group", "staff", "trained", "share", "foundation_a_and_b"],
    ).set_index("staff_group")
    course = programme.courses.get(TRAINED_COURSE)
    title = _short(course.title) if course else TRAINED_COURSE
    frame.attrs["headline"] = (
        f"{len(everyone & has_a)} of {len(everyone)} staff trained ({title} completed)"
    )
    return frame
