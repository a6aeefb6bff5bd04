# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A citizen's "not satisfied" after closing (issue 9 defect 2): it used to go nowhere.

It now always reaches supervision (an automatic notice the lead unit must answer; supervisors
are told), and the rule `CITIZEN_UNSATISFIED_REOPENS` decides whether a closed appeal is also
reopened at once (default: no, the supervisor decides)."""

from datetime import timedelta

import pytest

from jiesu.appeals import workflow
from jiesu.appeals.models import Clock, SupervisionNotice
from jiesu.appeals.states import Status
from jiesu.appeals.tests.conftest import MONDAY_10, visiting
from jiesu.notify.models import Notification


def closed_satisfied(world):
    appeal = visiting(world)
    return workflow.record_visit(appeal, world.u("visitor"), outcome="satisfied")


def test_unsatisfied_after_closing_goes_to_supervision_and_stays_closed(world, at):
    with at(MONDAY_10):
        appeal = closed_satisfied(world)
        appeal = workflow.citizen_rate(appeal, rating="unsatisfied", comment="垃圾又堆起来了")
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED and appeal.reopen_count == 0
    # Both ratings are kept: the visit's and the citizen's own.
    assert appeal.satisfaction == "satisfied" and appeal.citizen_rating == "unsatisfied"
    notice = SupervisionNotice.objects.get(appeal=appeal)
    assert notice.automatic and notice.unit == world.urban and notice.answered_at is None
    assert "垃圾又堆起来了" in notice.reason
    assert Notification.objects.filter(event="unit.supervision", subject_ref=appeal.number)
    assert Notification.objects.filter(
        event="supervisor.supervision", recipient_user=world.u("supervisor")
    ).exists()
    event = appeal.events.get(kind="citizen_rating")
    assert event.payload["notice"] == notice.pk and event.to_status == Status.CLOSED
    assert event.unit == world.urban
    # The unit answers the notice on the closed appeal; the supervisor may reopen.
    workflow.answer_supervision(
        appeal, world.u("handler"), notice=notice, answer="已再次清理并加强巡查"
    )
    workflow.reopen(appeal, world.u("supervisor"), reason="市民不满意，重办")
    appeal.refresh_from_db()
    assert appeal.status == Status.IN_PROGRESS


def test_the_rule_may_reopen_a_closed_appeal_at_once(world, at, settings):
    settings.JIESU = {**settings.JIESU, "CITIZEN_UNSATISFIED_REOPENS": True}
    with at(MONDAY_10):
        appeal = closed_satisfied(world)
        version = appeal.version
        appeal = workflow.citizen_rate(appeal, rating="unsatisfied", comment="没有处理")
    appeal.refresh_from_db()
    assert appeal.status == Status.IN_PROGRESS and appeal.reopen_count == 1
    assert appeal.version == version + 1
    assert appeal.clocks.filter(kind=Clock.Kind.HANDLE, stopped_at__isnull=True).count() == 1
    assert SupervisionNotice.objects.filter(appeal=appeal, automatic=True).count() == 1
    event = appeal.events.get(kind="citizen_rating")
    assert (event.from_status, event.to_status) == (Status.CLOSED, Status.IN_PROGRESS)
    assert Notification.objects.filter(event="unit.reopened", subject_ref=appeal.number)


def test_satisfied_ratings_and_open_appeals_are_not_reopened(world, at, settings):
    settings.JIESU = {**settings.JIESU, "CITIZEN_UNSATISFIED_REOPENS": True}
    with at(MONDAY_10):
        happy = workflow.citizen_rate(closed_satisfied(world), rating="satisfied")
        waiting = workflow.citizen_rate(visiting(world), rating="unsatisfied")
    happy.refresh_from_db()
    waiting.refresh_from_db()
    assert happy.status == Status.CLOSED and not happy.supervisions.exists()
    # Before the visit the visit decides; the dissatisfaction still reaches supervision.
    assert waiting.status == Status.VISITING and waiting.reopen_count == 0
    assert waiting.supervisions.get().automatic


def test_a_reopened_appeal_can_be_rated_again_once_completed_again(world, at, settings):
    """One rating per result: after "not satisfied" reopened the appeal and the unit completed
    it again, the citizen rates the new result (it used to be refused for good)."""
    settings.JIESU = {**settings.JIESU, "CITIZEN_UNSATISFIED_REOPENS": True}
    with at(MONDAY_10):
        appeal = closed_satisfied(world)
        appeal = workflow.citizen_rate(appeal, rating="unsatisfied", comment="没有处理")
        assert not workflow.citizen_may_rate(appeal)
    with at(MONDAY_10 + timedelta(hours=2)):
        appeal = workflow.complete(
            appeal, world.u("handler"), result="已再次清理", evidence="现场照片"
        )
        appeal = workflow.approve_review(appeal, world.u("supervisor"))
        assert workflow.citizen_may_rate(appeal)
        appeal = workflow.citizen_rate(appeal, rating="satisfied")
    appeal.refresh_from_db()
    assert appeal.citizen_rating == "satisfied"
    assert appeal.events.filter(kind="citizen_rating").count() == 2
    # Once per result: the same result cannot be rated twice.
    with pytest.raises(workflow.InvalidTransition):
        workflow.citizen_rate(appeal, rating="unsatisfied")
