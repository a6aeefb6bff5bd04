# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Routing learned from history: who handled which appeals, by category and place.

Public module of the dispatch room. Input rows are past dispatches (the Pingshan export
layout, `events_2018.csv`, or the same fields taken from the database): channel, nature, the
three category levels, subdistrict, community, place, and the unit that handled them.

Unit names are merged before anything is counted (`UnitNames`):

1. spelling: Unicode NFKC (full-width and half-width forms alike), whitespace removed, round
   brackets written as the full-width `（）`;
2. a trailing bracketed suffix naming an area ("X（坪山街道办事处）", "X（坑梓辖区）") is
   dropped when it repeats what the name already says: the name contains that subdistrict
   ("坪山街道综合执法队（坪山街道办事处）" = "坪山街道综合执法队") or is a community's own
   unit ("六联社区（坪山街道办事处）" = "六联社区"), or the bare name is attested in the data
   with at least 80% of its appeals in that subdistrict ("城建办（坑梓街道办事处）" = "城建办");
3. every other suffix is kept: "市政服务中心（坪山街道办事处）" and "市政服务中心（龙田街道办
   事处）" are two units.

`UnitNames.report()` lists every spelling, the name it was merged into and the rule used.

The model (`RoutingTable`) predicts a *role* and then resolves it to a unit with the appeal's
place. A role is either a unit (a department: the same unit wherever the appeal is), the
subdistrict's own team of a kind ("<subdistrict>市政服务中心": 坪山's or 龙田's, after the
appeal's subdistrict) or the community's own workstation. Roles share what the subdistricts
have in common, so a category seen in one subdistrict is routed to the right team of another.
Role probabilities are estimated along a chain of keys from coarse to fine — everything,
category level 1, level 2, level 3, level 3 + subdistrict, level 3 + subdistrict + community —
each level's counts smoothed towards the level above it (Dirichlet prior with Witten-Bell
weight: a key seen N times with T distinct roles keeps N/(N+s·T) of its own counts). The one
setting, the smoothing strength s, is chosen when learning by inner validation on the learning
rows alone (the latest fifth of them by time scored by a model of the rest; s = 1 when there are
too few rows to choose). Subdistrict teams of different names that do the same work in different
subdistricts ("坪山街道综合执法队" and "城管办（坑梓街道办事处）") are one role: two team kinds
are merged when no subdistrict has both and the middle categories they handled are nearly the
same (`counterpart_kinds`). Figures: `evaluate()`, docs/adr/0017-routing-from-history.md.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

from django.utils.translation import gettext as _

#: Field name -> accepted column names (the export's name first, then a plain alias).
COLUMNS = {
    "channel": ("EVENT_SRC_NAME", "channel"),
    "nature": ("EVENT_PROPERTY_NAME", "nature"),
    "l1": ("EVENT_TYPE_NAME", "category_l1"),
    "l2": ("MAIN_TYPE_NAME", "category_l2"),
    "l3": ("SUB_TYPE_NAME", "category_l3"),
    "subdistrict": ("STREET_NAME", "subdistrict"),
    "community": ("COMMUNITY_NAME", "community"),
    "place": ("OCCUR_PLACE", "place"),
}
UNIT_COLUMNS = ("DISPOSE_UNIT_NAME", "unit")
REQUIRED = ("l1", "l2", "l3", "subdistrict", "community")
TIME_COLUMNS = ("CREATE_TIME", "created_at")
EMPTY = {"", "-"}

#: Model file formats: 1 (ADR 0017: fixed strength 1, no merged team kinds) still loads.
FORMAT = 2
KNOWN_FORMATS = (1, 2)
#: Smoothing strengths tried by the inner validation, and the row count below which the
#: learning rows are too few to choose (strength 1 then).
STRENGTHS = (0.5, 1.0, 2.0, 4.0, 8.0)
MIN_ROWS_TO_CHOOSE = 500
#: Two team kinds merge when each has this many appeals and their middle-category profiles
#: have at least this cosine similarity (and no subdistrict has both).
KIND_MIN_ROWS = 20
KIND_MIN_COSINE = 0.9
SUBDISTRICT_ROLE = "<subdistrict>"
COMMUNITY_ROLE = "<community>"
AREA_BOUND_ROLE = SUBDISTRICT_ROLE + "area-bound"
CHAIN = (
    (),
    ("l1",),
    ("l1", "l2"),
    ("l1", "l2", "l3"),
    ("l1", "l2", "l3", "subdistrict"),
    ("l1", "l2", "l3", "subdistrict", "community"),
)
_SUFFIX = re.compile(r"^(.+?)（([^（）]*)）$")
_COMMUNITY_UNIT = re.compile(r"社区(工作站)?$")


class DataError(ValueError):
    """A history or input file cannot be used; the message says why (translated)."""


# -- reading --------------------------------------------------------------------------------


def _clean(value) -> str:
    value = unicodedata.normalize("NFKC", str(value or ""))
    value = re.sub(r"\s+", "", value)
    return "" if value in EMPTY else value


def read_rows(path: str, *, with_unit: bool) -> list[dict]:
    """Rows of a UTF-8 CSV file as dicts with the fields of `COLUMNS` (and `unit`, `time`).

    Raises DataError naming the missing columns. With `with_unit`, rows without a unit are
    left out (the export marks them "-"); without it, every row is kept, in order."""
    try:
        fh = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise DataError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from None
    with fh:
        try:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            where = {}
            missing = []
            fields = list(REQUIRED) + (["unit"] if with_unit else [])
            for field in [*COLUMNS, "unit", "time"]:
                names = (
                    UNIT_COLUMNS
                    if field == "unit"
                    else TIME_COLUMNS
                    if field == "time"
                    else COLUMNS[field]
                )
                found = next((n for n in names if n in header), None)
                if found:
                    where[field] = found
                elif field in fields:
                    missing.append(names[0])
            if missing:
                raise DataError(
                    _("%(path)s has no column %(missing)s (it has: %(columns)s).")
                    % {
                        "path": path,
                        "missing": ", ".join(missing),
                        "columns": ", ".join(header) or "-",
                    }
                )
            rows = []
            for raw in reader:
                row = {f: _clean(raw.get(col)) for f, col in where.items() if f != "time"}
                row["time"] = (raw.get(where["time"]) or "").strip() if "time" in where else ""
                if "MAIN_TYPE_ID" in header:
                    row["l2_id"] = (raw.get("MAIN_TYPE_ID") or "").strip()
                if with_unit and not row.get("unit"):
                    continue
                rows.append(row)
        except UnicodeDecodeError:
            raise DataError(_("%(path)s is not UTF-8 text.") % {"path": path}) from None
        except csv.Error as exc:
            raise DataError(
                _("%(path)s is not a readable CSV file: %(error)s") % {"path": path, "error": exc}
            ) from None
    if with_unit and not rows:
        raise DataError(_("%(path)s has no row with a handling unit.") % {"path": path})
    return rows


def data_digest(rows: Iterable[dict]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(
            json.dumps([row.get(f, "") for f in (*COLUMNS, "unit")], ensure_ascii=False).encode()
        )
    return h.hexdigest()


# -- unit names -----------------------------------------------------------------------------


def spelling(name: str) -> str:
    """Rule 1: NFKC, no whitespace, full-width round brackets."""
    name = _clean(name)
    return name.replace("(", "（").replace(")", "）")


def _split(name: str) -> tuple[str, str | None]:
    m = _SUFFIX.match(name)
    return (m.group(1), m.group(2)) if m else (name, None)


def _stem(subdistrict: str) -> str:
    return re.sub(r"(街道办事处|街道|办事处)$", "", subdistrict)


class UnitNames:
    """Merges the spellings of one unit (the rules in the module's docstring)."""

    def __init__(self, rows: Sequence[dict]):
        self.stems = {
            _stem(r["subdistrict"]): r["subdistrict"] for r in rows if r.get("subdistrict")
        }
        self.stems.pop("", None)
        self.communities = {r["community"] for r in rows if r.get("community")}
        bare = defaultdict(Counter)
        counts = Counter()
        for r in rows:
            name = spelling(r["unit"])
            counts[name] += 1
            if _split(name)[1] is None:
                bare[name][r.get("subdistrict", "")] += 1
        self.mapping: dict[str, tuple[str, str]] = {}
        self.counts = counts
        for name in counts:
            self.mapping[name] = self._canonical(name, bare)

    def _suffix_area(self, suffix: str) -> str | None:
        return next((s for s in self.stems if s and s in suffix), None)

    def _canonical(self, name: str, bare) -> tuple[str, str]:
        base, suffix = _split(name)
        if suffix is None:
            return name, "spelling"
        stem = self._suffix_area(suffix)
        if stem is None:
            return name, "kept"
        if stem in base:
            return base, "name contains the area"
        if _COMMUNITY_UNIT.search(base):
            return base, "community unit"
        seen = bare.get(base)
        if seen:
            share = seen.get(self.stems[stem], 0) / sum(seen.values())
            if share >= 0.8:
                return base, "bare name in the same area"
        return name, "kept"

    def __call__(self, name: str) -> str:
        name = spelling(name)
        found = self.mapping.get(name)
        return found[0] if found else name

    def report(self) -> list[dict]:
        """Every spelling seen: its rows, the merged name and the rule that merged it."""
        return [
            {"spelling": s, "rows": self.counts[s], "unit": u, "rule": rule}
            for s, (u, rule) in sorted(self.mapping.items(), key=lambda kv: (kv[1][0], kv[0]))
        ]

    def area_of(self, unit: str) -> str | None:
        """The subdistrict a unit answers for, if its name says so."""
        base, suffix = _split(unit)
        for stem, full in self.stems.items():
            if re.match(rf"^{re.escape(stem)}(街道办事处|街道|办事处|办)", base):
                return full
        if suffix is not None:
            stem = self._suffix_area(suffix)
            if stem is not None:
                return self.stems[stem]
        return None

    def role(self, unit: str, row: dict) -> str:
        """The role of the unit that handled `row`: the unit itself, or relative to the
        appeal's area when the unit is the row's community workstation or its subdistrict's
        own team."""
        base, _suffix = _split(unit)
        community = row.get("community")
        if community and base.startswith(community) and _COMMUNITY_UNIT.search(base):
            return COMMUNITY_ROLE
        if row.get("subdistrict") and self.area_of(unit) == row["subdistrict"]:
            return SUBDISTRICT_ROLE + self._kind(unit)
        return unit

    def _kind(self, unit: str) -> str:
        base, suffix = _split(unit)
        for stem in self.stems:
            m = re.match(rf"^{re.escape(stem)}(街道办事处|街道|办事处|办)(.+)$", base)
            if m:
                return m.group(2)
        return base


def counterpart_kinds(roles: Iterable[tuple[str, dict]]) -> dict[str, str]:
    """Subdistrict team kinds that are one kind under two names: {role: role it merges into}.

    `roles` are (role, row) pairs. Two `<subdistrict>` roles merge when each handled at least
    `KIND_MIN_ROWS` appeals, no subdistrict has both, and the cosine similarity of the middle
    categories they handled is at least `KIND_MIN_COSINE`; the less used merges into the more
    used one. Subdistricts name their urban-management team differently ("综合执法队" in four,
    "城管办" in two); merged, what one subdistrict's team handled routes another's."""
    profile: dict[str, Counter] = defaultdict(Counter)
    areas: dict[str, set] = defaultdict(set)
    for role, row in roles:
        # Area-bound appeals (from the database) are a routing rule, not a kind of team.
        if role.startswith(SUBDISTRICT_ROLE) and role != AREA_BOUND_ROLE:
            profile[role][_key(row, ("l1", "l2"))] += 1
            areas[role].add(row.get("subdistrict", ""))
    kinds = sorted(
        (r for r, c in profile.items() if sum(c.values()) >= KIND_MIN_ROWS),
        key=lambda r: (-sum(profile[r].values()), r),
    )

    def cosine(a: Counter, b: Counter) -> float:
        dot = sum(v * b.get(k, 0) for k, v in a.items())
        norm = (sum(v * v for v in a.values()) * sum(v * v for v in b.values())) ** 0.5
        return dot / norm if norm else 0.0

    merged: dict[str, str] = {}
    for i, small in enumerate(kinds):
        for big in kinds[:i]:
            if big in merged or areas[small] & areas[big]:
                continue
            if cosine(profile[small], profile[big]) >= KIND_MIN_COSINE:
                merged[small] = big
                areas[big] |= areas[small]
                profile[big].update(profile[small])
                break
    return merged


# -- the model ------------------------------------------------------------------------------


def _key(row: dict, fields: tuple[str, ...]) -> str:
    return "\x1f".join(row.get(f, "") for f in fields)


class RoutingTable:
    """Who handles what, learned from past dispatches (see the module docstring)."""

    def __init__(self):
        self.levels: list[dict[str, dict[str, int]]] = []
        self.resolve: dict[str, dict[str, str]] = {}  # role -> area -> unit
        self.units: dict[str, int] = {}
        self.names: dict[str, list] = {}  # spelling -> [unit, rule]
        self.kinds: dict[str, str] = {}  # team role -> the role it was merged into
        self.strength = 1.0  # smoothing strength s (module docstring)
        self.meta: dict = {}

    # training
    @classmethod
    def fit(
        cls, rows: Sequence[dict], *, meta: dict | None = None, strength: float | None = None
    ) -> RoutingTable:
        """Learn from `rows`. Without `strength`, it is chosen by inner validation (module
        docstring) and the scores of every candidate are kept in `meta["strength_choice"]`."""
        rows = [r for r in rows if r.get("unit")]
        if not rows:
            raise DataError(_("There is no past dispatch to learn from."))
        choice = None
        if strength is None:
            strength, choice = choose_strength(rows)
        table = cls._count(rows)
        table.strength = float(strength)
        table.meta.update(meta or {})
        table.meta["strength"] = table.strength
        if choice is not None:
            table.meta["strength_choice"] = choice
        return table

    @classmethod
    def _count(cls, rows: Sequence[dict]) -> RoutingTable:
        names = UnitNames(rows)
        table = cls()
        table.names = {s: list(v) for s, v in names.mapping.items()}
        merged = [names(row["unit"]) for row in rows]
        roles = [
            AREA_BOUND_ROLE if row.get("area_bound") else names.role(unit, row)
            for unit, row in zip(merged, rows, strict=True)
        ]
        table.kinds = counterpart_kinds(zip(roles, rows, strict=True))
        counts = [defaultdict(Counter) for _ in CHAIN]
        resolve = defaultdict(lambda: defaultdict(Counter))
        units = Counter()
        for row, unit, role in zip(rows, merged, roles, strict=True):
            role = table.kinds.get(role, role)
            units[unit] += 1
            for level, fields in zip(counts, CHAIN, strict=True):
                level[_key(row, fields)][role] += 1
            if role == COMMUNITY_ROLE:
                resolve[role][row["community"]][unit] += 1
            elif role.startswith(SUBDISTRICT_ROLE):
                resolve[role][row["subdistrict"]][unit] += 1
        table.levels = [{k: dict(c) for k, c in level.items()} for level in counts]
        table.resolve = {
            role: {area: c.most_common(1)[0][0] for area, c in areas.items()}
            for role, areas in resolve.items()
        }
        table.units = dict(units)
        l2_ids = defaultdict(set)
        for row in rows:
            if row.get("l2_id"):
                l2_ids[row.get("l2", "")].add(row["l2_id"])
        table.meta = {
            "rows": len(rows),
            "units": len(units),
            # The export's middle-category ids by name (a unit map may depend on them).
            "l2_ids": {name: sorted(ids) for name, ids in l2_ids.items()},
            "merged_kinds": dict(table.kinds),
        }
        return table

    # prediction
    def role_probabilities(self, row: dict) -> dict[str, float]:
        probs: dict[str, float] | None = None
        for level, fields in zip(self.levels, CHAIN, strict=True):
            counts = level.get(_key(row, fields))
            if not counts:
                continue
            n = sum(counts.values())
            t = len(counts)
            if probs is None:
                probs = {r: c / n for r, c in counts.items()}
                continue
            keep = n / (n + self.strength * t)
            merged = {r: (1 - keep) * p for r, p in probs.items()}
            for r, c in counts.items():
                merged[r] = merged.get(r, 0.0) + keep * c / n
            probs = merged
        return probs or {}

    def _unit_of(self, role: str, row: dict) -> str | None:
        if role == COMMUNITY_ROLE:
            area = row.get("community", "")
            return self.resolve.get(role, {}).get(area) or (area or None)
        if role.startswith(SUBDISTRICT_ROLE):
            return self.resolve.get(role, {}).get(row.get("subdistrict", ""))
        return role

    def predict_one(self, row: dict, k: int = 3) -> list[tuple[str, float]]:
        row = {f: _clean(row.get(f)) for f in COLUMNS}
        units: dict[str, float] = defaultdict(float)
        for role, p in self.role_probabilities(row).items():
            unit = self._unit_of(role, row)
            if unit is not None:
                units[unit] += p
        total = sum(units.values())
        if not total:
            return []
        ranked = sorted(units.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [(u, p / total) for u, p in ranked]

    def predict(self, rows: Iterable[dict], k: int = 3) -> list[list[tuple[str, float]]]:
        return [self.predict_one(row, k) for row in rows]

    def merge_name(self, name: str) -> str:
        name = spelling(name)
        found = self.names.get(name)
        return found[0] if found else name

    # files
    def dumps(self) -> bytes:
        body = {
            "format": FORMAT,
            "kind": "routing",
            "chain": [list(f) for f in CHAIN],
            "levels": self.levels,
            "resolve": self.resolve,
            "units": self.units,
            "names": self.names,
            "kinds": self.kinds,
            "strength": self.strength,
            "meta": self.meta,
        }
        return b"JSRT1" + zlib.compress(json.dumps(body, ensure_ascii=False).encode(), 9)

    @classmethod
    def loads(cls, data: bytes) -> RoutingTable:
        if not data.startswith(b"JSRT1"):
            raise ValueError(_("This is not a routing model file."))
        try:
            body = json.loads(zlib.decompress(data[5:]).decode())
        except (zlib.error, UnicodeDecodeError, json.JSONDecodeError):
            raise ValueError(_("This routing model file is damaged.")) from None
        if (
            not isinstance(body, dict)
            or body.get("format") not in KNOWN_FORMATS
            or [tuple(f) for f in body.get("chain", [])] != list(CHAIN)
        ):
            raise ValueError(
                _(
                    "This routing model file has format %(found)s; this version reads formats "
                    "%(known)s. Learn the model again with learn_routing."
                )
                % {
                    "found": body.get("format", "?") if isinstance(body, dict) else "?",
                    "known": ", ".join(str(f) for f in KNOWN_FORMATS),
                }
            )
        table = cls()
        table.levels = body["levels"]
        table.resolve = body["resolve"]
        table.units = body["units"]
        table.names = body["names"]
        table.meta = body["meta"]
        # Format 1 had neither: strength 1 and no merged kinds is exactly what it computed.
        table.kinds = body.get("kinds", {})
        table.strength = float(body.get("strength", 1.0))
        return table


# -- evaluation -----------------------------------------------------------------------------


def split_rows(rows: Sequence[dict], how: str = "time", *, share: float = 0.2, seed: int = 0):
    """(training, held-out) rows. `time`: the latest `share` of the rows by creation time
    (ties and rows without a time keep file order); `random`: a seeded random `share`."""
    rows = list(rows)
    if how == "time":
        ordered = sorted(range(len(rows)), key=lambda i: (rows[i].get("time", ""), i))
        cut = len(rows) - max(1, int(len(rows) * share))
        return [rows[i] for i in ordered[:cut]], [rows[i] for i in ordered[cut:]]
    if how == "random":
        order = list(range(len(rows)))
        random.Random(seed).shuffle(order)  # noqa: S311 (a reproducible split)
        held = set(order[: max(1, int(len(rows) * share))])
        return (
            [r for i, r in enumerate(rows) if i not in held],
            [r for i, r in enumerate(rows) if i in held],
        )
    raise ValueError(how)


def choose_strength(rows: Sequence[dict]) -> tuple[float, dict | None]:
    """The smoothing strength for `rows` by inner validation: the latest fifth of the rows by
    time is scored by a model counted from the rest, for each of `STRENGTHS`; the best top-1
    wins (then top-3, then the strength nearest 1). Returns (strength, the scores), or
    (1.0, None) below `MIN_ROWS_TO_CHOOSE` rows. Only `rows` are used: no held-out row."""
    if len(rows) < MIN_ROWS_TO_CHOOSE:
        return 1.0, None
    inner, check = split_rows(rows, "time")
    table = RoutingTable._count(inner)
    scores = {}
    for strength in STRENGTHS:
        table.strength = strength
        top1, top3 = score(table, check)
        scores[strength] = (round(top1, 4), round(top3, 4))
    best = max(STRENGTHS, key=lambda s: (*scores[s], -abs(s - 1.0)))
    return best, {
        "rows": len(check),
        "scores": {str(s): {"top1": t1, "top3": t3} for s, (t1, t3) in scores.items()},
    }


def majority_top1(train: Sequence[dict], test: Sequence[dict]) -> float:
    """The plain baseline: the unit that most often handled the leaf category (names merged
    the same way), the overall most frequent unit for an unseen leaf."""
    names = UnitNames(train)
    by_leaf = defaultdict(Counter)
    overall = Counter()
    for r in train:
        unit = names(r["unit"])
        by_leaf[_key(r, ("l1", "l2", "l3"))][unit] += 1
        overall[unit] += 1
    hits = 0
    for r in test:
        counts = by_leaf.get(_key(r, ("l1", "l2", "l3"))) or overall
        hits += counts.most_common(1)[0][0] == names(r["unit"])
    return hits / len(test) if test else 0.0


def majority_area_top1(train: Sequence[dict], test: Sequence[dict]) -> float:
    """The stronger plain baseline: the unit that most often handled the leaf category in the
    appeal's subdistrict, else in the whole district, else overall (names merged alike)."""
    names = UnitNames(train)
    tables = [defaultdict(Counter) for _ in range(3)]
    keys = (("l1", "l2", "l3", "subdistrict"), ("l1", "l2", "l3"), ())
    for r in train:
        unit = names(r["unit"])
        for t, k in zip(tables, keys, strict=True):
            t[_key(r, k)][unit] += 1
    hits = 0
    for r in test:
        counts = next(t[_key(r, k)] for t, k in zip(tables, keys, strict=True) if _key(r, k) in t)
        hits += counts.most_common(1)[0][0] == names(r["unit"])
    return hits / len(test) if test else 0.0


def score(table: RoutingTable, test: Sequence[dict], details: dict | None = None):
    """(top-1, top-3) on `test`; with `details`, also fills in the precision of the 30/50/70%
    most confident first suggestions (and the confidence each needs)."""
    top1 = top3 = 0
    confident = []
    for row in test:
        truth = table.merge_name(row["unit"])
        top = table.predict_one(row, 3)
        ranked = [u for u, _p in top]
        hit = bool(ranked) and ranked[0] == truth
        top1 += hit
        top3 += truth in ranked
        confident.append((top[0][1] if top else 0.0, hit))
    n = len(test) or 1
    if details is not None and confident:
        confident.sort(key=lambda ph: -ph[0])
        for share in (30, 50, 70):
            chosen = confident[: max(1, len(confident) * share // 100)]
            details[str(share)] = {
                "precision": round(sum(h for _p, h in chosen) / len(chosen), 4),
                "min_confidence": round(chosen[-1][0], 4),
            }
    return top1 / n, top3 / n


def evaluate(rows: Sequence[dict], how: str = "time", share: float = 0.2, seed: int = 0) -> dict:
    """Top-1/top-3 on held-out rows, with the majority baseline. Unit names of the held-out
    rows are merged with the rules learned from the training rows."""
    rows = [r for r in rows if r.get("unit")]
    train, test = split_rows(rows, how, share=share, seed=seed)
    table = RoutingTable.fit(train)
    coverage = {}
    top1, top3 = score(table, test, coverage)
    return {
        "split": how,
        "train_rows": len(train),
        "test_rows": len(test),
        "top1": round(top1, 4),
        "top3": round(top3, 4),
        "majority_top1": round(majority_top1(train, test), 4),
        "majority_area_top1": round(majority_area_top1(train, test), 4),
        "precision_at_coverage": coverage,
        "strength": table.strength,
        "merged_kinds": table.kinds,
    }


# -- proposals ------------------------------------------------------------------------------


def leaf_summary(table: RoutingTable, *, examples: int = 3) -> list[dict]:
    """Per leaf category (l1, l2, l3 names): how many past dispatches, the share handled by
    the area's own units (属地) and by the leading fixed unit, and examples per subdistrict."""
    leaf_level = table.levels[CHAIN.index(("l1", "l2", "l3"))]
    area_level = table.levels[CHAIN.index(("l1", "l2", "l3", "subdistrict"))]
    by_leaf_area = defaultdict(dict)
    for key, counts in area_level.items():
        l1, l2, l3, sub = key.split("\x1f")
        by_leaf_area[(l1, l2, l3)][sub] = counts
    out = []
    for key, counts in leaf_level.items():
        l1, l2, l3 = key.split("\x1f")
        n = sum(counts.values())
        local = sum(c for r, c in counts.items() if r.startswith("<"))
        fixed = sorted(
            ((r, c) for r, c in counts.items() if not r.startswith("<")), key=lambda rc: -rc[1]
        )
        area_examples = []
        for sub, sub_counts in sorted(
            by_leaf_area[(l1, l2, l3)].items(), key=lambda kv: -sum(kv[1].values())
        )[:examples]:
            role, c = max(sub_counts.items(), key=lambda rc: (rc[1], rc[0]))
            # The communities' own workstations have no single name in a subdistrict.
            unit = None if role == COMMUNITY_ROLE else table._unit_of(role, {"subdistrict": sub})
            area_examples.append(
                {
                    "area": sub,
                    "unit": unit or (None if role == COMMUNITY_ROLE else role),
                    "community_units": role == COMMUNITY_ROLE,
                    "count": c,
                    "of": sum(sub_counts.values()),
                }
            )
        out.append(
            {
                "l2_ids": table.meta.get("l2_ids", {}).get(l2, []),
                "l1": l1,
                "l2": l2,
                "l3": l3,
                "support": n,
                "area_share": local / n,
                "top_unit": fixed[0][0] if fixed else None,
                "top_share": fixed[0][1] / n if fixed else 0.0,
                "units": [{"unit": r, "count": c} for r, c in fixed[:5]],
                "area_examples": area_examples,
            }
        )
    out.sort(key=lambda s: -s["support"])
    return out
