# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Selective auto-dispatch in the benchmark: `auto_triage_ms_per_appeal` — classify, grade,
route and (for the confident ones) register and dispatch one new appeal, as the task does —
beside the model's prediction alone on the same appeals. Needs Django set up on a database seeded with
the demo district (bench/run.py calls `measure()`); everything it writes is rolled back."""

from __future__ import annotations

import time
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "jiesu/dispatch/tests/fixtures/appeals_small.csv"


def measure(n: int = 100) -> dict:
    from django.db import transaction

    from jiesu.appeals import workflow
    from jiesu.catalog.models import Category
    from jiesu.dispatch import auto, classifier, registry, textmodel
    from jiesu.dispatch.models import CategoryPolicy, ModelVersion, Triage
    from jiesu.org.models import User

    texts, labels = classifier.read_csv(str(FIXTURE), ["title", "text"], "category_l1")
    with transaction.atomic():
        leaves = list(
            Category.objects.filter(level=Category.Level.LEAF, rule__isnull=False).order_by("code")[
                :3
            ]
        )
        mapping = dict(zip(sorted(set(labels)), [c.code for c in leaves], strict=True))
        model = textmodel.TextClassifier.train(texts, [mapping[label] for label in labels])
        registry.register(ModelVersion.Kind.CATEGORY, model.dumps(), meta=model.meta, activate=True)
        for leaf in leaves:  # about half the appeals pass
            CategoryPolicy.objects.create(category=leaf, threshold=0.6)
        operator = User.objects.get(username="intake")
        appeals = [
            workflow.receive(
                channel="hotline",
                title=texts[i % len(texts)].split("\n")[0][:100],
                description=texts[i % len(texts)],
                address="坪山街道",
                reporter_phone="13800001234",
                actor=operator,
            )
            for i in range(n)
        ]
        start = time.perf_counter()
        for a in appeals:
            model.predict([textmodel.join_text(a.title, a.description)], k=3)
        alone = time.perf_counter() - start
        start = time.perf_counter()
        for a in appeals:
            auto.triage(a.pk)
        elapsed = time.perf_counter() - start
        outcomes = {
            o: Triage.objects.filter(outcome=o, appeal__in=appeals).count()
            for o in Triage.Outcome.values
        }
        transaction.set_rollback(True)
    return {
        "value": round(elapsed / n * 1000, 2),
        "baseline_model_predict_ms": round(alone / n * 1000, 2),
        "appeals": n,
        "outcomes": outcomes,
    }
