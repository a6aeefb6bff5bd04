# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""What each appeal contributes to the KPIs, read from what is stored about it.

`parts_for(appeal_ids)` turns appeals into `Part`s: one per unit that led the appeal (the lead
assignments, current and withdrawn) or was asked to assist it (协办), and one for an appeal no
unit led. The counters follow
docs/kpis.md; this module is the only place that decides what an appeal counts as. Everything
is read from stored data: the appeal's status and time stamps, its assignments, the stored SLA
clocks (deadlines as they were set and extended, stop times, raised breaches), its return
visits and its units' requests. Nothing is recomputed from today's rules or calendar, except the
handling time, which is the working time between two stored instants.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from jiesu import rowinsert
from jiesu.appeals.models import Appeal, Assignment, Clock, ReturnVisit, UnitRequest
from jiesu.appeals.states import Status
from jiesu.insights.models import COUNTERS, ChangedAppeal
from jiesu.workdays import calendar

_MARK_SQL = (
    f"INSERT INTO {ChangedAppeal._meta.db_table} (appeal_id) VALUES (%s) "  # noqa: S608
    "ON CONFLICT DO NOTHING"
)

REACHED = (
    Appeal.Satisfaction.SATISFIED,
    Appeal.Satisfaction.BASIC,
    Appeal.Satisfaction.UNSATISFIED,
)
GOOD = (Appeal.Satisfaction.SATISFIED, Appeal.Satisfaction.BASIC)
# Dimensions of a part, as stored on AppealPart.
DIMENSIONS = ("unit_id", "category_id", "channel", "region_id", "appeal_type_id", "grade_id")


@dataclass
class Part:
    appeal_id: int
    unit_id: int | None
    main: bool
    day: object
    category_id: int | None
    channel: str
    region_id: int | None
    appeal_type_id: int | None
    grade_id: int | None
    counters: dict = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    handled_hours: int | None = None

    def key(self):
        return (self.appeal_id, self.unit_id)


def mark_changed(sender, appeal, event, **kwargs):
    """`appeal_event` receiver: queue the appeal for the refresh (idempotent). One plain
    statement (bulk_create would build it anew on every filing), sent with the transition's
    other writes when they are held together (`rowinsert.batched`)."""
    rowinsert.later(_MARK_SQL, [appeal.pk])


def _clock_state(clock: Clock, step_at=None, *, needs_step=False):
    """'met', 'missed' or None (still counting, or cancelled).

    A stopped clock is met when it stopped by its (possibly extended) deadline. For the clocks
    of a step (sign-for, first contact) the step must have happened, by the deadline: a clock
    stopped by something else (the appeal was completed) is missed. A running clock is missed
    once its breach was raised against its current deadline (an approved extension after a
    breach makes it count again)."""
    if clock.cancelled:
        return None
    if clock.stopped_at is not None:
        if needs_step:
            return "met" if step_at is not None and step_at <= clock.due_at else "missed"
        return "met" if clock.stopped_at <= clock.due_at else "missed"
    if clock.breached_at is not None and clock.breached_at >= clock.due_at:
        return "missed"
    return None


def working_minutes(start, end) -> int | None:
    if start is None or end is None:
        return None
    try:
        delta = calendar.working_time_between(start, end)
    except calendar.CalendarError:
        return None
    return max(0, int(delta.total_seconds() // 60))


APPEAL_FIELDS = (
    "received_at",
    "category_id",
    "channel",
    "region_id",
    "appeal_type_id",
    "grade_id",
    "status",
    "registered_at",
    "dispatched_at",
    "completed_at",
    "reopen_count",
)
ASSIGNMENT_FIELDS = (
    "appeal_id",
    "unit_id",
    "role",
    "active",
    "dispatched_at",
    "signed_at",
    "contacted_at",
)
CLOCK_FIELDS = (
    "appeal_id",
    "assignment_id",
    "kind",
    "started_at",
    "due_at",
    "stopped_at",
    "breached_at",
    "cancelled",
    "outcome",
)


def parts_for(appeal_ids) -> dict[int, list[Part]]:
    """The parts of these appeals, read in a handful of queries (batches of any size)."""
    ids = list(appeal_ids)
    # Only the columns `_parts` reads (a rebuild reads millions of rows; an appeal's texts are
    # most of its bytes). A field read here but not listed costs a query per object.
    appeals = {a.pk: a for a in Appeal.objects.filter(pk__in=ids).only(*APPEAL_FIELDS)}
    leads = defaultdict(list)
    assists = defaultdict(list)
    for a in (
        Assignment.objects.filter(appeal_id__in=ids)
        .only(*ASSIGNMENT_FIELDS)
        .order_by("dispatched_at", "id")
    ):
        (leads if a.role == Assignment.Role.LEAD else assists)[a.appeal_id].append(a)
    clocks = defaultdict(list)
    for c in (
        Clock.objects.filter(appeal_id__in=ids).only(*CLOCK_FIELDS).order_by("started_at", "id")
    ):
        clocks[c.appeal_id].append(c)
    visits = defaultdict(list)
    for v in (
        ReturnVisit.objects.filter(appeal_id__in=ids)
        .only("appeal_id", "outcome", "visited_at")
        .order_by("visited_at", "id")
    ):
        visits[v.appeal_id].append(v)
    requests = defaultdict(list)
    for r in UnitRequest.objects.filter(appeal_id__in=ids).only(
        "assignment_id", "kind", "decision"
    ):
        requests[r.assignment_id].append(r)
    result = {}
    for pk in ids:
        appeal = appeals.get(pk)
        if appeal is None:
            result[pk] = []
            continue
        result[pk] = _parts(appeal, leads[pk], assists[pk], clocks[pk], visits[pk], requests)
    return result


def _parts(appeal: Appeal, leads, assists, clocks, visits, requests) -> list[Part]:
    day = timezone.localtime(appeal.received_at).date()

    def new_part(unit_id, main):
        return Part(
            appeal.pk,
            unit_id,
            main,
            day,
            appeal.category_id,
            appeal.channel,
            appeal.region_id,
            appeal.appeal_type_id,
            appeal.grade_id,
        )

    by_unit: dict[int | None, Part] = {}
    current = next((a for a in leads if a.active), leads[-1] if leads else None)
    main_unit = current.unit_id if current else None
    by_unit[main_unit] = new_part(main_unit, True)
    for assignment in [*leads, *assists]:
        if assignment.unit_id not in by_unit:
            by_unit[assignment.unit_id] = new_part(assignment.unit_id, False)
    main = by_unit[main_unit]
    c = main.counters
    status = appeal.status

    # Intake (受理告知): every appeal counts once, in the period it was received.
    c["received"] = 1
    if appeal.registered_at is not None or status in (
        Status.REJECTED,
        Status.MERGED,
        Status.ANSWERED,
    ):
        c["decided"] = 1
    accepted = appeal.registered_at is not None or status == Status.ANSWERED
    if status in (Status.REJECTED, Status.MERGED):
        accepted = False  # an appeal merged after registration is carried by its target
    if accepted:
        c["accepted"] = 1
        if status in (Status.CLOSED, Status.ANSWERED):
            c["concluded"] = 1
    visit_clocks = [k for k in clocks if k.kind == Clock.Kind.VISIT and not k.cancelled]
    if accepted and (status == Status.ANSWERED or visit_clocks):
        c["fed_back"] = 1
    if appeal.dispatched_at is not None and accepted:
        c["dispatched"] = 1

    # Return visits: needed once a result was fed back through a unit.
    if visit_clocks and accepted:
        c["visit_needed"] = 1
        c["reopen_base"] = 1
        if appeal.reopen_count > 0:
            c["reopened"] = 1
        for clock in visit_clocks:
            state = _clock_state(clock)
            if state:
                c["visit_due"] += 1
                c["visit_met"] += state == "met"
        reached = [v for v in visits if v.outcome in REACHED]
        if reached:
            c["visited"] = 1
            c["rated"] = 1
            c["satisfied"] = int(reached[-1].outcome in GOOD)

    # Handling time: first dispatch to the (last) completion, in working time.
    if accepted and appeal.completed_at is not None and appeal.dispatched_at is not None:
        minutes = working_minutes(appeal.dispatched_at, appeal.completed_at)
        if minutes is not None:
            c["handled"] = 1
            c["handled_minutes"] = minutes
            main.handled_hours = math.ceil(minutes / 60)

    # Each lead unit's own part: its clocks and its requests.
    if accepted:
        for lead in leads:
            part = by_unit[lead.unit_id]
            u = part.counters
            u["return_base"] += 1
            mine = requests.get(lead.pk, [])
            if any(r.kind == UnitRequest.Kind.RETURN for r in mine):
                u["returned"] += 1
            u["extended"] += sum(
                1
                for r in mine
                if r.kind == UnitRequest.Kind.EXTENSION
                and r.decision == UnitRequest.Decision.APPROVED
            )
            for clock in clocks:
                if clock.assignment_id != lead.pk:
                    continue
                if clock.kind == Clock.Kind.SIGN:
                    state = _clock_state(clock, lead.signed_at, needs_step=True)
                    if state:
                        u["sign_due"] += 1
                        u["sign_met"] += state == "met"
                elif clock.kind == Clock.Kind.CONTACT:
                    state = _clock_state(clock, lead.contacted_at, needs_step=True)
                    if state:
                        u["contact_due"] += 1
                        u["contact_met"] += state == "met"
                        u["contact_made"] += lead.contacted_at is not None
                elif clock.kind == Clock.Kind.HANDLE:
                    state = _clock_state(clock)
                    if state:
                        u["handle_due"] += 1
                        u["handle_met"] += state == "met"

    # Each assisting unit's own part (协办): asked to assist, and its sign-for by its deadline.
    # The workflow has no other step for an assisting unit (no reply to the lead unit), so
    # its sign-for clock is all that can be judged. Its assignment stays when the lead unit
    # changes (a return, a re-dispatch) and no clock is added when the appeal is reopened.
    # A clock stopped as missed (the lead unit completed first) stays missed even if the unit
    # signs once the appeal is reopened: its help came after the work it was asked for.
    if accepted:
        for assist in assists:
            u = by_unit[assist.unit_id].counters
            u["assisted"] += 1
            for clock in clocks:
                if clock.assignment_id != assist.pk or clock.kind != Clock.Kind.SIGN:
                    continue
                if clock.outcome == Clock.Outcome.MISSED and not clock.cancelled:
                    state = "missed"
                else:
                    state = _clock_state(clock, assist.signed_at, needs_step=True)
                if state:
                    u["assist_due"] += 1
                    u["assist_met"] += state == "met"
                    u["assist_signed"] += assist.signed_at is not None
    return list(by_unit.values())
