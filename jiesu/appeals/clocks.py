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

Provisional deadlines (docs/adr/0009-provisional-calendar.md): a deadline that runs into the year
after the last one the working calendar covers is computed on the provisional calendar
(statutory holidays, no make-up days) and the clock is marked `provisional`. When the calendar
changes (an administrator enters or declares the year, saves an override, or a newer
chinesecalendar knows the year), `recompute_provisional` computes every running provisional clock
again from its start, limit and approved extensions; each appeal whose deadline moved gets one
`deadline_recomputed` history event, and the mark is cleared once no provisional day is involved.
It is idempotent: a second run finds nothing to move.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import translation
from django.utils.translation import gettext as _

from jiesu.appeals import audit, hooks, timesource
from jiesu.appeals.errors import CalendarGap
from jiesu.appeals.models import Appeal, Assignment, Clock, UnitRequest
from jiesu.catalog import services as catalog
from jiesu.conf import setting
from jiesu.workdays import calendar
from jiesu.workdays.units import DurationUnit

logger = logging.getLogger(__name__)

WORKING_UNITS = {DurationUnit.WORKING_HOURS, DurationUnit.WORKING_DAYS}
RECOMPUTED_EVENT = "deadline_recomputed"


def warn_ratio() -> float:
    return float(setting("WARN_RATIO", 0.75))


def deadline(start, amount: int, unit: str, cal=None) -> calendar.Deadline:
    """The deadline `amount` `unit` after `start`, and whether it is provisional."""
    try:
        return (cal or calendar.get_calendar()).deadline(start, amount, unit)
    except calendar.CalendarNotCovered as exc:
        raise CalendarGap(str(exc)) from exc


def warning_point(start, due, unit: str, cal=None):
    cal = cal or calendar.get_calendar()
    ratio = warn_ratio()
    if unit in WORKING_UNITS:
        allowed = cal.working_time_between(start, due)
        minutes = int(allowed.total_seconds() * ratio // 60)
        if minutes <= 0:
            return start
        warn = cal.add_working_time(start, timedelta(minutes=minutes))
    else:
        warn = start + timedelta(seconds=int((due - start).total_seconds() * ratio))
    return min(warn, due)


def clock_start(appeal: Appeal, now, cal=None):
    """When counting starts: at receipt of the step, or from the next working day (次日起)."""
    return _clock_start(appeal, now, cal or calendar.get_calendar()).at


def _clock_start(appeal: Appeal, now, cal) -> calendar.Deadline:
    snapshot = appeal.rule_version.snapshot if appeal.rule_version is not None else {}
    if snapshot.get("count_from") != "next_day":
        return calendar.Deadline(now)
    try:
        start = cal.start_of_next_working_day(now)
    except calendar.CalendarNotCovered as exc:
        raise CalendarGap(str(exc)) from exc
    return calendar.Deadline(start, cal.spans_provisional(now, start))


@dataclass(frozen=True)
class _Computed:
    original_due_at: dt.datetime
    due_at: dt.datetime
    warn_at: dt.datetime
    provisional: bool


def _compute(appeal: Appeal, kind: str, started_at, amount, unit, cal, extension_days=0):
    """A clock's deadlines as `start_clock` and then `extend` compute them."""
    if kind == Clock.Kind.VISIT:
        start = calendar.Deadline(started_at)
    else:
        start = _clock_start(appeal, started_at, cal)
    original = deadline(start.at, amount, unit, cal)
    provisional = start.provisional or original.provisional
    if not extension_days:
        warn = warning_point(start.at, original.at, unit, cal)
        return _Computed(original.at, original.at, warn, provisional)
    # N extensions of a, b, … working days end where one of a + b + … does.
    due = deadline(original.at, extension_days, DurationUnit.WORKING_DAYS, cal)
    warn = warning_point(started_at, due.at, DurationUnit.WORKING_DAYS, cal)
    return _Computed(original.at, due.at, warn, provisional or due.provisional)


def _new_clock(appeal: Appeal, kind: str, now, assignment, limit, cal) -> Clock:
    """An unsaved clock of `kind` starting now, its deadlines computed."""
    if limit is None:
        limit = catalog.resolve_time_limit(
            kind,
            appeal.appeal_type.code if appeal.appeal_type is not None else None,
            appeal.grade.code if appeal.grade is not None else None,
            version=appeal.rule_version,
        )
    amount, unit = limit
    computed = _compute(appeal, kind, now, amount, unit, cal)
    return Clock(
        appeal=appeal,
        assignment=assignment,
        kind=kind,
        started_at=now,
        limit_amount=amount,
        limit_unit=unit,
        warn_at=computed.warn_at,
        due_at=computed.due_at,
        original_due_at=computed.original_due_at,
        provisional=computed.provisional,
    )


def start_clock(
    appeal: Appeal, kind: str, now, *, assignment: Assignment | None = None, limit=None
) -> Clock:
    clock = _new_clock(appeal, kind, now, assignment, limit, calendar.get_calendar())
    clock.save(force_insert=True)
    return clock


def start_clocks(
    appeal: Appeal, kinds, now, *, assignment: Assignment | None = None
) -> list[Clock]:
    """Start several clocks of one step at once (one insert), each with its catalogue limit."""
    cal = calendar.get_calendar()
    limits = catalog.resolve_time_limits(
        kinds,
        appeal.appeal_type.code if appeal.appeal_type is not None else None,
        appeal.grade.code if appeal.grade is not None else None,
        version=appeal.rule_version,
    )
    clocks = [_new_clock(appeal, kind, now, assignment, limits[kind], cal) for kind in kinds]
    return Clock.objects.bulk_create(clocks)


def visit_limit() -> tuple[int, str]:
    amount, unit = setting("VISIT_LIMIT", (2, DurationUnit.WORKING_DAYS))
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
    cal = calendar.get_calendar()
    due = deadline(clock.due_at, working_days, DurationUnit.WORKING_DAYS, cal)
    clock.due_at = due.at
    clock.provisional = clock.provisional or due.provisional
    clock.warn_at = warning_point(clock.started_at, clock.due_at, DurationUnit.WORKING_DAYS, cal)
    clock.save(update_fields=["due_at", "warn_at", "provisional"])
    return clock


# -- recomputing provisional deadlines -----------------------------------------------------------


def _extension_days(clock: Clock) -> int:
    """The working days of the extensions approved while this handling clock ran."""
    if clock.kind != Clock.Kind.HANDLE or clock.assignment_id is None:
        return 0
    total = UnitRequest.objects.filter(
        assignment_id=clock.assignment_id,
        kind=UnitRequest.Kind.EXTENSION,
        decision=UnitRequest.Decision.APPROVED,
        decided_at__gte=clock.started_at,
    ).aggregate(days=Sum("extension_days"))["days"]
    return total or 0


def _open_provisional():
    return Clock.objects.filter(provisional=True, stopped_at__isnull=True, cancelled=False)


def has_provisional() -> bool:
    """Whether any running clock is provisional (one indexed query)."""
    return _open_provisional().exists()


@dataclass
class Recomputation:
    """What `recompute_provisional` did."""

    appeals: int = 0  # appeals looked at
    clocks: int = 0  # provisional clocks computed again
    moved: int = 0  # clocks whose deadline moved
    events: int = 0  # history events written (one per appeal with a moved deadline)
    confirmed: int = 0  # clocks no longer provisional
    failed: int = 0  # clocks the calendar could not compute (left as they were)
    numbers: list[str] = field(default_factory=list)  # appeals with a history event

    def as_dict(self) -> dict:
        return {
            "appeals": self.appeals,
            "clocks": self.clocks,
            "moved": self.moved,
            "events": self.events,
            "confirmed": self.confirmed,
            "failed": self.failed,
        }


def _local_text(value: dt.datetime, cal) -> str:
    return value.astimezone(cal.tz).strftime("%Y-%m-%d %H:%M")


def _recompute_appeal(appeal_id: int, cal, now, result: Recomputation) -> None:
    with transaction.atomic():
        appeal = (
            Appeal.objects.select_for_update(of=("self",))
            .select_related("rule_version")
            .get(pk=appeal_id)
        )
        clocks = list(
            _open_provisional()
            .filter(appeal=appeal)
            .select_for_update(of=("self",))
            .select_related("assignment__unit")
            .order_by("id")
        )
        moves = []
        for clock in clocks:
            result.clocks += 1
            try:
                computed = _compute(
                    appeal,
                    clock.kind,
                    clock.started_at,
                    clock.limit_amount,
                    clock.limit_unit,
                    cal,
                    _extension_days(clock),
                )
            except (CalendarGap, calendar.CalendarError) as exc:
                result.failed += 1
                logger.warning("Deadline of clock %s not recomputed: %s", clock.pk, exc)
                continue
            before = clock.due_at
            stored = _Computed(clock.original_due_at, clock.due_at, clock.warn_at, True)
            if computed != stored:
                clock.due_at = computed.due_at
                clock.original_due_at = computed.original_due_at
                clock.warn_at = computed.warn_at
                clock.provisional = computed.provisional
                clock.save(update_fields=["due_at", "original_due_at", "warn_at", "provisional"])
            if not computed.provisional:
                result.confirmed += 1
            if computed.due_at != before:
                result.moved += 1
                moves.append((clock, before))
        result.appeals += 1
        if not moves:
            return
        with translation.override(settings.LANGUAGE_CODE):
            changes = []
            for clock, before in moves:
                values = {
                    "clock": Clock.Kind(clock.kind).label,
                    "before": _local_text(before, cal),
                    "after": _local_text(clock.due_at, cal),
                }
                if clock.assignment_id:
                    values["unit"] = clock.assignment.unit.name
                    text = _("%(clock)s of %(unit)s: %(before)s → %(after)s") % values
                else:
                    text = _("%(clock)s: %(before)s → %(after)s") % values
                if clock.provisional:
                    text = _("%(change)s (still provisional)") % {"change": text}
                changes.append(text)
            note = _(
                "Deadlines recomputed on the working calendar as now entered: %(changes)s."
            ) % {"changes": "; ".join(changes)}
        event = audit.append(
            appeal,
            RECOMPUTED_EVENT,
            actor=None,
            at=now,
            from_status=appeal.status,
            to_status=appeal.status,
            payload={
                "note": note,
                "clocks": [
                    {
                        "clock": clock.kind,
                        "id": clock.pk,
                        "due_before": before.astimezone(cal.tz).isoformat(),
                        "due_after": clock.due_at.astimezone(cal.tz).isoformat(),
                        "provisional": clock.provisional,
                    }
                    for clock, before in moves
                ],
            },
            label="system",
        )
        hooks.appeal_event.send(sender=Appeal, appeal=appeal, event=event)
        result.events += 1
        result.numbers.append(appeal.number)


def recompute_provisional(*, only_covered: bool = False, now=None) -> Recomputation:
    """Compute every running provisional clock again on the calendar as now committed.

    `only_covered`: only the clocks whose provisional year has since become covered (what the
    periodic sweep checks, cheaply, to catch a chinesecalendar upgrade). Each appeal is handled
    in its own transaction with its row locked, as the workflow does.
    """
    now = now or timesource.now()
    cal = calendar.get_calendar(fresh=True)
    candidates = _open_provisional()
    if only_covered and cal.provisional_year is not None:
        # (Without a provisional year, every marked clock is outdated.)
        first_day = dt.datetime(cal.provisional_year, 1, 1, tzinfo=cal.tz)
        candidates = candidates.filter(due_at__lt=first_day)
    result = Recomputation()
    appeal_ids = sorted(set(candidates.values_list("appeal_id", flat=True)))
    for appeal_id in appeal_ids:
        _recompute_appeal(appeal_id, cal, now, result)
    return result


def _calendar_changed(sender, using=None, **kwargs) -> None:
    """The working calendar changed (workdays' signal, after the commit): recompute the
    provisional deadlines in the background, if there are any."""
    from jiesu.appeals import tasks

    try:
        if has_provisional():
            tasks.recompute_provisional_deadlines.enqueue()
    except Exception:  # the change is committed; the sweep and the command remain
        logger.exception("Could not enqueue the recomputation of provisional deadlines")
