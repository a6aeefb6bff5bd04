# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The workbenches: each role's queue, oldest or most urgent first, new work without reload."""

from collections import Counter

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from jiesu.appeals import timesource
from jiesu.appeals.models import Appeal, Assignment, Clock, SupervisionNotice, UnitRequest
from jiesu.appeals.states import OPEN_STATUS_LIST, Status
from jiesu.console import desk_filters
from jiesu.console.lists import paginate
from jiesu.console.navigation import DESKS
from jiesu.console.paging import capped_count
from jiesu.org import permissions
from jiesu.org.models import Unit
from jiesu.org.permissions import Action


def _desk(request, key):
    desk = next(d for d in DESKS if d.key == key)
    if not set(request.user.role_set) & {str(r) for r in desk.roles}:
        raise PermissionDenied(_("This workbench is not for your role."))
    return desk


def _render(request, key, tabs, current, queryset, extra=None):
    queryset, filter_form, sort = desk_filters.apply(queryset, request.GET, timesource.now())
    page, items = paginate(request, queryset)
    filter_qs = desk_filters.filter_query(request.GET)
    # The filter form has already read every channel's name for its choices.
    names = dict(filter_form.fields["channel"].choices)
    for row in items:
        row["channel"] = names.get(row["appeal"].channel, row["appeal"].channel)
    context = {
        "active_desk": key,
        "desk": _desk(request, key),
        "tabs": tabs,
        "current_tab": current,
        "page": page,
        "rows": items,
        "filter_form": filter_form,
        "filter_qs": filter_qs,
        "sort_links": desk_filters.sort_links(request.GET, sort),
        "page_query": f"tab={current}&{filter_qs}" if filter_qs else "",
        "bulk": _bulk(request.user, key, current),
        **(extra or {}),
    }
    template = (
        "console/includes/appeal_table.html"
        if request.headers.get("HX-Request")
        else "console/desks/desk.html"
    )
    return render(request, template, context)


def _bulk(user, desk, tab):
    """The bulk action this list offers (where the permission table allows it), or None."""
    from jiesu.console.views.bulk import may_bulk

    name = {("dispatch", "registered"): "dispatch", ("unit", "to_sign"): "sign"}.get((desk, tab))
    if name is None or not may_bulk(user, name):
        return None
    units = Unit.objects.filter(active=True).order_by("path") if name == "dispatch" else None
    return {"name": name, "units": units}


def _tab(request, tabs):
    """The tab asked for; without one, the first tab that has work (else the first tab)."""
    keys = [t[0] for t in tabs]
    current = request.GET.get("tab")
    if current in keys:
        return current
    busy = [t[0] for t in tabs if len(t) > 2 and t[2] not in (0, "0")]
    return busy[0] if busy else keys[0]


TAB_COUNT_CAP = 999


def _counted(tabs, querysets):
    """Tab labels with their counts; a queue never counts past the cap ("999+")."""
    counted = []
    for key, label in tabs:
        n = capped_count(querysets[key], TAB_COUNT_CAP)
        counted.append((key, label, n if n <= TAB_COUNT_CAP else f"{TAB_COUNT_CAP}+"))
    return counted


@login_required
def intake(request):
    _desk(request, "intake")
    received = Appeal.objects.filter(status=Status.RECEIVED).order_by("received_at", "id")
    registered = Appeal.objects.filter(status=Status.REGISTERED).order_by("registered_at", "id")
    querysets = {"received": received, "registered": registered}
    tabs = _counted(
        [("received", _("Awaiting intake")), ("registered", _("Registered, not dispatched"))],
        querysets,
    )
    current = _tab(request, tabs)
    return _render(request, "intake", tabs, current, querysets[current])


@login_required
def dispatch(request):
    _desk(request, "dispatch")
    pending_ext = UnitRequest.objects.filter(
        kind=UnitRequest.Kind.EXTENSION, decision=UnitRequest.Decision.PENDING
    ).values("appeal_id")
    querysets = {
        "registered": Appeal.objects.filter(status=Status.REGISTERED).order_by(
            "registered_at", "id"
        ),
        "returns": Appeal.objects.filter(status=Status.RETURN_REQUESTED).order_by(
            "received_at", "id"
        ),
        "extensions": Appeal.objects.filter(pk__in=pending_ext).order_by("received_at", "id"),
    }
    tabs = _counted(
        [
            ("registered", _("Awaiting dispatch")),
            ("returns", _("Return requests")),
            ("extensions", _("Extension requests")),
        ],
        querysets,
    )
    current = _tab(request, tabs)
    return _render(request, "dispatch", tabs, current, querysets[current])


@login_required
def unit(request):
    _desk(request, "unit")
    user = request.user
    units = permissions.units_in_scope(user, Action.SIGN)
    mine = Assignment.objects.filter(active=True, unit__in=units)
    now = timesource.now()
    querysets = {
        # Open appeals only: an assisting unit's share that was never signed for stays
        # pending after the appeal is finished, and there is nothing left to sign.
        "to_sign": Appeal.objects.filter(
            status__in=OPEN_STATUS_LIST,
            pk__in=mine.filter(state=Assignment.State.PENDING).values("appeal_id"),
        ).order_by("dispatched_at", "id"),
        "in_progress": Appeal.objects.filter(
            status=Status.IN_PROGRESS,
            pk__in=mine.filter(role=Assignment.Role.LEAD).values("appeal_id"),
        ).order_by("dispatched_at", "id"),
        "returned": Appeal.objects.filter(
            status=Status.IN_PROGRESS,
            pk__in=mine.filter(role=Assignment.Role.LEAD).values("appeal_id"),
        )
        .filter(Q(reopen_count__gt=0) | Q(events__kind__in=["send_back", "refuse_return"]))
        .distinct()
        .order_by("dispatched_at", "id"),
        "due_soon": Appeal.objects.filter(pk__in=_due_soon(mine, now)).order_by(
            "dispatched_at", "id"
        ),
        "approval": Appeal.objects.filter(
            pk__in=mine.filter(state=Assignment.State.AWAITING_APPROVAL).values("appeal_id")
        ).order_by("dispatched_at", "id"),
        "supervised": Appeal.objects.filter(
            pk__in=SupervisionNotice.objects.filter(
                unit__in=units, answered_at__isnull=True
            ).values("appeal_id")
        ).order_by("received_at", "id"),
    }
    tabs = [
        ("to_sign", _("To sign for")),
        ("in_progress", _("In progress")),
        ("returned", _("Sent back or reopened")),
        ("due_soon", _("Due soon or overdue")),
        ("supervised", _("Supervision notices")),
    ]
    if permissions.units_in_scope(user, Action.APPROVE_UNIT_COMPLETION).exists():
        tabs.insert(2, ("approval", _("Awaiting my approval")))
        # For a leader, a completion awaiting approval is work in the approval tab, not
        # "in progress" (otherwise the desk would open there instead of on the approval).
        querysets["in_progress"] = querysets["in_progress"].exclude(
            pk__in=mine.filter(state=Assignment.State.AWAITING_APPROVAL).values("appeal_id")
        )
    tabs = _counted(tabs, querysets)
    current = _tab(request, tabs)
    return _render(request, "unit", tabs, current, querysets[current])


def _due_soon(assignments: QuerySet[Assignment], now) -> list[int]:
    """The appeals with a running clock of one of `assignments` past its warning time.

    In two small reads rather than one join, as `_overdue_by_unit`: cancelled clocks keep no
    stop time, so the planner cannot tell how few clocks are still running, and it walked
    every assignment the unit ever had (its whole history: 400 ms at a million appeals) to
    find the few whose clocks run; the running clocks' own index finds those directly."""
    pairs = set(
        Clock.objects.filter(stopped_at__isnull=True, cancelled=False, warn_at__lte=now)
        .exclude(assignment=None)
        .values_list("appeal_id", "assignment_id")
    )
    if not pairs:
        return []
    ours = set(assignments.filter(pk__in={a for _, a in pairs}).values_list("pk", flat=True))
    return sorted({appeal for appeal, a in pairs if a in ours})


@login_required
def review(request):
    _desk(request, "review")
    qs = Appeal.objects.filter(status=Status.COMPLETED).order_by("completed_at", "id")
    tabs = _counted([("completed", _("Results to review"))], {"completed": qs})
    return _render(request, "review", tabs, "completed", qs)


@login_required
def visits(request):
    _desk(request, "visits")
    qs = Appeal.objects.filter(status=Status.VISITING).order_by("completed_at", "id")
    tabs = _counted([("visiting", _("Awaiting return visit"))], {"visiting": qs})
    return _render(request, "visits", tabs, "visiting", qs)


@login_required
def supervision(request):
    _desk(request, "supervision")
    now = timesource.now()
    running = Clock.objects.filter(stopped_at__isnull=True, cancelled=False)

    def clock(q) -> Exists:
        return Exists(running.filter(q, appeal=OuterRef("pk")))

    # EXISTS, not IN / NOT IN over the clocks: the planner turns them into (anti-)joins that
    # use the clocks' index instead of hashing (or re-scanning) every running clock per row;
    # and the open states listed, so that the status index finds the few open appeals among
    # a million closed ones.
    red = clock(Q(due_at__lt=now))
    yellow = clock(Q(warn_at__lte=now, due_at__gte=now))
    open_appeals = Appeal.objects.filter(status__in=OPEN_STATUS_LIST)
    unanswered = SupervisionNotice.objects.filter(appeal=OuterRef("pk"), answered_at__isnull=True)
    querysets = {
        "red": open_appeals.filter(red).order_by("received_at", "id"),
        "yellow": open_appeals.filter(yellow & ~red).order_by("received_at", "id"),
        "green": open_appeals.filter(~red & ~yellow).order_by("received_at", "id"),
        "notices": Appeal.objects.filter(Exists(unanswered)).order_by("received_at", "id"),
        # Closed although the citizen rated the result "not satisfied" (issue 9 defect 2):
        # the supervisor decides whether to reopen; a reopened appeal leaves the list.
        "unsatisfied": Appeal.objects.filter(
            status=Status.CLOSED, citizen_rating=Appeal.Satisfaction.UNSATISFIED
        ).order_by("-citizen_rated_at", "-id"),
    }
    tabs = _counted(
        [
            ("red", _("Red: overdue")),
            ("yellow", _("Yellow: due soon")),
            ("green", _("Green: on time")),
            ("notices", _("Notices awaiting answer")),
            ("unsatisfied", _("Closed, citizen not satisfied")),
        ],
        querysets,
    )
    current = _tab(request, tabs)
    return _render(
        request,
        "supervision",
        tabs,
        current,
        querysets[current],
        {"overdue_by_unit": _overdue_by_unit(running.filter(due_at__lt=now))},
    )


def _overdue_by_unit(overdue: QuerySet[Clock], limit: int = 20) -> list[dict]:
    """The units with the most overdue appeals (an appeal counted once per unit, however many
    of its clocks ran out), most first.

    In two small reads rather than one join: cancelled clocks keep no stop time, so the planner
    cannot tell how few clocks are still running and, at a million appeals, hashed every
    assignment to find the handful overdue (200 ms); the running clocks' own index finds them
    directly, and their assignments are read by id."""
    pairs = set(overdue.exclude(assignment=None).values_list("appeal_id", "assignment_id"))
    unit_of = dict(
        Assignment.objects.filter(pk__in={a for _, a in pairs}).values_list("pk", "unit__name")
    )
    counts = Counter(name for name, _ in {(unit_of[a], appeal) for appeal, a in pairs})
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [{"assignment__unit__name": name, "n": n} for name, n in ranked]


def manage(request):
    """The administration landing page (see `views.manage`: permission checks live there)."""
    from jiesu.console.views.manage import index

    return index(request)
