# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The API's schema and its server agree (issue 8, item 7): what the schema refuses, the server
refuses with a 400 in the API's error format, and what the schema allows, the server takes.
Each case is checked on both sides: the committed schema (docs/api/openapi.yaml, validated
with the same JSON Schema engine schemathesis uses) and the real HTTP answer."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jsonschema_rs
import pytest
import yaml
from django.conf import settings as django_settings

from jiesu import textcheck
from jiesu.appeals.models import Appeal
from jiesu.appeals.tests.conftest import in_progress, new_appeal, visiting
from jiesu.intake.api.fields import MAX_INT, NON_BLANK_PATTERN, TEXT_PATTERN
from jiesu.intake.tests.api_support import (
    LIST_URL,
    at,
    body,
    error,
    field_codes,
    key_client,
    machine_channel,
    make_world,
    staff_client,
)

SCHEMA = yaml.safe_load(
    (Path(django_settings.BASE_DIR) / "docs" / "api" / "openapi.yaml").read_text(encoding="utf-8")
)
COMPONENTS = SCHEMA["components"]["schemas"]


def _openapi_to_jsonschema(node):
    """OpenAPI 3.0's `nullable` as JSON Schema (what schemathesis does before validating)."""
    if isinstance(node, dict):
        node = {k: _openapi_to_jsonschema(v) for k, v in node.items()}
        if node.pop("nullable", False) and "type" in node:
            node["type"] = [node["type"], "null"]
        if "$ref" in node:
            return _openapi_to_jsonschema(COMPONENTS[node["$ref"].rsplit("/", 1)[1]])
        return node
    if isinstance(node, list):
        return [_openapi_to_jsonschema(v) for v in node]
    return node


def schema_accepts(component: str, data) -> bool:
    schema = _openapi_to_jsonschema(COMPONENTS[component])
    return jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(data)


def list_parameter(name: str) -> dict:
    for parameter in SCHEMA["paths"]["/api/v1/appeals/"]["get"]["parameters"]:
        if parameter["name"] == name:
            return parameter
    raise KeyError(name)


def parameter_accepts(name: str, value: str) -> bool:
    validator = jsonschema_rs.validator_for(
        _openapi_to_jsonschema(list_parameter(name)["schema"]), validate_formats=True
    )
    return validator.is_valid(value)


@pytest.fixture
def world(db, settings):
    return make_world(settings)


@pytest.fixture
def channel_api(world):
    _, key = machine_channel(rate_limit_per_minute=0)
    return key_client(key, language="en")


def submit(api, **overrides):
    return api.post(LIST_URL, body(**overrides), format="json")


# -- text: the characters, blank, lengths ----------------------------------------------------


def test_schema_patterns_refuse_exactly_the_characters_the_server_refuses():
    text, non_blank = re.compile(TEXT_PATTERN), re.compile(NON_BLANK_PATTERN)
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue  # lone surrogates are no Unicode text: JSON Schema cannot name them
        c = chr(code)
        assert (text.search(f"a{c}b") is None) == textcheck.unsafe(c), hex(code)
        blank = c.isspace() or textcheck.unsafe(c)
        assert (non_blank.search(c) is None) == blank, hex(code)


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\u202e", "\u2066", "\ufffe"])
def test_characters_that_are_not_text_are_refused_by_both(channel_api, character):
    title = f"垃圾{character}堆积"
    assert not schema_accepts("SubmissionJson", body(title=title))
    response = submit(channel_api, title=title)
    assert response.status_code == 400
    assert field_codes(response) == {"title": ["control_characters"]}
    assert Appeal.objects.count() == 0


@pytest.mark.parametrize("title", ["", "   ", "\u3000\t\n", "\u00a0"])
def test_blank_text_is_refused_by_both(channel_api, title):
    assert not schema_accepts("SubmissionJson", body(title=title))
    response = submit(channel_api, title=title)
    assert response.status_code == 400
    assert field_codes(response) == {"title": ["blank"]}


def test_length_counts_the_characters_as_sent(channel_api):
    # 195 letters and 10 spaces: 205 characters sent, more than the 200 allowed, although
    # trimming would leave 195. Both sides refuse it.
    title = "垃" * 195 + " " * 10
    assert not schema_accepts("SubmissionJson", body(title=title))
    response = submit(channel_api, title=title)
    assert field_codes(response) == {"title": ["max_length"]}
    ok = "垃" * 200
    assert schema_accepts("SubmissionJson", body(title=ok))
    assert submit(channel_api, title=ok).status_code == 201


def test_blank_is_allowed_where_the_schema_allows_it(channel_api):
    # drf-spectacular wrote blank-allowed patterns as oneOf [pattern, maxLength 0], which
    # refuses "" (it matches both).
    for data in (body(reporter_name=""), body(address="   "), body(external_ref="")):
        assert schema_accepts("SubmissionJson", data), data
        assert submit(channel_api, **data).status_code == 201


# -- JSON types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": 12345}, "title"),
        ({"anonymous": "true"}, "anonymous"),
        ({"confidential": 1}, "confidential"),
        ({"lat": "22.7", "lng": 114.35}, "lat"),
        ({"category": 101001}, "category"),
    ],
)
def test_json_values_have_their_json_type(channel_api, overrides, field):
    assert not schema_accepts("SubmissionJson", body(**overrides))
    response = submit(channel_api, **overrides)
    assert response.status_code == 400, response.content
    assert field in field_codes(response)


def test_forms_are_text(world):
    _, key = machine_channel(code="form_channel", rate_limit_per_minute=0)
    api = key_client(key, language="en")
    data = {**body(), "anonymous": "false", "confidential": "true", "lat": "22.7"}
    response = api.post(LIST_URL, data, format="multipart")
    assert response.status_code == 201, response.content


# -- integers: capped at PostgreSQL's integer --------------------------------------------------


@pytest.mark.parametrize("value", [MAX_INT + 1, 2**63, 10**30])
def test_huge_expected_version_is_a_400(world, value):
    appeal = new_appeal(world)
    api = staff_client(world.u("intake"), language="en")
    url = f"{LIST_URL}{appeal.number}/actions/reject/"
    response = api.post(url, {"reason": "重复", "expected_version": value}, format="json")
    assert response.status_code == 400
    assert field_codes(response) == {"expected_version": ["max_value"]}
    appeal.refresh_from_db()
    assert appeal.status == "received"


def test_largest_integer_reaches_the_database_without_overflow(world):
    """2,147,483,647 is valid: it reaches the workflow (a version that does not match: 409),
    also on PostgreSQL, where anything larger overflows an integer column."""
    appeal = new_appeal(world)
    api = staff_client(world.u("intake"), language="en")
    url = f"{LIST_URL}{appeal.number}/actions/reject/"
    response = api.post(url, {"reason": "重复", "expected_version": MAX_INT}, format="json")
    assert response.status_code == 409
    assert error(response)["code"] == "conflict"


@pytest.mark.parametrize("field, value", [("notice", MAX_INT + 1), ("notice", "7")])
def test_notice_ids_are_bounded_integers(world, field, value):
    with at(0):
        appeal = in_progress(world)
    api = staff_client(world.u("handler"), language="en")
    url = f"{LIST_URL}{appeal.number}/actions/answer_supervision/"
    response = api.post(url, {field: value, "answer": "已处理"}, format="json")
    assert response.status_code == 400
    assert field in field_codes(response)


def test_attachment_ids_are_bounded_integers(world):
    with at(0):
        appeal = in_progress(world)
    api = staff_client(world.u("handler"), language="en")
    url = f"{LIST_URL}{appeal.number}/actions/complete/"
    data = {"result": "已清理", "evidence": "照片", "attachments": [MAX_INT + 1]}
    response = api.post(url, data, format="json")
    assert response.status_code == 400
    assert "attachments.0" in field_codes(response)
    items = COMPONENTS["CompleteAction"]["properties"]["attachments"]["items"]
    assert items["maximum"] == MAX_INT


def test_every_integer_the_api_takes_has_a_maximum():
    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "integer" and not node.get("readOnly"):
                yield where, node
            for key, value in node.items():
                yield from walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{where}/{index}")

    request_components = {n for n in COMPONENTS if n.endswith("Action") or n == "SubmissionJson"}
    found = 0
    for name in request_components:
        for where, node in walk(COMPONENTS[name], name):
            found += 1
            assert node.get("maximum") == MAX_INT, where
    assert found >= 4


# -- list filters ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["q", "channel", "received_after", "status", "category"])
def test_empty_filters_are_refused_by_both(channel_api, name):
    assert not parameter_accepts(name, "")
    response = channel_api.get(LIST_URL, {name: ""})
    assert response.status_code == 400, response.content
    assert name in field_codes(response)


@pytest.mark.parametrize(
    "value, accepted",
    [
        ("received", True),
        ("dispatched,in_progress", True),
        ("received, registered", False),
        ("received,,registered", False),
        ("received,", False),
        ("Received", False),
        ("cancelled", False),
    ],
)
def test_status_lists(channel_api, value, accepted):
    assert parameter_accepts("status", value) is accepted
    response = channel_api.get(LIST_URL, {"status": value})
    assert response.status_code == (200 if accepted else 400), response.content


@pytest.mark.parametrize(
    "value, accepted",
    [
        ("2026-11-02", True),
        ("2026-11-02T10:00:00+08:00", True),
        ("2026-11-02t02:00:00.123456789z", True),
        ("2026-11-02T10:00:00", False),  # no offset: which time zone?
        ("2026-11-02 10:00:00+08:00", False),
        ("2026-02-30", False),
        ("20261102", False),
        ("1899-12-31", False),
        ("3000-01-01", False),
    ],
)
def test_dates_are_rfc_3339_within_range(channel_api, value, accepted):
    response = channel_api.get(LIST_URL, {"received_after": value})
    assert response.status_code == (200 if accepted else 400), (value, response.content)
    assert parameter_accepts("received_after", value) is accepted, value


# -- rules between fields ----------------------------------------------------------------------


def test_a_phone_is_required_unless_anonymous(channel_api):
    no_phone = body(reporter_phone="")
    assert not schema_accepts("SubmissionJson", no_phone)
    assert field_codes(submit(channel_api, reporter_phone="")) == {"reporter_phone": ["required"]}
    anonymous = body(reporter_phone="", anonymous=True)
    assert schema_accepts("SubmissionJson", anonymous)
    assert submit(channel_api, reporter_phone="", anonymous=True).status_code == 201


@pytest.mark.parametrize(
    "phone, accepted",
    [
        ("13800001234", True),
        ("  +86 138-0000-1234\u3000", True),
        ("138-", False),
        ("+-12", False),
        ("12", False),
    ],
)
def test_phone_format(channel_api, phone, accepted):
    assert schema_accepts("SubmissionJson", body(reporter_phone=phone)) is accepted
    response = submit(channel_api, reporter_phone=phone)
    assert response.status_code == (201 if accepted else 400), response.content


def test_an_enterprise_gives_its_credit_code(channel_api):
    enterprise = {"reporter_is_enterprise": True}
    assert not schema_accepts("SubmissionJson", body(**enterprise))
    assert field_codes(submit(channel_api, **enterprise)) == {"reporter_credit_code": ["required"]}
    good = {**enterprise, "reporter_credit_code": "91440300MA5FXXXX0X"}
    # A well-formed code with a wrong check character: the schema cannot know, the server
    # says `check_digit`.
    assert schema_accepts("SubmissionJson", body(**good))
    assert field_codes(submit(channel_api, **good)) == {"reporter_credit_code": ["check_digit"]}
    assert schema_accepts("SubmissionJson", body(**enterprise, anonymous=True))
    assert submit(channel_api, **enterprise, anonymous=True).status_code == 201


def test_latitude_and_longitude_together(channel_api):
    for data in (body(lng=None), body(lat=None)):
        assert not schema_accepts("SubmissionJson", data)
        assert submit(channel_api, **data).status_code == 400
    both_null = body(lat=None, lng=None)
    assert schema_accepts("SubmissionJson", both_null)
    assert submit(channel_api, lat=None, lng=None).status_code == 201


def test_an_unsatisfied_visit_says_why(world):
    with at(0):
        appeal = visiting(world)
    api = staff_client(world.u("visitor"), language="en")
    url = f"{LIST_URL}{appeal.number}/actions/record_visit/"
    component = "RecordVisitAction"
    assert not schema_accepts(component, {"outcome": "unsatisfied"})
    assert schema_accepts(component, {"outcome": "satisfied"})
    with at(60):
        response = api.post(url, {"outcome": "unsatisfied", "note": "  "}, format="json")
    assert response.status_code == 400
    assert field_codes(response) == {"note": ["required"]}


def test_an_empty_idempotency_key_header_is_refused(channel_api):
    response = channel_api.post(LIST_URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="")
    assert response.status_code == 400
    assert field_codes(response) == {"idempotency_key": ["invalid"]}
    assert Appeal.objects.count() == 0
