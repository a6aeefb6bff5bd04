# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Likely duplicates (并单) of an appeal among the open appeals, each with a score and why.

Every open appeal has a signature row (`AppealSignature`: MinHash of its text, H3 cell of its
point, category, region, a digest of the phone, time received) and its LSH band keys
(`SignatureBand`), written by the receiver below when it is received and removed when it is
finished, so the tables hold open appeals only. `find_many(appeals)` looks candidates up in a fixed
number of indexed queries (at most five), whatever the number of appeals or of open appeals:

1. text and phone: the signature rows of appeals sharing an LSH band key with the appeal's
   text (near-copies), and those with its phone within the category's time window;
2. place: the signature rows of appeals whose H3 cell lies within the category's radius,
   received within the window (on PostgreSQL an index-only scan of a covering index);
3. (in memory) every row scored: MinHash similarity, distance, category, phone;
4. the best few appeals themselves, to recompute the text similarity exactly and to show them.

(And one more when an appeal has no category yet: the category the dispatch room suggested.)

A candidate is earlier than the appeal (merging folds a later appeal into an earlier one), still
open, received within the window, and, when both have a point, within the radius. Its score
(0-1) weighs text similarity (half), nearness, the same category and the same phone; candidates
below `MIN_SCORE` are not shown. Radius and window are set per category (`CategoryPolicy`, the
most specific level that sets them) with district defaults (`DUPLICATE_RADIUS_M`,
`DUPLICATE_WINDOW_DAYS`).
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import h3
import numpy as np
from django.db import DatabaseError, connections, router, transaction
from django.db.models import F, Q
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from h3.api import basic_int as h3i

from jiesu import rowinsert
from jiesu.appeals.hooks import appeal_event
from jiesu.appeals.models import Appeal
from jiesu.appeals.states import FINAL_STATES
from jiesu.catalog.models import Category
from jiesu.conf import setting
from jiesu.dispatch import signatures
from jiesu.dispatch.models import (
    AppealSignature,
    CategoryPolicy,
    DuplicateShortlist,
    SignatureBand,
    Triage,
)
from jiesu.lookups import AnyOf

logger = logging.getLogger(__name__)

RESOLUTION = 10  # H3 cells of about 76 m edge (0.015 km²)
DEFAULT_RADIUS_M = 500
DEFAULT_WINDOW_DAYS = 30
MIN_SCORE = 0.4
# How long the candidates found for an appeal are reused (`DuplicateShortlist`, ADR 0036).
DEFAULT_SHORTLIST_SECONDS = 300
SHORTLIST_FORMAT = 1  # raise when the search changes: shortlists of the old search are not reused
MAX_RESULTS = 5
# Bounds on the rows read per appeal on each path (a crowded place or a common text).
MAX_TEXT_ROWS = 400
MAX_PLACE_ROWS = 600
# Weights of the score: text similarity, nearness, same category, same phone (sum 1).
W_TEXT, W_PLACE, W_CATEGORY, W_PHONE = 0.5, 0.25, 0.15, 0.1
# Text similarity (estimated Jaccard of character 3-gram sets) that counts as a full match:
# the same complaint written again with a few words changed.
FULL_TEXT = 0.5
SAME_AREA_NEARNESS = 0.3  # no point to compare, but the same community or grid

_DIGITS = re.compile(r"\D+")
_EARTH_M = 6_371_000.0


# -- signatures -----------------------------------------------------------------------------


def appeal_text(appeal) -> str:
    return f"{(appeal.title or '').strip()}\n{(appeal.description or '').strip()}".strip()


def phone_key(phone: str) -> int | None:
    """A signed 63-bit digest of the phone's digits; None for no phone."""
    digits = _DIGITS.sub("", phone or "")
    if len(digits) < 5:
        return None
    value = int.from_bytes(hashlib.blake2b(digits.encode(), digest_size=8).digest(), "big")
    return value >> 1


def cell_of(lat, lng) -> int | None:
    if lat is None or lng is None:
        return None
    return h3.str_to_int(h3.latlng_to_cell(lat, lng, RESOLUTION))


def cell_ranges(lat: float, lng: float, radius_m: float) -> list[tuple[int, int]]:
    """Integer ranges of resolution-10 cells that cover the disc of `radius_m` around the point.

    The disc is taken at the finest resolution that needs at most a few rings. At resolution 10
    each cell is its own range (lo == hi: the query is one `IN` list); at a coarser one each
    cell becomes the range of its resolution-10 descendants (in H3's integer form the
    descendants of a cell are contiguous: its digits below are 0-6, the rest 7)."""
    res = RESOLUTION
    while res > 5:
        spacing = h3.average_hexagon_edge_length(res, "m") * math.sqrt(3)
        rings = math.ceil(radius_m / spacing) + 1
        if rings <= 6:
            break
        res -= 1
    # H3's integer API: no cell names made and parsed (fifty appeals have about 4,500 cells).
    disk = h3i.grid_disk(h3i.latlng_to_cell(lat, lng, res), rings)
    if res == RESOLUTION:
        return [(cell, cell) for cell in sorted(disk)]
    below = 0
    for r in range(res + 1, RESOLUTION + 1):
        below |= 6 << (3 * (15 - r))
    ranges = []
    for cell in disk:
        lo = h3i.cell_to_center_child(cell, RESOLUTION)
        ranges.append((lo, lo | below))
    return sorted(ranges)


def distance_m(lat1, lng1, lat2, lng2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(min(1.0, math.sqrt(a)))


def signature_values(appeal) -> tuple[dict, list[int]]:
    """The appeal's signature row (column → value) and its band keys."""
    sig = signatures.minhash(appeal_text(appeal))
    row = {
        "appeal_id": appeal.pk,
        "minhash": signatures.to_bytes(sig),
        "cell": cell_of(appeal.lat, appeal.lng),
        "lat": appeal.lat,
        "lng": appeal.lng,
        "region_id": appeal.region_id,
        "category_id": appeal.category_id,
        "phone_key": phone_key(appeal.reporter_phone),
        "received_at": appeal.received_at,
    }
    return row, signatures.bands(sig)


def signature_rows(appeal) -> tuple[AppealSignature, list[SignatureBand]]:
    row, keys = signature_values(appeal)
    return AppealSignature(**row), [SignatureBand(appeal_id=appeal.pk, key=k) for k in keys]


def write_signature(appeal, *, new: bool = False) -> None:
    """Write the appeal's signature and its band keys. At intake this runs in the request, so
    it skips the ORM's per-object machinery: one statement on PostgreSQL (the bands inserted
    by the same statement), two elsewhere."""
    row, keys = signature_values(appeal)
    if not new:
        forget(appeal.pk)
    connection = connections[router.db_for_write(AppealSignature)]
    row["received_at"] = connection.ops.adapt_datetimefield_value(row["received_at"])
    columns = ", ".join(row)
    marks = ", ".join(["%s"] * len(row))
    insert = f"INSERT INTO {AppealSignature._meta.db_table} ({columns}) VALUES ({marks})"  # noqa: S608 (constant names)
    band_table = SignatureBand._meta.db_table
    if connection.vendor == "postgresql":
        # Held with the filing's other writes when they go out together (`rowinsert.batched`).
        rowinsert.later(
            f"WITH s AS ({insert}) INSERT INTO {band_table} (appeal_id, key) "  # noqa: S608
            "SELECT %s, unnest(%s::bigint[])",
            [*row.values(), appeal.pk, keys],
            using=connection.alias,
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(insert, list(row.values()))
        cursor.executemany(
            f"INSERT INTO {band_table} (appeal_id, key) VALUES (%s, %s)",  # noqa: S608
            [(appeal.pk, key) for key in keys],
        )


def forget(appeal_id: int) -> None:
    SignatureBand.objects.filter(appeal_id=appeal_id).delete()
    AppealSignature.objects.filter(appeal_id=appeal_id).delete()
    DuplicateShortlist.objects.filter(appeal_id=appeal_id).delete()


def rebuild(batch: int = 2000) -> int:
    """Signatures for every open appeal (after a bulk load, or to repair); returns the count."""
    with transaction.atomic():
        SignatureBand.objects.all().delete()
        AppealSignature.objects.all().delete()
    count = 0
    ids = list(
        Appeal.objects.exclude(status__in=FINAL_STATES).order_by("pk").values_list("pk", flat=True)
    )
    fields = [
        "id",
        "title",
        "description",
        "lat",
        "lng",
        "region_id",
        "category_id",
        "reporter_phone",
        "received_at",
    ]
    for start in range(0, len(ids), batch):
        rows, bands = [], []
        for appeal in Appeal.objects.filter(pk__in=ids[start : start + batch]).only(*fields):
            row, keys = signature_rows(appeal)
            rows.append(row)
            bands.extend(keys)
        with transaction.atomic():
            AppealSignature.objects.bulk_create(rows)
            SignatureBand.objects.bulk_create(bands, batch_size=5000)
        count += len(rows)
    return count


@receiver(appeal_event, dispatch_uid="dispatch.duplicates.keep_signature")
def keep_signature(sender, appeal, event, **kwargs):
    """Keep the signature tables to the open appeals: written on receipt (and on reopening),
    updated when registering sets the category or the place, removed when the appeal finishes."""
    final = {str(s) for s in FINAL_STATES}
    if event.to_status in final:
        if event.from_status not in final:
            forget(appeal.pk)
    elif event.kind == "receive":
        write_signature(appeal, new=True)
    elif event.from_status in final:
        write_signature(appeal)
    elif event.kind == "register":
        AppealSignature.objects.filter(appeal_id=appeal.pk).update(
            cell=cell_of(appeal.lat, appeal.lng),
            lat=appeal.lat,
            lng=appeal.lng,
            region_id=appeal.region_id,
            category_id=appeal.category_id,
        )


# -- finding --------------------------------------------------------------------------------


@dataclass
class Duplicate:
    """A candidate for merging: the earlier appeal, the score (0-1) and the reasons."""

    appeal: Appeal
    score: float
    text_similarity: float
    distance_m: float | None
    same_phone: bool
    same_category: bool
    same_area: bool = False
    reasons: list[str] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(self.score * 100)


@dataclass
class _Probe:
    appeal: Appeal
    signature: np.ndarray
    bands: list[int]
    category_id: int | None
    phone_key: int | None
    radius_m: float
    since: datetime
    ranges: list[tuple[int, int]]


def policy_for(category_ids) -> dict[int | None, tuple[float, int]]:
    """(radius in metres, window in days) per category: the most specific policy that sets
    each value, else the district default."""
    radius = float(setting("DUPLICATE_RADIUS_M", DEFAULT_RADIUS_M))
    window = int(setting("DUPLICATE_WINDOW_DAYS", DEFAULT_WINDOW_DAYS))
    result: dict[int | None, tuple[float, int]] = {None: (radius, window)}
    ids = {c for c in category_ids if c}
    if not ids:
        return result
    chains = {
        pk: [pk, parent, grandparent]
        for pk, parent, grandparent in Category.objects.filter(pk__in=ids).values_list(
            "pk", "parent_id", "parent__parent_id"
        )
    }
    wanted = {c for chain in chains.values() for c in chain if c}
    policies = {
        p.category_id: p
        for p in CategoryPolicy.objects.filter(category_id__in=wanted).only(
            "category_id", "duplicate_radius_m", "duplicate_window_days"
        )
    }
    for pk, chain in chains.items():
        r, w = radius, window
        for name in ("duplicate_radius_m", "duplicate_window_days"):
            for c in chain:
                value = getattr(policies.get(c), name, None) if c in policies else None
                if value:
                    if name == "duplicate_radius_m":
                        r = float(value)
                    else:
                        w = int(value)
                    break
        result[pk] = (r, w)
    return result


def _probes(appeals) -> list[_Probe]:
    missing = [a.pk for a in appeals if not a.category_id]
    suggested = (
        dict(
            Triage.objects.filter(appeal_id__in=missing, category__isnull=False).values_list(
                "appeal_id", "category_id"
            )
        )
        if missing
        else {}
    )
    categories = {a.pk: a.category_id or suggested.get(a.pk) for a in appeals}
    policies = policy_for(categories.values())
    probes = []
    for a in appeals:
        sig = signatures.minhash(appeal_text(a))
        radius, window = policies.get(categories[a.pk], policies[None])
        has_point = a.lat is not None and a.lng is not None
        probes.append(
            _Probe(
                appeal=a,
                signature=sig,
                bands=signatures.bands(sig),
                category_id=categories[a.pk],
                phone_key=phone_key(a.reporter_phone),
                radius_m=radius,
                since=a.received_at - timedelta(days=window),
                ranges=cell_ranges(a.lat, a.lng, radius) if has_point else [],
            )
        )
    return probes


def _window(probe: _Probe) -> Q:
    return Q(received_at__gte=probe.since, received_at__lte=probe.appeal.received_at)


def _place_query(probe: _Probe) -> Q:
    if not probe.ranges:
        return Q()
    q = Q()
    singles = [lo for lo, hi in probe.ranges if lo == hi]
    if singles:
        q |= Q(AnyOf(F("cell"), singles))
    for lo, hi in probe.ranges:
        if lo != hi:
            q |= Q(cell__range=(lo, hi))
    return q & _window(probe)


SIGNATURE_FIELDS = (
    "appeal_id",
    "minhash",
    "lat",
    "lng",
    "region_id",
    "category_id",
    "phone_key",
    "received_at",
)


def _inputs(p: _Probe) -> str:
    """A digest of everything a full search for the probe depends on: a shortlist made for
    other inputs (the text, the point or the category changed since) is not reused."""
    a = p.appeal
    parts = (
        SHORTLIST_FORMAT,
        a.pk,
        # Instants, not their text: an appeal read from the database carries UTC and one just
        # made in this process the current time zone, for the same moment.
        a.received_at.timestamp(),
        signatures.to_bytes(p.signature).hex(),
        repr(a.lat),
        repr(a.lng),
        a.region_id,
        p.phone_key,
        p.category_id,
        p.radius_m,
        p.since.timestamp(),
    )
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def shortlist_seconds() -> int:
    return max(0, int(setting("DUPLICATE_SHORTLIST_SECONDS", DEFAULT_SHORTLIST_SECONDS)))


def _fresh_shortlists(wanted: dict[int, str]) -> dict[int, list[int]]:
    """The candidate ids of each appeal (by pk, with its inputs digest) whose shortlist is
    fresh and made for those inputs."""
    seconds = shortlist_seconds()
    if not seconds or not wanted:
        return {}
    since = timezone.now() - timedelta(seconds=seconds)
    return {
        appeal_id: candidates
        for appeal_id, inputs, candidates in DuplicateShortlist.objects.filter(
            appeal_id__in=wanted, computed_at__gte=since
        ).values_list("appeal_id", "inputs", "candidates")
        if inputs == wanted[appeal_id] and isinstance(candidates, list)
    }


def _keep_shortlists(searched: list[_Probe], inputs: dict[int, str], scored: dict) -> None:
    """Write the shortlists of the probes just searched in full (one statement). A shortlist
    is a convenience: when it cannot be written, the suggestions are shown all the same."""
    if not shortlist_seconds():
        return
    now = timezone.now()
    rows = [
        DuplicateShortlist(
            appeal_id=p.appeal.pk,
            inputs=inputs[p.appeal.pk],
            candidates=[other_id for _s, other_id, _f in scored.get(p.appeal.pk, [])],
            computed_at=now,
        )
        for p in sorted(searched, key=lambda p: p.appeal.pk)  # one lock order for everyone
    ]
    try:
        with transaction.atomic():
            DuplicateShortlist.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["appeal"],
                update_fields=["inputs", "candidates", "computed_at"],
            )
    except DatabaseError:
        logger.warning("duplicate shortlists not kept", exc_info=True)


def find(appeal: Appeal, *, limit: int = MAX_RESULTS) -> list[Duplicate]:
    return find_many([appeal], limit=limit).get(appeal.pk, [])


def find_many(
    appeals, *, limit: int = MAX_RESULTS, stats: dict | None = None, reuse: bool = True
) -> dict[int, list[Duplicate]]:
    """Likely duplicates of each appeal, best first, by the appeal's primary key (appeals with
    none are left out). A fixed number of queries for any number of appeals; `stats`, when
    given, receives the number of signature rows scored.

    With `reuse` (the default), an appeal whose shortlist (`DuplicateShortlist`) is fresh and
    was made for the same search rescores only the candidates on it, with their facts as they
    are now; the others are searched in full and their shortlists written. `reuse=False`
    always searches in full and writes nothing."""
    appeals = [a for a in appeals if a.pk is not None]
    if not appeals:
        return {}
    probes = _probes(appeals)
    inputs = {p.appeal.pk: _inputs(p) for p in probes} if reuse else {}
    shortlisted = _fresh_shortlists(inputs)
    searched = [p for p in probes if p.appeal.pk not in shortlisted]

    # 1. text: the signature rows of appeals sharing a band key (a subquery); phone: those of
    # appeals from the same phone within the window; and the rows of the shortlists reused.
    # Few rows, by index.
    sig_rows: dict[int, tuple] = {}
    all_keys = {k for p in searched for k in p.bands}
    if all_keys:
        sharing = SignatureBand.objects.filter(AnyOf(F("key"), all_keys)).values("appeal_id")
        rows = AppealSignature.objects.filter(
            pk__in=sharing[: MAX_TEXT_ROWS * len(searched)]
        ).values_list(*SIGNATURE_FIELDS)
        for row in rows:
            sig_rows[row[0]] = row
    listed = {pk for ids in shortlisted.values() for pk in ids}
    if listed:
        for row in AppealSignature.objects.filter(AnyOf(F("pk"), listed)).values_list(
            *SIGNATURE_FIELDS
        ):
            sig_rows[row[0]] = row
    same_phone = Q()
    for p in searched:
        if p.phone_key is not None:
            same_phone |= Q(phone_key=p.phone_key) & _window(p)
    if same_phone:
        for row in AppealSignature.objects.filter(same_phone).values_list(*SIGNATURE_FIELDS)[
            : MAX_TEXT_ROWS * len(searched)
        ]:
            sig_rows[row[0]] = row

    # 2. place: the cells within the radius, within the window (an index-only scan on
    # PostgreSQL: the index carries every column read here).
    place = Q()
    for p in searched:
        place |= _place_query(p)
    if place:
        rows = (
            AppealSignature.objects.filter(place)
            .order_by("-received_at")
            .values_list(*SIGNATURE_FIELDS)[: MAX_PLACE_ROWS * len(searched)]
        )
        for row in rows:
            sig_rows[row[0]] = row

    # Score in memory: text similarity of every row at once, then the facts of the likely ones.
    rows = list(sig_rows.values())
    if stats is not None:
        stats["rows"] = len(rows)
    matrix = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype="<u4").reshape(
        len(rows), signatures.PERMUTATIONS
    )
    categories = np.array([r[5] or 0 for r in rows], dtype=np.int64)
    phones = np.array([r[6] if r[6] is not None else -1 for r in rows], dtype=np.int64)
    scored: dict[int, list[tuple[float, int, dict]]] = {}
    row_ids = np.array([r[0] for r in rows], dtype=np.int64)
    for p in probes:
        a = p.appeal
        a_key = (a.received_at, a.pk)
        if p.signature.any() and rows:
            sims = (matrix == p.signature).mean(axis=1)
        else:
            sims = np.zeros(len(rows))
        if a.pk in shortlisted:  # only the candidates on its shortlist
            sims = np.where(np.isin(row_ids, shortlisted[a.pk]), sims, -np.inf)
        # The best score each row could reach (at the very point): most rows of a crowded
        # disc share neither text, category nor phone and are dropped here, in one step.
        bound = W_TEXT * np.minimum(1.0, sims / FULL_TEXT) + W_PLACE
        if p.category_id:
            bound = bound + W_CATEGORY * (categories == p.category_id)
        if p.phone_key is not None:
            bound = bound + W_PHONE * (phones == p.phone_key)
        found = []
        for i in np.nonzero(bound >= MIN_SCORE * 0.8)[0]:
            row = rows[i]
            other_id, received_at = row[0], row[7]
            if received_at < p.since:
                continue
            if (received_at, other_id) >= a_key:  # itself too
                continue  # only earlier appeals: a merge folds the later into the earlier
            facts = _facts(p, row)
            if facts is None:
                continue
            facts["text"] = float(sims[i])
            score = _score(facts)
            if score >= MIN_SCORE * 0.8:  # the exact text similarity may lift it
                found.append((score, other_id, facts))
        found.sort(key=lambda x: (-x[0], -x[1]))
        scored[a.pk] = found[: limit * 3]
    if reuse and searched:
        _keep_shortlists(searched, inputs, scored)

    # 4. the appeals themselves: exact text similarity, still open, for display.
    wanted = {other_id for found in scored.values() for _s, other_id, _f in found}
    if not wanted:
        return {}
    others = {
        o.pk: o
        for o in Appeal.objects.filter(pk__in=wanted)
        .exclude(status__in=FINAL_STATES)
        .select_related("category")
        .only(
            "id",
            "number",
            "title",
            "description",
            "status",
            "received_at",
            "version",
            "category__name",
            "category__code",
        )
    }
    result = {}
    for p in probes:
        shingles = signatures.shingles(appeal_text(p.appeal))
        dupes = []
        for _s, other_id, facts in scored.get(p.appeal.pk, []):
            other = others.get(other_id)
            if other is None:
                continue
            theirs = signatures.shingles(appeal_text(other))
            if shingles and theirs:
                facts["text"] = len(shingles & theirs) / len(shingles | theirs)
            score = _score(facts)
            if score < MIN_SCORE:
                continue
            dupes.append(
                Duplicate(
                    appeal=other,
                    score=round(score, 3),
                    text_similarity=round(facts["text"], 3),
                    distance_m=facts["distance"],
                    same_phone=facts["phone"],
                    same_category=facts["category"],
                    same_area=facts["area"],
                    reasons=reasons(facts),
                )
            )
        dupes.sort(key=lambda d: (-d.score, -d.appeal.received_at.timestamp()))
        if dupes:
            result[p.appeal.pk] = dupes[:limit]
    return result


def _facts(p: _Probe, row) -> dict | None:
    _id, _m, lat, lng, region_id, category_id, pkey, _r = row
    a = p.appeal
    distance = None
    if a.lat is not None and a.lng is not None and lat is not None and lng is not None:
        distance = distance_m(a.lat, a.lng, lat, lng)
        if distance > p.radius_m:
            return None
    same_area = distance is None and bool(a.region_id) and a.region_id == region_id
    if distance is not None:
        nearness = max(0.0, 1.0 - distance / p.radius_m)
    else:
        nearness = SAME_AREA_NEARNESS if same_area else 0.0
    return {
        "distance": None if distance is None else round(distance),
        "nearness": nearness,
        "area": same_area,
        "category": bool(p.category_id) and p.category_id == category_id,
        "phone": p.phone_key is not None and p.phone_key == pkey,
    }


def _score(facts: dict) -> float:
    return (
        W_TEXT * min(1.0, facts["text"] / FULL_TEXT)
        + W_PLACE * facts["nearness"]
        + W_CATEGORY * facts["category"]
        + W_PHONE * facts["phone"]
    )


def reasons(facts: dict) -> list[str]:
    """Why a candidate was offered, in the reader's language."""
    out = []
    if facts["text"] >= 0.05:
        out.append(_("text %(percent)d%% similar") % {"percent": round(facts["text"] * 100)})
    if facts["distance"] is not None:
        out.append(_("%(metres)d m away") % {"metres": facts["distance"]})
    elif facts["area"]:
        out.append(_("same area"))
    if facts["category"]:
        out.append(_("same category"))
    if facts["phone"]:
        out.append(_("same phone"))
    return out
