# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The analyst's and leaders' desks, under /console/insights/ (templates extend the console's).

Every number comes from `kpis.compute` (or `overview`, `hotspots`, which call it); charts read
the same numbers from `/api/v1/insights/…`. Who sees what is decided by the permission module
(`view_statistics`, `export_statistics`): supervisors and analysts the district, unit leaders
their unit. Drill-down links go to the console's search page, which masks personal data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.insights import hotspots, kpis, overview, topics
from jiesu.insights.models import EmergingFlag
from jiesu.org import geo, permissions
from jiesu.org.models import Region, Unit
from jiesu.org.permissions import Action

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require(user, action=Action.VIEW_STATISTICS):
    if permissions.scope_of(user, action) is None:
        raise PermissionDenied(_("Your role does not allow viewing statistics."))


def statistics_page(view):
    @login_required(login_url="console:login")
    def wrapped(request, *args, **kwargs):
        _require(request.user)
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


class PeriodForm(forms.Form):
    period = forms.ChoiceField(
        label=gettext_lazy("Period"),
        choices=[
            ("day", gettext_lazy("Day")),
            ("week", gettext_lazy("Week")),
            ("month", gettext_lazy("Month")),
            ("quarter", gettext_lazy("Quarter")),
            ("year", gettext_lazy("Year")),
            ("custom", gettext_lazy("Custom range")),
        ],
        initial="month",
        required=False,
    )
    day = forms.DateField(
        label=gettext_lazy("Containing the day"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        data = super().clean()
        kind = data.get("period") or "month"
        if kind == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError(_("Give both dates of the period."))
        else:
            start, end = kpis.period_range(kind, data.get("day") or overview.today())
        try:
            kpis.check_range(start, end)
        except kpis.KpiError as exc:
            raise forms.ValidationError(str(exc)) from None
        data["range"] = (start, end)
        return data


def _period(request) -> tuple[PeriodForm, tuple[dt.date, dt.date]]:
    form = PeriodForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["range"]
    return form, kpis.period_range("month", overview.today())


def _context(request, tab, **extra):
    tabs = [
        ("overview", _("Command-centre overview"), "insights:overview"),
        ("ranking", _("Unit assessment"), "insights:ranking"),
        ("trends", _("Trends"), "insights:trends"),
        ("hotspots", _("Hotspots"), "insights:hotspots"),
        ("reports", _("Reports"), "insights:reports"),
    ]
    jiesu = getattr(settings, "JIESU", {})
    return {
        "active_desk": "insights",
        "tab": tab,
        "tabs": [{"key": k, "label": label, "url": reverse(name)} for k, label, name in tabs],
        "may_export": permissions.scope_of(request.user, Action.EXPORT_STATISTICS) is not None,
        "map_tiles": jiesu.get("MAP_TILE_URL", ""),
        "map_attribution": jiesu.get("MAP_TILE_ATTRIBUTION", ""),
        "map_tiles_crs": jiesu.get("MAP_TILE_COORD_SYSTEM", "wgs84"),
        **extra,
    }


# -- overview ---------------------------------------------------------------------------------


@statistics_page
def overview_page(request):
    """指挥大屏: refreshed in place every minute by insights.js from the overview API."""
    data = overview.overview(request.user)
    return render(
        request,
        "insights/overview.html",
        _context(request, "overview", data=data, refresh_seconds=60, rates=_month_rates(data)),
    )


def _month_rates(data):
    labels = {r.code: r.label for r in kpis.RATES}
    return [
        {"code": code, "label": labels[code], **data["month"][code]}
        for code in (
            "acceptance_notification_rate",
            "handling_feedback_rate",
            "closure_rate",
            "satisfaction_rate",
            "on_time_closure_rate",
        )
    ]


# -- unit assessment --------------------------------------------------------------------------

# What a drill-down from each column shows on the search page (statuses of the appeals behind).
DRILL_STATUS = {
    "volume": [],
    "accepted": [],
    "concluded": ["closed", "answered"],
    "closure_rate": ["closed", "answered"],
    "satisfaction_rate": ["closed"],
    "reopen_rate": [],
    "return_rate": [],
}
RANKING_COLUMNS = [
    "acceptance_notification_rate",
    "handling_feedback_rate",
    "closure_rate",
    "on_time_closure_rate",
    "on_time_sign_rate",
    "first_contact_rate",
    "satisfaction_rate",
    "reopen_rate",
    "return_rate",
    "assist_sign_rate",
    "on_time_assist_rate",
]
# Columns about the unit's part as an assisting unit (协办): their drill-down lists the appeals
# the unit was asked to assist, not those it leads.
ASSIST_COLUMNS = {"assists", "assist_sign_rate", "on_time_assist_rate"}


def drill_url(start, end, *, unit=None, category=None, statuses=(), role="lead") -> str:
    pairs = [("received_from", start.isoformat()), ("received_to", end.isoformat())]
    if unit:
        pairs += [("unit", unit), ("unit_role", role)]
    if category:
        pairs.append(("category", category))
    pairs += [("status", s) for s in statuses]
    return reverse("console:search") + "?" + urlencode(pairs)


@statistics_page
def ranking_page(request):
    """考核排名: every unit's KPIs side by side, sortable, each number a drill-down."""
    form, (start, end) = _period(request)
    parent = None
    if code := request.GET.get("parent"):
        parent = Unit.objects.filter(code=code).first()
    result = kpis.compute(start, end, user=request.user, by="unit", parent=parent)
    labels = {r.code: r.label for r in kpis.RATES}
    columns = [{"code": c, "label": labels[c]} for c in RANKING_COLUMNS]
    rows = []
    for row in result["rows"]:
        code = row["group"]["code"]
        cells = []
        for c in RANKING_COLUMNS:
            r = row[c]
            cells.append(
                {
                    **r,
                    "code": c,
                    "label": labels[c],
                    "url": drill_url(
                        start,
                        end,
                        unit=code,
                        statuses=DRILL_STATUS.get(c, []),
                        role="assist" if c in ASSIST_COLUMNS else "lead",
                    ),
                }
            )
        rows.append(
            {
                "group": row["group"],
                "volume": row["volume"],
                "volume_url": drill_url(start, end, unit=code),
                "assists": row["assists"],
                "assists_url": drill_url(start, end, unit=code, role="assist"),
                "avg": row["avg_handling_hours"],
                "p90": row["p90_handling_hours"],
                "cells": cells,
                "children_url": (
                    reverse("insights:ranking")
                    + "?"
                    + urlencode({**request.GET.dict(), "parent": code})
                    if row["group"].get("has_children")
                    else ""
                ),
            }
        )
    query = request.GET.urlencode()
    return render(
        request,
        "insights/ranking.html",
        _context(
            request,
            "ranking",
            form=form,
            start=start,
            end=end,
            parent=parent,
            keep=[("parent", parent.code)] if parent else [],
            columns=columns,
            rows=rows,
            query=query,
        ),
    )


# -- trends -----------------------------------------------------------------------------------


@statistics_page
def trends_page(request):
    form, (start, end) = _period(request)
    if not request.GET.get("period"):
        end = overview.today()
        start = end.replace(month=1, day=1)
    api = reverse("insights-api:trends")
    return render(
        request,
        "insights/trends.html",
        _context(
            request,
            "trends",
            form=form,
            start=start,
            end=end,
            category_url=api
            + "?"
            + urlencode({"from": start, "to": end, "by": "category", "bucket": "month"}),
            channel_url=api
            + "?"
            + urlencode({"from": start, "to": end, "by": "channel", "bucket": "month"}),
            channels=overview.trends(request.user, start, end, by="channel", bucket="month"),
            categories=overview.trends(request.user, start, end, by="category", bucket="month"),
            query=request.GET.urlencode(),
        ),
    )


@statistics_page
def trend_export(request, by, fmt):
    """The trends page's tables (channels, categories) as .xlsx or .csv."""
    if by not in ("channel", "category"):
        raise Http404
    form, (start, end) = _period(request)
    if not request.GET.get("period"):
        end = overview.today()
        start = end.replace(month=1, day=1)
    found = overview.trends(request.user, start, end, by=by, bucket="month")
    header = [
        _("Name"),
        _("Appeals"),
        _("Share"),
        _("Share a year before"),
        _("Year on year"),
        _("Last period on the one before"),
    ]
    rows = [
        [
            g["name"],
            g["total"],
            g["share"],
            g["share_year_before"],
            g["year_on_year"],
            (g["period_on_period"] or [None])[-1],
        ]
        for g in found["groups"]
    ]
    return rows_response(request, fmt, f"trends-{by}", header, rows, start, end, _("Trends"))


# -- hotspots ---------------------------------------------------------------------------------


@statistics_page
def hotspots_page(request):
    form, (start, end) = _period(request)
    spots = hotspots.spatial(request.user, start, end)
    emerging = hotspots.emerging(request.user, overview.today())
    repeats = hotspots.repeats(request.user, start, end)
    flags = None
    if permissions.can(request.user, Action.SUPERVISE):
        flags = list(EmergingFlag.objects.all()[:20])
    topic_clusters, topics_at = topics.recent_topics(request.user, overview.today())
    return render(
        request,
        "insights/hotspots.html",
        _context(
            request,
            "hotspots",
            form=form,
            start=start,
            end=end,
            spots=spots,
            emerging=emerging,
            repeats=repeats,
            flags=flags,
            query=request.GET.urlencode(),
            topic_clusters=topic_clusters,
            topics_at=topics_at,
            topic_minutes=topics.TOPIC_CACHE_SECONDS // 60,
            topic_days=topics.TOPIC_DAYS,
            hotspots_url=reverse("insights-api:hotspots")
            + "?"
            + urlencode({"from": start, "to": end}),
        ),
    )


# -- map outlines -----------------------------------------------------------------------------


@login_required(login_url="console:login")
def regions_geojson(request):
    """District, subdistrict and community outlines for every map (no tile server needed)."""
    features = []
    regions = Region.objects.filter(
        active=True,
        boundary__isnull=False,
        level__in=[Region.Level.DISTRICT, Region.Level.SUBDISTRICT, Region.Level.COMMUNITY],
    ).order_by("path")
    for region in regions:
        try:
            shape = geo.parse_boundary(region.boundary).simplify(0.0002, preserve_topology=True)
        except ValidationError:  # a row written around Region.save(); org.geo logs it
            continue
        geometry = json.loads(
            json.dumps(geo.to_geojson(shape)), parse_float=lambda s: round(float(s), 5)
        )
        features.append(
            {
                "type": "Feature",
                "properties": {"name": region.name, "level": region.level, "code": region.code},
                "geometry": geometry,
            }
        )
    response = JsonResponse({"type": "FeatureCollection", "features": features})
    response["Cache-Control"] = "private, max-age=300"
    return response


# -- exports ----------------------------------------------------------------------------------


def _table_response(request, result, fmt: str, name: str):
    header, rows = kpis.table(result, labels=True)
    period = result["period"]
    return rows_response(request, fmt, name, header, rows, period["from"], period["to"], _("KPIs"))


def rows_response(request, fmt, name, header, rows, start, end, sheet, *, masked=False):
    """Any table as .csv (UTF-8 with a BOM, for Excel) or .xlsx (openpyxl), for the roles that
    may export statistics. The rows are already masked for the user's role; `masked` says they
    hold masked personal data (the sheet says so)."""
    if permissions.scope_of(request.user, Action.EXPORT_STATISTICS) is None:
        raise PermissionDenied(_("Your role does not allow exporting statistics."))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
        response.write("\ufeff")  # Excel opens UTF-8 CSV with a BOM correctly
        writer = csv.writer(response)
        writer.writerow(header)
        writer.writerows(rows)
        return response
    if fmt != "xlsx":
        raise Http404
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(str(sheet)[:31])
    ws.append([_("Appeals received from %(start)s to %(end)s") % {"start": start, "end": end}])
    note = (
        _("Exported by %(user)s at %(time)s; personal data masked.")
        if masked
        else _("Exported by %(user)s at %(time)s; no personal data.")
    )
    ws.append(
        [
            note
            % {
                "user": request.user.get_username(),
                "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            }
        ]
    )
    ws.append(header)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return FileResponse(
        buffer, as_attachment=True, filename=f"{name}-{stamp}.xlsx", content_type=XLSX
    )


HOTSPOT_TABLES = ("hotspots", "emerging", "topics", "callers", "places")


@statistics_page
def hotspot_export(request, table, fmt):
    """The tables of the hotspots page as .xlsx or .csv: hotspot cells, emerging issues, topic
    clusters, and (supervisors only) repeat callers (phones masked) and repeat places."""
    if table not in HOTSPOT_TABLES:
        raise Http404
    form, (start, end) = _period(request)
    user = request.user
    day = overview.today()
    masked = False
    if table == "hotspots":
        header = [
            _("Cell"),
            _("Latitude"),
            _("Longitude"),
            _("Appeals"),
            _("Categories"),
            "p",
            _("Appeal numbers"),
        ]
        rows = [
            [
                h["cell"],
                h["lat"],
                h["lng"],
                h["count"],
                "; ".join(f"{c['name']} ({c['volume']})" for c in h["categories"]),
                h["p_value"],
                " ".join(h["numbers"]),
            ]
            for h in hotspots.spatial(user, start, end)["hotspots"]
        ]
    elif table == "emerging":
        found = hotspots.emerging(user, day)
        start = end = found["week"]
        header = [
            _("Category"),
            _("Subdistrict"),
            _("This week"),
            _("Expected"),
            "p",
            _("Appeal numbers"),
        ]
        rows = [
            [
                i["category"]["name"],
                i["region"]["name"],
                i["count"],
                i["baseline"],
                i["p_value"],
                " ".join(i["numbers"]),
            ]
            for i in found["issues"]
        ]
    elif table == "topics":
        header = [
            _("Topic"),
            _("Appeals"),
            _("Reporters"),
            _("First"),
            _("Last"),
            _("Places"),
            _("Appeal numbers"),
        ]
        rows = [
            [
                t.title,
                t.messages,
                t.writers,
                t.first,
                t.last,
                "; ".join(name for name, _n in t.places),
                " ".join(t.refs),
            ]
            for t in topics.recent_topics(user, day)[0]
        ]
        start = day - dt.timedelta(days=topics.TOPIC_DAYS - 1)
        end = day
    else:
        repeats = hotspots.repeats(user, start, end)
        if repeats is None:
            raise PermissionDenied(_("Repeat callers and places are for supervisors."))
        if table == "callers":
            masked = True
            header = [_("Phone"), _("Appeals"), _("Appeal numbers")]
            rows = [[c["phone"], c["count"], " ".join(c["numbers"])] for c in repeats["callers"]]
        else:
            header = [_("Address"), _("Appeals"), _("Appeal numbers")]
            rows = [[p["address"], p["count"], " ".join(p["numbers"])] for p in repeats["places"]]
    return rows_response(
        request, fmt, f"hotspots-{table}", header, rows, start, end, _("Hotspots"), masked=masked
    )


@statistics_page
def kpi_export(request, fmt):
    """Any KPI table (the ranking, or grouped by anything) as .xlsx or .csv."""
    form, (start, end) = _period(request)
    by = request.GET.get("by", "unit")
    try:
        filters = kpis.resolve_filters({k: request.GET.get(k) for k in kpis.FILTERS})
        parent = None
        if request.GET.get("parent"):
            parent = kpis.resolve_filters({"unit": request.GET["parent"]})["unit"]
        result = kpis.compute(
            start,
            end,
            user=request.user,
            by=by,
            filters=filters,
            level=request.GET.get("level") or None,
            parent=parent,
        )
    except kpis.KpiError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    return _table_response(request, result, fmt, f"kpis-{by}")
