# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Similar cases and the knowledge base (智慧预案).

- `similar_cases(appeal)`: for the handler, the most similar finished cases with their public
  replies (closed, or answered directly), from the same category when the appeal has one,
  ranked by text similarity.
- `answers_for(appeal)`: for the intake desk, the knowledge-base entries whose question is most
  like the appeal, so that a consultation is answered in one click.
- `read_entries(path)` and `load(path)`: knowledge-base entries from a CSV file (the shared
  `messages_with_replies.csv` layout, Chinese column names, or `title,question,answer`), plain
  or gzipped; `manage.py load_knowledge --csv FILE`.

Text similarity is the cosine of TF-IDF vectors of characters and character pairs, the title
counted twice (no word segmentation, so it works the same on Chinese and on English). The
knowledge base's vectors are built once (kept in the shared cache for a week) and rebuilt when
the set of active entries changes (a cheap count/max/sum-of-ids check); an entry whose
question was edited in place is indexed again at the next change or after the week.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import pickle
import threading
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils.translation import gettext as _

from jiesu.appeals.models import Appeal
from jiesu.appeals.states import Status
from jiesu.dispatch.models import KnowledgeEntry, Triage

MAX_CASES = 5
MAX_ANSWERS = 3
CANDIDATE_CASES = 200  # finished cases of the category read per page (the most recent)
MIN_CASE_SIMILARITY = 0.15
MIN_ANSWER_SIMILARITY = 0.2
CASE_STATES = (Status.CLOSED, Status.ANSWERED)
INDEXED_CHARS = 400  # of each knowledge-base question (the title counts twice besides)
CACHE_SECONDS = 7 * 24 * 3600

# Column names accepted, first match wins.
COLUMNS = {
    "title": ("留言主题", "title"),
    "question": ("留言详情", "question", "text"),
    "answer": ("答复意见", "answer", "reply"),
    "answered_at": ("答复时间", "answered_at"),
    "ref": ("留言编号", "id", "ref"),
}
REQUIRED = ("title", "question", "answer")


class KnowledgeFileError(ValueError):
    """A knowledge-base file cannot be used; the message says why."""


# -- text similarity ------------------------------------------------------------------------


def _vectorizer():
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=1, dtype=np.float32
    )


def _text(title: str, body: str) -> str:
    """The text compared: the title counts twice (it names the matter; the body wanders)."""
    title = (title or "").strip()
    return f"{title}\n{title}\n{(body or '').strip()}".strip()


def rank(query: str, documents: list[str]) -> list[float]:
    """Cosine similarity (0-1) of `query` to each document, vectors fitted on them all."""
    if not query.strip() or not documents:
        return [0.0] * len(documents)
    vec = _vectorizer()
    try:
        matrix = vec.fit_transform([query, *documents])
    except ValueError:  # nothing but empty texts
        return [0.0] * len(documents)
    return (matrix[1:] @ matrix[0].T).toarray().ravel().tolist()


# -- similar cases --------------------------------------------------------------------------


@dataclass
class Case:
    appeal: Appeal
    similarity: float

    @property
    def percent(self) -> int:
        return round(self.similarity * 100)


def _category_of(appeal) -> int | None:
    if appeal.category_id:
        return appeal.category_id
    return (
        Triage.objects.filter(appeal_id=appeal.pk, category__isnull=False)
        .values_list("category_id", flat=True)
        .first()
    )


def similar_cases(appeal: Appeal, *, limit: int = MAX_CASES) -> list[Case]:
    """The finished cases (with a public reply) most like this appeal, best first: from its
    category (or the suggested one) when it has one, else from all categories."""
    candidates = (
        Appeal.objects.filter(status__in=CASE_STATES)
        .exclude(reply="")
        .exclude(pk=appeal.pk)
        .exclude(merged_into=appeal.pk)
        .only("id", "number", "title", "description", "reply", "status", "closed_at", "category")
        .select_related("category")
        .order_by("-received_at")
    )
    category = _category_of(appeal)
    if category:
        candidates = candidates.filter(category_id=category)
    rows = list(candidates[:CANDIDATE_CASES])
    scores = rank(
        _text(appeal.title, appeal.description), [_text(r.title, r.description) for r in rows]
    )
    found = [
        Case(appeal=r, similarity=round(s, 3))
        for r, s in zip(rows, scores, strict=True)
        if s >= MIN_CASE_SIMILARITY
    ]
    found.sort(key=lambda c: -c.similarity)
    return found[:limit]


# -- the knowledge base ---------------------------------------------------------------------


@dataclass
class Answer:
    entry: KnowledgeEntry
    similarity: float

    @property
    def percent(self) -> int:
        return round(self.similarity * 100)


class _Index:
    """The knowledge base's TF-IDF vectors in this process, rebuilt when the entries change.

    Building them takes a second or two for a few thousand entries; the result is also kept in
    the shared cache under the entries' fingerprint, so that other processes (and this one
    after a restart) load it instead of building it again."""

    def __init__(self):
        self.lock = threading.Lock()
        self.fingerprint = None
        self.ids: list[int] = []
        self.vectorizer = None
        self.matrix = None

    def _build(self, fingerprint):
        key = "dispatch:kb-index:{}:{}:{}".format(*fingerprint)
        cached = cache.get(key)
        if cached is not None:
            with contextlib.suppress(Exception):  # a damaged entry is rebuilt
                return pickle.loads(zlib.decompress(cached))  # noqa: S301 (our own cache entry)
        rows = list(
            KnowledgeEntry.objects.filter(active=True)
            .order_by("id")
            .values_list("id", "title", "question")
        )
        ids = [r[0] for r in rows]
        vectorizer = matrix = None
        if rows:
            vectorizer = _vectorizer()
            matrix = vectorizer.fit_transform([_text(t, q[:INDEXED_CHARS]) for _i, t, q in rows])
        built = (ids, vectorizer, matrix)
        cache.set(key, zlib.compress(pickle.dumps(built, protocol=5)), CACHE_SECONDS)
        return built

    def current(self):
        stats = KnowledgeEntry.objects.filter(active=True).aggregate(
            n=Count("id"), top=Max("id"), total=Sum("id")
        )
        fingerprint = (stats["n"], stats["top"], stats["total"])
        with self.lock:
            if fingerprint != self.fingerprint:
                self.ids, self.vectorizer, self.matrix = self._build(fingerprint)
                self.fingerprint = fingerprint
            return self.ids, self.vectorizer, self.matrix


_index = _Index()


def search(text: str, *, limit: int = MAX_ANSWERS, minimum: float = MIN_ANSWER_SIMILARITY):
    """Knowledge-base entries most like `text`, best first, as `Answer`s."""
    ids, vectorizer, matrix = _index.current()
    if vectorizer is None or not text.strip():
        return []
    scores = (matrix @ vectorizer.transform([text]).T).toarray().ravel()
    best = [i for i in scores.argsort()[::-1][: limit * 2] if scores[i] >= minimum]
    entries = KnowledgeEntry.objects.in_bulk([ids[i] for i in best])
    return [
        Answer(entry=entries[ids[i]], similarity=round(float(scores[i]), 3))
        for i in best
        if ids[i] in entries
    ][:limit]


def answers_for(appeal: Appeal, *, limit: int = MAX_ANSWERS):
    return search(_text(appeal.title, appeal.description), limit=limit)


def handler_help(appeal: Appeal) -> dict:
    """What the appeal page offers the handler: the category's handling plan, the similar
    finished cases with their replies, and matching knowledge-base answers."""
    plan = ""
    if appeal.category_id and hasattr(appeal.category, "rule"):
        plan = appeal.category.rule.plan
    return {"plan": plan, "cases": similar_cases(appeal), "answers": answers_for(appeal)}


# -- loading --------------------------------------------------------------------------------


def _open_text(path: Path):
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise KnowledgeFileError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError):
            raise KnowledgeFileError(
                _("%(path)s is not a readable gzip file.") % {"path": path}
            ) from None
    try:
        return io.StringIO(raw.decode("utf-8-sig"), newline="")
    except UnicodeDecodeError:
        raise KnowledgeFileError(_("%(path)s is not UTF-8 text.") % {"path": path}) from None


def _parse_date(value: str) -> date | None:
    value = (value or "").strip()
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def read_entries(path) -> list[dict]:
    """The entries of a knowledge-base CSV file (rows without a question or an answer are
    skipped). Raises `KnowledgeFileError` naming what is wrong."""
    path = Path(path)
    reader = csv.DictReader(_open_text(path))
    columns = [c.strip() for c in (reader.fieldnames or [])]
    found = {}
    for key, names in COLUMNS.items():
        found[key] = next((c for c in names if c in columns), None)
    missing = [COLUMNS[k][0] + "/" + COLUMNS[k][1] for k in REQUIRED if found[k] is None]
    if missing:
        raise KnowledgeFileError(
            _("%(path)s has no column %(missing)s (it has: %(columns)s).")
            % {
                "path": path,
                "missing": ", ".join(missing),
                "columns": ", ".join(columns) or _("no header"),
            }
        )
    entries = []
    try:
        for row in reader:
            row = {(k or "").strip(): v for k, v in row.items()}
            title = (row.get(found["title"]) or "").strip()
            question = (row.get(found["question"]) or "").strip()
            answer = (row.get(found["answer"]) or "").strip()
            if not answer or not (question or title):
                continue
            entries.append(
                {
                    "title": (title or question)[:200],
                    "question": question or title,
                    "answer": answer,
                    "answered_at": _parse_date(row.get(found["answered_at"]) or "")
                    if found["answered_at"]
                    else None,
                    "ref": (row.get(found["ref"]) or "").strip() if found["ref"] else "",
                }
            )
    except csv.Error as exc:
        raise KnowledgeFileError(
            _("%(path)s is not a valid CSV file: %(error)s") % {"path": path, "error": exc}
        ) from None
    if not entries:
        raise KnowledgeFileError(
            _("%(path)s has no row with a question and an answer.") % {"path": path}
        )
    return entries


def load(path, *, source: str = "", replace: bool = True) -> int:
    """Load the entries of a file; with `replace`, entries loaded before from the same source
    (the file's name unless given) are removed first. Returns the number of entries loaded."""
    path = Path(path)
    entries = read_entries(path)
    source = (source or path.name)[:100]
    with transaction.atomic():
        if replace:
            KnowledgeEntry.objects.filter(source=source).delete()
        KnowledgeEntry.objects.bulk_create(
            [
                KnowledgeEntry(
                    title=e["title"],
                    question=e["question"],
                    answer=e["answer"],
                    answered_at=e["answered_at"],
                    source=source,
                )
                for e in entries
            ],
            batch_size=500,
        )
    _index.current()  # build the search index now, not on the first page that needs it
    return len(entries)
