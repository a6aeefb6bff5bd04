# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""/api/v1/insights/…: the KPIs of test_kpis.py through the API, scoped by role, errors in
the API's JSON shape."""

import pytest
from rest_framework.authtoken.models import Token

URL = "/api/v1/insights/kpis/"
NOV = {"from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture
def api(client, world):
    def login(name):
        client.force_login(world.u(name))
        return client

    return login


def test_kpis_for_the_district(api, refreshed):
    body = api("analyst").get(URL, NOV).json()
    assert body["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    [row] = body["rows"]
    assert row["volume"] == 8
    assert row["closure_rate"] == {"value": 0.6, "numerator": 3, "denominator": 5}
    assert row["p90_handling_hours"] == 84


def test_kpis_by_unit_and_filters(api, refreshed):
    body = api("supervisor").get(URL, {**NOV, "by": "unit"}).json()
    rows = {r["group"]["code"]: r for r in body["rows"]}
    assert rows["D01"]["return_rate"]["numerator"] == 1
    body = api("supervisor").get(URL, {**NOV, "by": "unit", "parent": "D01"}).json()
    assert [r["group"]["code"] for r in body["rows"]] == ["D01-T1"]
    body = api("supervisor").get(URL, {**NOV, "by": "category", "level": "2"}).json()
    assert body["rows"][0]["group"]["code"] == "0101"
    body = api("supervisor").get(URL, {**NOV, "unit": "D02"}).json()
    assert body["rows"][0]["volume"] == 1 and body["filters"] == {"unit": "D02"}


def test_a_unit_leader_is_scoped(api, refreshed):
    body = api("leader").get(URL, {**NOV, "by": "unit"}).json()
    assert [r["group"]["code"] for r in body["rows"]] == ["D01"]


def test_token_authentication(client, world, refreshed):
    token = Token.objects.create(user=world.u("analyst"))
    response = client.get(URL, NOV, HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["handler", "intake", "dispatcher", "admin"])
def test_roles_without_statistics_get_403(api, world, name):
    response = api(name).get(URL, NOV)
    assert response.status_code == 403
    assert response.json()["error"]["code"]


def test_anonymous_gets_401_or_403(client, db):
    assert client.get(URL, NOV).status_code in (401, 403)


def test_bad_queries_are_400_in_the_callers_language(api, world):
    c = api("analyst")
    response = c.get(URL, {"from": "2026-12-01", "to": "2026-11-01"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "before the start date" in str(response.json())
    response = c.get(URL, {**NOV, "unit": "NOPE"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "NOPE" in str(response.json())
    response = c.get(URL, {"from": "yesterday", "to": "2026-11-01"})
    assert response.status_code == 400
    assert "from" in response.json()["error"]["fields"]
    response = c.get(URL, {**NOV, "by": "category", "level": "7"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400


@pytest.mark.parametrize(
    "path",
    ["overview/", "emerging/", "topics/"],
)
def test_an_empty_day_is_refused_not_read_as_today(api, world, path):
    """`?day=` (found by the schema fuzz test): a date sent empty is a bad request, in the
    caller's language, not today's figures."""
    c = api("analyst")
    response = c.get(f"/api/v1/insights/{path}?day=", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "day" in response.json()["error"]["fields"]
    assert "blank" in str(response.json())
    response = c.get(f"/api/v1/insights/{path}?day=", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400 and "blank" not in str(response.json())


def test_overview(api, refreshed, world):
    body = api("supervisor").get("/api/v1/insights/overview/", {"day": "2026-11-20"}).json()
    assert body["day"] == "2026-11-20"
    assert body["month"]["volume"] == 8
    assert body["month"]["closure_rate"]["numerator"] == 3
    assert sum(p["volume"] for p in body["trend"]) == 8
    assert body["channels"] == [{"code": "hotline", "name": "hotline", "volume": 8}]
    # Open appeals on the map, without personal data.
    numbers = {p["number"] for p in body["points"]}
    assert refreshed.returned.number in numbers and refreshed.clean.number not in numbers
    assert "reporter" not in str(body["points"])


def test_trends_year_on_year(api, refreshed):
    body = (
        api("analyst")
        .get(
            "/api/v1/insights/trends/",
            {"from": "2026-10-01", "to": "2026-11-30", "bucket": "month", "by": "channel"},
        )
        .json()
    )
    assert body["buckets"] == ["2026-10-01", "2026-11-01"]
    [group] = body["groups"]
    assert group["values"] == [0, 8] and group["share"] == 1.0
    assert group["year_on_year"] is None  # nothing a year before
    assert group["period_on_period"] == [None, None]


def test_schema_lists_the_insights_endpoints(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("kpis", "overview", "trends", "hotspots", "emerging", "topics"):
        assert f"/api/v1/insights/{path}/" in schema


def test_map_points_carry_the_light_of_the_lead_units_handling_clock(
    refreshed, django_assert_num_queries
):
    """The overview map's open appeals: their light from the running handling clock of the
    active lead assignment (none without one), read in one query beside the appeals'."""
    from datetime import timedelta

    from jiesu.appeals.models import Clock
    from jiesu.insights import kpis, overview

    returned = refreshed.returned
    clock = Clock.objects.get(
        appeal=returned,
        kind=Clock.Kind.HANDLE,
        stopped_at__isnull=True,
        cancelled=False,
        assignment__active=True,
    )

    def lights(now):
        with django_assert_num_queries(2):
            points = overview.open_points(kpis.Scope_(True), now=now)
        return {p["number"]: p["light"] for p in points}

    assert lights(clock.warn_at - timedelta(minutes=1))[returned.number] == "green"
    assert lights(clock.warn_at)[returned.number] == "yellow"
    assert lights(clock.due_at)[returned.number] == "yellow"
    late = lights(clock.due_at + timedelta(minutes=1))
    assert late[returned.number] == "red"
    assert late[refreshed.waiting.number] == ""  # received, no unit holds it yet
