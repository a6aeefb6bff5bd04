# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""SLA clocks: computing and storing deadlines. All arithmetic goes through `workdays`.

A clock's deadline is computed once, when it starts, from the appeal's rule version, type and
grade; it is stored and never recomputed from today's rules. Its warning point (yellow light)
lies at a configurable share of the allowed time (default 75%), counted in the same kind of
time as the limit: natural time for natural limits, working time for working limits.
"""

from datetime import timedelta

from jiesu.appeals.errors import CalendarGap
from jiesu.appeals.models import Appeal, Assignment, Clock
from jiesu.catalog import services as catalog
from jiesu.conf import setting
from jiesu.workdays import calendar
from jiesu.workdays.units import DurationUnit

WORKING_UNITS = {DurationUnit.WORKING_HOURS, DurationUnit.WORKING_DAYS}


def warn_ratio() -> float:
    return float(setting("WARN_RATIO", 0.75))


def deadline(start, amount: int, unit: str):
    try:
        return calendar.add_duration(start, amount, unit)
    except calendar.CalendarNotCovered as exc:
        raise CalendarGap(str(exc)) from exc


def warning_point(start, due, unit: str):
    ratio = warn_ratio()
    if unit in WORKING_UNITS:
        allowed = calendar.working_time_between(start, due)
        minutes = int(allowed.total_seconds() * ratio // 60)
        if minutes <= 0:
            return start
        warn = calendar.add_working_time(start, timedelta(minutes=minutes))
    else:
        warn = start + timedelta(seconds=int((due - start).total_seconds() * ratio))
    return min(warn, due)


def clock_start(appeal: Appeal, now):
    """When counting starts: at receipt of the step, or from the next working day (次日起)."""
    snapshot = appeal.rule_version.snapshot if appeal.rule_version_id else {}
    if snapshot.get("count_from") == "next_day":
        return calendar.start_of_next_working_day(now)
    return now


def start_clock(
    appeal: Appeal, kind: str, now, *, assignment: Assignment | None = None, limit=None
) -> Clock:
    if limit is None:
        limit = catalog.resolve_time_limit(
            kind,
            appeal.appeal_type.code if appeal.appeal_type_id else None,
            appeal.grade.code if appeal.grade_id else None,
            version=appeal.rule_version,
        )
    amount, unit = limit
    start = clock_start(appeal, now) if kind != Clock.Kind.VISIT else now
    due = deadline(start, amount, unit)
    return Clock.objects.create(
        appeal=appeal,
        assignment=assignment,
        kind=kind,
        started_at=now,
        limit_amount=amount,
        limit_unit=unit,
        warn_at=warning_point(start, due, unit),
        due_at=due,
        original_due_at=due,
    )


def visit_limit() -> tuple[int, str]:
    amount, unit = setting("VISIT_LIMIT", (2, DurationUnit.WORKING_DAYS))
    return int(amount), str(unit)


def running(appeal: Appeal, kind: str, assignment: Assignment | None = None):
    qs = appeal.clocks.filter(kind=kind, stopped_at__isnull=True, cancelled=False)
    if assignment is not None:
        qs = qs.filter(assignment=assignment)
    return qs


def stop(appeal: Appeal, kind: str, now, assignment: Assignment | None = None) -> int:
    return running(appeal, kind, assignment).update(stopped_at=now)


def cancel_for_assignment(assignment: Assignment) -> int:
    return assignment.clocks.filter(stopped_at__isnull=True, cancelled=False).update(cancelled=True)


def extend(clock: Clock, working_days: int) -> Clock:
    """Move a handling deadline by N working days; the original deadline stays on record."""
    try:
        clock.due_at = calendar.add_working_days(clock.due_at, working_days)
    except calendar.CalendarNotCovered as exc:
        raise CalendarGap(str(exc)) from exc
    clock.warn_at = warning_point(clock.started_at, clock.due_at, DurationUnit.WORKING_DAYS)
    clock.save(update_fields=["due_at", "warn_at"])
    return clock
