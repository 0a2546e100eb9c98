"""Paired analysis of the questionnaire: change per course, cohort and item, small groups hidden.

For each group of learners who answered both before and after: the mean change with a
t-based confidence interval, Cohen's d for paired data (d_z = mean change / SD of the changes),
the paired t-test, and the Wilcoxon signed-rank test when enough learners changed their rating.
No group of fewer than `min_group` learners is reported, and a cohort is also hidden when its
numbers could otherwise be worked out from the course total (complementary suppression).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from .items import ITEM_IDS, ITEMS

if TYPE_CHECKING:
    import pandas as pd

    from ..store import Store

MIN_GROUP = 5  # never report a group smaller than this
MIN_WILCOXON = 6  # non-zero changes needed: below 6, no two-sided p can reach 0.05
OVERALL = "overall"  # the mean of the four items, per learner
ALL_COHORTS = "all cohorts"
ITEM_LABELS = {item.id: item.label for item in ITEMS} | {OVERALL: "Overall (mean of 4)"}

SUMMARY_COLUMNS = [
    "course",
    "cohort",
    "item",
    "n_pairs",
    "pre_only",
    "post_only",
    "pre_mean",
    "post_mean",
    "mean_change",
    "sd_change",
    "ci_low",
    "ci_high",
    "d_z",
    "t",
    "t_p",
    "wilcoxon_w",
    "wilcoxon_p",
    "note",
]
_STATS = SUMMARY_COLUMNS[6:-1]


@dataclass(frozen=True)
class PairedStats:
    """The paired statistics for one set of (pre, post) scores."""

    n: int
    pre_mean: float
    post_mean: float
    mean_change: float
    sd_change: float
    ci_low: float
    ci_high: float
    d_z: float
    t: float
    t_p: float
    wilcoxon_w: float
    wilcoxon_p: float
    note: str = ""


def wilcoxon_method(changes) -> str:
    """'exact' for up to 50 non-zero changes without ties, else 'asymptotic'.

    The normal approximation with scipy's tie correction is used for tied ranks (usual with
    Likert scores): scipy's default there is a permutation test, which takes seconds per test.
    """
    import numpy as np

    magnitudes = np.abs(np.asarray(changes, dtype=float))
    tied = np.unique(magnitudes).size < magnitudes.size
    return "exact" if magnitudes.size <= 50 and not tied else "asymptotic"


def paired_statistics(
    pre: Sequence[float],
    post: Sequence[float],
    *,
    confidence: float = 0.95,
    min_wilcoxon: int = MIN_WILCOXON,
) -> PairedStats:
    """Mean change (post - pre), its confidence interval, d_z, paired t and Wilcoxon.

    :raises ValueError: if the two sequences differ in length or are empty.
    """
    import numpy as np
    from scipy import stats

    before = np.asarray(pre, dtype=float)
    after = np.asarray(post, dtype=float)
    if before.shape != after.shape or before.ndim != 1:
        raise ValueError("pre and post must be two sequences of the same length")
    n = int(before.size)
    if n == 0:
        raise ValueError("no pairs to analyse")
    change = after - before
    mean = float(change.mean())
    nan = math.nan
    notes: list[str] = []
    sd = float(change.std(ddof=1)) if n > 1 else nan
    if n < 2:
        low = high = d_z = t_stat = t_p = nan
        notes.append("one pair: no interval or test")
    elif sd == 0:
        low = high = mean
        d_z = t_stat = t_p = nan
        notes.append("every change was the same: effect size and t undefined")
    else:
        se = sd / math.sqrt(n)
        crit = float(stats.t.ppf((1 + confidence) / 2, n - 1))
        low, high = mean - crit * se, mean + crit * se
        d_z = mean / sd
        t_stat = mean / se
        t_p = float(2 * stats.t.sf(abs(t_stat), n - 1))
    moved_changes = change[change != 0]  # Wilcoxon's own treatment of zeros: drop them
    moved = int(moved_changes.size)
    if moved >= min_wilcoxon:
        method = wilcoxon_method(moved_changes)
        result = stats.wilcoxon(moved_changes, method=method)
        w, w_p = float(result.statistic), float(result.pvalue)
    else:
        w = w_p = nan
        notes.append(f"Wilcoxon not run: {moved} changed rating (needs {min_wilcoxon})")
    return PairedStats(
        n=n,
        pre_mean=float(before.mean()),
        post_mean=float(after.mean()),
        mean_change=mean,
        sd_change=sd,
        ci_low=low,
        ci_high=high,
        d_z=d_z,
        t=t_stat,
        t_p=t_p,
        wilcoxon_w=w,
        wilcoxon_p=w_p,
        note="; ".join(notes),
    )


def impact_pairs(
    store: Store, *, course: str | None = None, cohort: str | None = None
) -> pd.DataFrame:
    """Each learner code's pre and post score per course, cohort and item (plus 'overall').

    Columns: course, cohort, pseudonym, item, pre, post, change. A code that answered only one
    stage has NaN for the other. For the lead's own checking: never publish this table.
    """
    import pandas as pd
    import sqlalchemy as sa

    from ..store import schema as t

    r = t.impact_responses
    query = sa.select(r.c.course_id, r.c.cohort, r.c.pseudonym, r.c.stage, r.c.item, r.c.score)
    if course is not None:
        query = query.where(r.c.course_id == course)
    if cohort is not None:
        query = query.where(r.c.cohort == cohort)
    with store.read() as conn:
        rows = conn.execute(query).all()
    return pairs_from_responses(
        pd.DataFrame(rows, columns=["course", "cohort", "pseudonym", "stage", "item", "score"])
    )


def pairs_from_responses(responses: pd.DataFrame) -> pd.DataFrame:
    """Long responses (course, cohort, pseudonym, stage, item, score) -> one row per pair."""
    import pandas as pd

    columns = ["course", "cohort", "pseudonym", "item", "pre", "post", "change"]
    if responses.empty:
        return pd.DataFrame(columns=columns)
    keys = ["course", "cohort", "pseudonym", "item"]
    wide = responses.pivot_table(index=keys, columns="stage", values="score", aggfunc="first")
    wide = wide.reindex(columns=["pre", "post"]).astype(float).reset_index()
    wide.columns.name = None
    overall = (
        wide.groupby(["course", "cohort", "pseudonym"])[["pre", "post"]]
        .mean()  # NaN-skipping: a code with both stages has all four items in each
        .reset_index()
        .assign(item=OVERALL)
    )
    both = pd.concat([wide, overall], ignore_index=True)
    both["change"] = both["post"] - both["pre"]
    order = {item: i for i, item in enumerate((*ITEM_IDS, OVERALL))}
    both = both.sort_values(
        ["course", "cohort", "item", "pseudonym"],
        key=lambda s: s.map(order) if s.name == "item" else s,
    )
    return both[columns].reset_index(drop=True)


def _suppressed_cohorts(counts: dict[str, int], min_group: int, pooled: bool) -> dict[str, str]:
    """Cohort -> reason for each cohort of one course that must not be shown."""
    small = f"suppressed: fewer than {min_group} pairs"
    hidden = {c: small for c, n in counts.items() if n < min_group}
    if not pooled:
        return hidden
    # With the course total shown, the hidden cohorts' combined numbers can be worked out:
    # hide more (the smallest first) until that combined group is empty or big enough.
    while 0 < sum(counts[c] for c in hidden) < min_group:
        shown = sorted((n, c) for c, n in counts.items() if c not in hidden)
        if not shown:
            break
        hidden[shown[0][1]] = "suppressed: protects a smaller cohort in this course"
    return hidden


def summarise_pairs(
    pairs: pd.DataFrame,
    *,
    min_group: int = MIN_GROUP,
    confidence: float = 0.95,
    pooled: bool = True,
) -> pd.DataFrame:
    """The paired analysis per course, cohort and item, with small groups suppressed.

    With `pooled`, a course with several cohorts also gets rows for "all cohorts". A suppressed
    row keeps only its course, cohort, item and a note saying it is suppressed.
    """
    import pandas as pd

    rows: list[dict] = []
    if pairs.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    item_order = (*ITEM_IDS, OVERALL)
    for course, by_course in pairs.groupby("course", sort=True):
        complete = by_course.dropna(subset=["pre", "post"])
        overall = by_course[by_course["item"] == OVERALL]
        counts = {
            cohort: int(group[["pre", "post"]].notna().all(axis=1).sum())
            for cohort, group in overall.groupby("cohort", sort=True)
        }
        show_pooled = pooled and len(counts) > 1
        hidden = _suppressed_cohorts(counts, min_group, show_pooled)
        groups = [(cohort, by_course[by_course["cohort"] == cohort]) for cohort in counts]
        if show_pooled:
            groups.append((ALL_COHORTS, by_course))
            if sum(counts.values()) < min_group:
                hidden[ALL_COHORTS] = f"suppressed: fewer than {min_group} pairs"
        for cohort, group in groups:
            group_overall = group[group["item"] == OVERALL]
            pre_only = int((group_overall["pre"].notna() & group_overall["post"].isna()).sum())
            post_only = int((group_overall["post"].notna() & group_overall["pre"].isna()).sum())
            for item in item_order:
                row: dict = {"course": course, "cohort": cohort, "item": item}
                if cohort in hidden:
                    row["note"] = hidden[cohort]
                    rows.append(row)
                    continue
                these = complete[complete["item"] == item]
                if cohort != ALL_COHORTS:
                    these = these[these["cohort"] == cohort]
                result = paired_statistics(
                    these["pre"].to_numpy(), these["post"].to_numpy(), confidence=confidence
                )
                values = asdict(result)
                row.update({key: values[key] for key in _STATS})
                row.update(n_pairs=result.n, pre_only=pre_only, post_only=post_only)
                row["note"] = result.note
                rows.append(row)
    frame = pd.DataFrame(rows).reindex(columns=SUMMARY_COLUMNS)
    for column in ("n_pairs", "pre_only", "post_only"):
        frame[column] = frame[column].astype("Int64")
    for column in _STATS:
        frame[column] = frame[column].astype(float)
    frame["note"] = frame["note"].fillna("")
    return frame


def impact_summary(
    store: Store,
    *,
    course: str | None = None,
    cohort: str | None = None,
    min_group: int = MIN_GROUP,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """The paired analysis of collected answers (see `summarise_pairs`).

    Suppression is always decided on the whole course (every cohort and the pooled rows), and
    only then filtered to the cohort asked for, so that a filter cannot undo it.
    """
    if min_group < MIN_GROUP:
        from ..errors import InvalidValue

        raise InvalidValue(f"the smallest group that may be reported is {MIN_GROUP}")
    summary = summarise_pairs(
        impact_pairs(store, course=course), min_group=min_group, confidence=confidence
    )
    if cohort is not None:
        summary = summary[summary["cohort"] == cohort].reset_index(drop=True)
    return summary


def impact_report(
    store: Store,
    *,
    on,
    course: str | None = None,
    cohort: str | None = None,
    confidence: float = 0.95,
):
    """The paired analysis as a report (one section, "impact") for the renderers."""
    from ..reports import Report, Section

    summary = impact_summary(store, course=course, cohort=cohort, confidence=confidence)
    summary = summary.assign(item=summary["item"].map(lambda i: ITEM_LABELS.get(i, i)))
    level = f"{confidence:.0%}"
    section = Section(
        "impact",
        "Change from before to after the course",
        "Learners who answered the questionnaire at the start and the end of a course, paired "
        "by their code: the mean change (after minus before, on a 1-5 agreement scale) with a "
        f"{level} confidence interval, the effect size d_z (mean change / SD of the changes), "
        "the paired t-test and the Wilcoxon signed-rank test.",
        summary,
        (
            f"Groups of fewer than {MIN_GROUP} learners are suppressed, and so is any cohort "
            "whose numbers could be worked out from the course total.",
        ),
    )
    scope = "all courses" if course is None else f"course {course}"
    if cohort is not None:
        scope += f", cohort {cohort}"
    return Report(
        title="I Matter impact evidence",
        scope=scope,
        period="all collected answers",
        generated_for=on,
        sections=(section,),
    )
