# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from collections import Counter
from datetime import date
from typing import Any

from django.contrib import admin
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from jiesu.org.admin_base import ReferenceDataAdmin
from jiesu.workdays import calendar
from jiesu.workdays.models import CalendarOverride, CoveredYear, WorkingPeriod

_WHAT_THE_LIBRARY_SAYS = _("The chinesecalendar library")


def _library_verdict(day: date) -> str:
    """What the library alone says about `day` (without overrides), for comparison."""
    if not calendar.library_covers(day.year):
        return str(_("not known"))
    info = calendar.WorkingCalendar().day_info(day)
    kind = _("working day") if info.is_working_day else _("rest day")
    return f"{kind} ({info.name})" if info.name else str(kind)


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ReferenceDataAdmin):
    list_display = ["date", "weekday", "is_working_day", "name", "library_says", "note"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"
    search_fields = ["name", "note"]
    ordering = ["-date"]
    fields = ["date", "is_working_day", "name", "note", "library_says", "created_at", "updated_at"]
    readonly_fields = ["library_says", "created_at", "updated_at"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj):
        return date_format(obj.date, "l") if obj.date else ""

    @admin.display(description=_("without this override"))
    def library_says(self, obj):
        if obj is None or obj.date is None:
            return "-"
        return _library_verdict(obj.date)


@admin.register(CoveredYear)
class CoveredYearAdmin(ReferenceDataAdmin):
    list_display = ["year", "overrides_entered", "note", "updated_at"]
    readonly_fields = ["overrides_for_year", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "description": _(
                    "Declare a year complete once all of its public holidays and make-up working "
                    "days from the State Council notice are entered as calendar overrides. Only "
                    "years the chinesecalendar library does not know need this. Until then, "
                    "deadlines that reach the year right after the last covered one are "
                    "provisional (statutory holidays only, recomputed once it is declared) and "
                    "deadlines that reach a later year are refused; once declared, Monday to "
                    "Friday are working days and weekends rest days, except the overrides listed "
                    "here."
                ),
                "fields": ["year", "note", "overrides_for_year"],
            },
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(description=_("overrides entered"))
    def overrides_entered(self, obj):
        return CalendarOverride.objects.filter(date__year=obj.year).count()

    @admin.display(description=_("overrides for this year"))
    def overrides_for_year(self, obj):
        if obj is None or obj.year is None:
            return "-"
        rows = CalendarOverride.objects.filter(date__year=obj.year).order_by("date")
        if not rows:
            return _("none yet")
        return format_html_join(
            "",
            "<div>{} {} {}</div>",
            (
                (
                    row.date.isoformat(),
                    _("working day") if row.is_working_day else _("rest day"),
                    row.name,
                )
                for row in rows
            ),
        )

    def changelist_view(self, request, extra_context=None):
        today = timezone.localdate()
        years = [today.year, today.year + 1]
        declared = set(CoveredYear.objects.filter(year__in=years).values_list("year", flat=True))
        status: list[dict[str, Any]] = []
        for year in years:
            if calendar.library_covers(year):
                source = _WHAT_THE_LIBRARY_SAYS
            elif year in declared:
                source = _("declared complete here")
            else:
                source = None
            status.append({"year": year, "source": source})
        counts = Counter(
            day.year
            for day in CalendarOverride.objects.filter(date__year__in=years).values_list(
                "date", flat=True
            )
        )
        for row in status:
            row["overrides"] = counts.get(row["year"], 0)
        extra_context = {
            **(extra_context or {}),
            "calendar_status": status,
            "library_first_year": calendar.LIBRARY_FIRST_YEAR,
            "library_last_year": calendar.LIBRARY_LAST_YEAR,
        }
        return super().changelist_view(request, extra_context=extra_context)


@admin.register(WorkingPeriod)
class WorkingPeriodAdmin(ReferenceDataAdmin):
    list_display = ["__str__", "start", "end", "length"]
    ordering = ["start"]
    fields = ["start", "end"]

    @admin.display(description=_("length"))
    def length(self, obj):
        minutes = (obj.end.hour * 60 + obj.end.minute) - (obj.start.hour * 60 + obj.start.minute)
        return f"{minutes // 60}:{minutes % 60:02d}"
