# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Reading appeals: scope of each role, filters, cursor pagination, detail, masking, unmask,
history."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from jiesu.appeals import workflow
from jiesu.appeals.models import Appeal, Event
from jiesu.appeals.tests.conftest import dispatched, new_appeal
from jiesu.intake.tests.api_support import (
    LIST_URL,
    T0,
    at,
    body,
    error,
    field_codes,
    key_client,
    machine_channel,
    make_world,
    staff_client,
)


@pytest.fixture
def world(db, settings):
    return make_world(settings)


@pytest.fixture
def appeals(world):
    """a1 received through the WeChat key; a2 dispatched to 城市管理局 (lead) with 水务局
    assisting; a3 led by its sub-team 城管执法队; a4 led by 水务局."""
    channel, key = machine_channel()
    with at(0):
        number = key_client(key).post(LIST_URL, body(title="微信随手拍"), format="json")
    a1 = number.json()["number"]
    with at(10):
        a2 = dispatched(world, title="城管主办 水务协办")
    with at(20):
        a3 = workflow.dispatch(
            _registered(world, title="执法队主办"),
            world.u("dispatcher"),
            lead_unit=world.urban_team,
            assisting_units=[],
        )
    with at(30):
        a4 = workflow.dispatch(
            _registered(world, title="水务局主办", description="河道边污水直排"),
            world.u("dispatcher"),
            lead_unit=world.water,
            assisting_units=[],
        )
    return {"key": key, "a1": a1, "a2": a2.number, "a3": a3.number, "a4": a4.number}


def _registered(world, **kwargs):
    appeal = new_appeal(world, **kwargs)
    return workflow.register(
        appeal,
        world.u("intake"),
        appeal_type=world.complaint,
        category=world.leaf,
        grade=world.grade_c,
    )


def numbers(response) -> set:
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("intake", {"a1", "a2", "a3", "a4"}),
        ("dispatcher", {"a1", "a2", "a3", "a4"}),
        ("supervisor", {"a1", "a2", "a3", "a4"}),
        ("visitor", {"a1", "a2", "a3", "a4"}),
        ("handler", {"a2", "a3"}),  # its unit and its sub-team
        ("leader", {"a2", "a3"}),
        ("team_handler", {"a3"}),
        ("water_handler", {"a2", "a4"}),  # assisting on a2
        ("backstop_handler", set()),
        # Analysts read appeals (masked) to drill down from the figures (ADR 0011).
        ("analyst", {"a1", "a2", "a3", "a4"}),
    ],
)
def test_list_scope_per_role(world, appeals, who, sees):
    with at(40):
        response = staff_client(world.u(who)).get(LIST_URL)
    assert numbers(response) == {appeals[name] for name in sees}


@pytest.mark.parametrize("who", ["admin"])
def test_roles_without_view_permission_are_refused(world, appeals, who):
    response = staff_client(world.u(who)).get(LIST_URL)
    assert response.status_code == 403
    assert error(response)["code"] == "not_allowed"
    detail = staff_client(world.u(who)).get(f"{LIST_URL}{appeals['a2']}/")
    assert detail.status_code == 403


def test_channel_key_sees_only_its_channel(world, appeals):
    client = key_client(appeals["key"])
    assert numbers(client.get(LIST_URL)) == {appeals["a1"]}
    assert client.get(f"{LIST_URL}{appeals['a1']}/").status_code == 200
    other = client.get(f"{LIST_URL}{appeals['a2']}/")
    assert other.status_code == 404
    assert error(other)["code"] == "not_found"


def test_withdrawn_assignment_no_longer_gives_sight(world, appeals):
    with at(50):
        appeal = workflow.redispatch(
            Appeal.objects.get(number=appeals["a4"]),
            world.u("dispatcher"),
            lead_unit=world.urban,
            reason="属城管职责",
        )
    assert appeal.number == appeals["a4"]
    with at(60):
        water = numbers(staff_client(world.u("water_handler")).get(LIST_URL))
        urban = numbers(staff_client(world.u("handler")).get(LIST_URL))
    assert appeals["a4"] not in water
    assert appeals["a4"] in urban


def test_out_of_scope_detail_is_not_found(world, appeals):
    response = staff_client(world.u("team_handler")).get(f"{LIST_URL}{appeals['a4']}/")
    assert response.status_code == 404
    unknown = staff_client(world.u("intake"), language="en").get(f"{LIST_URL}PS000/")
    assert unknown.status_code == 404
    assert "PS000" in error(unknown)["message"]


def test_filters(world, appeals):
    client = staff_client(world.u("supervisor"))

    def get(**params):
        with at(40):
            return numbers(client.get(LIST_URL, params))

    assert get(status="received") == {appeals["a1"]}
    assert get(status="dispatched,received") == {appeals[n] for n in ("a1", "a2", "a3", "a4")}
    assert get(category="01") == {appeals[n] for n in ("a2", "a3", "a4")}  # a major category
    assert get(category=world.leaf.code) == {appeals[n] for n in ("a2", "a3", "a4")}
    assert get(unit="D01") == {appeals["a2"], appeals["a3"]}  # with its sub-team
    assert get(unit="D01-T1") == {appeals["a3"]}
    assert get(unit="D02") == {appeals["a2"], appeals["a4"]}
    assert get(channel="wechat_pingshan") == {appeals["a1"]}
    assert get(q="污水") == {appeals["a4"]}
    assert get(q="执法队") == {appeals["a3"]}
    assert get(q=appeals["a2"][-6:]) == {appeals["a2"]}
    assert get(grade="C", appeal_type="complaint") == {appeals[n] for n in ("a2", "a3", "a4")}
    after = (T0 + timedelta(minutes=15)).isoformat()
    before = (T0 + timedelta(minutes=25)).isoformat()
    assert get(received_after=after) == {appeals["a3"], appeals["a4"]}
    assert get(received_after=after, received_before=before) == {appeals["a3"]}
    assert get(received_before=T0.date().isoformat()) == set()


def test_bad_filters_are_400(world, appeals):
    client = staff_client(world.u("supervisor"))
    response = client.get(LIST_URL, {"status": "open,weird", "received_after": "yesterday"})
    assert response.status_code == 400
    codes = field_codes(response)
    assert codes["status"] == ["invalid_choice"]
    assert codes["received_after"] == ["invalid"]
    unknown = client.get(LIST_URL, {"unit": "ZZZ", "category": "nope"})
    assert field_codes(unknown) == {"unit": ["does_not_exist"], "category": ["does_not_exist"]}
    nul = client.get(LIST_URL, {"q": "a\x00b"})
    assert field_codes(nul) == {"q": ["control_characters"]}


def test_cursor_pagination_walks_everything_once(world, appeals):
    client = staff_client(world.u("supervisor"))
    seen, url, pages = [], LIST_URL + "?page_size=3", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        data = response.json()
        assert len(data["results"]) <= 3
        seen += [row["number"] for row in data["results"]]
        url, pages = data["next"], pages + 1
    assert pages == 2
    assert seen == [appeals[n] for n in ("a4", "a3", "a2", "a1")]  # newest first
    bad = client.get(LIST_URL, {"cursor": "garbage"})
    assert bad.status_code == 400
    assert error(bad)["code"] == "invalid_cursor"


def test_detail_has_assignments_clocks_and_actions(world, appeals):
    with at(40):
        response = staff_client(world.u("handler")).get(f"{LIST_URL}{appeals['a2']}/")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "dispatched"
    assert data["lead_unit"] == {"code": "D01", "name": "城市管理局"}
    assert {(a["unit"]["code"], a["role"]) for a in data["assignments"]} == {
        ("D01", "lead"),
        ("D02", "assist"),
    }
    kinds = sorted(c["kind"] for c in data["clocks"])
    assert kinds == ["contact", "handle", "sign", "sign"]
    assert {c["light"] for c in data["clocks"]} == {"green"}
    assert {"sign", "request_return"} <= set(data["allowed_actions"])
    assert not {"dispatch", "register", "approve_review"} & set(data["allowed_actions"])
    assert "action:sign" in data["links"]
    assert data["category"]["code"] == world.leaf.code
    assert data["version"] >= 3
    # Later the lights turn: 4 working hours to sign (from 10:10) → red by Tuesday.
    with at(60 * 26):
        later = staff_client(world.u("handler")).get(f"{LIST_URL}{appeals['a2']}/").json()
    sign = [c for c in later["clocks"] if c["kind"] == "sign" and c["unit"]["code"] == "D01"][0]
    assert sign["light"] == "red"


def test_reporter_is_masked_and_confidential_hidden_from_units(world):
    with at(0):
        appeal = dispatched(world, confidential=True)
    url = f"{LIST_URL}{appeal.number}/"
    intake = staff_client(world.u("intake")).get(url).json()["reporter"]
    handler = staff_client(world.u("handler")).get(url).json()["reporter"]
    assert intake == {
        "name": "张*",
        "phone": "138****1234",
        "hidden": False,
        "is_enterprise": False,
    }
    assert handler["hidden"] is True and handler["phone"] == ""
    assert "张" not in handler["name"]


def test_anonymous_reporter_is_hidden_from_everyone(world, appeals):
    channel_key = appeals["key"]
    with at(1):
        response = key_client(channel_key).post(
            LIST_URL, body(anonymous=True, reporter_phone="13911112222"), format="json"
        )
    number = response.json()["number"]
    data = staff_client(world.u("supervisor")).get(f"{LIST_URL}{number}/").json()
    assert data["reporter"]["hidden"] is True
    assert data["reporter"]["phone"] == ""


def test_unmask_reveals_and_writes_an_event(world, appeals):
    url = f"{LIST_URL}{appeals['a2']}/unmask/"
    before = Event.objects.filter(kind="unmask").count()
    with at(40):
        response = staff_client(world.u("handler")).post(url, {"reason": "联系核实"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"name": "张三", "phone": "13800001234", "credit_code": ""}
    assert response["Cache-Control"] == "private, no-store"
    event = Event.objects.filter(kind="unmask").get()
    assert Event.objects.filter(kind="unmask").count() == before + 1
    assert event.actor == world.u("handler")
    assert event.payload["reason"] == "联系核实"
    assert event.appeal.number == appeals["a2"]


def test_unmask_refusals(world, appeals):
    with at(0):
        secret = dispatched(world, confidential=True)
    url = f"{LIST_URL}{secret.number}/unmask/"
    handler = staff_client(world.u("handler")).post(url, {}, format="json")
    assert handler.status_code == 403 and error(handler)["code"] == "not_allowed"
    dispatcher = staff_client(world.u("dispatcher")).post(url, {}, format="json")
    assert dispatcher.status_code == 403  # the dispatcher role may not unmask
    channel = key_client(appeals["key"]).post(f"{LIST_URL}{appeals['a1']}/unmask/", {})
    assert channel.status_code == 403
    assert not Event.objects.filter(kind="unmask").exists()
    supervisor = staff_client(world.u("supervisor")).post(url, {}, format="json")
    assert supervisor.status_code == 200
    assert Event.objects.filter(kind="unmask").count() == 1


def test_history_for_staff_and_for_channels(world, appeals):
    staff = staff_client(world.u("supervisor"), language="en").get(
        f"{LIST_URL}{appeals['a2']}/history/"
    )
    assert staff.status_code == 200
    events = staff.json()["events"]
    assert [e["kind"] for e in events] == ["receive", "register", "dispatch"]
    assert events[2]["label"] == "Dispatch"
    assert events[2]["unit"]["code"] == "D01"
    assert "intake" in events[0]["actor"]
    assert events[2]["payload"]["lead"] == "D01"
    channel = key_client(appeals["key"]).get(f"{LIST_URL}{appeals['a1']}/history/")
    assert channel.status_code == 200
    [received] = channel.json()["events"]
    assert received["kind"] == "receive"
    assert "actor" not in received and "payload" not in received


def test_session_authentication_enforces_csrf(world, appeals):
    user = world.u("intake")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get(LIST_URL).status_code == 200  # safe methods need no token
    url = f"{LIST_URL}{appeals['a2']}/unmask/"
    refused = client.post(url, {}, format="json")
    assert refused.status_code == 403
    assert error(refused)["code"] == "csrf_failed"
    secret = "a" * 32
    client.cookies["csrftoken"] = secret
    ok = client.post(url, {}, format="json", HTTP_X_CSRFTOKEN=secret)
    assert ok.status_code == 200, ok.content


def test_token_authentication(world, appeals, settings):
    from django.apps import apps

    client = APIClient(HTTP_AUTHORIZATION="Token " + "0" * 40)
    if not apps.is_installed("rest_framework.authtoken"):
        response = client.get(LIST_URL)
        assert response.status_code == 401
        assert error(response)["code"] == "token_auth_disabled"
        pytest.skip("rest_framework.authtoken is not in INSTALLED_APPS")
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=world.u("supervisor"))
    assert client.get(LIST_URL).status_code == 401
    assert error(client.get(LIST_URL))["code"] == "invalid_token"
    good = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert good.get(LIST_URL).status_code == 200
    # Tokens need no CSRF token.
    response = good.post(f"{LIST_URL}{appeals['a2']}/unmask/", {}, format="json")
    assert response.status_code == 200
    user = world.u("supervisor")
    user.is_active = False
    user.save()
    assert good.get(LIST_URL).status_code == 401
