# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The Open311 GeoReport v2 door (/open311/v2/): issue 8's checklist, item by item.

Errors at this door are the spec's error documents (XML or JSON) with the HTTP status as code.
The exhaustive variants live in jiesu/intake/tests/test_open311_errors.py and
test_security_input.py; items that cannot arise here say why.
"""

import logging

import pytest
from django.core.cache import cache

from jiesu.appeals.models import Appeal
from jiesu.intake.models import Channel
from jiesu.intake.tests import test_open311 as base
from jiesu.intake.tests.test_open311 import FORMATS, check_errors, valid_request

o311 = base.o311

# -- item 1: evidence files ------------------------------------------------------------------
# Not at this door: Open311 takes a media_url (a link, kept as text), never an uploaded file
# that could be linked to another appeal.


# -- item 2: submissions are throttled per channel ---------------------------------------------


def test_2_a_channel_over_its_rate_gets_429_with_retry_after(o311):
    Channel.objects.filter(pk=o311.channel.pk).update(rate_limit_per_minute=1)
    assert o311.api.post(valid_request(o311), "json").status_code == 201
    refused = o311.api.post(valid_request(o311, device_id="another"), "json")
    check_errors(refused, "json", 429)
    assert int(refused["Retry-After"]) > 0
    assert Appeal.objects.count() == 1


# -- item 3: password guessing ---------------------------------------------------------------
# Not at this door: it takes a channel's api_key, never a password. Guessed keys are 403 and
# count against nothing a legitimate channel needs (the key space is 2**190).


# -- item 4: the throttle's counter lives in the shared cache ---------------------------------


def test_4_the_rate_counter_is_in_the_shared_cache(o311):
    Channel.objects.filter(pk=o311.channel.pk).update(rate_limit_per_minute=1)
    assert o311.api.post(valid_request(o311), "json").status_code == 201
    assert o311.api.post(valid_request(o311, device_id="b"), "json").status_code == 429
    cache.clear()  # the configured cache (database or Redis) holds it, not this process
    assert o311.api.post(valid_request(o311, device_id="c"), "json").status_code == 201


# -- item 5: locking citizens out of tracking ----------------------------------------------------
# Not at this door: Open311 reads public service requests by id; no query code, no lockout.


# -- item 6: hostile input is a 400, never a 500 ---------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params", [{"start_date": "9999-12-31T23:59:59Z"}, {"end_date": "0001-01-01T00:00:00Z"}]
)
def test_6_dates_at_the_ends_of_the_calendar_are_a_400(o311, fmt, params):
    descriptions = check_errors(o311.api.get("requests", fmt, **params), fmt, 400)
    assert any("date" in d for d in descriptions)


# -- item 7: the documents and the answers agree ------------------------------------------------


@pytest.mark.parametrize("params", [{"page_size": "-1"}, {"page": "abc"}])
def test_7_paging_values_out_of_range_are_a_400_not_ignored(o311, params):
    check_errors(o311.api.get("requests", "json", **params), "json", 400)


# -- item 8: credentials ------------------------------------------------------------------------


def test_8_two_api_keys_are_refused(o311, client):
    """One key in the query string and another in the form: refused, whichever is valid."""
    for query_key, form_key in [(o311.key, "js_bad"), ("js_bad", o311.key), (o311.key, o311.key)]:
        response = o311.api.client.post(
            f"/open311/v2/requests.json?api_key={query_key}",
            {**valid_request(o311), "api_key": form_key},
        )
        (description,) = check_errors(response, "json", 400)
        assert "api_key" in description
    assert Appeal.objects.count() == 0


def test_8_the_api_key_in_the_query_string_never_reaches_a_log(o311, caplog):
    """The full check runs gunicorn: jiesu/tests/test_log_secrets.py."""
    from jiesu.logsafety import MaskSecrets

    record = logging.LogRecord(
        "gunicorn.access",
        logging.INFO,
        __file__,
        1,
        '"GET /open311/v2/requests.json?api_key=%s&status=open HTTP/1.1" 200',
        (o311.key,),
        None,
    )
    MaskSecrets().filter(record)
    assert o311.key not in record.getMessage()
    assert "api_key=***" in record.getMessage()


# -- item 9: production settings ------------------------------------------------------------


def test_9_documents_carry_the_security_headers(o311):
    response = o311.api.get("services", "xml")
    assert response.status_code == 200
    assert "default-src" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"


# -- item 10: the audit chain -------------------------------------------------------------------


def test_10_a_request_filed_here_starts_an_audit_chain_labelled_with_the_channel(o311):
    """Anchoring and tampering: test_api_door.py and jiesu/appeals/tests/test_checkpoints.py."""
    from jiesu.appeals import audit

    assert o311.api.post(valid_request(o311), "json").status_code == 201
    appeal = Appeal.objects.get()
    (event,) = appeal.events.all()
    assert event.actor_label == f"channel:{o311.channel.code}"
    assert audit.verify_appeal(appeal) is None


# -- item 11: the smaller inconsistencies ------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"lat": "abc", "long": "114.35"}, "lat"),
        ({"lat": "22.7", "long": "114.35", "radius": "-5"}, "radius"),
    ],
)
def test_11_bad_search_parameters_are_a_400_not_ignored(o311, fmt, params, word):
    descriptions = check_errors(o311.api.get("requests", fmt, **params), fmt, 400)
    assert any(word in d for d in descriptions)


def test_11_a_point_outside_the_district_is_refused(o311):
    response = o311.api.post(valid_request(o311, lat="0", long="0"), "json")
    check_errors(response, "json", 400)
    assert Appeal.objects.count() == 0


@pytest.mark.parametrize("char", ["\u202e", "\u2067"])
def test_11_bidi_controls_are_refused(o311, char):
    response = o311.api.post(valid_request(o311, description=f"垃圾{char}堆积三天没人清理"), "json")
    check_errors(response, "json", 400)
    assert Appeal.objects.count() == 0


def test_11_a_form_body_that_is_not_utf8_is_refused(o311):
    response = o311.api.client.generic(
        "POST",
        f"/open311/v2/requests.json?api_key={o311.key}",
        b"service_code=0101001&description=Caf\xe9",
        content_type="application/x-www-form-urlencoded",
    )
    assert any("UTF-8" in d for d in check_errors(response, "json", 400))
    assert Appeal.objects.count() == 0


def test_11_an_unknown_request_id_is_404(o311):
    check_errors(o311.api.get("requests/PS20269999999999", "json"), "json", 404)


def test_11_cors_here_is_public_reads_without_credentials(o311, settings):
    """By design (jiesu/intake/open311/render.py): GeoReport documents are public and the
    api_key travels in the form body, never in a cookie, so any origin may read them, no origin
    gets credentials, and no preflight is answered (no custom header such as Idempotency-Key is
    allowed cross-origin). The configured origins govern /api/v1/ (test_api_door.py).
    approve_completion and staff roles do not exist at this door."""
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.gov.cn"]
    read = o311.api.client.get("/open311/v2/services.json", HTTP_ORIGIN="https://evil.example")
    assert read["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in read
    preflight = o311.api.client.options(
        "/open311/v2/requests.json",
        HTTP_ORIGIN="https://app.example.gov.cn",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="idempotency-key",
    )
    assert preflight.status_code == 405
    assert "Access-Control-Allow-Headers" not in preflight
