"""SLA clocks: computing and storing deadlines. All arithmetic goes through `workdays`.

A clock's deadline is computed once, when it starts, from the appeal's rule version, type and
grade; it is stored and never recomputed from today's rules. Its warning point (yellow light)
lies at a configurable share of the allowed time (default 75%), counted in the same kind of
time as the limit: natural time for natural limits, working time for working limits.
"""

from datetime import timedelta

from django.conf import settings

from jiesu.appeals.errors import CalendarGap
from jiesu.appeals.models import Appeal, Assignment, Clock
from jiesu.catalog import services as catalog
from jiesu.workdays import calendar
from jiesu.workdays.units import DurationUnit

WORKING_UNITS = {DurationUnit.WORKING_HOURS, DurationUnit.WORKING_DAYS}


def warn_ratio() -> float:
    return float(settings.JIESU.get("WARN_RATIO", 0.75))


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
    amount, unit = settings.JIESU.get("VISIT_LIMIT", (2, DurationUnit.WORKING_DAYS))
    return int(amount), str(unit)


def running(appeal: Appeal, kind: str, assignment: Assignment | None = None):
    qs = appeal.clocks.filter(kind=kind, stopped_at__isnull=True, cancelled=False)
    if assignment is not None:
        qs = qs.filter(assignment=assignment)
    return qs


def stop(appeal: Appeal, kind: str, now, assignment: Assignment | None = None) -> int:
    """Stop the running clocks of this kind because their step happened now."""
    return running(appeal, kind, assignment).update(stopped_at=now, outcome=Clock.Outcome.DONE)


def stop_unmet(appeal: Appeal, kind: str, now, *, applicable: bool = True, assignment=None) -> int:
    """Stop the running clocks of this kind because the work ended without their step: missed
    (never on time), or not applicable where the rule says the step could not happen."""
    outcome = Clock.Outcome.MISSED if applicable else Clock.Outcome.NOT_APPLICABLE
    return running(appeal, kind, assignment).update(stopped_at=now, outcome=outcome)


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
