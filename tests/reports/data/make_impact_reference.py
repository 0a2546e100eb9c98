"""Regenerate impact_reference.json: scipy's own results on the pairs in impact_pairs.csv.

Run with the project's Python when a data set is added; the tests compare
imatter.impact.paired_statistics with these stored values (and with scipy again, live).
    python tests/reports/data/make_impact_reference.py
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
from scipy import stats

HERE = Path(__file__).resolve().parent


def main() -> None:
    pairs: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with (HERE / "impact_pairs.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            pairs[row["set"]].append((float(row["pre"]), float(row["post"])))
    reference = {}
    for name, rows in pairs.items():
        pre = np.array([r[0] for r in rows])
        post = np.array([r[1] for r in rows])
        diff = post - pre
        t = stats.ttest_rel(post, pre)
        ci = t.confidence_interval(confidence_level=0.95)
        ci90 = t.confidence_interval(confidence_level=0.90)
        nonzero = int(np.count_nonzero(diff))
        entry = {
            "n": len(rows),
            "pre_mean": float(pre.mean()),
            "post_mean": float(post.mean()),
            "mean_change": float(diff.mean()),
            "sd_change": float(diff.std(ddof=1)),
            "d_z": float(diff.mean() / diff.std(ddof=1)),
            "t": float(t.statistic),
            "t_p": float(t.pvalue),
            "ci95": [float(ci.low), float(ci.high)],
            "ci90": [float(ci90.low), float(ci90.high)],
            "nonzero_changes": nonzero,
        }
        if nonzero >= 6:
            # Zero changes dropped (Wilcoxon's own rule); exact without ties, else the normal
            # approximation with tie correction, as imatter documents.
            moved = diff[diff != 0]
            tied = len(set(np.abs(moved))) < len(moved)
            method = "asymptotic" if tied or len(moved) > 50 else "exact"
            w = stats.wilcoxon(moved, method=method)
            entry["wilcoxon_method"] = method
            entry["wilcoxon_w"] = float(w.statistic)
            entry["wilcoxon_p"] = float(w.pvalue)
        else:
            entry["wilcoxon_w"] = None
            entry["wilcoxon_p"] = None
        reference[name] = entry
    out = HERE / "impact_reference.json"
    out.write_text(json.dumps(reference, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
