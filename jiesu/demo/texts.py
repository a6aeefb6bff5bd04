# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The demo's real appeal texts (jiesu/demo/data/text_category_map.csv, made by
`python -m jiesu.demo.build_texts`; see jiesu/demo/data/PROVENANCE.md) and the category
classifier the demo trains on them during `manage.py bootstrap --demo`."""

from __future__ import annotations

import csv
from pathlib import Path

TEXTS = Path(__file__).resolve().parent / "data" / "text_category_map.csv"


def read_texts(path: Path = TEXTS, exclude=frozenset()) -> tuple[list[str], list[str]]:
    """The texts (title and text joined as at intake) and their leaf category codes, leaving out
    those whose title is in `exclude`."""
    from jiesu.dispatch.textmodel import join_text

    texts, labels = [], []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["title"] in exclude:
                continue
            texts.append(join_text(row["title"], row["text"]))
            labels.append(row["category_code"])
    return texts, labels


def train_demo_classifier(exclude=frozenset()):
    """Train the leaf-category classifier on the demo texts and register it as the active model
    version (`bootstrap` then sets the demo's auto-dispatch thresholds from its table).

    `exclude`: titles of texts not to learn from — `bootstrap` leaves out the texts of the
    appeals still open (intake normalises their text, their title stays as it was), so the
    model meets them as it would meet new appeals: unseen."""
    from jiesu.dispatch import classifier, registry
    from jiesu.dispatch.models import ModelVersion

    texts, labels = read_texts(exclude=exclude)
    model = classifier.train(texts, labels, source="demo texts")
    version = registry.register(
        ModelVersion.Kind.CATEGORY,
        model.dumps(),
        meta=model.meta,
        source=f"demo: {TEXTS.name}",
        activate=True,
    )
    return version
