# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Reward decisions as the workflow makes them: who is rewarded, who is not, and why."""

from datetime import timedelta

import pytest
from django.utils import translation

from jiesu.appeals import timesource, workflow
from jiesu.notify.models import Notification
from jiesu.rewards import decisions, ledger, programmes
from jiesu.rewards.models import Payout, Reason, Reward
from jiesu.rewards.tests.conftest import MONDAY_10, SEED_TERMS, file, new_appeal, reward_of

R = Reward.Status


def terms(**changes):
    return {**SEED_TERMS, **changes}


def test_a_qualifying_report_is_granted_reserved_and_queued_for_payment(world, programme):
    appeal = file(world)
    reward = reward_of(appeal)
    assert reward.status == R.RESERVED and reward.reason == Reason.QUALIFIED
    assert 100 <= reward.amount_fen <= 2000
    assert reward.version == programme.current
    payout = Payout.objects.get(reward=reward)
    assert payout.status == Payout.Status.PENDING and payout.amount_fen == reward.amount_fen
    month = ledger.month_of(reward.qualified_at)
    assert ledger.available(programme, month) == 100_000 - reward.amount_fen
    assert ledger.check() == []
    # The reporter is told, in the same transaction.
    message = Notification.objects.get(event="citizen.reward_reserved")
    assert message.recipient_address == "13900000001"
    assert message.context["amount"] == reward.yuan


def test_the_decision_is_part_of_the_event_transaction(world, programme, monkeypatch):
    """A failing decision aborts the registration: no event without its decision."""

    def broken(*args, **kwargs):
        raise RuntimeError("ledger down")

    monkeypatch.setattr(ledger, "reserve", broken)
    with timesource.frozen_at(MONDAY_10):
        appeal = new_appeal(world, channel="wechat", description=" ".join("abcdefgh"))
    with pytest.raises(RuntimeError):
        workflow.register(
            appeal,
            world.u("intake"),
            appeal_type=world.complaint,
            category=world.leaf,
            grade=world.grade_c,
        )
    appeal.refresh_from_db()
    assert appeal.status == "received" and reward_of(appeal) is None


def test_random_amounts_are_fixed_per_appeal_and_follow_the_range(world, programme):
    amounts = [reward_of(file(world, phone=f"1390000{i:04d}")).amount_fen for i in range(30)]
    assert all(100 <= a <= 2000 for a in amounts)
    assert len(set(amounts)) > 10  # random, not constant


def test_out_of_scope_appeals_get_no_decision(world, programme):
    assert reward_of(file(world, channel="hotline")) is None
    assert reward_of(file(world, appeal_type=world.consultation)) is None


def test_validity_dates(world):
    programmes.create("later", "Later", terms(valid_from="2026-12-01"))
    assert reward_of(file(world)) is None
    assert reward_of(file(world, when=MONDAY_10 + timedelta(days=40))) is not None


def test_anonymous_and_staff_reports_are_refused_with_their_reason(world, programme):
    with timesource.frozen_at(MONDAY_10):
        anonymous = new_appeal(world, channel="wechat", anonymous=True, reporter_phone="")
        workflow.register(
            anonymous,
            world.u("intake"),
            appeal_type=world.complaint,
            category=world.leaf,
            grade=world.grade_c,
        )
    assert reward_of(anonymous).reason == Reason.ANONYMOUS
    staff = world.u("handler")
    staff.phone = "13911112222"
    staff.save()
    reward = reward_of(file(world, phone="13911112222"))
    assert (reward.status, reward.reason) == (R.REFUSED, Reason.STAFF)
    assert ledger.check() == []


def test_rejected_merged_and_answered_reports_are_refused(world, programme):
    with timesource.frozen_at(MONDAY_10):
        first = new_appeal(world, channel="wechat", description="路口井盖缺失，很危险")
        second = new_appeal(world, channel="web", reporter_phone="13900000002")
        third = new_appeal(world, channel="web", reporter_phone="13900000003")
        fourth = new_appeal(world, channel="web", reporter_phone="13900000004")
    with timesource.frozen_at(MONDAY_10 + timedelta(minutes=3)):
        workflow.merge(second, world.u("intake"), into=first)
        workflow.reject(third, world.u("intake"), reason="不属于本区")
        workflow.answer(fourth, world.u("intake"), reply="请拨打供电热线")
        workflow.register(
            first,
            world.u("intake"),
            appeal_type=world.complaint,
            category=world.leaf,
            grade=world.grade_c,
        )
    assert reward_of(first).status == R.RESERVED  # only the first reporter of the matter
    assert reward_of(second).reason == Reason.MERGED
    assert reward_of(third).reason == Reason.REJECTED
    assert reward_of(fourth).reason == Reason.ANSWERED
    refused = Notification.objects.filter(event="citizen.reward_refused")
    assert refused.count() == 3
    with translation.override("zh-hans"):  # messages are written in the site's language
        expected = str(Reason.MERGED.label)
    assert refused.get(subject_ref=second.number).context["reason"] == expected


def test_reporter_daily_and_monthly_caps(world):
    programmes.create("caps", "Caps", terms(flags={"phone": 10}))
    day = [file(world, when=MONDAY_10 + timedelta(minutes=i)) for i in range(3)]
    assert [reward_of(a).status for a in day] == [R.RESERVED, R.RESERVED, R.REFUSED]
    assert reward_of(day[2]).reason == Reason.REPORTER_DAILY
    # The next days: 5 a month in all.
    later = [file(world, when=MONDAY_10 + timedelta(days=d)) for d in (1, 2, 3, 4)]
    assert [reward_of(a).status for a in later] == [R.RESERVED] * 3 + [R.REFUSED]
    assert reward_of(later[3]).reason == Reason.REPORTER_MONTHLY
    # Another reporter is not affected; a new month starts afresh.
    assert reward_of(file(world, phone="13900000099")).status == R.RESERVED
    assert reward_of(file(world, when=MONDAY_10 + timedelta(days=30))).status == R.RESERVED


def test_programme_daily_limit(world):
    programmes.create("small", "Small", terms(daily_count=2, reporter_daily=None))
    rewards = [reward_of(file(world, phone=f"1390000{i:04d}")) for i in range(3)]
    assert [r.status for r in rewards] == [R.RESERVED, R.RESERVED, R.REFUSED]
    assert rewards[2].reason == Reason.DAILY_LIMIT
    tomorrow = file(world, phone="13900009999", when=MONDAY_10 + timedelta(days=1))
    assert reward_of(tomorrow).status == R.RESERVED


def test_budget_exhaustion_refuses_and_never_goes_below_zero(world):
    programme = programmes.create(
        "tight",
        "Tight",
        terms(amount={"kind": "fixed", "fen": 800}, monthly_budget_fen=2000, reporter_daily=None),
    )
    rewards = [reward_of(file(world, phone=f"1390000{i:04d}")) for i in range(4)]
    assert [r.status for r in rewards] == [R.RESERVED, R.RESERVED, R.REFUSED, R.REFUSED]
    assert rewards[2].reason == Reason.BUDGET
    month = ledger.month_of(MONDAY_10)
    assert ledger.available(programme, month) == 400
    # An administrator tops the month up: the next report fits again.
    ledger.top_up(programme, month, 1000, at=MONDAY_10)
    assert reward_of(file(world, phone="13900000077")).status == R.RESERVED
    assert ledger.check() == []


def test_a_new_version_applies_to_new_decisions_and_old_ones_keep_theirs(world, programme):
    before = reward_of(file(world))
    with timesource.frozen_at(MONDAY_10 + timedelta(hours=1)):
        v2 = programmes.save_terms(
            programme, terms(amount={"kind": "fixed", "fen": 666}), note="fixed"
        )
    # Terms were saved with the real clock; decide after it.
    later = reward_of(file(world, phone="13900000002", when=v2.created_at + timedelta(minutes=1)))
    assert later.version == v2 and later.amount_fen == 666
    before.refresh_from_db()
    assert before.version.number == 1
    # Saving the same terms again makes no version.
    assert programmes.save_terms(programme, terms(amount={"kind": "fixed", "fen": 666})) == v2


def test_tiers_by_grade(world):
    programmes.create(
        "tiers",
        "Tiers",
        terms(amount={"kind": "tiers", "by": "grade", "tiers": {"A": 2000, "B": 1000, "C": 500}}),
    )
    assert reward_of(file(world)).amount_fen == 500  # the helper registers grade C


def test_on_close_with_the_problem_confirmed(world):
    from jiesu.appeals.tests.conftest import visiting

    programmes.create("close", "On close", terms(trigger="close_confirmed", channels=[]))
    with timesource.frozen_at(MONDAY_10):
        appeal = visiting(world, description="桥下积水严重，车辆无法通行")
        assert reward_of(appeal) is None  # not at registration
        workflow.record_visit(appeal, world.u("visitor"), outcome="satisfied")
    assert reward_of(appeal).status == R.RESERVED
    # Closed without the problem handled: refused.
    with timesource.frozen_at(MONDAY_10):
        other = new_appeal(world, reporter_phone="13900000005", description="另一件事情完全不同")
        workflow.register(
            other,
            world.u("intake"),
            appeal_type=world.complaint,
            category=world.leaf,
            grade=world.grade_c,
        )
        workflow.dispatch(other, world.u("dispatcher"))
        other.refresh_from_db()
    assert reward_of(other) is None


def test_flagged_rewards_are_held_and_approved_or_refused(world):
    programmes.create(
        "flags",
        "Flags",
        terms(reporter_daily=None, reporter_monthly=None, flags={"phone": 2}, four_eyes_fen=5000),
    )
    first, second = (reward_of(file(world)) for _ in range(2))
    third = reward_of(file(world))
    assert [first.status, second.status] == [R.RESERVED, R.RESERVED]
    assert third.status == R.HELD and third.flags[0]["code"] == "phone"
    assert not Payout.objects.filter(reward=third).exists()
    assert Notification.objects.filter(event="citizen.reward_held").count() == 1
    decisions.approve(third, world.u("supervisor"))
    third.refresh_from_db()
    assert (third.status, third.reason) == (R.RESERVED, Reason.APPROVED)
    assert Payout.objects.filter(reward=third).exists()
    fourth = reward_of(file(world))
    with pytest.raises(decisions.ReviewError):
        decisions.refuse(fourth, world.u("supervisor"), "")
    decisions.refuse(fourth, world.u("supervisor"), "同一问题重复上报")
    fourth.refresh_from_db()
    assert (fourth.status, fourth.note) == (R.REFUSED, "同一问题重复上报")
    assert "同一问题重复上报" in decisions.citizen_summary(fourth)
    assert ledger.check() == []


def test_four_eyes_above_the_set_amount(world):
    from jiesu.appeals.tests.conftest import make_user
    from jiesu.org.roles import Role

    programmes.create(
        "big",
        "Big",
        terms(
            amount={"kind": "fixed", "fen": 1500},
            reporter_daily=None,
            four_eyes_fen=1000,
            flags={"phone": 1},
        ),
    )
    reward_of(file(world))
    held = reward_of(file(world))
    assert held.status == R.HELD
    decisions.approve(held, world.u("supervisor"))
    held.refresh_from_db()
    assert held.status == R.HELD  # one approval is not enough
    with pytest.raises(decisions.ReviewError):
        decisions.approve(held, world.u("supervisor"))
    other = make_user("supervisor2", world.centre, Role.SUPERVISOR)
    decisions.approve(held, other)
    held.refresh_from_db()
    assert held.status == R.RESERVED


def test_only_reviewers_may_decide(world):
    from django.core.exceptions import PermissionDenied

    programmes.create("f", "F", terms(reporter_daily=None, flags={"phone": 1}))
    reward_of(file(world))
    held = reward_of(file(world))
    with pytest.raises(PermissionDenied):
        decisions.approve(held, world.u("intake"))
    held.refresh_from_db()
    assert held.status == R.HELD and not held.reviews.exists()


def test_near_duplicate_texts_and_bursts_are_flagged(world):
    programmes.create(
        "dup", "Dup", terms(reporter_daily=None, reporter_monthly=None, flags={"burst_count": 3})
    )
    text = "坪山大道与东纵路交叉口井盖缺失，夜间非常危险，请尽快处理"
    reward_of(file(world, description=text))
    copy = reward_of(file(world, phone="13900000002", description=text + "。"))
    assert copy.status == R.HELD and copy.flags[0]["code"] == "near_duplicate"
    spot = {"lat": 22.5, "lng": 114.5}
    a = reward_of(file(world, phone="13900000003", **spot))
    b = reward_of(file(world, phone="13900000004", lat=22.5005, lng=114.5))
    c = reward_of(file(world, phone="13900000005", lat=22.5, lng=114.5008))
    assert [a.status, b.status] == [R.RESERVED, R.RESERVED]
    assert c.status == R.HELD and [f["code"] for f in c.flags] == ["burst"]
