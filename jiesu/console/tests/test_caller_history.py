# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Caller history beside the call form (来电登记): the caller's earlier appeals by phone, masked
per role, unmasking logged, confidential and anonymous appeals respected, bad input refused; and
merging from the finder's suggestion."""

from datetime import timedelta

from jiesu.appeals.models import Appeal, Event
from jiesu.appeals.states import Status
from jiesu.appeals.tests.conftest import MONDAY_10, new_appeal

URL = "/console/intake/caller/"


def history(client, phone, method="get"):
    return getattr(client, method)(URL, {"phone": phone})


def test_the_call_form_has_the_caller_history_panel(as_user):
    page = as_user("intake").get("/console/intake/new/").content.decode()
    assert 'id="caller-history"' in page and f'data-url="{URL}"' in page
    assert "console/caller-history.js" in page


def test_earlier_appeals_of_the_number_masked_newest_first(as_user, world, at):
    with at(MONDAY_10 - timedelta(days=60)):
        old = new_appeal(world, reporter_phone="13800001234")
    with at(MONDAY_10 - timedelta(days=1)):
        recent = new_appeal(world, reporter_phone="138-0000-1234", confidential=True)
    new_appeal(world, reporter_phone="13911112222")
    new_appeal(world, reporter_phone="13800001234", anonymous=True)  # keeps no phone
    events = Event.objects.count()
    response = history(as_user("intake"), "138 0000 1234")
    assert response.status_code == 200
    data = response.json()
    assert [a["number"] for a in data["appeals"]] == [recent.number, old.number]
    first = data["appeals"][0]
    assert first["reporter"] == "张*" and first["phone"].startswith("138")
    assert "0000" not in first["phone"] and data["appeals"][1]["phone"] == "138****1234"
    assert first["confidential"] is True and first["open"] is True
    assert first["url"] == f"/console/appeals/{recent.number}/"
    assert data["may_unmask"] is True and data["more"] is False
    assert Event.objects.count() == events  # looking is not unmasking


def test_unmasking_shows_full_names_and_is_logged_on_each_appeal(as_user, world):
    appeal = new_appeal(world, reporter_phone="13800001234")
    response = history(as_user("intake"), "13800001234", method="post")
    assert response.status_code == 200
    row = response.json()["appeals"][0]
    assert row["reporter"] == "张三" and row["phone"] == "13800001234" and row["unmasked"]
    unmask = Event.objects.get(appeal=appeal, kind="unmask")
    assert unmask.actor == world.u("intake")


def test_only_callers_takers_may_look_up_and_unmask(as_user, world):
    new_appeal(world, reporter_phone="13800001234")
    for role in ("handler", "dispatcher", "analyst", "supervisor"):
        response = history(as_user(role), "13800001234")
        assert response.status_code == 403, role
        assert response.json()["error"]
    assert not Event.objects.filter(kind="unmask").exists()


def test_bad_phone_numbers_are_refused_in_the_users_language(as_user, world):
    client = as_user("intake")
    for bad in ("", "12345", "abc1234567", "1380000<script>"):
        response = history(client, bad)
        assert response.status_code == 400, bad
        assert "7" in response.json()["error"]
    response = client.get(URL, {"phone": "12345"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "电话" in response.json()["error"] or "号码" in response.json()["error"]


def test_merge_from_the_suggestion_shows_score_and_why(as_user, world, at):
    with at(MONDAY_10 - timedelta(days=1)):
        earlier = new_appeal(world, reporter_phone="13911112222")
    with at(MONDAY_10):
        appeal = new_appeal(world)
    client = as_user("intake")
    page = client.get(f"/console/appeals/{appeal.number}/").content.decode()
    assert 'data-testid="dup-score"' in page and 'data-testid="dup-why"' in page
    button = f'data-testid="merge-{appeal.number}-{earlier.number}"'
    assert button in page
    response = client.post(
        f"/console/appeals/{appeal.number}/act/merge/",
        {"into": earlier.number, "expected_version": appeal.version},
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == Status.MERGED and appeal.merged_into == earlier
    # A stale click (the appeal changed meanwhile) is refused and changes nothing.
    again = client.post(
        f"/console/appeals/{appeal.number}/act/merge/",
        {"into": earlier.number, "expected_version": appeal.version - 1},
    )
    assert again.status_code in (400, 409)
    assert Appeal.objects.get(pk=appeal.pk).status == Status.MERGED
