# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Appeal lists for the workbenches: one query for the rows, one for their running clocks."""

from django.db.models import Prefetch

from jiesu.appeals import timesource
from jiesu.appeals.models import Assignment, Clock
from jiesu.console.paging import CappedPaginator
from jiesu.console.presenters import clock_view, working_calendar, worst_light

PAGE_SIZE = 50


def with_list_data(queryset):
    running = Clock.objects.filter(stopped_at__isnull=True, cancelled=False).order_by("due_at")
    leads = Assignment.objects.filter(role=Assignment.Role.LEAD, active=True).select_related("unit")
    return queryset.select_related("category", "appeal_type", "grade").prefetch_related(
        Prefetch("clocks", queryset=running, to_attr="running_clocks"),
        Prefetch("assignments", queryset=leads, to_attr="lead_assignments"),
    )


def rows(appeals):
    now = timesource.now()
    appeals = list(appeals)
    # The next deadline reads as on the appeal page: its date and how long is left (or how
    # late it is), counted in working time for working-time limits; one calendar per page.
    cal = working_calendar(
        [c for appeal in appeals for c in getattr(appeal, "running_clocks", [])[:1]]
    )
    result = []
    for appeal in appeals:
        clocks = getattr(appeal, "running_clocks", [])
        leads = getattr(appeal, "lead_assignments", [])
        result.append(
            {
                "appeal": appeal,
                "light": worst_light(clocks, now),
                "next_due": clocks[0].due_at if clocks else None,
                "next_due_provisional": bool(clocks) and clocks[0].provisional,
                "next_due_state": clock_view(clocks[0], now, cal=cal)["state"] if clocks else "",
                "lead": leads[0].unit if leads else None,
            }
        )
    return result


def paginate(request, queryset, size=PAGE_SIZE):
    # Never count a whole queue of a million rows: the count stops at the cap ("10,000+").
    paginator = CappedPaginator(with_list_data(queryset), size, count_queryset=queryset)
    page = paginator.get_page(request.GET.get("page"))
    return page, rows(page.object_list)
