# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Topic clusters 话题聚类 and hot issues 热点问题: many people writing about the same matter.

Method (documented in docs/kpis.md, "Hot issues")
    1. Each message's text is its title written twice (titles name the matter) followed by the
       first 150 characters of its body, white space removed.
    2. Texts become TF-IDF vectors of character 2- and 3-grams (no word segmentation needed for
       Chinese; grams in fewer than 2 messages or in more than 30% of them are dropped;
       sublinear term frequency), normalised to unit length.
    3. Two messages are linked when the cosine similarity of their vectors is at least
       `THRESHOLD` (0.3); a topic is a connected group of linked messages (single linkage,
       found with a union-find over the sparse similarity matrix).
    4. A topic's heat is the number of distinct writers plus ln(1 + votes), votes being the
       likes and dislikes of its messages together: support from many people counts most,
       and a thousand votes weigh about as much as seven more writers. Topics are ranked by
       heat, then by messages.

The evidence shown for each topic: its messages, distinct writers, votes, first and last day,
the places named (district codes such as "A3区" in the shared contest data, the subdistricts of
appeals) and the representative title (the message closest to the topic's centre).

Pure functions on `Message` rows: the same code ranks the shared contest file
(`manage.py hot_issues`) and clusters recent appeals (`appeal_topics`, flagged to supervisors by
`jiesu.insights.alerts`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field

from django.core.cache import cache
from django.utils import timezone

THRESHOLD = 0.3
BODY_CHARS = 150
_SPACE = re.compile(r"\s+")
# Place codes of the contest data (anonymised as A市, A3区, A7县, 西地省) and Chinese place words.
_PLACE = re.compile(r"[A-Z]\d+[区县]")
_CITY = re.compile(r"[A-Z]\d*市")


@dataclass
class Message:
    ref: str
    title: str
    body: str = ""
    when: dt.datetime | None = None
    writer: str = ""
    likes: int = 0
    dislikes: int = 0
    places: tuple[str, ...] = ()


@dataclass
class Topic:
    title: str
    refs: list[str]
    messages: int
    writers: int
    votes: int
    likes: int
    heat: float
    first: dt.date | None
    last: dt.date | None
    places: list[tuple[str, int]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "title": self.title,
            "heat": round(self.heat, 3),
            "messages": self.messages,
            "writers": self.writers,
            "votes": self.votes,
            "likes": self.likes,
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
            "days": (self.last - self.first).days + 1 if self.first and self.last else None,
            "places": [{"name": name, "messages": n} for name, n in self.places],
            "refs": self.refs,
            "titles": self.titles,
        }


def _text(message: Message) -> str:
    title = _SPACE.sub("", message.title or "")
    body = _SPACE.sub("", message.body or "")[:BODY_CHARS]
    return title + title + body


def cluster(messages: list[Message], threshold: float = THRESHOLD) -> list[list[int]]:
    """Groups of message indexes (each of at least one message) linked by similar texts."""
    if not messages:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [_text(m) for m in messages]
    parent = list(range(len(messages)))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    if len(messages) > 1:
        vectoriser = TfidfVectorizer(
            analyzer="char",
            ngram_range=(2, 3),
            min_df=2,
            max_df=0.3 if len(messages) >= 10 else 1.0,
            sublinear_tf=True,
        )
        try:
            matrix = vectoriser.fit_transform(texts)
        except ValueError:  # no gram kept (all texts unlike each other)
            matrix = None
        if matrix is not None:
            similar = (matrix @ matrix.T).tocoo()
            keep = (similar.data >= threshold) & (similar.row < similar.col)
            for i, j in zip(similar.row[keep], similar.col[keep], strict=True):
                parent[find(int(i))] = find(int(j))
    groups: dict[int, list[int]] = {}
    for i in range(len(messages)):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())


def heat(writers: int, votes: int) -> float:
    return writers + math.log1p(votes)


def rank(messages: list[Message], *, threshold: float = THRESHOLD, minimum: int = 1) -> list[Topic]:
    """The topics of `messages`, hottest first (see the module doc); topics with fewer than
    `minimum` messages are left out."""
    topics = []
    for group in cluster(messages, threshold):
        if len(group) < minimum:
            continue
        members = [messages[i] for i in group]
        writers = len({m.writer or m.ref for m in members})
        likes = sum(m.likes for m in members)
        votes = likes + sum(m.dislikes for m in members)
        days = sorted(m.when.date() for m in members if m.when is not None)
        places = Counter(p for m in members for p in set(m.places))
        title_counts = Counter(m.title for m in members)
        # The representative: the title shared by most messages, then the most voted message.
        best = max(members, key=lambda m: (title_counts[m.title], m.likes + m.dislikes, m.ref))
        ordered = sorted(members, key=lambda m: (-(m.likes + m.dislikes), m.ref))
        topics.append(
            Topic(
                title=best.title,
                refs=[m.ref for m in ordered],
                messages=len(members),
                writers=writers,
                votes=votes,
                likes=likes,
                heat=heat(writers, votes),
                first=days[0] if days else None,
                last=days[-1] if days else None,
                places=places.most_common(5),
                titles=list(dict.fromkeys(m.title for m in ordered))[:5],
            )
        )
    topics.sort(key=lambda t: (-t.heat, -t.messages, t.title))
    return topics


# -- the shared contest file (messages with votes) ---------------------------------------------

COLUMNS = ("留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "反对数", "点赞数")
_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M")


class FileError(ValueError):
    pass


def parse_time(text: str) -> dt.datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    for fmt in _TIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _count(text: str) -> int:
    try:
        return max(0, int(float(text or 0)))
    except ValueError:
        return 0


def _places(text: str) -> tuple[str, ...]:
    """The districts and counties a message names, or else its city."""
    found = _PLACE.findall(text) or _CITY.findall(text)[:1]
    return tuple(dict.fromkeys(found))


def read_votes_csv(path) -> list[Message]:
    """The messages of a file laid out like the contest's messages_with_votes.csv."""
    try:
        handle = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
    except OSError as exc:
        raise FileError(str(exc)) from exc
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise FileError(", ".join(missing))
        messages = []
        for row in reader:
            title = (row["留言主题"] or "").strip()
            body = (row["留言详情"] or "").strip()
            messages.append(
                Message(
                    ref=(row["留言编号"] or "").strip(),
                    title=title,
                    body=body,
                    when=parse_time(row["留言时间"]),
                    writer=(row["留言用户"] or "").strip(),
                    likes=_count(row["点赞数"]),
                    dislikes=_count(row["反对数"]),
                    places=_places(title + body),
                )
            )
    return messages


# -- appeals ------------------------------------------------------------------------------------

TOPIC_DAYS = 28
TOPIC_MIN = 4
TOPIC_SHOWN = 20
# At most this many appeals (the latest) are clustered: a bound on the work of one run (at the
# seed centre's volume, 28 days are about 2,000 appeals; a city's busiest month stays in reach).
TOPIC_LIMIT = 5000


def appeal_topics(
    user, day: dt.date, *, days: int = TOPIC_DAYS, minimum: int = TOPIC_MIN, scope=None
) -> list[Topic]:
    """Topic clusters among the appeals received in the `days` days up to `day` that the user
    may see (or in `scope`): the topics with at least `minimum` appeals from at least two
    reporters, hottest first (at most TOPIC_SHOWN). Appeals carry no votes; a reporter is their
    phone (or the appeal itself when it has none). Merged appeals are left out (their target
    stands for them)."""
    from jiesu.appeals.models import Appeal
    from jiesu.insights import hotspots, kpis

    scope = scope or kpis.scope_for(user)
    start = day - dt.timedelta(days=days - 1)
    qs = Appeal.objects.filter(hotspots.received_between(start, day), merged_into__isnull=True)
    if not scope.district:
        qs = qs.filter(
            pk__in=Appeal.objects.filter(scope.unit_q(prefix="assignments__unit__")).values("pk")
        )
    sub_of = hotspots._subdistrict_of()
    messages = [
        Message(
            ref=number,
            title=title,
            body=description,
            when=timezone.localtime(received),
            writer=phone or number,
            places=(sub_of[region]["name"],) if region and sub_of.get(region) else (),
        )
        for number, title, description, received, phone, region in list(
            qs.order_by("-received_at").values_list(
                "number", "title", "description", "received_at", "reporter_phone", "region"
            )[:TOPIC_LIMIT]
        )[::-1]
    ]
    found = [t for t in rank(messages, minimum=minimum) if t.writers >= 2]
    return found[:TOPIC_SHOWN]


# The hotspots page, its export and the API share one clustering per scope and day for this
# long: clustering the latest few thousand texts takes about a second (1.4 s at a million
# appeals), and topics form over days, not minutes. The alerting task clusters afresh.
TOPIC_CACHE_SECONDS = 300


def cache_key(scope, day: dt.date) -> str:
    """The shared cache's key of the topics of `scope` (a `kpis.Scope_`) on `day`."""
    identity = repr((scope.district, scope.unit_paths, day.isoformat(), TOPIC_DAYS, TOPIC_MIN))
    return "insights:topics:" + hashlib.sha256(identity.encode()).hexdigest()[:32]


def recent_topics(user, day: dt.date) -> tuple[list[Topic], dt.datetime]:
    """`appeal_topics` for what `user` may see, with the time they were computed, from the
    shared cache when computed less than TOPIC_CACHE_SECONDS ago for the same scope and day."""
    from jiesu.appeals import timesource
    from jiesu.insights import kpis

    scope = kpis.scope_for(user)
    key = cache_key(scope, day)
    found = cache.get(key)
    if found is None:
        found = (appeal_topics(user, day, scope=scope), timesource.now())
        cache.set(key, found, TOPIC_CACHE_SECONDS)
    return found


def signature(topic: Topic) -> str:
    """A stable key of a topic for flagging it once: its earliest appeal number."""
    return min(topic.refs)
