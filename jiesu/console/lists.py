"""Appeal lists for the workbenches: one query for the rows, one for their running clocks."""

from django.db.models import Prefetch

from jiesu.appeals import timesource
from jiesu.appeals.models import Appeal, Assignment, Clock
from jiesu.console.paging import CappedPaginator

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
    order = {"red": 3, "yellow": 2, "green": 1}
    result = []
    for appeal in appeals:
        clocks = getattr(appeal, "running_clocks", [])
        lights = [c.light(now) for c in clocks]
        light = max(lights, key=lambda x: order[x]) if lights else None
        leads = getattr(appeal, "lead_assignments", [])
        result.append(
            {
                "appeal": appeal,
                "light": light,
                "next_due": clocks[0].due_at if clocks else None,
                "lead": leads[0].unit if leads else None,
            }
        )
    return result


def paginate(request, queryset, size=PAGE_SIZE):
    # Never count a whole queue of a million rows: the count stops at the cap ("10,000+").
    paginator = CappedPaginator(with_list_data(queryset), size, count_queryset=queryset)
    page = paginator.get_page(request.GET.get("page"))
    return page, rows(page.object_list)


__all__ = ["Appeal", "paginate", "rows", "with_list_data"]
