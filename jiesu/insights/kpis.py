# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The KPI formulas: the only place they live (docs/kpis.md explains each one).

A KPI is a ratio of two additive counters of `jiesu.insights.facts` (or a count, or a handling
time). `compute()` sums the counters of the appeals received in a period, grouped by one
dimension (unit with its sub-units, category at any level, channel, region at any level, type,
grade) and restricted by filters and by what the user may see, and returns every KPI of every
group with its numerator and denominator. The API, `manage.py kpis` and every page call it.

Without filters the sums come from the daily figures (a year by unit reads ~36,000 rows); with
filters, or for a unit-scoped user grouping by something other than unit, from the parts of
each appeal. Both are exact and give the same numbers (tested).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from fractions import Fraction

from django.apps import apps
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils.translation import gettext_lazy as _

from jiesu.catalog.models import AppealType, Category, Grade
from jiesu.insights import refresh
from jiesu.insights.models import COUNTERS, AppealPart, DailyFigure
from jiesu.org import permissions
from jiesu.org.models import Region, Unit
from jiesu.org.permissions import Action, Scope

D = DailyFigure.Dimension


@dataclass(frozen=True)
class Rate:
    code: str
    label: str
    numerator: str
    denominator: str
    # The three rates the city assesses every district on.
    assessed: bool = False


# Every rate of docs/kpis.md, in the order pages and exports show them.
RATES = [
    Rate(
        "acceptance_notification_rate",
        _("Acceptance-notification rate"),
        "decided",
        "received",
        True,
    ),
    Rate("handling_feedback_rate", _("Handling-feedback rate"), "fed_back", "accepted", True),
    Rate("closure_rate", _("Closure rate"), "concluded", "accepted", True),
    Rate("on_time_closure_rate", _("On-time handling rate"), "handle_met", "handle_due"),
    Rate("on_time_sign_rate", _("On-time sign-for rate"), "sign_met", "sign_due"),
    Rate("first_contact_rate", _("First-contact rate"), "contact_made", "contact_due"),
    Rate("on_time_contact_rate", _("On-time first-contact rate"), "contact_met", "contact_due"),
    Rate("return_visit_rate", _("Return-visit rate"), "visited", "visit_needed"),
    Rate("on_time_visit_rate", _("On-time return-visit rate"), "visit_met", "visit_due"),
    Rate("satisfaction_rate", _("Satisfaction rate"), "satisfied", "rated"),
    Rate("reopen_rate", _("Reopen rate"), "reopened", "reopen_base"),
    Rate("return_rate", _("Return rate"), "returned", "return_base"),
    # Assisting units (协办): judged on their own sign-for, the only step they have.
    Rate("assist_sign_rate", _("Assist sign-for rate"), "assist_signed", "assist_due"),
    Rate("on_time_assist_rate", _("On-time assist sign-for rate"), "assist_met", "assist_due"),
]
RATE_BY_CODE = {r.code: r for r in RATES}
# Counts shown beside the rates.
COUNTS = {
    "volume": ("received", _("Appeals received")),
    "accepted": ("accepted", _("Accepted appeals")),
    "dispatched": ("dispatched", _("Dispatched appeals")),
    "concluded": ("concluded", _("Concluded")),
    "extensions": ("extended", _("Approved extensions")),
    "assists": ("assisted", _("Assistance requests")),
}
TIMES = {
    "avg_handling_hours": _("Average handling time (working hours)"),
    "p90_handling_hours": _("90th-percentile handling time (working hours)"),
}
BY_CHOICES = ("all", "unit", "category", "channel", "region", "type", "grade")
BY_DIMENSION = {
    "all": D.ALL,
    "unit": D.UNIT,
    "category": D.CATEGORY,
    "channel": D.CHANNEL,
    "region": D.REGION,
    "type": D.TYPE,
    "grade": D.GRADE,
}
PART_FIELD = {
    D.UNIT: "unit_id",
    D.CATEGORY: "category_id",
    D.CHANNEL: "channel",
    D.REGION: "region_id",
    D.TYPE: "appeal_type_id",
    D.GRADE: "grade_id",
}


class KpiError(ValueError):
    """Bad input to a KPI query; the message is for the user, the code for programs."""

    def __init__(self, message, code: str = "invalid"):
        super().__init__(message)
        self.code = code


# -- the formulas -----------------------------------------------------------------------------


def ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


def percentile_hours(hours, q: Fraction = Fraction(9, 10)) -> int | None:
    """Nearest-rank percentile of handling times counted in whole working hours (rounded up):
    the smallest h such that at least a share q of the handled appeals took at most h hours."""
    items = sorted((int(h), int(n)) for h, n in hours.items() if n > 0)
    total = sum(n for _h, n in items)
    if not total:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for h, n in items:
        seen += n
        if seen >= rank:
            return h
    return items[-1][0]


def figures(counters: Counter, hours: Counter) -> dict:
    """Every KPI from summed counters: rates as {value, numerator, denominator}."""
    out = {}
    for name, (counter, _label) in COUNTS.items():
        out[name] = int(counters.get(counter, 0))
    for rate in RATES:
        n, d = int(counters.get(rate.numerator, 0)), int(counters.get(rate.denominator, 0))
        out[rate.code] = {"value": ratio(n, d), "numerator": n, "denominator": d}
    handled = int(counters.get("handled", 0))
    minutes = int(counters.get("handled_minutes", 0))
    out["handled"] = handled
    out["avg_handling_hours"] = round(minutes / handled / 60, 2) if handled else None
    out["p90_handling_hours"] = percentile_hours(hours)
    return out


# -- periods ----------------------------------------------------------------------------------


PERIODS = ("day", "week", "month", "quarter", "year")


def period_range(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar period of this kind that contains `day`, as inclusive dates."""
    if kind == "day":
        return day, day
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if kind == "month":
        start = day.replace(day=1)
        return start, _next_month(start) - dt.timedelta(days=1)
    if kind == "quarter":
        start = day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)
        end = _next_month(_next_month(_next_month(start)))
        return start, end - dt.timedelta(days=1)
    if kind == "year":
        return day.replace(month=1, day=1), day.replace(month=12, day=31)
    raise KpiError(_("Unknown period “%(kind)s”.") % {"kind": kind})


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def check_range(start: dt.date, end: dt.date):
    if start is None or end is None:
        raise KpiError(_("Give both dates of the period."))
    if end < start:
        raise KpiError(_("The end date is before the start date."), code="period_reversed")
    if (end - start).days > 366 * 5:
        raise KpiError(_("A period is at most five years long."), code="period_too_long")


# -- scope and filters ------------------------------------------------------------------------


@dataclass
class Scope_:
    """What a user may see of the statistics: everything, or a set of units (subtrees)."""

    district: bool
    unit_paths: tuple[str, ...] = ()

    def unit_q(self, prefix="unit__"):
        if self.district:
            return Q()
        q = Q(pk__in=[])
        for path in self.unit_paths:
            q |= Q(**{f"{prefix}path__startswith": path})
        return q


def scope_for(user) -> Scope_:
    scope = permissions.scope_of(user, Action.VIEW_STATISTICS)
    if scope == Scope.DISTRICT:
        return Scope_(True)
    if scope == Scope.UNIT:
        return Scope_(False, (user.unit.path,))
    raise permissions.PermissionDenied(Action.VIEW_STATISTICS, "role")


FILTERS = ("unit", "category", "channel", "region", "type", "grade")


def resolve_filters(raw: dict) -> dict:
    """Filter codes → objects; KpiError naming the unknown code."""
    out = {}
    lookups = {
        "unit": (Unit, _("No unit has the code “%(code)s”.")),
        "category": (Category, _("No category has the code “%(code)s”.")),
        "region": (Region, _("No region has the code “%(code)s”.")),
        "type": (AppealType, _("No appeal type has the code “%(code)s”.")),
        "grade": (Grade, _("No grade has the code “%(code)s”.")),
    }
    for name in FILTERS:
        code = (raw.get(name) or "").strip()
        if not code:
            continue
        if name == "channel":
            out[name] = code
            continue
        model, message = lookups[name]
        obj = model.objects.filter(code=code).first()
        if obj is None:
            raise KpiError(message % {"code": code})
        out[name] = obj
    return out


def _leaf_ids_under(category: Category) -> list[int]:
    if category.level == Category.Level.LEAF:
        return [category.pk]
    middles = (
        [category.pk]
        if category.level == Category.Level.MIDDLE
        else list(Category.objects.filter(parent=category).values_list("pk", flat=True))
    )
    return list(Category.objects.filter(parent__in=middles).values_list("pk", flat=True))


def _parts_q(filters: dict, scope: Scope_) -> Q:
    q = scope.unit_q()
    if unit := filters.get("unit"):
        q &= Q(unit__path__startswith=unit.path)
    if category := filters.get("category"):
        q &= Q(category_id__in=_leaf_ids_under(category))
    if channel := filters.get("channel"):
        q &= Q(channel=channel)
    if region := filters.get("region"):
        q &= Q(region__path__startswith=region.path)
    if appeal_type := filters.get("type"):
        q &= Q(appeal_type=appeal_type)
    if grade := filters.get("grade"):
        q &= Q(grade=grade)
    return q


# -- summing ----------------------------------------------------------------------------------


def sums(
    start,
    end,
    dimension: str,
    *,
    scope: Scope_,
    filters: dict,
    by_day=False,
    counters: tuple[str, ...] = COUNTERS,
    hours: bool = True,
):
    """{key: (counters, hours)} for the appeals received from `start` to `end` (inclusive),
    keyed by the dimension's raw key (or (day, key) with `by_day`). `counters` and `hours`
    narrow what is read to what the caller shows (a year of daily volumes by category is
    tens of thousands of rows: reading every counter and the handling-time histogram of each
    took half a second at a million appeals)."""
    unknown = set(counters) - set(COUNTERS)
    if unknown:
        raise ValueError(f"Unknown counters {sorted(unknown)}.")
    refresh.catch_up()
    if _from_daily_figures(dimension, scope, filters):
        return _sums_daily(start, end, dimension, scope, by_day, counters, hours)
    return _sums_parts(start, end, dimension, scope, filters, by_day, counters, hours)


def _from_daily_figures(dimension: str, scope: Scope_, filters: dict) -> bool:
    """Whether the daily figures answer (no filter, and the district or a unit dimension);
    otherwise the appeal parts are summed."""
    return not filters and (scope.district or dimension == D.UNIT)


def _daily_figures(start, end, dimension: str, scope: Scope_):
    """The daily figures of `dimension` from `start` to `end`, limited to the scope's units."""
    qs = DailyFigure.objects.filter(dimension=dimension, day__gte=start, day__lte=end)
    if not scope.district:
        units = Unit.objects.filter(scope.unit_q(prefix=""))
        qs = qs.filter(key__in=[str(pk) for pk in units.values_list("pk", flat=True)])
    return qs


TRUNCATE_TO = {"day": None, "week": TruncWeek, "month": TruncMonth}


def volumes(start, end, dimension: str, *, scope: Scope_, bucket: str) -> dict[tuple, int]:
    """{(bucket's first day, raw key): appeals received} from `start` to `end` (inclusive),
    in buckets of a day, a week (from Monday) or a month, summed by the database (a year of
    days by category is tens of thousands of rows; by month, a few hundred)."""
    if bucket not in TRUNCATE_TO:
        raise ValueError(f"Unknown bucket {bucket!r}.")
    refresh.catch_up()
    if _from_daily_figures(dimension, scope, {}):
        qs = _daily_figures(start, end, dimension, scope)
        key_field = "key"
    else:
        qs = AppealPart.objects.filter(_parts_q({}, scope), day__gte=start, day__lte=end)
        key_field = PART_FIELD.get(dimension)
    truncate = TRUNCATE_TO[bucket]
    qs = qs.annotate(bucket=truncate("day") if truncate else F("day"))
    group = ["bucket", *((key_field,) if key_field else ())]
    out: dict[tuple, int] = {}
    rows = qs.values_list(*group).annotate(n=Sum("received")).order_by()
    for row in rows:
        day = row[0].date() if isinstance(row[0], dt.datetime) else row[0]
        raw = "" if not key_field or row[1] is None else str(row[1])
        out[(day, raw)] = out.get((day, raw), 0) + (row[-1] or 0)
    return out


def _sums_daily(start, end, dimension, scope, by_day, names=COUNTERS, hours=True):
    qs = _daily_figures(start, end, dimension, scope)
    out = defaultdict(lambda: (Counter(), Counter()))
    columns = ("day", "key", *names, *(("hours",) if hours else ()))
    for row in qs.values_list(*columns).iterator(chunk_size=5000):
        key = (row[0], row[1]) if by_day else row[1]
        counted, histogram = out[key]
        for name, value in zip(names, row[2:], strict=False):
            if value:
                counted[name] += value
        if hours:
            for h, n in (row[-1] or {}).items():
                histogram[h] += n
    return out


def _sums_parts(start, end, dimension, scope, filters, by_day, names=COUNTERS, hours=True):
    qs = AppealPart.objects.filter(_parts_q(filters, scope), day__gte=start, day__lte=end)
    field = PART_FIELD.get(dimension)
    group = [*(("day",) if by_day else ()), *((field,) if field else ())]
    out = defaultdict(lambda: (Counter(), Counter()))

    def key_of(row):
        raw = "" if not field or row[field] is None else str(row[field])
        return (row["day"], raw) if by_day else raw

    for row in qs.values(*group).annotate(**{n: Sum(n) for n in names}).order_by():
        counted, _hours = out[key_of(row)]
        counted.update({n: row[n] or 0 for n in names})
    if not hours:
        return out
    hours_rows = (
        qs.filter(handled__gt=0).values(*group, "handled_hours").annotate(n=Count("pk")).order_by()
    )
    for row in hours_rows:
        out[key_of(row)][1][str(row["handled_hours"])] += row["n"]
    return out


# -- grouping ---------------------------------------------------------------------------------


def _merge(target, source):
    target[0].update(source[0])
    target[1].update(source[1])


def _group_units(raw, scope: Scope_, parent: Unit | None):
    units = list(Unit.objects.filter(scope.unit_q(prefix="")).order_by("path"))
    if parent is not None:
        shown = [u for u in units if u.parent_id == parent.pk]
    elif scope.district:
        shown = [u for u in units if u.parent_id is None]
    else:
        top = min((u.depth for u in units), default=0)
        shown = [u for u in units if u.depth == top]
    by_pk = {str(u.pk): u for u in units}
    groups = {u.pk: (Counter(), Counter()) for u in shown}
    for key, value in raw.items():
        unit = by_pk.get(key)
        if unit is None:
            continue
        for row in shown:
            if unit.path.startswith(row.path):
                _merge(groups[row.pk], value)
    return [
        (
            {
                "kind": "unit",
                "code": u.code,
                "name": u.name,
                "has_children": any(x.parent_id == u.pk for x in units),
            },
            groups[u.pk],
        )
        for u in shown
    ]


def _category_at_level(level: int):
    parents = dict(Category.objects.values_list("pk", "parent_id"))
    levels = dict(Category.objects.values_list("pk", "level"))

    def lift(pk):
        while pk is not None and levels.get(pk, 0) > level:
            pk = parents.get(pk)
        return pk

    return lift


def _group_categories(raw, level: int):
    lift = _category_at_level(level)
    cats = {c.pk: c for c in Category.objects.filter(level=level)}
    groups = defaultdict(lambda: (Counter(), Counter()))
    for key, value in raw.items():
        pk = lift(int(key)) if key else None
        _merge(groups[pk], value)
    rows = []
    for pk, value in groups.items():
        cat = cats.get(pk)
        group = (
            {"kind": "category", "code": cat.code, "name": cat.name, "level": level}
            if cat
            else {"kind": "category", "code": "", "name": str(_("Not classified")), "level": level}
        )
        rows.append((group, value))
    return rows


def _group_regions(raw, level: str):
    regions = {str(r.pk): r for r in Region.objects.all()}
    targets = {r.path: r for r in regions.values() if r.level == level}
    groups = defaultdict(lambda: (Counter(), Counter()))
    for key, value in raw.items():
        region = regions.get(key)
        found = None
        if region is not None:
            for path, target in targets.items():
                if region.path.startswith(path):
                    found = target
                    break
        _merge(groups[found.pk if found else None], value)
    by_pk = {r.pk: r for r in targets.values()}
    rows = []
    for pk, value in groups.items():
        region = by_pk.get(pk)
        group = (
            {"kind": "region", "code": region.code, "name": region.name, "level": level}
            if region
            else {"kind": "region", "code": "", "name": str(_("No location")), "level": level}
        )
        rows.append((group, value))
    return rows


def channel_names() -> dict[str, str]:
    """Channel codes → names, from the intake room's table when it is installed (read only)."""
    try:
        model = apps.get_model("intake", "Channel")
    except LookupError:
        return {}
    return dict(model.objects.values_list("code", "name"))


def _group_simple(raw, kind):
    if kind == "channel":
        names = channel_names()
        return [
            ({"kind": kind, "code": key, "name": names.get(key, key)}, value)
            for key, value in raw.items()
        ]
    model = AppealType if kind == "type" else Grade
    objs = {str(o.pk): o for o in model.objects.all()}
    rows = []
    for key, value in raw.items():
        obj = objs.get(key)
        group = (
            {"kind": kind, "code": obj.code, "name": obj.name}
            if obj
            else {"kind": kind, "code": "", "name": str(_("Not set"))}
        )
        rows.append((group, value))
    return rows


def grouped(raw, by: str, scope: Scope_, *, level=None, parent=None):
    if by == "all":
        total = (Counter(), Counter())
        for value in raw.values():
            _merge(total, value)
        return [({"kind": "all", "code": "", "name": str(_("Whole district"))}, total)]
    if by == "unit":
        return _group_units(raw, scope, parent)
    if by == "category":
        return _group_categories(raw, int(level or 1))
    if by == "region":
        return _group_regions(raw, level or Region.Level.SUBDISTRICT)
    return _group_simple(raw, by)


def compute(
    start: dt.date,
    end: dt.date,
    *,
    user=None,
    scope: Scope_ | None = None,
    by: str = "all",
    filters: dict | None = None,
    level=None,
    parent: Unit | None = None,
) -> dict:
    """Every KPI for the appeals received from `start` to `end` (inclusive dates), one row per
    group of `by`. `user` (or an explicit `scope`) limits what is counted."""
    check_range(start, end)
    if by not in BY_CHOICES:
        raise KpiError(_("Group by one of: %(choices)s.") % {"choices": ", ".join(BY_CHOICES)})
    if by == "category" and level is not None and int(level) not in (1, 2, 3):
        raise KpiError(_("A category level is 1, 2 or 3."))
    if by == "region" and level is not None and level not in Region.Level.values:
        raise KpiError(_("Unknown region level."))
    scope = scope or scope_for(user)
    filters = filters or {}
    raw = sums(start, end, BY_DIMENSION[by], scope=scope, filters=filters)
    rows = []
    for group, (counters, hours) in grouped(raw, by, scope, level=level, parent=parent):
        rows.append({"group": group, **figures(counters, hours)})
    if by != "unit":
        rows.sort(key=lambda r: (-r["volume"], r["group"]["code"]))
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "by": by,
        "filters": {k: (v if isinstance(v, str) else v.code) for k, v in (filters or {}).items()},
        "rows": rows,
    }


def table(result: dict, *, labels=False) -> tuple[list[str], list[list]]:
    """A KPI result as a flat table (CSV, Excel): one column per count, three per rate."""
    header = (
        ["kind", "code", "name"]
        if not labels
        else [str(_("Group")), str(_("Code")), str(_("Name"))]
    )
    for name, (_counter, label) in COUNTS.items():
        header.append(str(label) if labels else name)
    for rate in RATES:
        base = str(rate.label) if labels else rate.code
        if labels:
            header += [
                base,
                str(_("%(kpi)s: numerator") % {"kpi": base}),
                str(_("%(kpi)s: denominator") % {"kpi": base}),
            ]
        else:
            header += [base, f"{base}_numerator", f"{base}_denominator"]
    for name, label in TIMES.items():
        header.append(str(label) if labels else name)
    rows = []
    for row in result["rows"]:
        g = row["group"]
        line = [g["kind"], g["code"], g["name"]]
        line += [row[name] for name in COUNTS]
        for rate in RATES:
            r = row[rate.code]
            line += [r["value"], r["numerator"], r["denominator"]]
        line += [row[name] for name in TIMES]
        rows.append(line)
    return header, rows


def key_groups(by: str, keys, *, level=1) -> dict[str, dict]:
    """Raw keys of a category or channel dimension → the group each belongs to (category
    lifted to `level`), for series where the same keys repeat per day."""
    keys = set(keys)
    if by == "channel":
        names = channel_names()
        return {k: {"kind": "channel", "code": k, "name": names.get(k, k)} for k in keys}
    lift = _category_at_level(int(level))
    cats = {c.pk: c for c in Category.objects.filter(level=int(level))}
    out = {}
    for key in keys:
        cat = cats.get(lift(int(key))) if key else None
        out[key] = (
            {"kind": "category", "code": cat.code, "name": cat.name, "level": int(level)}
            if cat
            else {"kind": "category", "code": "", "name": str(_("Not classified"))}
        )
    return out
