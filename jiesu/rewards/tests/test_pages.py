# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The rewards pages: administrators run programmes, budget, ledger and payouts; supervisors
check held rewards; the reporter and staff see the decision on their pages."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from jiesu.appeals import timesource, workflow
from jiesu.rewards import ledger, payouts, programmes
from jiesu.rewards.models import Programme, Reward
from jiesu.rewards.tests.conftest import MONDAY_10, SEED_TERMS, file, new_appeal, reward_of

FORM = {
    "code": "snap",
    "name": "随手拍红包",
    "active": "on",
    "priority": "10",
    "channels": "wechat, web",
    "types": ["complaint"],
    "categories": "",
    "trigger": "register",
    "amount_kind": "random",
    "min_yuan": "1",
    "max_yuan": "20",
    "distribution": "uniform",
    "tiers": "",
    "daily_count": "200",
    "monthly_budget_yuan": "10000",
    "reporter_daily": "1",
    "reporter_monthly": "5",
    "exclude_staff": "on",
    "exclude_anonymous": "on",
    "four_eyes_yuan": "10",
    "flag_phone": "3",
    "flag_payee": "3",
    "flag_device": "3",
    "flag_window_days": "30",
    "flag_burst_count": "5",
    "flag_burst_metres": "200",
    "flag_burst_hours": "24",
    "flag_similarity": "0.8",
    "note": "",
}


def login(client, user):
    client.force_login(user)
    return client


def test_an_administrator_creates_and_versions_a_programme(client, world):
    login(client, world.u("admin"))
    response = client.post(reverse("console:rewards:programme_add"), FORM)
    assert response.status_code == 302
    programme = Programme.objects.get(code="snap")
    t = programme.current.terms
    assert t["channels"] == ["web", "wechat"] and t["amount"]["max_fen"] == 2000
    edit = reverse("console:rewards:programme", args=[programme.pk])
    response = client.post(edit, {**FORM, "max_yuan": "30", "note": "raise the top"})
    assert response.status_code == 302
    assert programme.versions.count() == 2
    page = client.get(reverse("console:rewards:programmes"))
    assert page.status_code == 200 and "随手拍红包".encode() in page.content


def test_bad_terms_come_back_next_to_the_field_and_save_nothing(client, world):
    login(client, world.u("admin"))
    with translation.override("zh-hans"):
        response = client.post(
            reverse("console:rewards:programme_add"),
            {**FORM, "min_yuan": "30", "max_yuan": "20"},
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
    assert response.status_code == 400
    assert "最小金额不得大于最大金额".encode() in response.content
    assert not Programme.objects.exists()


def test_other_roles_may_not_manage(client, world):
    login(client, world.u("intake"))
    assert client.get(reverse("console:rewards:programmes")).status_code == 403
    assert client.post(reverse("console:rewards:programme_add"), FORM).status_code == 403
    assert not Programme.objects.exists()


def test_budget_ledger_payouts_and_insight_pages(client, world):
    programme = programmes.create("seed", "Seed", SEED_TERMS)
    file(world)
    payouts.pay_due(now=MONDAY_10.replace(hour=12))
    login(client, world.u("admin"))
    for name in ("budget", "ledger", "payouts", "insight"):
        response = client.get(reverse(f"console:rewards:{name}"))
        assert response.status_code == 200, name
    ledger_page = client.get(reverse("console:rewards:ledger")).content.decode()
    assert 'id="ledger-ok"' in ledger_page and "reserve:" in ledger_page
    response = client.post(
        reverse("console:rewards:budget"),
        {"programme": programme.pk, "month": "2026-11-01", "yuan": "50", "memo": "top"},
    )
    assert response.status_code == 302
    assert ledger.available(programme, ledger.month_of(MONDAY_10)) > 100_000 - 2000
    assert ledger.check() == []


def test_the_review_desk(client, world):
    programmes.create(
        "f",
        "F",
        {**SEED_TERMS, "reporter_daily": None, "flags": {"phone": 1}, "four_eyes_fen": 5000},
    )
    file(world)
    held = [reward_of(file(world)) for _ in range(2)]
    assert {r.status for r in held} == {Reward.Status.HELD}
    login(client, world.u("supervisor"))
    desk = client.get(reverse("console:rewards:review"))
    assert desk.status_code == 200 and f'id="held-{held[0].pk}"'.encode() in desk.content
    act = "console:rewards:review_act"
    client.post(reverse(act, args=[held[0].pk, "approve"]))
    client.post(reverse(act, args=[held[1].pk, "refuse"]), {"note": ""})
    held[1].refresh_from_db()
    assert held[1].status == Reward.Status.HELD  # no reason: nothing happened
    client.post(reverse(act, args=[held[1].pk, "refuse"]), {"note": "重复上报"})
    statuses = [Reward.objects.get(pk=r.pk).status for r in held]
    assert statuses == [Reward.Status.RESERVED, Reward.Status.REFUSED]
    login(client, world.u("handler"))
    assert client.get(reverse("console:rewards:review")).status_code == 403


def test_the_decision_on_the_appeal_page_and_the_tracking_page(client, world):
    programmes.create("seed", "Seed", {**SEED_TERMS, "amount": {"kind": "fixed", "fen": 500}})
    with timesource.frozen_at(MONDAY_10):
        appeal = new_appeal(world, channel="wechat", reporter_phone="13900000001")
        code = appeal.query_code
        workflow.register(
            appeal,
            world.u("intake"),
            appeal_type=world.complaint,
            category=world.leaf,
            grade=world.grade_c,
        )
    login(client, world.u("intake"))
    page = client.get(reverse("console:appeal", args=[appeal.number]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b'id="reward-status"' in page.content and b"5.00" in page.content
    client = Client()  # a citizen, on the Chinese pages
    with translation.override("zh-hans"):
        response = client.post(reverse("citizen:track"), {"number": appeal.number, "code": code})
        assert response.status_code == 302
        detail = client.get(reverse("citizen:track-detail", args=[appeal.number]))
        detail = detail.content.decode()
    assert 'id="reward-decision"' in detail
    assert "5.00" in detail and "元" in detail  # zh-hans by default


@pytest.mark.parametrize("user", ["supervisor", "admin"])
def test_navigation_shows_the_rewards_desks(client, world, user):
    login(client, world.u(user))
    page = client.get(
        reverse("console:rewards:insight" if user == "admin" else "console:rewards:review")
    )
    assert page.status_code == 200
    expected = "console:rewards:programmes" if user == "admin" else "console:rewards:review"
    assert reverse(expected).encode() in page.content
