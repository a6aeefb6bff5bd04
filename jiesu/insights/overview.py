# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The command-centre overview 指挥大屏 and the trends: one dict each, for the API and pages.

Rates and counts come from `kpis.compute` (the only formulas); what is "now" (open appeals by
light, overdue) is read live from the running SLA clocks.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.appeals import timesource
from jiesu.appeals.models import Appeal, Assignment, Clock
from jiesu.appeals.states import OPEN_STATUS_LIST
from jiesu.insights import kpis
from jiesu.insights.models import DailyFigure

D = DailyFigure.Dimension
MAP_POINTS = 2000
BUCKETS = ("day", "week", "month")


def today() -> dt.date:
    return timezone.localtime(timesource.now()).date()


def _running_handle_clocks(scope: kpis.Scope_):
    qs = Clock.objects.filter(
        kind=Clock.Kind.HANDLE,
        stopped_at__isnull=True,
        cancelled=False,
        assignment__active=True,
        assignment__role=Assignment.Role.LEAD,
    )
    if not scope.district:
        qs = qs.filter(scope.unit_q(prefix="assignment__unit__"))
    return qs


def lights(scope: kpis.Scope_, now=None) -> dict:
    """Open appeals held by a unit, by the light of their running handling clock."""
    now = now or timesource.now()
    counts = _running_handle_clocks(scope).aggregate(
        green=Count("pk", filter=Q(warn_at__gt=now)),
        yellow=Count("pk", filter=Q(warn_at__lte=now, due_at__gte=now)),
        red=Count("pk", filter=Q(due_at__lt=now)),
    )
    return {k: counts[k] or 0 for k in ("green", "yellow", "red")}


def open_points(scope: kpis.Scope_, now=None, limit=MAP_POINTS) -> list[dict]:
    """The most recent open appeals with a location (no personal data), with their light."""
    now = now or timesource.now()
    # The open states listed (not "not final"): the (status, received_at) index then reads the
    # few open appeals newest first, instead of scanning a million closed ones (218 ms at 1M).
    qs = Appeal.objects.filter(status__in=OPEN_STATUS_LIST, lat__isnull=False)
    if not scope.district:
        qs = qs.filter(
            scope.unit_q(prefix="assignments__unit__"), assignments__active=True
        ).distinct()
    rows = list(qs.order_by("-received_at").values("pk", "number", "lat", "lng", "status")[:limit])
    # One read of the shown appeals' running handling clocks: (due, warning) by appeal.
    clocks = {
        appeal_id: (due_at, warn_at)
        for appeal_id, due_at, warn_at in _running_handle_clocks(kpis.Scope_(True))
        .filter(appeal_id__in=[r["pk"] for r in rows])
        .values_list("appeal_id", "due_at", "warn_at")
    }
    points = []
    for r in rows:
        light = ""
        if r["pk"] in clocks:
            due_at, warn_at = clocks[r["pk"]]
            light = "red" if due_at < now else "yellow" if warn_at <= now else "green"
        points.append(
            {
                "number": r["number"],
                "lat": round(r["lat"], 5),
                "lng": round(r["lng"], 5),
                "status": r["status"],
                "light": light,
            }
        )
    return points


def overview(user, day: dt.date | None = None) -> dict:
    scope = kpis.scope_for(user)
    day = day or today()
    month_start = day.replace(day=1)
    since = day - dt.timedelta(days=29)
    [today_row] = kpis.compute(day, day, scope=scope)["rows"]
    [month] = kpis.compute(month_start, day, scope=scope)["rows"]
    daily = kpis.sums(
        since,
        day,
        D.ALL,
        scope=scope,
        filters={},
        by_day=True,
        counters=("received", "concluded"),
        hours=False,
    )
    trend = []
    for i in range(30):
        d = since + dt.timedelta(days=i)
        counters = daily.get((d, ""), (Counter(), Counter()))[0]
        trend.append(
            {
                "day": d.isoformat(),
                "volume": counters.get("received", 0),
                "concluded": counters.get("concluded", 0),
            }
        )
    channels = kpis.compute(since, day, scope=scope, by="channel")["rows"]
    categories = kpis.compute(since, day, scope=scope, by="category", level=2)["rows"]
    return {
        "day": day.isoformat(),
        "generated_at": timezone.localtime(timesource.now()).isoformat(timespec="seconds"),
        "today": {"received": today_row["volume"], "accepted": today_row["accepted"]},
        "lights": lights(scope),
        "month": {
            "from": month_start.isoformat(),
            "to": day.isoformat(),
            **{
                code: month[code]
                for code in (
                    "acceptance_notification_rate",
                    "handling_feedback_rate",
                    "closure_rate",
                    "satisfaction_rate",
                    "on_time_closure_rate",
                )
            },
            "volume": month["volume"],
        },
        "trend": trend,
        "channels": [
            {"code": r["group"]["code"], "name": r["group"]["name"], "volume": r["volume"]}
            for r in channels
            if r["volume"]
        ],
        "top_categories": [
            {"code": r["group"]["code"], "name": r["group"]["name"], "volume": r["volume"]}
            for r in categories
            if r["volume"]
        ][:10],
        "points": open_points(scope),
    }


# -- trends -----------------------------------------------------------------------------------


def bucket_start(day: dt.date, bucket: str) -> dt.date:
    if bucket == "day":
        return day
    if bucket == "week":
        return day - dt.timedelta(days=day.weekday())
    return day.replace(day=1)


def _shift_year(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def change(now: int, before: int) -> float | None:
    """Relative change (0.85 = +85%); None when there was nothing before."""
    return round((now - before) / before, 4) if before else None


def trends(
    user,
    start: dt.date,
    end: dt.date,
    *,
    by: str = "category",
    bucket: str = "month",
    level: int = 1,
    top: int = 8,
) -> dict:
    """Volume per bucket (day, week, month) for the top groups of `by` (category at a level,
    channel), with each bucket's change on the previous bucket (环比) and on the same bucket a
    year before (同比), and each group's share of the period with its change year on year."""
    kpis.check_range(start, end)
    if bucket not in BUCKETS:
        raise kpis.KpiError(_("A bucket is a day, a week or a month."))
    if by not in ("category", "channel"):
        raise kpis.KpiError(_("Trends are by category or by channel."))
    scope = kpis.scope_for(user)
    last_start, last_end = _shift_year(start, -1), _shift_year(end, -1)

    def series(a, b):
        raw = kpis.volumes(a, b, kpis.BY_DIMENSION[by], scope=scope, bucket=bucket)
        groups_of = kpis.key_groups(by, {key for _d, key in raw}, level=level)
        per_group = defaultdict(Counter)  # group code -> bucket -> volume
        names = {}
        totals = Counter()
        for (d, key), volume in raw.items():
            group = groups_of[key]
            per_group[group["code"]][bucket_start(d, bucket)] += volume
            totals[group["code"]] += volume
            names[group["code"]] = group["name"]
        return per_group, totals, names

    now_groups, now_totals, names = series(start, end)
    last_groups, last_totals, last_names = series(last_start, last_end)
    names = {**last_names, **names}
    buckets = []
    d = bucket_start(start, bucket)
    while d <= end:
        buckets.append(d)
        d = (
            d + dt.timedelta(days=1 if bucket == "day" else 7)
            if bucket != "month"
            else (kpis._next_month(d))
        )
    grand = sum(now_totals.values())
    grand_last = sum(last_totals.values())
    groups = []
    for code, total in now_totals.most_common(top):
        values = [now_groups[code].get(b, 0) for b in buckets]
        year_before = [
            last_groups[code].get(bucket_start(_shift_year(b, -1), bucket), 0) for b in buckets
        ]
        groups.append(
            {
                "code": code,
                "name": names.get(code, code),
                "total": total,
                "share": round(total / grand, 4) if grand else None,
                "total_year_before": last_totals.get(code, 0),
                "share_year_before": round(last_totals.get(code, 0) / grand_last, 4)
                if grand_last
                else None,
                "year_on_year": change(total, last_totals.get(code, 0)),
                "values": values,
                "period_on_period": [None]
                + [change(values[i], values[i - 1]) for i in range(1, len(values))],
                "same_bucket_year_before": year_before,
            }
        )
    return {
        "period": {"from": start.isoformat(), "to": end.isoformat()},
        "by": by,
        "bucket": bucket,
        "buckets": [b.isoformat() for b in buckets],
        "total": grand,
        "total_year_before": grand_last,
        "year_on_year": change(grand, grand_last),
        "groups": groups,
    }
