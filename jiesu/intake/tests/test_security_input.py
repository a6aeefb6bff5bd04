# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Hostile input at the API and Open311 doors (issue 8, item 6): nothing a client sends may
crash the server. Each case is a 400 in the endpoint's own error format, and nothing is stored."""

from __future__ import annotations

import pytest

from jiesu.appeals.models import Appeal
from jiesu.intake.tests import test_open311 as base
from jiesu.intake.tests.api_support import LIST_URL, body, key_client, machine_channel, make_world
from jiesu.intake.tests.test_open311 import FORMATS, check_errors

world = base.world
o311 = base.o311


@pytest.fixture
def api(db, settings):
    make_world(settings)
    _, key = machine_channel(rate_limit_per_minute=0)
    return key_client(key, language="en")


def nested_object(depth):
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize(
    "payload",
    [nested_object(5000), "[" * 100_000, "[" * 100_000 + "]" * 100_000],
    ids=["object 5000 deep", "100000 open brackets", "100000 nested arrays"],
)
def test_deeply_nested_json_is_a_400(api, payload):
    before = Appeal.objects.count()
    response = api.generic("POST", LIST_URL, payload, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "malformed_request"
    assert Appeal.objects.count() == before


def test_nested_json_inside_a_valid_body_is_a_400(api):
    data = body()
    fields = f'"title": "{data["title"]}", "description": "{data["description"]}"'
    text = "{" + fields + ', "extra": ' + nested_object(3000) + "}"
    response = api.generic("POST", LIST_URL, text, content_type="application/json")
    assert response.status_code == 400
    assert Appeal.objects.count() == 0


@pytest.mark.parametrize(
    "query",
    [
        "received_after=0001-01-01",
        "received_before=0001-01-01",
        "received_after=0001-01-01T00:00:00Z",
        "received_after=9999-12-31T23:59:59Z",
        "received_before=9999-12-31",
    ],
)
def test_extreme_dates_in_list_filters_are_a_400(api, query):
    response = api.get(f"{LIST_URL}?{query}")
    assert response.status_code == 400, response.content[:300]
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "9999-12-31T23:59:59Z"},
        {"end_date": "0001-01-01T00:00:00Z"},
        {"start_date": "0001-01-01T00:00:00Z"},
        {"end_date": "9999-12-31T23:59:59Z"},
        {"start_date": "9999-12-31"},
        {"end_date": "0001"},
    ],
)
def test_extreme_open311_dates_are_a_400(o311, fmt, params):
    response = o311.api.get("requests", fmt, **params)
    descriptions = check_errors(response, fmt, 400)
    assert any("date" in d for d in descriptions)


# -- two credentials (issue 8, item 8) -------------------------------------------------------


@pytest.fixture
def keys(db, settings):
    world = make_world(settings)
    channel, key = machine_channel(rate_limit_per_minute=0)
    _, other_key = machine_channel(code="other_app", name="另一应用", rate_limit_per_minute=0)
    return world, key, other_key


def _client(**headers):
    from rest_framework.test import APIClient

    return APIClient(HTTP_ACCEPT_LANGUAGE="en", **headers)


@pytest.mark.parametrize(
    "headers",
    [
        lambda k, o: {"HTTP_AUTHORIZATION": f"ApiKey {k}", "HTTP_X_API_KEY": "js_bad"},
        lambda k, o: {"HTTP_AUTHORIZATION": "ApiKey js_bad", "HTTP_X_API_KEY": k},
        lambda k, o: {"HTTP_AUTHORIZATION": f"ApiKey {k}", "HTTP_X_API_KEY": k},
        lambda k, o: {"HTTP_AUTHORIZATION": f"ApiKey {o}", "HTTP_X_API_KEY": k},
        lambda k, o: {"HTTP_AUTHORIZATION": "Token " + "0" * 40, "HTTP_X_API_KEY": k},
    ],
    ids=["valid+bad", "bad+valid", "same key twice", "two valid keys", "token+key"],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_two_credentials_are_refused(keys, headers, method):
    _, key, other = keys
    client = _client(**headers(key, other))
    if method == "get":
        response = client.get(LIST_URL)
    else:
        response = client.post(LIST_URL, body(), format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "conflicting_credentials"
    assert Appeal.objects.count() == 0


def test_one_key_alone_still_works(keys):
    _, key, _ = keys
    assert _client(HTTP_X_API_KEY=key).post(LIST_URL, body(), format="json").status_code == 201
    assert _client(HTTP_AUTHORIZATION=f"ApiKey {key}").get(LIST_URL).status_code == 200


# -- the district's outline holds at every door (issue 8, item 11) ----------------------------


@pytest.mark.parametrize("point", [(0, 0), (39.9, 116.4), (22.7, 113.5)])
def test_the_native_api_refuses_points_outside_the_district(api, point):
    from jiesu.org.models import Region

    assert Region.objects.filter(min_lat__isnull=False).exists()
    response = api.post(LIST_URL, body(lat=point[0], lng=point[1]), format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert "location" in error["fields"]
    assert Appeal.objects.count() == 0


def test_a_point_inside_the_district_is_accepted(api):
    assert api.post(LIST_URL, body(lat=22.7, lng=114.35), format="json").status_code == 201


# -- Open311 GET parameters are checked, not ignored (issue 8, item 11) -----------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"lat": "abc", "long": "114.35"}, "lat"),
        ({"lat": "22.7", "long": "east"}, "long"),
        ({"lat": "NaN", "long": "114.35"}, "lat"),
        ({"lat": "91", "long": "114.35"}, "lat"),
        ({"lat": "22.7", "long": "114.35", "radius": "-5"}, "radius"),
        ({"lat": "22.7", "long": "114.35", "radius": "0"}, "radius"),
        ({"lat": "22.7", "long": "114.35", "radius": "1e9"}, "radius"),
        ({"lat": "22.7"}, "long"),
        ({"radius": "500"}, "lat"),
        ({"page_size": "-1"}, "page_size"),
        ({"page": "abc"}, "page"),
    ],
)
def test_bad_open311_query_parameters_are_a_400(o311, fmt, params, word):
    descriptions = check_errors(o311.api.get("requests", fmt, **params), fmt, 400)
    assert any(word in d for d in descriptions), descriptions


def test_open311_finds_requests_near_a_point(o311):
    from jiesu.appeals.tests.conftest import new_appeal

    near = new_appeal(o311.world, lat=22.7, lng=114.35, title="近处")
    far = new_appeal(o311.world, lat=22.75, lng=114.45, title="远处")
    for appeal in (near, far):
        appeal.category = o311.leaf
        appeal.save()
    found = o311.api.get("requests", "json", lat="22.701", long="114.351", radius="500")
    numbers = {r["service_request_id"] for r in found.json()}
    assert near.number in numbers and far.number not in numbers


# -- text-direction overrides are refused at every door (issue 8, item 11) --------------------

BIDI = [
    "\u202e",
    "\u202a",
    "\u202d",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
    "\u061c",
]


@pytest.mark.parametrize("char", BIDI, ids=[f"U+{ord(c):04X}" for c in BIDI])
@pytest.mark.parametrize("field", ["title", "description", "address", "reporter_name"])
def test_the_api_refuses_bidi_controls(api, char, field):
    response = api.post(LIST_URL, body(**{field: f"垃圾{char}堆积"}), format="json")
    assert response.status_code == 400, response.content
    assert Appeal.objects.count() == 0


@pytest.mark.parametrize("char", ["\u202e", "\u2067"])
@pytest.mark.parametrize("field", ["description", "address_string", "first_name"])
def test_open311_refuses_bidi_controls(o311, char, field):
    from jiesu.intake.tests.test_open311 import valid_request

    before = Appeal.objects.count()
    response = o311.api.post(valid_request(o311, **{field: f"垃圾{char}堆积"}), "json")
    check_errors(response, "json", 400)
    assert Appeal.objects.count() == before


@pytest.mark.parametrize("field", ["title", "description", "address", "reporter_name"])
def test_the_workflow_refuses_bidi_controls_from_any_door(db, settings, field):
    from jiesu.appeals.errors import InvalidInput
    from jiesu.appeals.tests.conftest import new_appeal

    world = make_world(settings)
    with pytest.raises(InvalidInput) as refused:
        new_appeal(world, **{field: "电话\u202e4321 0000 831"})
    assert field in refused.value.field_errors
    assert Appeal.objects.count() == 0


def test_ordinary_chinese_and_emoji_text_is_accepted(api):
    text = "小区门口垃圾堆积 😡，已三天（约 72 小时）无人清理！"
    assert (
        api.post(LIST_URL, body(title=text[:40], description=text), format="json").status_code
        == 201
    )


# -- form bodies that are not UTF-8 (issue 8, item 11) ---------------------------------------

LATIN1_BODY = "title=Caf\xe9&description=垃圾".encode("latin-1", errors="ignore")
BAD_ESCAPES = b"title=%E5%9E&description=%FF%FE"


@pytest.mark.parametrize("raw", [LATIN1_BODY, BAD_ESCAPES], ids=["raw latin-1", "bad escapes"])
def test_the_api_refuses_a_non_utf8_form(api, raw):
    response = api.generic("POST", LIST_URL, raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"
    assert Appeal.objects.count() == 0


@pytest.mark.parametrize("raw", [LATIN1_BODY, BAD_ESCAPES], ids=["raw latin-1", "bad escapes"])
def test_open311_refuses_a_non_utf8_form(o311, raw):
    response = o311.api.client.generic(
        "POST",
        f"/open311/v2/requests.json?api_key={o311.key}",
        raw,
        content_type="application/x-www-form-urlencoded",
    )
    descriptions = check_errors(response, "json", 400)
    assert any("UTF-8" in d for d in descriptions)
    assert Appeal.objects.count() == 0


@pytest.mark.parametrize("path", ["/report/", "/track/", "/console/login/"])
def test_pages_refuse_a_non_utf8_form(client, db, path):
    response = client.generic(
        "POST", path, BAD_ESCAPES, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert Appeal.objects.count() == 0


def test_utf8_forms_pass():
    from jiesu.textcheck import form_body_is_utf8

    assert form_body_is_utf8("title=垃圾&x=%E5%9E%83%E5%9C%BE+a".encode())
    assert not form_body_is_utf8(BAD_ESCAPES)
    assert not form_body_is_utf8(b"a=\xe9")


# -- CORS for configured origins only (issue 8, item 11) --------------------------------------


def _preflight(client, origin):
    return client.options(
        LIST_URL,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, idempotency-key, x-api-key",
    )


def test_preflight_from_a_configured_origin(client, db, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.gov.cn"]
    response = _preflight(client, "https://app.example.gov.cn")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://app.example.gov.cn"
    allowed = response["Access-Control-Allow-Headers"].lower()
    assert "idempotency-key" in allowed and "x-api-key" in allowed
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response


def test_no_cors_for_other_origins_or_by_default(client, db, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.gov.cn"]
    assert "Access-Control-Allow-Origin" not in _preflight(client, "https://evil.example")
    settings.CORS_ALLOWED_ORIGINS = []
    assert "Access-Control-Allow-Origin" not in _preflight(client, "https://app.example.gov.cn")


def test_cors_only_on_the_api(client, db, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.gov.cn"]
    response = client.get("/console/login/", HTTP_ORIGIN="https://app.example.gov.cn")
    assert "Access-Control-Allow-Origin" not in response


# -- paging parameters are checked, not ignored (issue 8, item 7) -----------------------------


@pytest.mark.parametrize("size", ["-1", "0", "101", "abc", "1.5", ""])
def test_bad_page_size_is_a_400(api, size):
    response = api.get(f"{LIST_URL}?page_size={size}")
    assert response.status_code == 400, response.content
    assert "page_size" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "Zm9v", "eD0x", "cD0yMDI2JnA9MjAyNw==", "%%%", "b2Zmc2V0PTE="],
    ids=["not base64", "foo", "x=1", "two positions", "percent", "offset=1"],
)
def test_garbage_cursors_are_a_400(api, cursor):
    response = api.get(f"{LIST_URL}?cursor={cursor}")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_real_cursors_and_sizes_work(api):
    for i in range(3):
        api.post(LIST_URL, body(title=f"第{i}件"), format="json")
    first = api.get(f"{LIST_URL}?page_size=2").json()
    assert len(first["results"]) == 2 and first["next"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1


def test_merged_into_is_typed_nullable_like_it_is_answered(api):
    """The schema and the answers agree (issue 8, item 7)."""
    import yaml

    from jiesu.intake.tests.test_api_schema import COMMITTED

    schema = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    field = schema["components"]["schemas"]["AppealDetail"]["properties"]["merged_into"]
    assert field.get("nullable") is True
    number = api.post(LIST_URL, body(), format="json").json()["number"]
    assert api.get(f"{LIST_URL}{number}/").json()["merged_into"] is None
