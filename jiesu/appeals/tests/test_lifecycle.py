# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""An appeal's whole life through the real workflow functions."""

from datetime import timedelta

import pytest

from jiesu.appeals import audit, workflow
from jiesu.appeals.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from jiesu.appeals.models import Appeal, Assignment, Clock, Event
from jiesu.appeals.states import Status
from jiesu.appeals.tests.conftest import (
    MONDAY_10,
    completed,
    dispatched,
    in_progress,
    new_appeal,
    registered,
    visiting,
)
from jiesu.notify.models import Notification


def test_happy_path_from_call_to_closure(world, at):
    with at(MONDAY_10):
        appeal = new_appeal(world)
    assert appeal.status == Status.RECEIVED
    assert appeal.number.startswith("PS20261102")
    assert appeal.region == world.district

    with at(MONDAY_10 + timedelta(minutes=5)):
        appeal = workflow.register(
            appeal,
            world.u("intake"),
            appeal_type=world.complaint,
            category=world.leaf,
            grade=world.grade_c,
        )
    assert Notification.objects.filter(
        event="citizen.accepted", recipient_address="13800001234"
    ).exists()

    with at(MONDAY_10 + timedelta(minutes=10)):
        appeal = workflow.dispatch(appeal, world.u("dispatcher"))
    lead = appeal.lead_assignment
    assert lead.unit == world.urban
    assisting = appeal.assignments.get(role=Assignment.Role.ASSIST)
    assert assisting.unit == world.water  # from the rule
    assert appeal.rule_version is not None
    handle = appeal.clocks.get(kind=Clock.Kind.HANDLE)
    # Grade C complaint: 5 working days from Monday 10:10 → the next Monday 10:10.
    assert handle.due_at == MONDAY_10 + timedelta(days=7, minutes=10)
    assert handle.started_at < handle.warn_at < handle.due_at
    sign_clock = appeal.clocks.get(kind=Clock.Kind.SIGN, assignment=lead)
    # Grade C: sign within 4 working hours from 10:10 → 15:10 (lunch 12-14 excluded).
    assert sign_clock.due_at == MONDAY_10.replace(hour=16, minute=10)

    with at(MONDAY_10 + timedelta(hours=1)):
        appeal = workflow.sign(appeal, world.u("handler"))
        appeal = workflow.sign(appeal, world.u("water_handler"))
        appeal = workflow.contact(appeal, world.u("handler"), method="电话")
    assert appeal.status == Status.IN_PROGRESS
    with at(MONDAY_10 + timedelta(days=1)):
        appeal = workflow.complete(
            appeal, world.u("handler"), result="垃圾已清运", evidence="清运前后照片"
        )
    assert appeal.status == Status.COMPLETED
    assert appeal.clocks.get(kind=Clock.Kind.HANDLE).met is True
    with at(MONDAY_10 + timedelta(days=1, hours=1)):
        appeal = workflow.approve_review(appeal, world.u("supervisor"))
    assert appeal.status == Status.VISITING
    with at(MONDAY_10 + timedelta(days=2)):
        appeal = workflow.record_visit(appeal, world.u("visitor"), outcome="satisfied")
    assert appeal.status == Status.CLOSED
    assert appeal.satisfaction == "satisfied"
    kinds = list(appeal.events.order_by("seq").values_list("kind", flat=True))
    assert kinds == [
        "receive",
        "register",
        "dispatch",
        "sign",
        "sign",
        "contact",
        "complete",
        "approve_review",
        "record_visit",
    ]
    assert audit.verify_appeal(Appeal.objects.get(pk=appeal.pk)) is None
    assert Notification.objects.filter(event="citizen.closed").count() == 1


def test_refusals_change_nothing(world):
    appeal = new_appeal(world)
    before = (appeal.status, appeal.version, Event.objects.count())
    with pytest.raises(NotAllowed):
        workflow.register(
            appeal,
            world.u("handler"),
            appeal_type=world.complaint,
            category=world.leaf,
            grade=world.grade_c,
        )
    with pytest.raises(InvalidTransition):
        workflow.sign(appeal, world.u("handler"))
    with pytest.raises(InvalidInput) as err:
        workflow.reject(appeal, world.u("intake"), reason="  ")
    assert "reason" in err.value.field_errors
    with pytest.raises(InvalidInput):
        workflow.register(
            appeal,
            world.u("intake"),
            appeal_type=world.complaint,
            category=world.leaf.parent,
            grade=world.grade_c,
        )
    appeal.refresh_from_db()
    assert (appeal.status, appeal.version, Event.objects.count()) == before


def test_stale_version_is_a_conflict(world):
    appeal = registered(world)
    seen = appeal.version
    workflow.dispatch(appeal, world.u("dispatcher"), expected_version=seen)
    with pytest.raises(Conflict):
        workflow.dispatch(appeal, world.u("dispatcher"), expected_version=seen)


def test_unit_scope(world):
    appeal = dispatched(world)
    with pytest.raises(NotAllowed):
        workflow.sign(appeal, world.u("team_handler").__class__.objects.get(username="analyst"))
    # A handler of a sub-unit acts within the parent's scope? No: scope runs downwards only.
    with pytest.raises(NotAllowed):
        workflow.sign(appeal, world.u("team_handler"))
    workflow.sign(appeal, world.u("handler"))


def test_return_approved_without_new_owner_goes_to_backstop(world):
    appeal = in_progress(world)
    appeal = workflow.request_return(appeal, world.u("handler"), reason="不属于本单位职责")
    assert appeal.status == Status.RETURN_REQUESTED
    appeal = workflow.approve_return(appeal, world.u("dispatcher"))
    assert appeal.status == Status.DISPATCHED
    lead = appeal.lead_assignment
    assert lead.unit == world.centre and lead.first_asked
    old = appeal.assignments.get(unit=world.urban)
    assert not old.active and old.state == Assignment.State.WITHDRAWN
    assert not old.clocks.filter(stopped_at__isnull=True, cancelled=False).exists()


def test_return_refused_goes_back(world):
    appeal = in_progress(world)
    appeal = workflow.request_return(appeal, world.u("handler"), reason="不属于本单位职责")
    appeal = workflow.refuse_return(appeal, world.u("dispatcher"), reason="属于城管职责")
    assert appeal.status == Status.IN_PROGRESS


def test_extension_moves_deadline_and_keeps_original(world, at):
    with at(MONDAY_10):
        appeal = in_progress(world)
    handle = appeal.clocks.get(kind=Clock.Kind.HANDLE)
    with at(MONDAY_10 + timedelta(days=1)):
        workflow.request_extension(appeal, world.u("handler"), working_days=3, reason="需协调")
        with pytest.raises(InvalidTransition):
            workflow.request_extension(appeal, world.u("handler"), working_days=2, reason="再延")
        workflow.approve_extension(appeal, world.u("dispatcher"))
    handle.refresh_from_db()
    assert handle.original_due_at == MONDAY_10 + timedelta(days=7, minutes=0)
    assert handle.due_at == handle.original_due_at + timedelta(days=3)
    assert Notification.objects.filter(event="citizen.extended").exists()


def test_extension_after_deadline_refused(world, at):
    with at(MONDAY_10):
        appeal = in_progress(world)
    with at(MONDAY_10 + timedelta(days=30)), pytest.raises(InvalidTransition):
        workflow.request_extension(appeal, world.u("handler"), working_days=3, reason="需协调")


def test_leader_approval_when_unit_requires_it(world):
    world.urban.requires_leader_approval = True
    world.urban.save()
    appeal = in_progress(world)
    appeal = workflow.complete(appeal, world.u("handler"), result="已处理", evidence="照片")
    assert appeal.status == Status.IN_PROGRESS
    assert appeal.lead_assignment.state == Assignment.State.AWAITING_APPROVAL
    with pytest.raises(NotAllowed):
        workflow.approve_completion(appeal, world.u("handler"))
    appeal = workflow.approve_completion(appeal, world.u("leader"))
    assert appeal.status == Status.COMPLETED


def test_unsatisfied_reopens_and_second_failure_escalates(world):
    appeal = visiting(world)
    appeal = workflow.record_visit(
        appeal, world.u("visitor"), outcome="unsatisfied", unit_at_fault=True, note="没有清理干净"
    )
    assert appeal.status == Status.IN_PROGRESS and appeal.reopen_count == 1
    assert appeal.clocks.filter(kind=Clock.Kind.HANDLE, stopped_at__isnull=True).count() == 1
    assert not appeal.supervisions.exists()
    appeal = workflow.complete(appeal, world.u("handler"), result="再次清理", evidence="照片")
    appeal = workflow.approve_review(appeal, world.u("supervisor"))
    appeal = workflow.record_visit(
        appeal, world.u("visitor"), outcome="unsatisfied", unit_at_fault=True, note="还是脏"
    )
    assert appeal.reopen_count == 2
    assert appeal.supervisions.filter(automatic=True).count() == 1


def test_unreachable_three_times_closes(world):
    appeal = visiting(world)
    for _ in range(2):
        appeal = workflow.record_visit(appeal, world.u("visitor"), outcome="unreachable")
        assert appeal.status == Status.VISITING
    appeal = workflow.record_visit(appeal, world.u("visitor"), outcome="unreachable")
    assert appeal.status == Status.CLOSED and appeal.satisfaction == "unreachable"


def test_merge_fans_out_progress(world):
    first = registered(world)
    later = new_appeal(world, reporter_phone="13900005678")
    workflow.merge(later, world.u("intake"), into=first)
    workflow.dispatch(first, world.u("dispatcher"))
    assert Notification.objects.filter(
        event="citizen.dispatched", recipient_address="13900005678"
    ).exists()
    # Merging into an appeal that was itself merged lands on the appeal it was merged into.
    third = workflow.merge(new_appeal(world), world.u("intake"), into=later)
    assert third.merged_into == first
    rejected = workflow.reject(new_appeal(world), world.u("intake"), reason="重复")
    with pytest.raises(InvalidInput):
        workflow.merge(new_appeal(world), world.u("intake"), into=rejected)


def test_sweep_marks_lights_and_supervises_once(world, at):
    with at(MONDAY_10):
        appeal = dispatched(world)
    report = workflow.sweep_clocks(now=MONDAY_10 + timedelta(days=30))
    assert report["breached"] == 4  # lead sign, contact, handle; assisting sign
    assert report["supervised"] == 1
    assert workflow.sweep_clocks(now=MONDAY_10 + timedelta(days=31)) == {
        "warned": 0,
        "breached": 0,
        "supervised": 0,
    }
    assert appeal.events.filter(kind="clock_breach").count() == 4
    assert audit.verify_appeal(Appeal.objects.get(pk=appeal.pk)) is None


def test_supervision_notice_answered_by_unit(world):
    appeal = in_progress(world)
    notice = workflow.supervise(appeal, world.u("supervisor"), reason="请加快处理")
    with pytest.raises(NotAllowed):
        workflow.answer_supervision(appeal, world.u("water_handler"), notice=notice, answer="x")
    workflow.answer_supervision(appeal, world.u("handler"), notice=notice, answer="已加派人手")
    notice.refresh_from_db()
    assert notice.answered_at is not None


def test_reopen_closed_by_supervisor(world):
    appeal = visiting(world)
    appeal = workflow.record_visit(appeal, world.u("visitor"), outcome="basic")
    appeal = workflow.reopen(appeal, world.u("supervisor"), reason="群众再次反映")
    assert appeal.status == Status.IN_PROGRESS and appeal.reopen_count == 1


def test_send_back_resumes_original_handle_clock(world):
    appeal = completed(world)
    handle = appeal.clocks.get(kind=Clock.Kind.HANDLE)
    appeal = workflow.send_back(appeal, world.u("supervisor"), reason="照片不清楚")
    handle.refresh_from_db()
    assert handle.stopped_at is None and appeal.status == Status.IN_PROGRESS


def test_query_code_is_given_once_and_stored_hashed(world):
    from jiesu.appeals import tracking

    appeal = new_appeal(world)
    code = appeal.query_code
    assert len(code) == 8 and code not in appeal.query_code_hash
    stored = Appeal.objects.get(pk=appeal.pk)
    assert tracking.check_code(stored, code)
    assert tracking.check_code(stored, code.lower())
    assert tracking.check_code(stored, "1234")  # last four digits of 13800001234
    assert not tracking.check_code(stored, "ABCDEF" if code != "ABCDEF" else "BCDEFG")
    assert not tracking.check_code(stored, "")


def test_a_query_code_is_bound_to_its_own_appeal_in_both_stored_forms(world):
    """Appeals filed on PostgreSQL store the code's hash bound to the appeal's id (their number is
    drawn by the statement that writes them: ADR 0032); SQLite filings, bulk loads and older
    appeals bind it to the number. Both verify, and neither opens another appeal."""
    from jiesu.appeals import tracking

    appeal, other = new_appeal(world), new_appeal(world)
    code = tracking.new_code()
    for stored in (
        tracking.code_hash(appeal.number, code),
        tracking.code_hash_by_id(appeal.pk, code),
    ):
        Appeal.objects.filter(pk=appeal.pk).update(query_code_hash=stored)
        Appeal.objects.filter(pk=other.pk).update(query_code_hash=stored)
        assert tracking.check_code(Appeal.objects.get(pk=appeal.pk), code)
        assert tracking.check_code(Appeal.objects.get(pk=appeal.pk), code.lower())
        # The same stored hash copied onto another appeal does not open that one.
        assert not tracking.check_code(Appeal.objects.get(pk=other.pk), code, allow_last_four=False)
    assert tracking.code_hash_by_id(appeal.pk, code).startswith(tracking.BY_ID)
    assert not tracking.code_hash(appeal.number, code).startswith(tracking.BY_ID)


def test_citizen_rating_after_completion_only_once(world):
    appeal = in_progress(world)
    with pytest.raises(InvalidTransition):
        workflow.citizen_rate(appeal, rating="satisfied")
    appeal = workflow.complete(appeal, world.u("handler"), result="已处理", evidence="照片")
    with pytest.raises(InvalidInput):
        workflow.citizen_rate(appeal, rating="great")
    appeal = workflow.citizen_rate(appeal, rating="basic", comment="处理还算及时")
    assert appeal.citizen_rating == "basic"
    assert appeal.events.filter(kind="citizen_rating").count() == 1
    with pytest.raises(InvalidTransition):
        workflow.citizen_rate(appeal, rating="satisfied")
    assert audit.verify_appeal(Appeal.objects.get(pk=appeal.pk)) is None


def test_outbox_labels_are_in_the_message_language(world):
    from django.utils import translation

    appeal = new_appeal(world)
    with translation.override("en"):  # e.g. an operator using the English console
        workflow.register(
            appeal,
            world.u("intake"),
            appeal_type=world.complaint,
            category=world.leaf,
            grade=world.grade_c,
        )
    note = Notification.objects.get(event="citizen.accepted")
    assert note.context["status"] == "已立案"


def test_receive_checks_an_enterprise_reporters_credit_code(world):
    before = Appeal.objects.count()
    with pytest.raises(InvalidInput) as refused:
        new_appeal(world, reporter_is_enterprise=True, reporter_credit_code="91440300708461136X")
    assert "reporter_credit_code" in refused.value.field_errors
    assert Appeal.objects.count() == before  # nothing filed
    appeal = new_appeal(
        world, reporter_is_enterprise=True, reporter_credit_code=" 91440300708461136t"
    )
    assert appeal.reporter_credit_code == "91440300708461136T"


def test_the_receivers_of_a_new_appeal_see_its_id_and_the_number_comes_with_its_insert(world):
    """The hook's contract for `receive` (appeals/hooks.py, ADR 0032): on PostgreSQL the
    receivers run before the day's number is drawn (it is drawn by the appeal's own insert),
    with the id and every other field set; on SQLite the number comes first."""
    from django.db import connection

    from jiesu.appeals import hooks

    seen = []

    def receiver(sender, appeal, event, **kwargs):
        if event.kind == "receive":
            seen.append((appeal.pk, appeal.number, appeal.title, event.appeal_id))

    hooks.appeal_event.connect(receiver, dispatch_uid="test.receive_contract")
    try:
        appeal = new_appeal(world)
    finally:
        hooks.appeal_event.disconnect(dispatch_uid="test.receive_contract")
    [(pk, number, title, event_appeal)] = seen
    assert pk == appeal.pk == event_appeal and title == appeal.title
    assert number == ("" if connection.vendor == "postgresql" else appeal.number)
    assert appeal.number and Appeal.objects.get(pk=appeal.pk).number == appeal.number
