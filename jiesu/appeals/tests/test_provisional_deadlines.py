# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Deadlines that reach the provisional year (2027 here: chinesecalendar 1.11 ends with 2026):
stored as provisional, recomputed with a history event when the official year is entered,
idempotently, by the workflow's own locking; the year beyond is refused saying who can fix it."""

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import transaction

from jiesu.appeals import audit, clocks, workflow
from jiesu.appeals.errors import CalendarGap
from jiesu.appeals.models import Clock
from jiesu.appeals.tests.conftest import SHANGHAI, dispatched, in_progress
from jiesu.workdays import calendar
from jiesu.workdays.models import CalendarOverride, CoveredYear


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# Monday 2026-12-28 10:00: grade C complaint, sign within 4 working hours (that afternoon),
# contact within 1 working day (Tuesday), handle within 5 working days: 12-29, 12-30, 12-31,
# (1 January rests, then the weekend) 1-4, 1-5 -> Tuesday 2027-01-05 10:00, provisional.
DEC_28 = local("2026-12-28 10:00")


def clock(appeal, kind) -> Clock:
    """The lead unit's clock of this kind."""
    return appeal.clocks.get(kind=kind, cancelled=False, assignment__role="lead")


def enter_2027(*rest_days: str):
    """2027 as an administrator enters it: New Year's Day and the given extra rest days."""
    CalendarOverride.objects.create(date=local("2027-01-01").date(), name="元旦")
    for day in rest_days:
        CalendarOverride.objects.create(date=datetime.fromisoformat(day).date(), name="调休")
    CoveredYear.objects.create(year=2027, note="test")


def test_clocks_reaching_the_provisional_year_are_stored_provisional(world, at):
    with at(DEC_28):
        appeal = dispatched(world)
    sign = clock(appeal, Clock.Kind.SIGN)
    handle = clock(appeal, Clock.Kind.HANDLE)
    assert (sign.due_at, sign.provisional) == (local("2026-12-28 16:00"), False)
    assert (handle.due_at, handle.provisional) == (local("2027-01-05 10:00"), True)
    assert handle.original_due_at == handle.due_at
    # The warning point: 75% of the 35 working hours = 26 h 15 min after the start.
    assert handle.warn_at == local("2026-12-31 17:15")


def test_an_extension_into_next_year_is_approved_provisionally(world, at):
    """The issue's December: a 15-working-day extension used to fail with a 503."""
    with at(local("2026-12-07 10:00")):
        appeal = in_progress(world)
    handle = clock(appeal, Clock.Kind.HANDLE)
    assert (handle.due_at, handle.provisional) == (local("2026-12-14 10:00"), False)
    with at(local("2026-12-08 10:00")):
        workflow.request_extension(appeal, world.u("handler"), working_days=15, reason="需协调")
        workflow.approve_extension(appeal, world.u("dispatcher"))
    handle.refresh_from_db()
    # 12-15 … 12-31 is 13 working days, 1-1 rests, then 1-4 and 1-5.
    assert (handle.due_at, handle.provisional) == (local("2027-01-05 10:00"), True)
    assert handle.original_due_at == local("2026-12-14 10:00")


def test_a_deadline_beyond_the_provisional_year_is_refused_naming_the_administrator(world, at):
    with at(local("2027-12-27 10:00")), pytest.raises(CalendarGap) as caught:
        dispatched(world)
    assert caught.value.http_status == 503
    assert "does not cover 2028" in str(caught.value)
    assert "An administrator can fix this" in str(caught.value)


def test_entering_the_official_year_recomputes_with_a_history_event(world, at):
    with at(DEC_28):
        appeal = dispatched(world)
    with at(local("2026-12-28 11:00")):
        workflow.sign(appeal, world.u("handler"))
    events_before = appeal.events.count()
    # The notice makes Monday 1-4 a rest day too.
    enter_2027("2027-01-04")
    with at(local("2026-12-29 09:00")):
        result = clocks.recompute_provisional()
    # Only the handling clock was provisional (contact is due Tuesday 12-29; sign has stopped).
    assert result.as_dict() == {
        "appeals": 1,
        "clocks": 1,
        "moved": 1,
        "events": 1,
        "confirmed": 1,
        "failed": 0,
    }
    handle = clock(appeal, Clock.Kind.HANDLE)
    assert (handle.due_at, handle.provisional) == (local("2027-01-06 10:00"), False)
    assert handle.original_due_at == handle.due_at
    assert handle.warn_at == local("2026-12-31 17:15")  # still 35 working hours allowed
    appeal.refresh_from_db()
    assert appeal.events.count() == events_before + 1
    event = appeal.events.order_by("-seq").first()
    assert event.kind == "deadline_recomputed"
    assert event.actor_label == "system"
    assert event.created_at == local("2026-12-29 09:00")
    assert event.payload["clocks"] == [
        {
            "clock": "handle",
            "id": handle.pk,
            "due_before": "2027-01-05T10:00:00+08:00",
            "due_after": "2027-01-06T10:00:00+08:00",
            "provisional": False,
        }
    ]
    # The note is written in the site's language, as notifications are.
    assert event.payload["note"] == (
        "已按现已录入的工作日历重新计算时限：城市管理局办理：2027-01-05 10:00 → 2027-01-06 10:00。"
    )
    assert audit.verify_appeal(appeal) is None  # the chain holds

    # Idempotent: a second run finds nothing provisional any more.
    again = clocks.recompute_provisional()
    assert again.as_dict() == {
        "appeals": 0,
        "clocks": 0,
        "moved": 0,
        "events": 0,
        "confirmed": 0,
        "failed": 0,
    }
    assert appeal.events.count() == events_before + 1


def test_a_confirmed_deadline_loses_its_mark_without_an_event(world, at):
    with at(DEC_28):
        appeal = dispatched(world)
    enter_2027()  # the official 2027 agrees with the provisional one in January
    result = clocks.recompute_provisional()
    assert (result.moved, result.events, result.confirmed) == (0, 0, 1)
    handle = clock(appeal, Clock.Kind.HANDLE)
    assert (handle.due_at, handle.provisional) == (local("2027-01-05 10:00"), False)
    assert not appeal.events.filter(kind="deadline_recomputed").exists()


def test_overrides_saved_before_the_declaration_move_deadlines_still_provisional(world, at):
    with at(DEC_28):
        appeal = dispatched(world)
    CalendarOverride.objects.create(date=local("2027-01-04").date(), name="调休")
    clocks.recompute_provisional()
    handle = clock(appeal, Clock.Kind.HANDLE)
    assert (handle.due_at, handle.provisional) == (local("2027-01-06 10:00"), True)
    event = appeal.events.get(kind="deadline_recomputed")
    assert event.payload["clocks"][0]["provisional"] is True
    assert event.payload["note"].endswith("2027-01-06 10:00（仍为暂定）。")
    # Declared later with nothing else changed: confirmed, no second event.
    CalendarOverride.objects.create(date=local("2027-01-01").date(), name="元旦")
    CoveredYear.objects.create(year=2027)
    clocks.recompute_provisional()
    handle.refresh_from_db()
    assert (handle.due_at, handle.provisional) == (local("2027-01-06 10:00"), False)
    assert appeal.events.filter(kind="deadline_recomputed").count() == 1


def test_approved_extensions_are_counted_again(world, at):
    with at(local("2026-12-07 10:00")):
        appeal = in_progress(world)
    with at(local("2026-12-08 10:00")):
        workflow.request_extension(appeal, world.u("handler"), working_days=15, reason="需协调")
        workflow.approve_extension(appeal, world.u("dispatcher"))
    enter_2027("2027-01-04", "2027-01-05")
    clocks.recompute_provisional()
    handle = clock(appeal, Clock.Kind.HANDLE)
    # The original deadline is in 2026 and stays; the extension now ends on Thursday 1-7.
    assert handle.original_due_at == local("2026-12-14 10:00")
    assert (handle.due_at, handle.provisional) == (local("2027-01-07 10:00"), False)


def test_stopped_and_cancelled_clocks_are_left_as_they_were(world, at):
    with at(DEC_28):
        appeal = in_progress(world)
    with at(local("2026-12-29 10:00")):
        workflow.complete(appeal, world.u("handler"), result="已清理", evidence="照片")
    handle = clock(appeal, Clock.Kind.HANDLE)
    assert handle.stopped_at is not None and handle.provisional
    enter_2027("2027-01-04")
    assert clocks.recompute_provisional().clocks == 0
    handle.refresh_from_db()
    assert (handle.due_at, handle.provisional) == (local("2027-01-05 10:00"), True)


def test_the_sweep_recomputes_clocks_whose_year_became_covered(world, at):
    """A chinesecalendar upgrade sends no signal: the periodic sweep notices that a provisional
    clock's year is covered now. While the year is still provisional it costs nothing."""
    with at(DEC_28):
        appeal = dispatched(world)
    assert clocks.recompute_provisional(only_covered=True).clocks == 0
    # Written without signals, as a library upgrade would appear to this process.
    CalendarOverride.objects.bulk_create(
        [
            CalendarOverride(date=local("2027-01-01").date()),
            CalendarOverride(date=local("2027-01-04").date()),
        ]
    )
    CoveredYear.objects.bulk_create([CoveredYear(year=2027)])
    calendar.invalidate_cache()
    result = clocks.recompute_provisional(only_covered=True)
    assert (result.clocks, result.moved) == (1, 1)
    assert clock(appeal, Clock.Kind.HANDLE).due_at == local("2027-01-06 10:00")


def test_the_command_recomputes_and_is_safe_to_run_twice(world, at, capsys):
    with at(DEC_28):
        appeal = dispatched(world)
    enter_2027("2027-01-04")
    call_command("recompute_deadlines")
    out = capsys.readouterr().out
    assert "1 moved (1 history event(s) written)" in out
    assert appeal.number in out
    call_command("recompute_deadlines")
    assert "Recomputed 0 provisional deadline(s) of 0 appeal(s): 0 moved" in capsys.readouterr().out


def test_a_calendar_change_enqueues_the_recomputation_once(
    world, at, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    # No provisional clock: nothing to enqueue.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        CalendarOverride.objects.create(date=local("2026-12-31").date(), name="test")
    assert not DBTaskResult.objects.exists()
    with at(DEC_28):
        dispatched(world)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        enter_2027("2027-01-04")
    tasks = list(DBTaskResult.objects.values_list("task_path", flat=True))
    assert tasks == ["jiesu.appeals.tasks.recompute_provisional_deadlines"]


def test_a_provisional_deadline_after_a_late_start(world, at):
    """Counting from the next working day (次日起) from 31 December starts in 2027."""
    from jiesu.catalog import services as catalog

    rule = world.leaf.rule
    rule.count_from = "next_day"
    rule.save()
    catalog.record_version(rule)
    with at(local("2026-12-31 15:00")):
        appeal = dispatched(world)
    contact = clock(appeal, Clock.Kind.CONTACT)
    # Starts Monday 2027-01-04 09:00; 1 working day later: Tuesday 09:00.
    assert (contact.due_at, contact.provisional) == (local("2027-01-05 09:00"), True)
    assert clocks.clock_start(appeal, local("2026-12-31 15:00")) == local("2027-01-04 09:00")
    assert timedelta(0) < contact.due_at - contact.started_at


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_recomputes_after_the_year_is_declared(world, at):
    """End to end, committed as in production: the declaration is announced after its commit,
    the task is queued, and the worker (`db_worker`) moves the deadline and writes the event."""
    from django_tasks_db.models import DBTaskResult

    with at(DEC_28):
        appeal = dispatched(world)
    enter_2027("2027-01-04")  # three commits (autocommit), each announced
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"READY"}
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    handle = clock(appeal, Clock.Kind.HANDLE)
    assert (handle.due_at, handle.provisional) == (local("2027-01-06 10:00"), False)
    assert appeal.events.filter(kind="deadline_recomputed").count() == 1


def test_the_citizens_message_says_an_extended_deadline_is_provisional(world, at):
    """The SMS of an approved extension used to give a provisional date as if it were final."""
    from jiesu.notify.models import Notification
    from jiesu.notify.rendering import render_event

    with at(local("2026-12-07 10:00")):
        appeal = in_progress(world)
    with at(local("2026-12-08 10:00")):
        workflow.request_extension(appeal, world.u("handler"), working_days=15, reason="需协调")
        workflow.approve_extension(appeal, world.u("dispatcher"))
    message = Notification.objects.get(event="citizen.extended", subject_ref=appeal.number)
    zh = render_event(message.event, "zh-hans", message.context, appeal.number)
    en = render_event(message.event, "en", message.context, appeal.number)
    assert "2027-01-05 10:00（暂定，节假日安排公布后可能调整）" in zh.body
    assert "2027-01-05 10:00 (provisional:" in en.body


def test_a_final_extended_deadline_carries_no_provisional_mark(world, at):
    from jiesu.notify.models import Notification
    from jiesu.notify.rendering import render_event

    with at(local("2026-11-02 10:00")):
        appeal = in_progress(world)
        workflow.request_extension(appeal, world.u("handler"), working_days=3, reason="需协调")
        workflow.approve_extension(appeal, world.u("dispatcher"))
    message = Notification.objects.get(event="citizen.extended", subject_ref=appeal.number)
    assert "暂定" not in render_event(message.event, "zh-hans", message.context).body
