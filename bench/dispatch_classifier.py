# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The category classifier on the shared Chinese data (issue 10): cross-validated macro-F1 and
precision of the 70% most confident predictions, milliseconds per appeal, training seconds.

`measure(quick)` is called by bench/run.py (Django set up). Data: the shared
teddy2020/appeals_labeled.csv ($JIESU_TEDDY_APPEALS overrides the path); without it the keys
are absent and `classifier_skipped` says why.

- `classifier_macro_f1_cv`, `classifier_precision_at_70`: k-fold cross-validation with
  near-duplicate messages grouped in one fold (the honest figure for messages never seen; see
  textmodel.evaluate), 5 folds; `random_split` beside it is the plain random split most papers
  report. Quick mode: 3 grouped folds, no random split (the JSON says so).
- `classifier_ms_per_appeal`: one appeal at a time, as at intake, on one core (BLAS and OpenMP
  limited to one thread), the mean CPU time of the process per appeal over the timed appeals
  (every k-th row of the file, so long and short texts in their real mix), after the model is
  loaded: what one core spends, whatever else the machine runs. Beside it the wall-clock mean,
  median and 95th percentile (these grow when other processes share the cores) and the CPU time
  of the feature extraction alone.
- `classifier_train_s`: training on every row (calibration folds included), CPU seconds of the
  process (training is single-threaded, so on an idle machine the wall time is the same; the
  wall time is beside it).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from statistics import mean, median

DEFAULT = "/work/shared/data/teddy2020/appeals_labeled.csv"


def measure(quick: bool) -> dict:
    from threadpoolctl import threadpool_limits

    from jiesu.dispatch import textmodel
    from jiesu.dispatch.classifier import read_csv

    path = os.environ.get("JIESU_TEDDY_APPEALS", DEFAULT)
    if not Path(path).exists():
        return {"classifier_skipped": f"{path} not found"}
    texts, labels = read_csv(path, ["title", "text"], "category_l1")
    folds = 3 if quick else 5
    out: dict = {}
    with threadpool_limits(1):
        grouped = textmodel.evaluate(texts, labels, folds=folds, grouped=True)
        plain = None if quick else textmodel.evaluate(texts, labels, folds=folds, grouped=False)
        started, started_cpu = time.perf_counter(), time.process_time()
        model = textmodel.TextClassifier.train(texts, labels)
        train_s = time.perf_counter() - started
        train_cpu_s = time.process_time() - started_cpu
        data = model.dumps()
        model = textmodel.TextClassifier.loads(data)
        sample = texts[:: max(1, len(texts) // (300 if quick else 1000))]
        model.predict(sample[:5])  # warm up
        per_appeal, cpu, transform = [], [], []
        for text in sample:
            start, start_cpu = time.perf_counter(), time.process_time()
            model.predict([text], k=3)
            per_appeal.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            start = time.process_time()
            model.transform([text])
            transform.append(time.process_time() - start)
    common = {"folds": folds, "split": "grouped near-duplicates", "rows": len(texts)}
    if quick:
        common["note"] = "quick mode: 3 grouped folds, no random split"
    out["classifier_macro_f1_cv"] = {
        "value": grouped["macro_f1"],
        "random_split": plain["macro_f1"] if plain else None,
        "accuracy": grouped["accuracy"],
        "published_tfidf_svm": "0.90-0.91",
        **common,
    }
    out["classifier_precision_at_70"] = {
        "value": grouped["precision_at_coverage"]["70"]["precision"],
        "random_split": plain["precision_at_coverage"]["70"]["precision"] if plain else None,
        "min_confidence": grouped["precision_at_coverage"]["70"]["min_confidence"],
        **common,
    }
    out["classifier_ms_per_appeal"] = {
        "value": round(mean(cpu) * 1000, 3),
        "wall_mean": round(mean(per_appeal) * 1000, 3),
        "wall_median": round(median(per_appeal) * 1000, 3),
        "wall_p95": round(sorted(per_appeal)[int(len(per_appeal) * 0.95)] * 1000, 3),
        "features_only_cpu_ms": round(mean(transform) * 1000, 3),
        "appeals_timed": len(sample),
        "threads": 1,
    }
    out["classifier_train_s"] = {
        "value": round(train_cpu_s, 1),
        "wall_s": round(train_s, 1),
        "rows": len(texts),
        "model_bytes": len(data),
        "algorithm": model.meta["algorithm"],
    }
    return out
