# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Paying granted rewards: the embedded provider, and WeChat Pay v3 against a local server that
fails, times out, answers late, keeps a transfer processing, refuses a payee, or signs wrong."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from jiesu.notify.models import Notification
from jiesu.rewards import ledger, payouts, programmes
from jiesu.rewards.models import EmbeddedTransfer, LedgerTransaction, PayeeAccount, Payout, Reward
from jiesu.rewards.providers import wechat
from jiesu.rewards.tests.conftest import MONDAY_10, SEED_TERMS, file, reward_of
from jiesu.rewards.tests.fakewechat import FakeWechatPay, Keys

P = Payout.Status
LATER = MONDAY_10 + timedelta(hours=1)


@pytest.fixture
def granted(world):
    programmes.create("seed", "Seed", {**SEED_TERMS, "amount": {"kind": "fixed", "fen": 500}})
    reward = reward_of(file(world, phone="13900000001"))
    assert reward.status == Reward.Status.RESERVED
    return reward


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    return Keys(tmp_path_factory.mktemp("wechatpay"))


@pytest.fixture
def fake(keys, settings):
    wechat._FETCHED.clear()
    with FakeWechatPay(keys) as server:
        settings.JIESU_REWARDS = server.settings()
        yield server
    wechat._FETCHED.clear()


def bind(phone="13900000001", openid="o4GgauInH_RCEdvrrNGrntXDuXXX", device=""):
    PayeeAccount.objects.create(
        phone=phone, provider="wechat", account=openid, device=device, bound_at=MONDAY_10
    )


def payout_of(reward) -> Payout:
    return Payout.objects.get(reward=reward)


def test_embedded_provider_pays_once(granted):
    assert payouts.pay_due(now=LATER)["paid"] == 1
    assert payouts.pay_due(now=LATER + timedelta(days=1))["claimed"] == 0
    granted.refresh_from_db()
    assert granted.status == Reward.Status.PAID
    transfer = EmbeddedTransfer.objects.get()
    assert (transfer.payee, transfer.amount_fen) == ("13900000001", 500)
    assert transfer.request_id == payout_of(granted).request_id
    assert LedgerTransaction.objects.filter(kind="payout", reward=granted).count() == 1
    assert ledger.paid_account(granted.programme).balance == 500
    assert Notification.objects.filter(event="citizen.reward_paid").count() == 1
    assert ledger.check() == []


def test_the_command_pays_too(granted):
    call_command("pay_rewards", "--now", LATER.isoformat(), verbosity=0)
    granted.refresh_from_db()
    assert granted.status == Reward.Status.PAID


def test_wechat_happy_path_with_signed_requests_and_downloaded_certificate(fake, granted):
    bind()
    assert payouts.pay_due(now=LATER)["paid"] == 1
    batch = fake.state.batches[payout_of(granted).request_id]
    assert (batch["openid"], batch["amount"]) == ("o4GgauInH_RCEdvrrNGrntXDuXXX", 500)
    assert ("GET", "/v3/certificates") in fake.state.requests
    assert ledger.check() == []


def test_no_bound_account_waits_then_gives_up_with_the_money_back(fake, granted):
    for attempt in range(3):
        payouts.pay_due(now=LATER + timedelta(hours=attempt))
    row = payout_of(granted)
    assert row.status == P.DEAD and "bound" in row.last_error
    granted.refresh_from_db()
    assert granted.status == Reward.Status.FAILED
    assert ledger.available(granted.programme, ledger.month_of(MONDAY_10)) == 100_000
    assert fake.state.transfer_posts == 0
    assert Notification.objects.filter(event="citizen.reward_failed").count() == 1
    assert ledger.check() == []


def test_server_errors_are_retried_with_backoff(fake, granted):
    bind()
    fake.state.fail_next = 1
    counts = payouts.pay_due(now=LATER)
    row = payout_of(granted)
    assert counts["failed"] == 1 and row.status == P.FAILED and "500" in row.last_error
    assert abs(row.next_attempt_at - (LATER + timedelta(seconds=60))) < timedelta(seconds=5)
    assert payouts.pay_due(now=LATER + timedelta(seconds=30))["claimed"] == 0  # not yet due
    assert payouts.pay_due(now=LATER + timedelta(seconds=61))["paid"] == 1
    assert fake.state.transfer_posts == 1


def test_a_timeout_after_the_provider_took_it_is_never_paid_twice(fake, granted):
    bind()
    fake.state.drop_after_record = 1  # recorded, then the answer comes too late
    counts = payouts.pay_due(now=LATER)
    row = payout_of(granted)
    assert counts["failed"] == 1 and "no answer" in row.last_error
    assert payouts.pay_due(now=LATER + timedelta(minutes=2))["paid"] == 1
    assert fake.state.transfer_posts == 1  # the retry asked, found it, and did not send again
    assert fake.state.paid() == {row.request_id: 500}
    assert LedgerTransaction.objects.filter(kind="payout").count() == 1


def test_a_late_answer_within_the_timeout_is_taken(fake, granted):
    bind()
    fake.state.late_seconds = 0.5
    assert payouts.pay_due(now=LATER)["paid"] == 1


def test_an_accepted_transfer_is_polled_until_finished(fake, granted):
    bind()
    fake.state.steps = 2
    assert payouts.pay_due(now=LATER)["accepted"] == 1
    row = payout_of(granted)
    assert row.status == P.ACCEPTED
    assert abs(row.next_attempt_at - (LATER + timedelta(seconds=30))) < timedelta(seconds=5)
    assert payouts.pay_due(now=LATER + timedelta(seconds=40))["accepted"] == 1
    assert payouts.pay_due(now=LATER + timedelta(seconds=80))["paid"] == 1
    row.refresh_from_db()
    assert row.attempts == 1 and fake.state.transfer_posts == 1


def test_a_refused_payee_fails_definitely_and_releases_the_reservation(fake, granted):
    bind(openid="o-frozen")
    fake.state.fail_openids = {"o-frozen"}
    assert payouts.pay_due(now=LATER)["dead"] == 1
    row = payout_of(granted)
    assert row.status == P.DEAD and "ACCOUNT_FROZEN" in row.last_error
    granted.refresh_from_db()
    assert granted.status == Reward.Status.FAILED
    assert ledger.reserved_account(granted.programme).balance == 0
    assert ledger.check() == []


def test_answers_with_a_wrong_signature_are_not_believed(fake, granted):
    bind()
    fake.state.bad_signature = True
    counts = payouts.pay_due(now=LATER)
    row = payout_of(granted)
    assert counts["failed"] == 1
    assert "verification" in row.last_error or "not signed by WeChat Pay" in row.last_error
    granted.refresh_from_db()
    assert granted.status == Reward.Status.RESERVED
    fake.state.bad_signature = False
    # The server did take the transfer: the next attempt finds it, sends nothing new.
    assert payouts.pay_due(now=LATER + timedelta(minutes=5))["paid"] == 1
    assert fake.state.transfer_posts <= 2 and len(fake.state.batches) == 1


def test_a_provider_that_cannot_be_asked_is_never_given_up(fake, granted):
    bind()
    fake.state.fail_next = 100
    for attempt in range(5):
        payouts.pay_due(now=LATER + timedelta(hours=attempt))
    row = payout_of(granted)
    assert row.status == P.FAILED and row.attempts == 5
    assert "cannot give up" in row.last_error
    fake.state.fail_next = 0
    assert payouts.pay_due(now=LATER + timedelta(days=1))["paid"] == 1
