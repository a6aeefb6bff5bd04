# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""How a clock stops (issue 9 defect 1): met only when its step happened.

Completing an appeal without recording the first contact used to stop the first-contact clock
as if the contact had been made in time (按时完成). A clock now stops with an outcome: its step
done (then met or late by the time), missed (the work ended without the step: never on time),
or not applicable (the rule says the step cannot happen: nobody to contact, nobody to visit).
"""

from datetime import timedelta

import pytest

from jiesu.appeals import workflow
from jiesu.appeals.errors import InvalidTransition
from jiesu.appeals.models import Assignment, Clock
from jiesu.appeals.tests.conftest import MONDAY_10, completed, in_progress, visiting


def clock(appeal, kind, unit=None):
    clocks = appeal.clocks.filter(kind=kind, cancelled=False)
    if unit is not None:
        clocks = clocks.filter(assignment__unit=unit)
    return clocks.get()


def test_completing_without_first_contact_misses_the_contact_clock(world, at):
    with at(MONDAY_10):
        appeal = in_progress(world)
    with at(MONDAY_10 + timedelta(minutes=30)):  # well before the contact deadline
        appeal = workflow.complete(appeal, world.u("handler"), result="已处理", evidence="照片")
    contact = clock(appeal, Clock.Kind.CONTACT)
    assert contact.stopped_at is not None and not contact.running
    assert contact.outcome == Clock.Outcome.MISSED
    assert contact.met is False  # not "on time", although it stopped before its deadline
    assert contact.light(MONDAY_10) == Clock.Light.RED
    # The handling clock stopped because its step (completion) happened: met.
    handle = clock(appeal, Clock.Kind.HANDLE)
    assert handle.outcome == Clock.Outcome.DONE and handle.met is True


def test_a_recorded_contact_meets_the_clock(world, at):
    with at(MONDAY_10):
        appeal = in_progress(world)
        appeal = workflow.contact(appeal, world.u("handler"), method="电话")
    with at(MONDAY_10 + timedelta(hours=2)):
        appeal = workflow.complete(appeal, world.u("handler"), result="已处理", evidence="照片")
    contact = clock(appeal, Clock.Kind.CONTACT)
    assert contact.outcome == Clock.Outcome.DONE
    assert contact.met is True
    assert contact.stopped_at == MONDAY_10


def test_first_contact_is_not_applicable_when_nobody_can_be_contacted(world, at):
    with at(MONDAY_10):
        appeal = in_progress(world, anonymous=True, reporter_name="", reporter_phone="")
        appeal = workflow.complete(appeal, world.u("handler"), result="已处理", evidence="照片")
    contact = clock(appeal, Clock.Kind.CONTACT)
    assert contact.outcome == Clock.Outcome.NOT_APPLICABLE
    assert contact.met is None  # neither on time nor late: not counted


def test_an_assisting_unit_that_never_signed_missed_its_sign_clock(world, at):
    with at(MONDAY_10):
        appeal = completed(world)  # the water company (assisting, from the rule) never signed
    water = clock(appeal, Clock.Kind.SIGN, unit=world.water)
    assert water.outcome == Clock.Outcome.MISSED and water.met is False
    urban = clock(appeal, Clock.Kind.SIGN, unit=world.urban)
    assert urban.outcome == Clock.Outcome.DONE and urban.met is True


def test_closing_without_a_visit_misses_the_visit_clock_unless_nobody_can_be_visited(world, at):
    with at(MONDAY_10):
        reachable = visiting(world)
        workflow.close(reachable, world.u("visitor"), reason="未回访即结案")
        anonymous = visiting(world, anonymous=True, reporter_name="", reporter_phone="")
        workflow.close(anonymous, world.u("visitor"), reason="匿名，无法回访")
        visited = visiting(world)
        workflow.record_visit(visited, world.u("visitor"), outcome="satisfied")
    assert clock(reachable, Clock.Kind.VISIT).met is False
    assert clock(anonymous, Clock.Kind.VISIT).outcome == Clock.Outcome.NOT_APPLICABLE
    assert clock(visited, Clock.Kind.VISIT).met is True


def test_first_contact_cannot_be_recorded_once_the_completion_is_submitted(world, at):
    world.urban.requires_leader_approval = True
    world.urban.save()
    with at(MONDAY_10):
        appeal = in_progress(world)
        appeal = workflow.complete(appeal, world.u("handler"), result="已处理", evidence="照片")
    assert appeal.lead_assignment.state == Assignment.State.AWAITING_APPROVAL
    with pytest.raises(InvalidTransition), at(MONDAY_10 + timedelta(minutes=5)):
        workflow.contact(appeal, world.u("handler"), method="电话")
    assert appeal.lead_assignment.contacted_at is None
