# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The text classifier: appeal text -> label (a category, or any other column), with
calibrated confidences.

Character n-grams (1-3) weighted by TF-IDF with sublinear term frequency feed a linear SVM
(classes weighted inversely to their frequency); a single temperature fitted on out-of-fold
decision values turns its scores into probabilities (softmax(score / T)). A second view, word
n-grams (1-2) of the jieba segmentation beside the characters (`features="char+words"`), is
available; it measured no better on the shared data and costs a millisecond per appeal, so
characters alone are the default. ADR 0019 gives the measured choice and the variants tried.
Pure Python and scikit-learn: no Django, no files; `dumps` and
`loads` give the bytes a model version stores (see `jiesu.dispatch.registry`).

- `TextClassifier.train(texts, labels)` fits a model; its `meta` records the parameters, the
  labels, the training data digest and the out-of-fold figures measured while calibrating
  (macro-F1, and per label the precision of the predictions above each confidence threshold:
  the table an administrator chooses auto-dispatch thresholds from).
- `predict(texts, k)` gives the k most likely labels with their probabilities per text.
- `evaluate(texts, labels, folds, grouped)` is the k-fold cross-validation of
  `manage.py evaluate_classifier` and of the benchmark.
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
from dataclasses import dataclass, field

import joblib
import numpy as np
from scipy.optimize import minimize_scalar
from scipy.sparse import hstack
from scipy.special import log_softmax, softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.svm import LinearSVC

from jiesu.dispatch import signatures

FORMAT = 2
KNOWN_FORMATS = (1, 2)
THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
COVERAGES = (0.5, 0.7, 0.9)
# An upper bound on the weights a model keeps (classes x features), so a leaf-level model with
# hundreds of categories stays a few tens of megabytes: fewer features per class then.
MAX_WEIGHTS = 6_000_000
MAX_FEATURES = 300_000
MIN_PER_LABEL = 2
CALIBRATION_FOLDS = 3


class TrainingError(ValueError):
    """The data cannot train a model (too few texts or labels); the message says why."""


def join_text(title: str, text: str) -> str:
    return f"{(title or '').strip()}\n{(text or '').strip()}".strip()


def data_digest(texts: list[str], labels: list[str]) -> str:
    """SHA-256 over the training pairs in order: the same data gives the same digest."""
    h = hashlib.sha256()
    for text, label in zip(texts, labels, strict=True):
        h.update(label.encode("utf-8") + b"\x1f" + text.encode("utf-8") + b"\x1e")
    return h.hexdigest()


_jieba_lock = threading.Lock()
_jieba_ready = False


def segment(text: str) -> str:
    """The jieba segmentation of a text as space-separated words (white space dropped)."""
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(60)
                jieba.initialize()
                _jieba_ready = True
    return " ".join(w for w in jieba.lcut(text or "") if w.strip())


FEATURES = {
    "char": ("char",),
    "char+words": ("char", "words"),
}
DEFAULT_FEATURES = "char"
ALGORITHMS = {
    "char": "tfidf-char-1-3+linear-svm-balanced+temperature",
    "char+words": "tfidf-char-1-3+jieba-words-1-2+linear-svm-balanced+temperature",
}


def _vectorizers(n_labels: int, features: str) -> list[tuple[str, TfidfVectorizer]]:
    """Character 1-3-grams of the text and/or word 1-2-grams of its segmentation; the views
    share the feature budget."""
    if features not in FEATURES:
        raise TrainingError(f"Unknown features {features!r}: one of {', '.join(FEATURES)}.")
    names = FEATURES[features]
    budget = int(min(MAX_FEATURES, max(20_000, MAX_WEIGHTS // max(n_labels, 1)))) // len(names)
    common = {"sublinear_tf": True, "min_df": 2, "max_features": budget, "dtype": np.float32}
    made = {
        "char": lambda: TfidfVectorizer(analyzer="char", ngram_range=(1, 3), **common),
        "words": lambda: TfidfVectorizer(
            tokenizer=str.split, token_pattern=None, lowercase=False, ngram_range=(1, 2), **common
        ),
    }
    return [(name, made[name]()) for name in names]


def _views(texts: list[str], names, segmented: list[str] | None = None) -> dict[str, list[str]]:
    out = {}
    for name in names:
        if name == "char":
            out[name] = texts
        elif name == "words":
            out[name] = segmented if segmented is not None else [segment(t) for t in texts]
    return out


def _svm() -> LinearSVC:
    """Classes weighted inversely to their frequency: macro-F1 and the per-category thresholds
    count every category alike, so a rare category's errors must cost as much as a common one's
    (ADR 0019)."""
    return LinearSVC(C=1.0, class_weight="balanced")


def _scores(svm: LinearSVC, X) -> np.ndarray:
    d = svm.decision_function(X)
    if d.ndim == 1:  # two classes: sklearn gives one column for the second
        d = np.column_stack([-d / 2, d / 2])
    return d


def _fit_temperature(scores: np.ndarray, y_index: np.ndarray) -> float:
    def nll(log_t):
        return -log_softmax(scores / np.exp(log_t), axis=1)[np.arange(len(y_index)), y_index].mean()

    found = minimize_scalar(nll, bounds=(np.log(0.01), np.log(10.0)), method="bounded")
    return float(np.exp(found.x))


def _folds(labels: np.ndarray, groups, n: int, seed: int = 0):
    smallest = np.bincount(np.unique(labels, return_inverse=True)[1]).min()
    n = max(2, min(n, int(smallest)))
    if groups is not None:
        return list(
            StratifiedGroupKFold(n, shuffle=True, random_state=seed).split(labels, labels, groups)
        )
    return list(StratifiedKFold(n, shuffle=True, random_state=seed).split(labels, labels))


def threshold_table(labels, predicted, confidence, classes) -> dict:
    """Per predicted label and overall: for each threshold, how many predictions reach it and
    how many of those are right (out-of-fold, so an honest estimate for new appeals)."""
    labels, predicted, confidence = map(np.asarray, (labels, predicted, confidence))
    correct = labels == predicted
    table = {}
    for name in ["*", *classes]:
        mask = np.ones(len(labels), bool) if name == "*" else predicted == name
        rows = []
        for t in THRESHOLDS:
            sel = mask & (confidence >= t)
            n = int(sel.sum())
            rows.append(
                {
                    "threshold": t,
                    "predictions": n,
                    "coverage": round(n / max(int(mask.sum()), 1), 4),
                    "precision": round(float(correct[sel].mean()), 4) if n else None,
                }
            )
        table[name] = rows
    return table


def reliability(labels, predicted, confidence, bins: int = 10) -> list[dict]:
    labels, predicted, confidence = map(np.asarray, (labels, predicted, confidence))
    correct = labels == predicted
    index = np.minimum((confidence * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        sel = index == b
        n = int(sel.sum())
        rows.append(
            {
                "from": round(b / bins, 2),
                "to": round((b + 1) / bins, 2),
                "predictions": n,
                "mean_confidence": round(float(confidence[sel].mean()), 4) if n else None,
                "accuracy": round(float(correct[sel].mean()), 4) if n else None,
            }
        )
    return rows


def precision_at_coverage(labels, predicted, confidence) -> dict:
    """Precision of the 50/70/90% most confident predictions."""
    labels, predicted, confidence = map(np.asarray, (labels, predicted, confidence))
    order = np.argsort(-confidence, kind="stable")
    correct = (labels == predicted)[order]
    out = {}
    for q in COVERAGES:
        k = max(1, int(round(len(order) * q)))
        out[f"{int(q * 100)}"] = {
            "precision": round(float(correct[:k].mean()), 4),
            "min_confidence": round(float(confidence[order][k - 1]), 4),
        }
    return out


def summary(labels, predicted, confidence, classes) -> dict:
    labels = np.asarray(labels)
    predicted = np.asarray(predicted)
    per_class = f1_score(labels, predicted, labels=classes, average=None, zero_division=0)
    ece = sum(
        (r["predictions"] / len(labels)) * abs(r["accuracy"] - r["mean_confidence"])
        for r in reliability(labels, predicted, confidence)
        if r["predictions"]
    )
    return {
        "n": int(len(labels)),
        "accuracy": round(float(accuracy_score(labels, predicted)), 4),
        "macro_f1": round(float(f1_score(labels, predicted, average="macro", zero_division=0)), 4),
        "per_class_f1": {c: round(float(f), 4) for c, f in zip(classes, per_class, strict=True)},
        "expected_calibration_error": round(float(ece), 4),
        "precision_at_coverage": precision_at_coverage(labels, predicted, confidence),
        "confusion": {
            "labels": list(classes),
            "matrix": confusion_matrix(labels, predicted, labels=classes).tolist(),
        },
        "reliability": reliability(labels, predicted, confidence),
    }


@dataclass
class TextClassifier:
    vectorizers: list  # [(view name, fitted TfidfVectorizer)]
    svm: LinearSVC
    temperature: float
    classes: list[str]
    meta: dict = field(default_factory=dict)

    # -- training ---------------------------------------------------------------------------

    @classmethod
    def train(
        cls,
        texts: list[str],
        labels: list[str],
        *,
        calibrate_folds: int = CALIBRATION_FOLDS,
        group_duplicates: bool = True,
        meta: dict | None = None,
        features: str = DEFAULT_FEATURES,
        segmented: list[str] | None = None,
    ) -> TextClassifier:
        """`features`: a key of FEATURES. `segmented`: the texts' `segment()` when the caller
        has it already (cross-validation segments each text once)."""
        started = time.perf_counter()
        texts = [t or "" for t in texts]
        labels = [str(label) for label in labels]
        counts: dict[str, int] = {}
        for label in labels:
            counts[label] = counts.get(label, 0) + 1
        kept = [i for i, label in enumerate(labels) if counts[label] >= MIN_PER_LABEL]
        if len({labels[i] for i in kept}) < 2:
            raise TrainingError(
                f"Training needs at least two labels with {MIN_PER_LABEL} texts or more each."
            )
        texts = [texts[i] for i in kept]
        labels = [labels[i] for i in kept]
        if segmented is not None:
            segmented = [segmented[i] for i in kept]
        y_all = np.asarray(labels)
        classes, y = np.unique(y_all, return_inverse=True)
        vectorizers = _vectorizers(len(classes), features)
        views = _views(texts, [name for name, _v in vectorizers], segmented)
        X = hstack([v.fit_transform(views[name]) for name, v in vectorizers]).tocsr()
        groups = signatures.near_duplicate_groups(texts) if group_duplicates else None
        oof = np.zeros((len(labels), len(classes)), dtype=np.float64)
        for train_idx, test_idx in _folds(y, groups, calibrate_folds):
            svm = _svm().fit(X[train_idx], y[train_idx])
            part = np.full((len(test_idx), len(classes)), -10.0)
            part[:, svm.classes_] = _scores(svm, X[test_idx])
            oof[test_idx] = part
        temperature = _fit_temperature(oof, y)
        svm = _svm().fit(X, y)
        svm.coef_ = svm.coef_.astype(np.float32)
        probabilities = softmax(oof / temperature, axis=1)
        predicted = classes[probabilities.argmax(axis=1)]
        confidence = probabilities.max(axis=1)
        out_of_fold = summary(y_all, predicted, confidence, list(classes))
        out_of_fold["folds"] = calibrate_folds
        out_of_fold["thresholds"] = threshold_table(y_all, predicted, confidence, list(classes))
        info = {
            "format": FORMAT,
            "algorithm": ALGORITHMS[features],
            "feature_views": features,
            "features": X.shape[1],
            "temperature": round(temperature, 5),
            "rows": len(labels),
            "dropped_rare_rows": len(counts)
            and sum(c for c in counts.values() if c < MIN_PER_LABEL),
            "label_counts": {c: counts[c] for c in classes},
            "data_digest": data_digest(texts, labels),
            "out_of_fold": out_of_fold,
            "train_seconds": round(time.perf_counter() - started, 2),
        }
        info.update(meta or {})
        return cls(vectorizers, svm, temperature, [str(c) for c in classes], info)

    # -- use --------------------------------------------------------------------------------

    def transform(self, texts: list[str]):
        """The feature matrix of texts (one row per text)."""
        texts = [t or "" for t in texts]
        views = _views(texts, [name for name, _v in self.vectorizers])
        return hstack([v.transform(views[name]) for name, v in self.vectorizers]).tocsr()

    def probabilities(self, texts: list[str]) -> np.ndarray:
        X = self.transform(texts)
        scores = np.full((len(texts), len(self.classes)), -10.0)
        scores[:, self.svm.classes_] = _scores(self.svm, X)
        return softmax(scores / self.temperature, axis=1)

    def predict(self, texts: list[str], k: int = 3) -> list[list[tuple[str, float]]]:
        """Per text, the k most likely labels with their probabilities, most likely first."""
        P = self.probabilities(texts)
        order = np.argsort(-P, axis=1)[:, :k]
        return [[(self.classes[j], float(P[i, j])) for j in order[i]] for i in range(len(texts))]

    # -- storage ----------------------------------------------------------------------------

    def dumps(self) -> bytes:
        buffer = io.BytesIO()
        joblib.dump(
            {
                "format": FORMAT,
                "vectorizers": self.vectorizers,
                "svm": self.svm,
                "temperature": self.temperature,
                "classes": self.classes,
                "meta": self.meta,
            },
            buffer,
            compress=3,
        )
        return buffer.getvalue()

    @classmethod
    def loads(cls, data: bytes) -> TextClassifier:
        """Only for bytes this code wrote (the registry checks their SHA-256 first): joblib
        unpickles, so a file from elsewhere must never reach here."""
        obj = joblib.load(io.BytesIO(data))
        if not isinstance(obj, dict) or obj.get("format") not in KNOWN_FORMATS:
            raise TrainingError("Not a Jiesu classifier file of a known format.")
        # Format 1 had one character n-gram vectorizer.
        vectorizers = obj.get("vectorizers") or [("char", obj["vectorizer"])]
        return cls(vectorizers, obj["svm"], obj["temperature"], obj["classes"], obj["meta"])


def evaluate(
    texts: list[str],
    labels: list[str],
    *,
    folds: int = 5,
    grouped: bool = True,
    seed: int = 0,
    features: str = DEFAULT_FEATURES,
) -> dict:
    """k-fold cross-validation of the whole training (calibration included) per fold. With
    `grouped`, near-copies of a message (MinHash, estimated Jaccard >= 0.5) stay in one fold, the
    honest figure for messages never seen; without it, the plain random split most papers use."""
    labels = [str(label) for label in labels]
    y = np.asarray(labels)
    classes = sorted(set(labels))
    groups = signatures.near_duplicate_groups(texts) if grouped else None
    segmented = [segment(t) for t in texts] if "words" in FEATURES[features] else None
    predicted = np.empty(len(labels), dtype=object)
    confidence = np.zeros(len(labels))
    fold_f1 = []
    started = time.perf_counter()
    for train_idx, test_idx in _folds(y, groups, folds, seed):
        model = TextClassifier.train(
            [texts[i] for i in train_idx],
            [labels[i] for i in train_idx],
            features=features,
            segmented=[segmented[i] for i in train_idx] if segmented else None,
        )
        top = model.predict([texts[i] for i in test_idx], k=1)
        predicted[test_idx] = [t[0][0] for t in top]
        confidence[test_idx] = [t[0][1] for t in top]
        fold_f1.append(
            float(f1_score(y[test_idx], predicted[test_idx].astype(str), average="macro"))
        )
    predicted = predicted.astype(str)
    result = summary(y, predicted, confidence, classes)
    result.update(
        {
            "folds": folds,
            "split": "grouped" if grouped else "random",
            "features": features,
            "fold_macro_f1": [round(f, 4) for f in fold_f1],
            "thresholds": threshold_table(y, predicted, confidence, classes),
            "seconds": round(time.perf_counter() - started, 1),
        }
    )
    return result
