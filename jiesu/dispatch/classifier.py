# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The classifier in the platform: training data from CSV files or from the platform's own
closed appeals, and classification of appeals with the active model.

Labels of a model trained on the database are category codes (of the leaf level, or of the
level asked for); a model's labels resolve to categories by code, then by name, so a model
trained on a CSV of category names works as well. The probability of a middle or major category
is the sum over the leaves below it, so one leaf model answers at every level.
"""

from __future__ import annotations

import csv
from collections import defaultdict

from django.db.models import Q
from django.utils.translation import gettext as _

from jiesu.appeals.models import Appeal
from jiesu.appeals.states import Status
from jiesu.catalog.models import Category
from jiesu.dispatch import registry
from jiesu.dispatch.models import ModelVersion
from jiesu.dispatch.textmodel import DEFAULT_FEATURES, TextClassifier, TrainingError, join_text

# Closed appeals teach the classifier; so do appeals answered directly (a consultation whose
# category the desk confirmed).
TRAINING_STATES = (Status.CLOSED, Status.ANSWERED)


class DataError(ValueError):
    """A training or input file cannot be used; the message says why."""


def read_csv(path: str, text_columns: list[str], label_column: str | None = None):
    """Texts (the text columns joined by a line break) and labels from a UTF-8 CSV file."""
    try:
        fh = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise DataError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc}
        ) from None
    try:
        with fh:
            reader = csv.DictReader(fh)
            columns = reader.fieldnames or []
            wanted = [*text_columns, *([label_column] if label_column else [])]
            missing = [c for c in wanted if c not in columns]
            if missing:
                raise DataError(
                    _("%(path)s has no column %(missing)s (it has: %(columns)s).")
                    % {"path": path, "missing": ", ".join(missing), "columns": ", ".join(columns)}
                )
            texts, labels = [], []
            for row in reader:
                texts.append("\n".join((row.get(c) or "").strip() for c in text_columns).strip())
                if label_column:
                    labels.append((row.get(label_column) or "").strip())
    except UnicodeDecodeError:
        raise DataError(_("%(path)s is not UTF-8 text.") % {"path": path}) from None
    except csv.Error as exc:
        raise DataError(
            _("%(path)s is not a readable CSV file: %(error)s") % {"path": path, "error": exc}
        ) from None
    if label_column:
        keep = [i for i, (t, label) in enumerate(zip(texts, labels, strict=True)) if t and label]
        texts = [texts[i] for i in keep]
        labels = [labels[i] for i in keep]
    return texts, labels


def _ancestor_code(category: Category, level: int) -> str:
    node = category
    while node is not None and node.level > level:
        node = node.parent
    return node.code if node is not None else category.code


def training_data_from_db(level: int = Category.Level.LEAF):
    """Texts and category codes (at `level`) of the platform's closed appeals."""
    parents = {c.pk: c for c in Category.objects.all()}
    for c in parents.values():
        c.parent = parents.get(c.parent_id)
    texts, labels = [], []
    rows = (
        Appeal.objects.filter(status__in=TRAINING_STATES, category__isnull=False)
        .values_list("title", "description", "category_id")
        .order_by("id")
        .iterator(chunk_size=2000)
    )
    for title, description, category_id in rows:
        texts.append(join_text(title, description))
        labels.append(_ancestor_code(parents[category_id], level))
    return texts, labels


def type_training_data_from_db():
    texts, labels = [], []
    rows = (
        Appeal.objects.filter(status__in=TRAINING_STATES, appeal_type__isnull=False)
        .values_list("title", "description", "appeal_type__code")
        .order_by("id")
        .iterator(chunk_size=2000)
    )
    for title, description, code in rows:
        texts.append(join_text(title, description))
        labels.append(code)
    return texts, labels


def train(
    texts,
    labels,
    *,
    source: str,
    kind=ModelVersion.Kind.CATEGORY,
    extra_meta=None,
    features: str = DEFAULT_FEATURES,
):
    if len(texts) < 10:
        raise TrainingError(_("Too few labelled texts to train on (%(n)d).") % {"n": len(texts)})
    return TextClassifier.train(
        texts, labels, features=features, meta={"source": source, **(extra_meta or {})}
    )


def train_from_db(*, activate: bool = True, user=None) -> list[ModelVersion]:
    """Train the category (leaf) and type models on the closed appeals and register them."""
    made = []
    for kind, data in (
        (ModelVersion.Kind.CATEGORY, training_data_from_db()),
        (ModelVersion.Kind.TYPE, type_training_data_from_db()),
    ):
        texts, labels = data
        if len(set(labels)) < 2 or len(texts) < 10:
            continue
        model = train(texts, labels, source="database", kind=kind)
        made.append(
            registry.register(
                kind,
                model.dumps(),
                meta=model.meta,
                source="database",
                user=user,
                activate=activate,
            )
        )
    return made


# -- classification ------------------------------------------------------------------------


class Resolver:
    """Labels -> active categories (by code, else by a unique name), read in one query: of the
    given labels only when `labels` is given, of the leaves only with `leaves_only`."""

    def __init__(self, labels=None, *, leaves_only: bool = False):
        self.by_code = {}
        self.by_name = defaultdict(list)
        rows = Category.objects.filter(active=True)
        if leaves_only:
            rows = rows.filter(level=Category.Level.LEAF)
        if labels is not None:
            labels = list(labels)
            rows = rows.filter(Q(code__in=labels) | Q(name__in=labels))
        for c in rows.select_related("parent__parent"):
            self.by_code[c.code] = c
            self.by_name[c.name].append(c)

    def category(self, label: str) -> Category | None:
        if label in self.by_code:
            return self.by_code[label]
        found = self.by_name.get(label) or []
        return found[0] if len(found) == 1 else None


def _lift(category: Category, level: int) -> Category:
    node = category
    while node.level > level and node.parent is not None:
        node = node.parent
    return node


def classify_texts(model: TextClassifier, texts: list[str], k: int = 3):
    return model.predict(texts, k=k)


def category_suggestions(appeal, k: int = 3) -> dict | None:
    """The active model's view of the appeal: the top leaf categories and, per level above,
    the summed probabilities; None when no model is active."""
    version_id, model = registry.load(ModelVersion.Kind.CATEGORY)
    if model is None:
        return None
    probs = model.probabilities([join_text(appeal.title, appeal.description)])[0]
    resolver = Resolver(model.classes)
    leaves = []
    levels: dict[int, dict[int, float]] = {1: defaultdict(float), 2: defaultdict(float)}
    labels = []
    for label, p in sorted(zip(model.classes, probs, strict=True), key=lambda x: -x[1]):
        category = resolver.category(label)
        labels.append((label, float(p), category))
        if category is None:
            continue
        if category.is_leaf:
            leaves.append((category, float(p)))
        for level in (1, 2):
            if category.level >= level:
                levels[level][_lift(category, level).pk] += float(p)
    return {
        "model": version_id,
        "labels": [(label, p) for label, p, _c in labels[:k]],
        "leaves": leaves[:k],
        "levels": {lvl: dict(v) for lvl, v in levels.items()},
        "top_label": labels[0] if labels else None,
    }


def type_suggestion(appeal):
    version_id, model = registry.load(ModelVersion.Kind.TYPE)
    if model is None:
        return None
    label, p = model.predict([join_text(appeal.title, appeal.description)], k=1)[0][0]
    return {"model": version_id, "code": label, "confidence": p}
