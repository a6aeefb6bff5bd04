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

The default (`features="stack"`, ADR 0023): three members, each a different view or model
family, and a small model on top that learns from their out-of-fold scores how to combine them:

- a linear SVM (classes weighted inversely to their frequency) on character 1-3-grams weighted
  by TF-IDF with sublinear term frequency;
- Complement Naive Bayes on the same character features;
- Complement Naive Bayes on word 1-2-grams of the jieba segmentation (TF-IDF likewise);
- on top, a combiner fitted on the members' out-of-fold scores (SVM decision values and the two
  log-probabilities, inner folds with near-copies grouped), which gives calibrated probabilities
  directly: a multinomial logistic regression (C = 1) over every member's every label score, or,
  with few texts per parameter (many labels), a pooled one (a weight per member, a bias per
  label); inner validation (out-of-fold log-loss) picks between those the data can support.

The earlier models stay available and load as before: `features="char"` (the SVM alone, its
scores turned into probabilities by one temperature fitted on out-of-fold decision values:
softmax(score / T)) and `features="char+words"` (the same SVM on characters and words side by
side). ADR 0019 and ADR 0023 give the measured choices and the variants tried.
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
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain, pairwise, repeat
from math import log
from operator import add

import joblib
import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.sparse import csr_matrix, hstack
from scipy.special import log_softmax, softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC
from sklearn.utils.extmath import softmax as sklearn_softmax
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

from jiesu.dispatch import signatures

FORMAT = 3
KNOWN_FORMATS = (1, 2, 3)
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


def _jieba():
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        with _jieba_lock:
            if not _jieba_ready:
                jieba.setLogLevel(60)
                jieba.initialize()
                _jieba_ready = True
    return jieba


def segment(text: str, fast: bool = True) -> str:
    """The jieba segmentation of a text as space-separated words (white space dropped);
    `fast=False` asks `jieba.lcut` itself (the same words)."""
    words = jieba_cut(text or "") if fast else _jieba().lcut(text or "")
    return " ".join(w for w in words if w.strip())


def jieba_cut(text: str) -> list[str]:
    """`jieba.lcut(text)` (accurate mode, HMM for unknown words, the default tokenizer with its
    dictionary as it is now), computed in one pass per block: jieba's `get_DAG` and `calc` fused
    (the same candidate words, the same float sums in the same order, ties to the longer word as
    `max` over (score, end) gives), then its `__cut_DAG` and `finalseg.cut` for the unknown
    runs. About a third less time; the tests compare it with `jieba.lcut`."""
    jieba = _jieba()
    from jieba import finalseg

    dt = jieba.dt
    dt.check_initialized()
    re_han, re_skip = jieba.re_han_default, jieba.re_skip_default
    freq = dt.FREQ
    get = freq.get
    logtotal = log(dt.total)
    words: list[str] = []
    for blk in re_han.split(text):
        if not blk:
            continue
        if not re_han.match(blk):
            for x in re_skip.split(blk):
                if re_skip.match(x):
                    words.append(x)
                else:
                    words.extend(x)
            continue
        n = len(blk)
        score: list[float] = [0] * (n + 1)
        end = [0] * (n + 1)
        for k in range(n - 1, -1, -1):
            best = None
            i, frag = k, blk[k]
            while i < n:
                f = get(frag)
                if f is None:
                    break
                if f:
                    s = log(f) - logtotal + score[i + 1]
                    if best is None or s >= best:
                        best, end[k] = s, i
                i += 1
                frag = blk[k : i + 1]
            if best is None:
                best, end[k] = log(get(blk[k]) or 1) - logtotal + score[k + 1], k
            score[k] = best
        x, buf = 0, ""
        while x < n:
            y = end[x] + 1
            if y - x == 1:
                buf += blk[x]
            else:
                _flush_singles(buf, words, get, finalseg)
                buf = ""
                words.append(blk[x:y])
            x = y
        _flush_singles(buf, words, get, finalseg)
    return words


def _flush_singles(buf: str, words: list[str], get, finalseg) -> None:
    """A run of single characters, as jieba's `__cut_DAG` emits it: one character as is, a run
    unknown to the dictionary through the HMM, a known run character by character."""
    if not buf:
        return
    if len(buf) == 1:
        words.append(buf)
    elif not get(buf):
        words.extend(finalseg.cut(buf))
    else:
        words.extend(buf)


# Per kind of model: the views it extracts, those the SVM reads (side by side), those a
# Complement Naive Bayes member reads each (a stacked model when there are any).
FEATURES = {
    "char": ("char",),
    "char+words": ("char", "words"),
    "stack": ("char", "words"),
}
SVM_VIEWS = {"char": ("char",), "char+words": ("char", "words"), "stack": ("char",)}
NB_VIEWS: dict[str, tuple[str, ...]] = {"char": (), "char+words": (), "stack": ("char", "words")}
DEFAULT_FEATURES = "stack"
ALGORITHMS = {
    "char": "tfidf-char-1-3+linear-svm-balanced+temperature",
    "char+words": "tfidf-char-1-3+jieba-words-1-2+linear-svm-balanced+temperature",
    "stack": "stack(linear-svm-balanced[char-1-3],complement-nb[char-1-3],"
    "complement-nb[jieba-words-1-2])",
}
COMBINER_NAMES = {"logistic": "logistic-regression", "pool": "pooled-log-linear"}
NB_ALPHA = 0.3
STACK_C = 1.0
POOL_L2 = 1e-3
ROWS_PER_PARAMETER = 10
# Floor of a member's log-probability (a label its training part did not have).
LOG_FLOOR = -30.0


def _vectorizers(n_labels: int, features: str) -> list[tuple[str, TfidfVectorizer]]:
    """Character 1-3-grams of the text and/or word 1-2-grams of its segmentation; the views
    share the feature budget."""
    if features not in FEATURES:
        raise TrainingError(f"Unknown features {features!r}: one of {', '.join(FEATURES)}.")
    names = FEATURES[features]
    # The views the SVM reads side by side share its budget; a view a member reads alone has it whole.
    budget = int(min(MAX_FEATURES, max(20_000, MAX_WEIGHTS // max(n_labels, 1)))) // len(
        SVM_VIEWS[features]
    )
    common = {"sublinear_tf": True, "min_df": 2, "max_features": budget, "dtype": np.float32}
    made = {
        "char": lambda: TfidfVectorizer(analyzer="char", ngram_range=(1, 3), **common),
        "words": lambda: TfidfVectorizer(
            tokenizer=str.split, token_pattern=None, lowercase=False, ngram_range=(1, 2), **common
        ),
    }
    return [(name, made[name]()) for name in names]


def _views(
    texts: list[str], names, segmented: list[str] | None = None, fast: bool = True
) -> dict[str, list[str]]:
    out = {}
    for name in names:
        if name == "char":
            out[name] = texts
        elif name == "words":
            out[name] = segmented if segmented is not None else [segment(t, fast) for t in texts]
    return out


class _FastTfidf:
    """`TfidfVectorizer.transform` of one fitted view, without scikit-learn's checks at every
    call (they cost more than the arithmetic on one text). The same steps, order and dtypes:
    the analyzer's n-grams (characters: lowercased, runs of white space made one space,
    1-3-grams; words: `str.split`, 1-2-grams), the counts of those in the vocabulary, columns
    sorted, then log(count) + 1, times the idf, and scikit-learn's own in-place L2 row
    normalisation. `make` gives None for a vectorizer configured otherwise, which then keeps its
    own transform; the tests compare both on every view."""

    def __init__(self, v: TfidfVectorizer):
        self.chars = v.analyzer == "char"
        self.lowercase = bool(v.lowercase)
        self.white_spaces = v._white_spaces
        self.lookup = v.vocabulary_.get
        self.idf = v.idf_
        self.dtype = v.dtype
        self.width = len(v.vocabulary_)

    @classmethod
    def make(cls, v) -> _FastTfidf | None:
        plain = (
            isinstance(v, TfidfVectorizer)
            and hasattr(v, "vocabulary_")
            and hasattr(v, "idf_")
            and hasattr(v, "_white_spaces")
            and v.input == "content"
            and v.preprocessor is None
            and v.strip_accents is None
            and v.stop_words is None
            and not v.binary
            and v.sublinear_tf
            and v.use_idf
            and v.norm == "l2"
        )
        chars = v.analyzer == "char" and tuple(v.ngram_range) == (1, 3)
        words = (
            v.analyzer == "word"
            and v.tokenizer is str.split
            and not v.lowercase
            and tuple(v.ngram_range) == (1, 2)
        )
        return cls(v) if plain and (chars or words) else None

    def _row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        if self.chars:
            if self.lowercase:
                text = text.lower()
            text = self.white_spaces.sub(" ", text)
            pairs = list(map(add, text, text[1:]))
            grams = chain(text, pairs, map(add, pairs, text[2:]))
        else:
            tokens = text.split()
            grams = chain(tokens, map(" ".join, pairwise(tokens)))
        counts = Counter(grams)
        n = len(counts)
        columns = np.fromiter(map(self.lookup, counts, repeat(-1)), dtype=np.int64, count=n)
        values = np.fromiter(counts.values(), dtype=np.int64, count=n)
        known = columns >= 0
        columns, values = columns[known], values[known]
        order = np.argsort(columns)
        return columns[order].astype(np.int32), values[order].astype(self.dtype)

    def transform(self, texts: list[str]) -> csr_matrix:
        rows = [self._row(t) for t in texts]
        indptr = np.zeros(len(rows) + 1, dtype=np.int32)
        np.cumsum([len(c) for c, _v in rows], out=indptr[1:])
        indices = np.concatenate([c for c, _v in rows]) if rows else np.zeros(0, np.int32)
        data = np.concatenate([v for _c, v in rows]) if rows else np.zeros(0, self.dtype)
        # TfidfTransformer.transform: sublinear tf, idf, L2 norm, on the float32 data.
        np.log(data, data)
        data += 1.0
        data *= self.idf[indices]
        X = csr_matrix((data, indices, indptr), shape=(len(rows), self.width))
        inplace_csr_row_normalize_l2(X)
        return X


class _Plan:
    """What prediction needs, read once from a loaded model: the fast transform of each view
    (None: scikit-learn's own), the SVM's weights features x labels and contiguous (a sparse
    row times them reads only its features; `coef_.T` may be copied whole at every call)."""

    def __init__(self, model: TextClassifier):
        self.views = [(name, _FastTfidf.make(v), v) for name, v in model.vectorizers]
        self.svm_weights = np.ascontiguousarray(model.svm.coef_.T)
        self.svm_intercept = model.svm.intercept_


def _fast_scores(svm: LinearSVC, X, plan: _Plan) -> np.ndarray:
    """`_scores` without `decision_function`'s checks: X @ coef_.T + intercept_."""
    d = np.asarray(X @ plan.svm_weights) + plan.svm_intercept
    if d.shape[1] == 1:
        d = d.reshape(-1)
    if d.ndim == 1:
        d = np.column_stack([-d / 2, d / 2])
    return d


def _stack_proba(stacker, Z: np.ndarray) -> np.ndarray:
    """The combiner's probabilities; a multinomial logistic regression without
    `predict_proba`'s checks (Z @ coef_.T + intercept_, then scikit-learn's softmax)."""
    if isinstance(stacker, LogisticRegression) and len(stacker.classes_) > 2:
        return sklearn_softmax(Z @ stacker.coef_.T + stacker.intercept_, copy=False)
    return stacker.predict_proba(Z)


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


class _NaiveBayes:
    """Complement Naive Bayes reduced to what prediction needs: one weight per label and
    feature (float32), so the model file stays small."""

    def __init__(self, X, y: np.ndarray, n_classes: int):
        nb = ComplementNB(alpha=NB_ALPHA).fit(X, y)
        self.classes_ = nb.classes_
        self.n_classes = n_classes
        # Features x labels, contiguous: a sparse row times it reads only the row's features
        # (the transpose of a labels x features array would be copied at every call).
        self.weights = np.ascontiguousarray(nb.feature_log_prob_.T, dtype=np.float32)

    def log_proba(self, X) -> np.ndarray:
        out = np.full((X.shape[0], self.n_classes), LOG_FLOOR)
        if len(self.classes_) == 1:
            out[:, self.classes_] = 0.0
            return out
        jll = np.asarray(X @ self.weights, dtype=np.float64)
        out[:, self.classes_] = np.maximum(log_softmax(jll, axis=1), LOG_FLOOR)
        return out


def _member_scores(
    svm: LinearSVC, nbs: list, matrices: dict, features: str, n_classes: int, plan=None
):
    """The stacked model's input: the SVM's decision values, then each Naive Bayes member's
    log-probabilities, one block of n_classes columns each."""
    svm_part = np.full((next(iter(matrices.values())).shape[0], n_classes), -10.0)
    X = _svm_matrix(matrices, features)
    svm_part[:, svm.classes_] = _scores(svm, X) if plan is None else _fast_scores(svm, X, plan)
    parts = [svm_part]
    for name, nb in zip(NB_VIEWS[features], nbs, strict=True):
        parts.append(nb.log_proba(matrices[name]))
    return np.hstack(parts)


def _svm_matrix(matrices: dict, features: str):
    names = SVM_VIEWS[features]
    if len(names) == 1:
        return matrices[names[0]]
    return hstack([matrices[name] for name in names]).tocsr()


class _Pool:
    """The small combiner: one weight per member and one bias per label,
    softmax(sum_m w_m * scores_m + b), fitted by log-loss (a light L2 on the biases). Its
    M + K parameters suit few texts per label and hundreds of labels, where a logistic
    regression over every member's every label score (K x (M x K + 1) parameters) would
    overfit and train slowly."""

    def __init__(self, n_members: int, n_classes: int):
        self.n_members = n_members
        self.classes_ = np.arange(n_classes)
        self.weights = np.full(n_members, 0.5)
        self.bias = np.zeros(n_classes)

    def _blocks(self, Z: np.ndarray) -> list[np.ndarray]:
        K = len(self.classes_)
        return [Z[:, m * K : (m + 1) * K] for m in range(self.n_members)]

    def fit(self, Z: np.ndarray, y: np.ndarray) -> _Pool:
        blocks, M, rows = self._blocks(Z), self.n_members, np.arange(len(y))

        def loss(w):
            logits = sum(w[m] * blocks[m] for m in range(M)) + w[M:]
            logp = log_softmax(logits, axis=1)
            grad = np.exp(logp)
            grad[rows, y] -= 1
            grad /= len(y)
            value = -logp[rows, y].mean() + POOL_L2 * (w[M:] ** 2).sum()
            g = [(grad * blocks[m]).sum() for m in range(M)]
            return value, np.concatenate([g, grad.sum(axis=0) + 2 * POOL_L2 * w[M:]])

        found = minimize(
            loss, np.concatenate([self.weights, self.bias]), jac=True, method="L-BFGS-B"
        )
        self.weights, self.bias = found.x[:M], found.x[M:]
        return self

    def predict_proba(self, Z: np.ndarray) -> np.ndarray:
        blocks = self._blocks(Z)
        return softmax(sum(w * b for w, b in zip(self.weights, blocks, strict=True)) + self.bias, 1)


def _combiners(n_rows: int, n_members: int, n_classes: int) -> dict:
    """The combiners worth trying: the pooled one always; the logistic regression over every
    member score only with at least ROWS_PER_PARAMETER training rows per parameter."""
    made = {"pool": lambda: _Pool(n_members, n_classes)}
    if n_rows >= ROWS_PER_PARAMETER * n_classes * (n_members * n_classes + 1):
        made["logistic"] = lambda: LogisticRegression(C=STACK_C, max_iter=2000)
    return made


def _out_of_fold(make, Z: np.ndarray, y: np.ndarray, folds, n_classes: int) -> np.ndarray:
    """Each fold's part predicted by a combiner fitted on the other folds' member scores."""
    P = np.zeros((len(y), n_classes))
    for train_idx, test_idx in folds:
        part = make().fit(Z[train_idx], y[train_idx])
        P[np.ix_(test_idx, part.classes_)] = part.predict_proba(Z[test_idx])
    return P


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
    # A stacked model (features "stack"): the Naive Bayes members, one per NB_VIEWS entry, and
    # the logistic regression that combines the members' scores into probabilities.
    nbs: list = field(default_factory=list)
    stacker: LogisticRegression | _Pool | None = None
    # Read from the fields above at the first prediction (not stored).
    _fast: _Plan | None = field(default=None, init=False, repr=False, compare=False)

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
        n_classes = len(classes)
        vectorizers = _vectorizers(n_classes, features)
        views = _views(texts, [name for name, _v in vectorizers], segmented)
        matrices = {name: v.fit_transform(views[name]).tocsr() for name, v in vectorizers}
        X = _svm_matrix(matrices, features)
        stacked = bool(NB_VIEWS[features])
        groups = signatures.near_duplicate_groups(texts) if group_duplicates else None
        folds = _folds(y, groups, calibrate_folds)
        width = n_classes * (1 + len(NB_VIEWS[features]))
        oof = np.zeros((len(labels), width if stacked else n_classes), dtype=np.float64)
        for train_idx, test_idx in folds:
            svm = _svm().fit(X[train_idx], y[train_idx])
            if stacked:
                nbs = [
                    _NaiveBayes(matrices[name][train_idx], y[train_idx], n_classes)
                    for name in NB_VIEWS[features]
                ]
                part = {name: m[test_idx] for name, m in matrices.items()}
                oof[test_idx] = _member_scores(svm, nbs, part, features, n_classes)
            else:
                scores = np.full((len(test_idx), n_classes), -10.0)
                scores[:, svm.classes_] = _scores(svm, X[test_idx])
                oof[test_idx] = scores
        svm = _svm().fit(X, y)
        svm.coef_ = svm.coef_.astype(np.float32)
        nbs, stacker, temperature = [], None, 1.0
        combiner: str | None = None
        tried: dict = {}
        if stacked:
            nbs = [_NaiveBayes(matrices[name], y, n_classes) for name in NB_VIEWS[features]]
            # The combiner is chosen by inner validation: the candidate with the lowest
            # out-of-fold log-loss (each fold predicted by one fitted on the other folds' member
            # scores). Those out-of-fold probabilities also give the figures below.
            rows = np.arange(len(y))
            candidates = _combiners(len(y), 1 + len(NB_VIEWS[features]), n_classes)
            tried = {}
            for name, make in candidates.items():
                P = _out_of_fold(make, oof, y, folds, n_classes)
                tried[name] = (float(-np.log(np.maximum(P[rows, y], 1e-15)).mean()), P)
            combiner = min(tried, key=lambda name: tried[name][0])
            probabilities = tried[combiner][1]
            stacker = candidates[combiner]().fit(oof, y)
        else:
            temperature = _fit_temperature(oof, y)
            probabilities = softmax(oof / temperature, axis=1)
        predicted = classes[probabilities.argmax(axis=1)]
        confidence = probabilities.max(axis=1)
        out_of_fold = summary(y_all, predicted, confidence, list(classes))
        out_of_fold["folds"] = calibrate_folds
        out_of_fold["thresholds"] = threshold_table(y_all, predicted, confidence, list(classes))
        info = {
            "format": FORMAT,
            "algorithm": ALGORITHMS[features]
            + (f"+{COMBINER_NAMES[combiner]}" if combiner else ""),
            "feature_views": features,
            "features": sum(m.shape[1] for m in matrices.values()),
            "temperature": round(temperature, 5),
            **(
                {
                    "combiner": combiner,
                    "combiner_log_loss": {k: round(v[0], 4) for k, v in tried.items()},
                }
                if stacked
                else {}
            ),
            "rows": len(labels),
            "dropped_rare_rows": len(counts)
            and sum(c for c in counts.values() if c < MIN_PER_LABEL),
            "label_counts": {c: counts[c] for c in classes},
            "data_digest": data_digest(texts, labels),
            "out_of_fold": out_of_fold,
            "train_seconds": round(time.perf_counter() - started, 2),
        }
        info.update(meta or {})
        return cls(vectorizers, svm, temperature, [str(c) for c in classes], info, nbs, stacker)

    # -- use --------------------------------------------------------------------------------

    @property
    def features(self) -> str:
        """The kind of model (a key of FEATURES); older files say it in their metadata."""
        if self.stacker is not None:
            return "stack"
        return "char+words" if len(self.vectorizers) > 1 else "char"

    def _plan(self) -> _Plan:
        if self._fast is None:
            self._fast = _Plan(self)
        return self._fast

    def _matrices(self, texts: list[str], fast: bool = True) -> dict:
        """Per view, the feature matrix of texts. `fast=False`: scikit-learn's own transforms
        (the reference the fast path is tested against)."""
        texts = [t or "" for t in texts]
        names = [name for name, _v in self.vectorizers]
        if not fast or not all(isinstance(t, str) for t in texts):
            views = _views(texts, names, fast=fast)
            return {name: v.transform(views[name]).tocsr() for name, v in self.vectorizers}
        views = _views(texts, names)
        return {
            name: v.transform(views[name]).tocsr()
            if quick is None
            else quick.transform(views[name])
            for name, quick, v in self._plan().views
        }

    def transform(self, texts: list[str], fast: bool = True):
        """The feature matrix of texts (one row per text, every view side by side)."""
        matrices = list(self._matrices(texts, fast).values())
        return matrices[0] if len(matrices) == 1 else hstack(matrices).tocsr()

    def probabilities(self, texts: list[str], fast: bool = True) -> np.ndarray:
        """Per text, the probability of every label (columns in `classes` order). `fast=False`
        goes through scikit-learn's own transforms and predictions: the same figures, slower."""
        matrices = self._matrices(texts, fast)
        plan = self._plan() if fast else None
        if self.stacker is not None:
            scores = _member_scores(
                self.svm, self.nbs, matrices, self.features, len(self.classes), plan
            )
            P = np.zeros((len(texts), len(self.classes)))
            P[:, self.stacker.classes_] = (
                _stack_proba(self.stacker, scores) if fast else self.stacker.predict_proba(scores)
            )
            return P
        scores = np.full((len(texts), len(self.classes)), -10.0)
        X = _svm_matrix(matrices, self.features)
        scores[:, self.svm.classes_] = (
            _scores(self.svm, X) if plan is None else _fast_scores(self.svm, X, plan)
        )
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
                "nbs": self.nbs,
                "stacker": self.stacker,
            },
            buffer,
            compress=3,
        )
        return buffer.getvalue()

    @classmethod
    def loads(cls, data: bytes) -> TextClassifier:
        """Only for bytes this code wrote (the registry checks their SHA-256 first): joblib
        unpickles, so a file from elsewhere must never reach here. Formats 1 and 2 (a single
        SVM and a temperature) load as they were; a newer format than this code knows is
        refused with a message saying so."""
        try:
            obj = joblib.load(io.BytesIO(data))
        except Exception as exc:  # noqa: BLE001 (any unpickling failure means the same)
            raise TrainingError(f"Not a readable Jiesu classifier file ({exc}).") from None
        if not isinstance(obj, dict) or "format" not in obj:
            raise TrainingError("Not a Jiesu classifier file of a known format.")
        if obj["format"] not in KNOWN_FORMATS:
            raise TrainingError(
                f"Classifier file format {obj['format']!r} is not one this version reads "
                f"({', '.join(map(str, KNOWN_FORMATS))}): train the model again."
            )
        # Format 1 had one character n-gram vectorizer; formats 1-2 had no stacked members.
        vectorizers = obj.get("vectorizers") or [("char", obj["vectorizer"])]
        return cls(
            vectorizers,
            obj["svm"],
            obj["temperature"],
            obj["classes"],
            obj["meta"],
            obj.get("nbs") or [],
            obj.get("stacker"),
        )


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
