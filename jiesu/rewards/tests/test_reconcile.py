# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Reconciliation finds every planted difference between the ledger and the provider."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from jiesu.rewards import payouts, programmes, reconcile
from jiesu.rewards.models import EmbeddedTransfer, PayeeAccount, Payout, Reconciliation
from jiesu.rewards.providers import wechat
from jiesu.rewards.tests.conftest import MONDAY_10, SEED_TERMS, file
from jiesu.rewards.tests.fakewechat import FakeWechatPay, Keys


@pytest.fixture
def paid_three(world):
    programmes.create("seed", "Seed", {**SEED_TERMS, "amount": {"kind": "fixed", "fen": 300}})
    for i in range(3):
        phone = f"1390000{i:04d}"
        PayeeAccount.objects.create(
            phone=phone, provider="wechat", account=f"openid-{i}", bound_at=MONDAY_10
        )
        file(world, phone=phone)

    def pay():
        counts = payouts.pay_due()  # the real clock: the provider books today too
        assert counts["paid"] == 3, counts
        return list(Payout.objects.order_by("id").values_list("request_id", flat=True))

    return pay


def run_command(*args):
    from io import StringIO

    out = StringIO()
    try:
        call_command("reconcile_rewards", *args, stdout=out)
    except SystemExit as e:
        return e.code, out.getvalue()
    return 0, out.getvalue()


def test_embedded_books_agree_then_planted_differences_are_found(paid_three):
    ids = paid_three()
    today = timezone.localdate().isoformat()
    code, output = run_command("--date", today)
    assert code == 0 and "3 payouts compared, 0 differences" in output
    # Plant: one transfer the ledger never made, one with another amount, one lost.
    EmbeddedTransfer.objects.create(
        request_id="JS999999999999G1",
        payee="13800000000",
        amount_fen=100,
        created_at=timezone.now(),
    )
    EmbeddedTransfer.objects.filter(request_id=ids[0]).update(amount_fen=301)
    EmbeddedTransfer.objects.filter(request_id=ids[1]).delete()
    code, output = run_command("--date", today)
    assert code == 1
    run = Reconciliation.objects.latest("ran_at")
    kinds = {(d["kind"], d["request_id"]) for d in run.differences}
    assert kinds == {("extra", "JS999999999999G1"), ("amount", ids[0]), ("missing", ids[1])}
    assert "extra at the provider: JS999999999999G1 (1.00 yuan" in output
    assert "ledger 3.00, provider 3.01" in output


def test_bad_dates_are_refused(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a date"):
        call_command("reconcile_rewards", "--date", "2026-13-40")


def test_wechat_fund_flow_bill(paid_three, tmp_path, settings):
    wechat._FETCHED.clear()
    with FakeWechatPay(Keys(tmp_path)) as fake:
        settings.JIESU_REWARDS = fake.settings()
        # The payouts were queued for the embedded provider: point them at WeChat Pay.
        Payout.objects.update(provider="wechat")
        ids = paid_three()
        day = timezone.localdate()
        assert reconcile.reconcile(day).differences == []
        fake.state.bill_extra = [("JS000000000777G1", 1500)]
        fake.state.bill_amounts = {ids[2]: 299}
        run = reconcile.reconcile(day)
    wechat._FETCHED.clear()
    assert sorted((d["kind"], d["request_id"]) for d in run.differences) == [
        ("amount", ids[2]),
        ("extra", "JS000000000777G1"),
    ]
