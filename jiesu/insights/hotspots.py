# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Hotspots 热点: where appeals concentrate (H3 cells) and what is rising (emerging issues).

Spatial hotspots
    The appeals received in a period with a location are counted per H3 cell (resolution 8 by
    default, cells of about 0.7 km²). Under "no hotspot", appeals fall on the occupied cells
    evenly: a cell's count is Poisson with the mean count of the occupied cells. A cell is a
    hotspot when the chance of at least its count under that mean is below 0.05 divided by the
    number of occupied cells (Bonferroni): across the whole map, a period with no real
    concentration shows a false hotspot at most 5% of the time.

Emerging issues
    For each (middle-level category, subdistrict), this week's count (Monday to the day asked)
    is compared with its own baseline: the previous 8 weeks' mean, with one appeal added to
    the sum (so a pair never seen before has a small, not a zero, baseline), scaled to the part
    of the week elapsed. The pair is flagged when P(X >= count | Poisson(baseline)) is below
    0.05 divided by the number of pairs tested (Bonferroni: a false alarm in at most 5% of
    weeks) and the count is at least 3.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import h3
from django.db.models import Count, F, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from scipy.stats import poisson

from jiesu.appeals import privacy
from jiesu.appeals.models import Appeal
from jiesu.catalog.models import Category
from jiesu.insights import kpis
from jiesu.insights.models import AppealPart
from jiesu.org import permissions
from jiesu.org.models import Region
from jiesu.org.permissions import Action

RESOLUTION = 8
ALPHA = 0.05
BASELINE_WEEKS = 8
MIN_COUNT = 3
NUMBERS_SHOWN = 50


def received_between(start: dt.date, end: dt.date) -> Q:
    """Appeals received from `start` to `end` (Shanghai days), as a range on received_at
    itself (not on its date), so that the database uses its index."""
    since = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    until = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return Q(received_at__gte=since, received_at__lt=until)


def _appeals(user, start, end, category=None):
    scope = kpis.scope_for(user)
    qs = Appeal.objects.filter(received_between(start, end), lat__isnull=False)
    if category is not None:
        qs = qs.filter(category_id__in=kpis._leaf_ids_under(category))
    if not scope.district:
        qs = qs.filter(scope.unit_q(prefix="assignments__unit__")).distinct()
    return qs


def spatial(user, start: dt.date, end: dt.date, *, category=None, resolution=RESOLUTION) -> dict:
    rows = list(
        _appeals(user, start, end, category)
        .order_by("-received_at")
        .values_list("number", "lat", "lng", "category_id")
    )
    cells = defaultdict(list)
    for number, lat, lng, category_id in rows:
        cells[h3.latlng_to_cell(lat, lng, resolution)].append((number, category_id))
    total = len(rows)
    hotspots = []
    if cells:
        mean = total / len(cells)
        threshold = ALPHA / len(cells)
        categories = {
            pk: {"code": code, "name": name}
            for pk, code, name in Category.objects.values_list("pk", "code", "name")
        }
        for cell, items in cells.items():
            count = len(items)
            p = float(poisson.sf(count - 1, mean))
            if p >= threshold or count < MIN_COUNT:
                continue
            lat, lng = h3.cell_to_latlng(cell)
            cats = Counter(c for _n, c in items)
            hotspots.append(
                {
                    "cell": cell,
                    "lat": round(lat, 6),
                    "lng": round(lng, 6),
                    "boundary": [[round(a, 6), round(b, 6)] for a, b in h3.cell_to_boundary(cell)],
                    "count": count,
                    "p_value": p,
                    "categories": [
                        {**categories.get(c, {"code": "", "name": ""}), "volume": n}
                        for c, n in cats.most_common(3)
                    ],
                    "numbers": [n for n, _c in items[:NUMBERS_SHOWN]],
                }
            )
    hotspots.sort(key=lambda h: (-h["count"], h["cell"]))
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "resolution": resolution,
        "total": total,
        "hotspots": hotspots,
    }


def _subdistrict_of():
    regions = list(Region.objects.values("pk", "path", "level", "code", "name"))
    subs = [r for r in regions if r["level"] == Region.Level.SUBDISTRICT]
    out = {}
    for r in regions:
        out[r["pk"]] = next((s for s in subs if r["path"].startswith(s["path"])), None)
    return out


def _middle_of():
    cats = {c["pk"]: c for c in Category.objects.values("pk", "parent_id", "level", "code", "name")}

    def lift(pk):
        c = cats.get(pk)
        while c is not None and c["level"] > 2:
            c = cats.get(c["parent_id"])
        return c

    return {pk: lift(pk) for pk in cats}


def emerging(user, day: dt.date, *, scope: kpis.Scope_ | None = None) -> dict:
    """The category x subdistrict pairs rising significantly this week (see module doc); the
    whole district when `scope` is given as `kpis.Scope_(True)` (the alerting task)."""
    scope = scope or kpis.scope_for(user)
    kpis.refresh.catch_up()
    week = day - dt.timedelta(days=day.weekday())
    since = week - dt.timedelta(weeks=BASELINE_WEEKS)
    qs = AppealPart.objects.filter(main=True, day__gte=since, day__lte=day)
    if not scope.district:
        qs = qs.filter(scope.unit_q())
    counts = qs.values("day", "category_id", "region_id").annotate(n=Count("pk")).order_by()
    sub_of, mid_of = _subdistrict_of(), _middle_of()
    now_counts, past_counts = Counter(), Counter()
    for row in counts:
        mid = mid_of.get(row["category_id"])
        sub = sub_of.get(row["region_id"])
        if mid is None or sub is None:
            continue
        key = (mid["pk"], sub["pk"])
        if row["day"] >= week:
            now_counts[key] += row["n"]
        else:
            past_counts[key] += row["n"]
    share_of_week = ((day - week).days + 1) / 7
    pairs = set(now_counts) | set(past_counts)
    tests = max(1, len(pairs))
    middle_by_pk = {m["pk"]: m for m in mid_of.values() if m}
    sub_by_pk = {s["pk"]: s for s in sub_of.values() if s}
    flagged = []
    for key, count in now_counts.items():
        baseline = (past_counts[key] + 1) / BASELINE_WEEKS * share_of_week
        p = float(poisson.sf(count - 1, baseline))
        if count >= MIN_COUNT and p < ALPHA / tests:
            mid, sub = middle_by_pk[key[0]], sub_by_pk[key[1]]
            flagged.append(
                (
                    key,
                    {
                        "category": {"code": mid["code"], "name": mid["name"], "volume": count},
                        "region": {"code": sub["code"], "name": sub["name"], "volume": count},
                        "week": week.isoformat(),
                        "count": count,
                        "baseline": round(baseline, 3),
                        "p_value": p,
                    },
                )
            )
    numbers = _numbers({key for key, _issue in flagged}, week, day, scope, mid_of, sub_of)
    issues = [{**issue, "numbers": numbers.get(key, [])} for key, issue in flagged]
    issues.sort(key=lambda i: (i["p_value"], -i["count"]))
    return {"week": week.isoformat(), "alpha": ALPHA, "tests": tests, "issues": issues}


def _numbers(keys, week, day, scope, mid_of, sub_of) -> dict[tuple, list[str]]:
    """The newest NUMBERS_SHOWN appeal numbers this week of each (middle category, subdistrict)
    key, counted as `emerging` counts them, in one query whatever the number of keys: at most
    NUMBERS_SHOWN parts of each (category, region) pair are read (a window over the pairs),
    then merged per key."""
    if not keys:
        return {}
    middles = {middle for middle, _sub in keys}
    subs = {sub for _middle, sub in keys}
    qs = AppealPart.objects.filter(
        main=True,
        day__gte=week,
        day__lte=day,
        category_id__in=[pk for pk, m in mid_of.items() if m and m["pk"] in middles],
        region_id__in=[pk for pk, s in sub_of.items() if s and s["pk"] in subs],
    )
    if not scope.district:
        qs = qs.filter(scope.unit_q())
    rows = (
        qs.annotate(
            newest=Window(
                RowNumber(),
                partition_by=[F("category_id"), F("region_id")],
                order_by=F("appeal_id").desc(),
            )
        )
        .filter(newest__lte=NUMBERS_SHOWN)
        .values_list("category_id", "region_id", "appeal_id", "appeal__number")
    )
    found: dict[tuple, dict[int, str]] = defaultdict(dict)
    for category_id, region_id, appeal_id, number in rows:
        key = (mid_of[category_id]["pk"], sub_of[region_id]["pk"])
        if key in keys:
            found[key][appeal_id] = number
    return {
        key: [by_id[pk] for pk in sorted(by_id, reverse=True)[:NUMBERS_SHOWN]]
        for key, by_id in found.items()
    }


REPEAT_MIN = 3


def repeats(user, start: dt.date, end: dt.date, *, minimum: int = REPEAT_MIN) -> dict | None:
    """Repeat callers and repeat places 重复来电/重复地点: the same phone or the same address
    with at least `minimum` appeals received in the period. For supervisors only (None for
    anyone else); phones are masked, the appeals are listed by number."""
    if not permissions.can(user, Action.SUPERVISE):
        return None
    base = Appeal.objects.filter(received_between(start, end))
    callers = (
        base.exclude(reporter_phone="")
        .values("reporter_phone")
        .annotate(n=Count("pk"))
        .filter(n__gte=minimum)
        .order_by("-n", "reporter_phone")[:20]
    )
    places = (
        base.exclude(address="")
        .values("address")
        .annotate(n=Count("pk"))
        .filter(n__gte=minimum)
        .order_by("-n", "address")[:20]
    )
    callers, places = list(callers), list(places)

    def numbers(field, values):
        """The latest 10 appeal numbers of each value, in one query (not one per value)."""
        found = defaultdict(list)
        rows = (
            base.filter(**{f"{field}__in": values})
            .order_by("-received_at")
            .values_list(field, "number")
        )
        for value, number in rows:
            if len(found[value]) < 10:
                found[value].append(number)
        return found

    phone_numbers = numbers("reporter_phone", [c["reporter_phone"] for c in callers])
    place_numbers = numbers("address", [p["address"] for p in places])
    return {
        "minimum": minimum,
        "callers": [
            {
                "phone": privacy.mask_phone(c["reporter_phone"]),
                "count": c["n"],
                "numbers": phone_numbers[c["reporter_phone"]],
            }
            for c in callers
        ],
        "places": [
            {"address": p["address"], "count": p["n"], "numbers": place_numbers[p["address"]]}
            for p in places
        ],
    }
