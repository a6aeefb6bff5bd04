# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Filters and column sorting for the workbench lists (GET parameters, so a view is a URL).

Filters: channel (code), category (code, any level), light (the worst running clock: red,
yellow, green, or none running) and unit (code; the lead unit, with its sub-units). Sorting:
`sort=<column>` or `sort=-<column>` over a fixed set of columns; anything else is ignored and
the desk keeps its own order (oldest or most urgent first)."""

from urllib.parse import urlencode

from django import forms
from django.db import connection
from django.db.models import Exists, F, Min, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from jiesu.appeals.models import Appeal, Assignment, Clock
from jiesu.catalog.models import Category
from jiesu.console.widgets import FastSelect
from jiesu.intake.models import Channel
from jiesu.org.models import Unit

LIGHTS = [
    ("", _("any light")),
    ("red", _("Red: deadline passed")),
    ("yellow", _("Yellow: deadline near")),
    ("green", _("Green: in time")),
    ("none", _("No running deadline")),
]

# Column key → order field (the next deadline is annotated as `next_due`).
SORTS = {
    "number": "number",
    "title": "title",
    "category": "category__name",
    "status": "status",
    "channel": "channel",
    "due": "next_due",
    "received": "received_at",
}
FILTER_KEYS = ("channel", "category", "light", "unit")


def channel_names() -> dict[str, str]:
    return dict(Channel.objects.values_list("code", "name"))


def channels_in_use() -> list[str]:
    """The distinct channel codes of all appeals, in order. `SELECT DISTINCT` would read every
    appeal; this walks the channel index from one code to the next (one probe per code)."""
    table = connection.ops.quote_name(Appeal._meta.db_table)
    sql = (
        f"WITH RECURSIVE used(code) AS (SELECT MIN(channel) FROM {table} "  # noqa: S608
        f"UNION ALL SELECT (SELECT MIN(channel) FROM {table} WHERE channel > used.code) "
        "FROM used WHERE used.code IS NOT NULL) SELECT code FROM used WHERE code IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


class DeskFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(level__lte=2, active=True).order_by("code"),
        to_field_name="code",
        required=False,
        empty_label=_("any category"),
        widget=FastSelect,
    )
    light = forms.ChoiceField(label=_("Light"), choices=LIGHTS, required=False)
    unit = forms.ModelChoiceField(
        label=_("Lead unit"),
        queryset=Unit.objects.filter(active=True).order_by("path"),
        to_field_name="code",
        required=False,
        empty_label=_("any unit"),
        widget=FastSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = channel_names()
        codes = sorted(set(names) | set(channels_in_use()))
        self.fields["channel"].choices = [("", _("any channel"))] + [
            (c, names.get(c, c)) for c in codes
        ]


def _light_q(light: str, now) -> Q:
    running = Clock.objects.filter(appeal=OuterRef("pk"), stopped_at__isnull=True, cancelled=False)
    red = Exists(running.filter(due_at__lt=now))
    yellow = Exists(running.filter(warn_at__lte=now, due_at__gte=now))
    anyclock = Exists(running)
    return {
        "red": Q(red),
        "yellow": Q(yellow) & ~Q(red),
        "green": Q(anyclock) & ~Q(red) & ~Q(yellow),
        "none": ~Q(anyclock),
    }[light]


def apply(queryset, params, now):
    """The desk's queryset filtered and sorted by `params` (a QueryDict); returns
    (queryset, form, sort) where sort is the valid sort key or ""."""
    form = DeskFilterForm(params)
    if form.is_valid():
        data = form.cleaned_data
        if data.get("channel"):
            queryset = queryset.filter(channel=data["channel"])
        if category := data.get("category"):
            queryset = queryset.filter(
                Q(category=category)
                | Q(category__parent=category)
                | Q(category__parent__parent=category)
            )
        if light := data.get("light"):
            queryset = queryset.filter(_light_q(light, now))
        if unit := data.get("unit"):
            leads = Assignment.objects.filter(
                role=Assignment.Role.LEAD, active=True, unit__path__startswith=unit.path
            )
            queryset = queryset.filter(pk__in=leads.values("appeal_id"))
    sort = params.get("sort", "")
    key = sort.lstrip("-")
    if key in SORTS:
        field = SORTS[key]
        if field == "next_due":
            queryset = queryset.annotate(
                next_due=Min(
                    "clocks__due_at",
                    filter=Q(clocks__stopped_at__isnull=True, clocks__cancelled=False),
                )
            )
        desc = sort.startswith("-")
        expr = F(field).desc(nulls_last=True) if desc else F(field).asc(nulls_last=True)
        queryset = queryset.order_by(expr, "-id" if desc else "id")  # id: a stable tie-break
    else:
        sort = ""
    return queryset, form, sort


def sort_links(params, sort: str) -> dict[str, dict]:
    """For each sortable column: the URL that sorts by it (toggling the direction when it is
    the current sort) and the current direction ("asc", "desc" or "")."""
    base = [(k, v) for k, v in params.lists() if k not in ("sort", "page") for v in v]
    links = {}
    for key in SORTS:
        current = "asc" if sort == key else "desc" if sort == f"-{key}" else ""
        target = f"-{key}" if current == "asc" else key
        links[key] = {"url": "?" + urlencode(base + [("sort", target)]), "dir": current}
    return links


def filter_query(params) -> str:
    """The filter and sort part of the query string (kept by the tabs and the pages)."""
    pairs = [(k, params.get(k)) for k in (*FILTER_KEYS, "sort") if params.get(k)]
    return urlencode(pairs)
