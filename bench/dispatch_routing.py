# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Routing learned from history, measured on rows held out from the shared Pingshan export
(`events_2018.csv`): top-1 and top-3 of `jiesu.dispatch.history.RoutingTable` beside the plain
majority lookup (the unit that most often handled the leaf category in the appeal's subdistrict, else in the
district; unit names merged alike; the leaf-only majority is reported beside it).

The main split is by time: the model learns from the earliest 80% of the rows (by creation
time) and is scored on the latest 20%, as it would be used. The full run adds the mean of five
seeded random 80/20 splits. The file is found through BENCH_ROUTING_CSV, else
../shared/data/pingshan/events_2018.csv beside the checkout (or beside its parent folder);
without it the figures are None with the reason.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELATIVE = Path("shared") / "data" / "pingshan" / "events_2018.csv"


def _csv() -> Path | None:
    given = os.environ.get("BENCH_ROUTING_CSV")
    candidates = [Path(given)] if given else [ROOT.parent / RELATIVE, ROOT.parent.parent / RELATIVE]
    return next((p for p in candidates if p.is_file()), None)


def measure(quick: bool) -> dict:
    from jiesu.dispatch import history

    path = _csv()
    if path is None:
        skipped = {"value": None, "skipped": "events_2018.csv not found (BENCH_ROUTING_CSV)"}
        return dict.fromkeys(("routing_top1", "routing_top3", "routing_majority_top1"), skipped)
    rows = history.read_rows(str(path), with_unit=True)
    start = time.perf_counter()
    main = history.evaluate(rows, "time")
    seconds = time.perf_counter() - start
    common = {
        "split": "time: earliest 80% learn, latest 20% scored",
        "train_rows": main["train_rows"],
        "test_rows": main["test_rows"],
        "file_rows": len(rows),
    }
    out = {
        "routing_top1": {
            "value": main["top1"],
            "baseline_majority_top1": main["majority_area_top1"],
            "precision_of_most_confident": main["precision_at_coverage"],
            # Chosen by inner validation on the learning rows (ADR 0017), never on these.
            "smoothing_strength": main["strength"],
            "merged_team_kinds": main["merged_kinds"],
            **common,
        },
        "routing_top3": {"value": main["top3"], **common},
        "routing_majority_top1": {
            "value": main["majority_area_top1"],
            "leaf_only_majority_top1": main["majority_top1"],
            **common,
        },
        "routing_learn_and_score_s": {"value": round(seconds, 3), **common},
    }
    if not quick:
        folds = [history.evaluate(rows, "random", seed=seed) for seed in range(5)]
        for key, field in (
            ("routing_top1", "top1"),
            ("routing_top3", "top3"),
            ("routing_majority_top1", "majority_area_top1"),
        ):
            out[key]["random_80_20_mean_of_5"] = round(sum(f[field] for f in folds) / len(folds), 4)
    return out
