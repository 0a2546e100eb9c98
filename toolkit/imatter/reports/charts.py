"""Charts for the HTML report, drawn with matplotlib's object API (no pyplot, no display).

Each chart is returned as SVG bytes with its text drawn as paths, so the HTML report that
embeds it (base64) needs no fonts or other files. Colours are the Okabe-Ito palette, which
stays distinguishable with colour-blindness; every chart also has a text description.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from . import Section

# Okabe-Ito first, then the darker colours of Paul Tol's colour-blind-safe "muted" scheme:
# 13 colours, so every course in the catalogue (11) has its own.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#332288",
    "#117733",
    "#882255",
    "#999933",
    "#AA4499",
    "#44AA99",
)
HATCHES = ("", "//", "..", "xx")


def series_styles(count: int) -> list[tuple[str, str]]:
    """A distinct (colour, hatch) per series: its own colour for the first 13, then the
    colours again with a hatch pattern, so no two series ever look the same."""
    return [
        (PALETTE[i % len(PALETTE)], HATCHES[(i // len(PALETTE)) % len(HATCHES)])
        for i in range(count)
    ]


def _figure(rows: int, width: float = 7.5):  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure

    height = min(max(1.6 + 0.38 * rows, 2.4), 12)
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _svg(fig) -> bytes:  # type: ignore[no-untyped-def]
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "imatter"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _barh(
    labels: list[str],
    values: list[float],
    xlabel: str,
    *,
    percent: bool = False,
    line: float | None = None,
) -> bytes:
    fig, ax = _figure(len(labels))
    y = list(range(len(labels)))
    ax.barh(y, values, color=PALETTE[0])
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    if percent:
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    if line is not None:
        ax.axvline(line, color=PALETTE[5], linestyle="--", linewidth=1)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)
    return _svg(fig)


def completions_chart(frame: pd.DataFrame) -> bytes | None:
    """Stacked bars: completions per term, one colour per course."""
    terms = [c for c in frame.columns if c not in ("course", "total")]
    if frame.empty or not terms:
        return None
    fig, ax = _figure(len(terms))
    left = [0.0] * len(terms)
    y = list(range(len(terms)))
    styles = series_styles(len(frame))
    for i, (_cid, row) in enumerate(frame.iterrows()):
        values = [float(row[t]) for t in terms]
        colour, hatch = styles[i]
        ax.barh(
            y,
            values,
            left=left,
            color=colour,
            hatch=hatch or None,
            edgecolor="white" if hatch else None,
            label=row["course"],
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(y, terms)
    ax.invert_yaxis()
    ax.set_xlabel("completions")
    fig.legend(
        loc="outside lower center", ncols=min(3, len(frame)), fontsize="small", frameon=False
    )
    return _svg(fig)


def chart_for(section: Section) -> tuple[bytes, str] | None:
    """The chart for a report section and its text description, or None if there is none."""
    frame = section.frame
    if frame.empty:
        return None
    name = section.name
    if name == "completions":
        svg = completions_chart(frame)
        if svg is None:
            return None
        total = int(frame["total"].sum())
        return svg, f"Bar chart of {total} completions by term, coloured by course."
    if name == "attendance":
        rated = frame.dropna(subset=["rate"])
        if rated.empty:
            return None
        labels = [f"{gid}: {row['group']}" for gid, row in rated.iterrows()]
        line = float(rated["required"].min()) if rated["required"].notna().any() else None
        svg = _barh(
            labels,
            rated["rate"].tolist(),
            "share of register marks present",
            percent=True,
            line=line,
        )
        return (
            svg,
            "Bar chart of attendance rate per study group; the dashed line is the "
            "attendance required.",
        )
    if name == "assessments":
        svg = _barh(
            frame["course"].tolist(), frame["passed"].astype(float).tolist(), "people who passed"
        )
        return svg, "Bar chart of people who passed each assessed course."
    if name == "roles":
        svg = _barh(
            frame["role"].tolist(),
            frame["holders"].astype(float).tolist(),
            "people holding the role",
        )
        return svg, "Bar chart of people holding each role on the report date."
    if name == "pipeline":
        counts = frame.groupby("target", sort=False).size()
        svg = _barh(
            [f"one step from {t}" for t in counts.index], counts.astype(float).tolist(), "people"
        )
        return svg, "Bar chart of people one step from each role."
    if name == "licences":
        counts = frame.groupby("status", sort=False).size()
        svg = _barh(
            counts.index.tolist(), counts.astype(float).tolist(), "licences and memberships"
        )
        return svg, "Bar chart of licences and memberships by status."
    if name == "impact":
        return impact_chart(frame)
    return None


def impact_chart(summary: pd.DataFrame) -> tuple[bytes, str] | None:
    """Mean change with its confidence interval, per item, for each group not suppressed."""
    from ..impact.analysis import ITEM_LABELS

    shown = summary.dropna(subset=["mean_change"])
    if shown.empty:
        return None
    groups = list(shown.groupby(["course", "cohort"], sort=False))
    items = list(dict.fromkeys(shown["item"]))
    fig, ax = _figure(len(items) * max(1, len(groups)) // 2 + len(items))
    height = 0.8 / len(groups)
    for g, ((course, cohort), frame) in enumerate(groups):
        frame = frame.set_index("item").reindex(items)
        y = [i + g * height for i in range(len(items))]
        low = (frame["mean_change"] - frame["ci_low"]).fillna(0)
        high = (frame["ci_high"] - frame["mean_change"]).fillna(0)
        ax.errorbar(
            frame["mean_change"],
            y,
            xerr=[low, high],
            fmt="o",
            capsize=3,
            color=PALETTE[g % len(PALETTE)],
            label=f"{course} ({cohort})",
        )
    ax.axvline(0, color="#555555", linewidth=1)
    ax.set_yticks(
        [i + 0.4 - height / 2 for i in range(len(items))], [ITEM_LABELS.get(i, i) for i in items]
    )
    ax.invert_yaxis()
    ax.set_xlabel("mean change after - before (points on a 1-5 scale), with 95% interval")
    fig.legend(
        loc="outside lower center", ncols=min(3, len(groups)), fontsize="small", frameon=False
    )
    text = (
        "Dot plot of the mean change in each questionnaire item with its confidence interval, "
        f"for {len(groups)} group(s) of five or more learners; suppressed groups are not shown."
    )
    return _svg(fig), text
