# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Open311 errors: every bad input gets the spec's error document and status code, in XML
and JSON, and stores nothing (no appeal, no Open311 row, no idempotency record)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from jiesu.appeals import workflow
from jiesu.appeals.models import Appeal
from jiesu.intake import channels
from jiesu.intake.models import Channel
from jiesu.intake.open311 import views
from jiesu.intake.tests import test_open311 as base
from jiesu.intake.tests.test_open311 import (
    FORMATS,
    check_errors,
    parse,
    stored,
    valid_request,
)

WRONG_KEY = "js_00000000_" + "A" * 43

# Shared fixtures (pytest finds fixtures by module attribute).
world = base.world
o311 = base.o311


def _drop(*names):
    return dict.fromkeys(names)


# (id, changes to a valid request, expected status, a word the description must contain)
BAD_POSTS = [
    ("no service_code", _drop("service_code"), 400, "service_code"),
    ("empty service_code", {"service_code": "  "}, 400, "service_code"),
    ("unknown service_code", {"service_code": "9999999"}, 404, "9999999"),
    ("middle category as service", {"service_code": "0101"}, 404, "0101"),
    ("no location", _drop("lat", "long", "address_string"), 400, "location"),
    ("lat without long", _drop("long", "address_string"), 400, "long"),
    ("lat not a number", {"lat": "north"}, 400, "lat"),
    ("lat NaN", {"lat": "NaN"}, 400, "lat"),
    ("lat infinite", {"lat": "inf"}, 400, "lat"),
    ("lat out of range", {"lat": "91"}, 400, "lat"),
    ("long out of range", {"long": "-181"}, 400, "long"),
    ("outside the district", {"lat": "39.9", "long": "116.4"}, 400, "outside"),
    ("description too long", {"description": "长" * 4001}, 400, "4000"),
    ("NUL in description", {"description": "垃圾\x00堆积"}, 400, "control"),
    ("bell in description", {"description": "垃圾\x07堆积"}, 400, "control"),
    ("escape in name", {"first_name": "三\x1b[31m"}, 400, "control"),
    ("line break in address", {"address_string": "东门\n西门"}, 400, "control"),
    ("non-character in description", {"description": "垃圾\uffff"}, 400, "control"),
    ("address too long", {"address_string": "路" * 301}, 400, "300"),
    ("bad phone", {"phone": "call me maybe"}, 400, "phone"),
    ("bad email", {"email": "not-an-email"}, 400, "email"),
    ("media_url not a URL", {"media_url": "javascript:alert(1)"}, 400, "media_url"),
    ("unknown attribute", {"attribute[colour]": "red"}, 400, "colour"),
    ("malformed attribute key", {"attribute[grade": "A"}, 400, "attribute"),
    ("value outside the list", {"attribute[appeal_type]": "rant"}, 400, "rant"),
    ("two values for a single list", {"attribute[grade][]": ["A", "B"]}, 400, "grade"),
    ("bad credit code", {"attribute[credit_code]": "12345"}, 400, "credit"),
    ("wrong jurisdiction", {"jurisdiction_id": "sfgov.org"}, 404, "sfgov.org"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "changes,status,word", [pytest.param(c, s, w, id=i) for i, c, s, w in BAD_POSTS]
)
def test_bad_post_is_refused_and_stores_nothing(o311, fmt, changes, status, word):
    before = stored()
    response = o311.api.post(valid_request(o311, **changes), fmt)
    descriptions = check_errors(response, fmt, status)
    assert any(word.lower() in d.lower() for d in descriptions), descriptions
    assert stored() == before == (0, 0, 0)


def test_several_problems_are_reported_together(o311):
    response = o311.api.post(
        valid_request(o311, lat="x", phone="??", email="@", **{"attribute[grade]": "Z"}), "json"
    )
    descriptions = check_errors(response, "json", 400)
    assert len(descriptions) == 4
    assert stored() == (0, 0, 0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_api_key_is_403(o311, fmt):
    response = o311.api.post(valid_request(o311), fmt, key=None)
    (description,) = check_errors(response, fmt, 403)
    assert "api_key" in description
    assert stored() == (0, 0, 0)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("key", [WRONG_KEY, "xyz", "js_zz_" + "<&>" * 10])
def test_wrong_api_key_is_403(o311, fmt, key):
    response = o311.api.post(valid_request(o311), fmt, key=key)
    check_errors(response, fmt, 403)
    assert stored() == (0, 0, 0)


def test_revoked_key_and_inactive_channel_are_403(o311):
    channels.revoke_key(o311.channel)
    check_errors(o311.api.post(valid_request(o311), "json"), "json", 403)
    key = channels.issue_key(o311.channel)
    Channel.objects.filter(pk=o311.channel.pk).update(active=False)
    check_errors(o311.api.post(valid_request(o311), "json", key=key), "json", 403)
    assert stored() == (0, 0, 0)


def test_key_is_checked_before_the_service(o311):
    response = o311.api.post(valid_request(o311, service_code="9999"), "json", key=WRONG_KEY)
    check_errors(response, "json", 403)


def test_rate_limit_is_429_with_retry_after(o311):
    Channel.objects.filter(pk=o311.channel.pk).update(rate_limit_per_minute=1)
    assert o311.api.post(valid_request(o311), "json").status_code == 201
    response = o311.api.post(valid_request(o311, device_id="other"), "json")
    check_errors(response, "json", 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert stored() == (1, 1, 1)


def test_idempotency_key_header_too_long(o311):
    response = o311.api.post(valid_request(o311), "json", headers={"Idempotency-Key": "k" * 129})
    check_errors(response, "json", 400)
    assert stored() == (0, 0, 0)


def test_json_body_instead_of_a_form_is_400(o311, client):
    response = client.post(
        "/open311/v2/requests.json?api_key=" + o311.key,
        data={"service_code": o311.leaf.code},
        content_type="application/json",
    )
    (description,) = check_errors(response, "json", 400)
    assert "service_code" in description
    assert stored() == (0, 0, 0)


def test_invalid_utf8_is_refused_with_a_wellformed_error(o311, client):
    """Not stored as replacement characters (issue 8): a 400 in the spec's error document."""
    before = stored()
    body = f"api_key={o311.key}&service_code=0101001&address_string=%FF%FE&description=%C3%28"
    response = client.post(
        "/open311/v2/requests.xml", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    ET.fromstring(response.content)
    assert stored() == before


# -- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_definition_is_404(o311, fmt):
    check_errors(o311.api.get("services/does-not-exist", fmt), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_and_token_are_404(o311, fmt):
    check_errors(o311.api.get("requests/PS20990101000001", fmt), fmt, 404)
    check_errors(o311.api.get("tokens/no-such-token", fmt), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params,word",
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2010-13-45T00:00:00Z"}, "end_date"),
        ({"start_date": "2010-01-01T00:00:00Z", "end_date": "2010-06-01T00:00:00Z"}, "90"),
        ({"start_date": "2010-02-01T00:00:00Z", "end_date": "2010-01-01T00:00:00Z"}, "before"),
        ({"status": "pending"}, "pending"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "1001"}, "page_size"),
        ({"page": "-1"}, "page"),
    ],
)
def test_bad_list_filters_are_400(o311, fmt, params, word):
    descriptions = check_errors(o311.api.get("requests", fmt, **params), fmt, 400)
    assert any(word in d for d in descriptions), descriptions


def test_wrong_jurisdiction_on_reads_is_404(o311):
    for path in ("services", "services/0101001", "requests"):
        check_errors(o311.api.get(path, "json", jurisdiction_id="nyc.gov"), "json", 404)
    # The right one, or none, is fine.
    assert o311.api.get("services", "json", jurisdiction_id="szpsq.gov.cn").status_code == 200
    assert o311.api.get("services", "json", jurisdiction_id="").status_code == 200


def test_unsupported_format_and_unknown_paths(o311, client):
    check_errors(o311.api.get("services", "csv"), "xml", 400)
    check_errors(client.get("/open311/v2/nothing.json"), "json", 404)
    check_errors(client.get("/open311/v2/services/0101001/extra.xml"), "xml", 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_methods_are_405(o311, client, fmt):
    response = client.put(f"/open311/v2/services.{fmt}")
    check_errors(response, fmt, 405)
    assert response["Allow"] == "GET, HEAD"
    response = client.delete(f"/open311/v2/requests.{fmt}")
    check_errors(response, fmt, 405)
    assert response["Allow"] == "GET, HEAD, POST"
    check_errors(client.post(f"/open311/v2/services/0101001.{fmt}"), fmt, 405)


# -- XML-unsafe text ---------------------------------------------------------------------------

UNSAFE = "<script>alert(\"x\")</script> & ]]> &amp; '引号' <![CDATA[ x ]]>"


@pytest.mark.parametrize("fmt", FORMATS)
def test_xml_unsafe_text_round_trips(o311, fmt):
    response = o311.api.post(
        valid_request(o311, description=UNSAFE, address_string="A&B <路>", first_name="<i>"), fmt
    )
    assert response.status_code == 201, response.content
    number = parse(response, fmt)[0]["service_request_id"]
    assert Appeal.objects.get().description == UNSAFE
    for path in (f"requests/{number}", "requests"):
        (entry,) = parse(o311.api.get(path, fmt), fmt)
        assert entry["description"] == UNSAFE
        assert entry["address"] == "A&B <路>"


def test_stored_control_characters_never_break_the_xml(o311):
    """Rows stored before every door refused such characters (or written by other tools) may
    hold anything; the XML drops what XML cannot carry."""
    appeal = workflow.receive(
        channel="hotline",
        title="t",
        description="垃圾堆积了",
        address="东门",
        category=o311.leaf,
        anonymous=True,
        actor=o311.world.u("intake"),
    )
    Appeal.objects.filter(pk=appeal.pk).update(
        description="垃圾\x01堆积\x0b\ufffe了", address="东门\x1f"
    )
    response = o311.api.get(f"requests/{appeal.number}", "xml")
    (entry,) = parse(response, "xml")
    assert entry["description"] == "垃圾堆积了"
    assert entry["address"] == "东门"
    (as_json,) = parse(o311.api.get(f"requests/{appeal.number}", "json"), "json")
    assert as_json["description"] == "垃圾\x01堆积\x0b\ufffe了"


def test_errors_echoing_input_stay_well_formed(o311):
    response = o311.api.get("services/<&]]>\x01", "xml")
    (description,) = check_errors(response, "xml", 404)
    assert "<&]]>" in description


def test_no_500_for_a_huge_id_list(o311):
    ids = ",".join(f"PS{i:014d}" for i in range(views.MAX_REQUESTS + 1))
    check_errors(o311.api.get("requests", "json", service_request_id=ids), "json", 400)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unreadable_bodies_are_400_in_the_spec_format(o311, client, fmt):
    url = f"/open311/v2/requests.{fmt}"
    for content_type in ("multipart/form-data", "multipart/form-data; boundary="):
        response = client.post(url, b"--xx\r\nbroken", content_type=content_type)
        check_errors(response, fmt, 400)
    too_many = "&".join(f"f{i}=1" for i in range(1200))
    check_errors(client.get(f"{url}?{too_many}"), fmt, 400)
    response = client.post(
        url, f"api_key={o311.key}&{too_many}", content_type="application/x-www-form-urlencoded"
    )
    check_errors(response, fmt, 400)
    assert stored() == (0, 0, 0)


def test_head_is_answered_like_get(o311, client):
    response = client.head("/open311/v2/services.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
