# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The citizen pages door (随手拍 /report/, tracking /track/): issue 8's checklist, item by item.

Anonymous clients are told by address (and /24 network); what they are refused is a page in
their language, never a 500. The exhaustive variants: jiesu/intake/tests/test_citizen.py and
test_security_input.py. Items that cannot arise here say why.
"""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from jiesu.appeals import audit
from jiesu.appeals.models import Appeal, Attachment
from jiesu.intake.tests.test_citizen import form_data, photo, receipt, submit, track


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def filed(client, world):
    """An appeal filed on the page with a photo, and its query code; the client forgets it."""
    appeal, code = receipt(client, submit(client, form_data(client), [photo()]))
    client.logout()
    client.cookies.clear()
    return appeal, code


# -- item 1: uploaded files stay with their sender ----------------------------------------------


def test_1_another_clients_pending_photo_cannot_be_attached(client, world):
    refused = submit(client, form_data(client, description=""), [photo()])
    assert refused.status_code == 400
    (pending,) = Attachment.objects.filter(appeal__isnull=True)
    thief = Client(REMOTE_ADDR="198.51.100.8")
    data = form_data(thief)
    data["keep_photos"] = [str(pending.pk)]
    appeal, _code = receipt(thief, submit(thief, data))
    assert appeal.attachments.count() == 0
    pending.refresh_from_db()
    assert pending.appeal_id is None


# -- item 2: flooding the form ------------------------------------------------------------------


def test_2_one_client_is_throttled_and_its_refused_photos_are_not_kept(client, world, settings):
    settings.JIESU = {**settings.JIESU, "CITIZEN_REPORTS_PER_CLIENT": 2}
    for _ in range(2):
        assert submit(client, form_data(client)).status_code == 302
    refused = submit(client, form_data(client), photos=[photo()])
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert Appeal.objects.count() == 2
    assert not Attachment.objects.filter(appeal__isnull=True).exists()


def test_2_pending_photos_are_capped_in_total(client, world, settings):
    settings.JIESU = {**settings.JIESU, "CITIZEN_MAX_PENDING_UPLOADS": 1}
    submit(client, form_data(client, description=""), photos=[photo("a.jpg")])
    other = Client(REMOTE_ADDR="198.51.100.4")
    response = submit(other, form_data(other, description=""), photos=[photo("b.jpg")])
    assert b"Too many photos" in response.content
    assert Attachment.objects.filter(appeal__isnull=True).count() == 1


# -- item 3: password guessing ---------------------------------------------------------------
# Not at this door: citizens have no account and no password (tracking codes: item 5).


# -- item 4: the counters live in the shared cache ----------------------------------------------


def test_4_the_form_throttle_is_in_the_shared_cache(client, world, settings):
    settings.JIESU = {**settings.JIESU, "CITIZEN_REPORTS_PER_CLIENT": 1}
    assert submit(client, form_data(client)).status_code == 302
    assert submit(client, form_data(client)).status_code == 429
    cache.clear()  # the configured cache (database or Redis) holds it, not this process
    assert submit(client, form_data(client)).status_code == 302


# -- item 5: nobody can lock a citizen out of tracking -------------------------------------------


def test_5_many_wrong_codes_from_many_networks_leave_the_citizens_code_working(client, filed):
    appeal, code = filed
    for i in range(30):
        wrong = client.post(
            reverse("citizen:track"),
            {"number": appeal.number, "code": "WRONG123"},
            REMOTE_ADDR=f"10.{i}.0.1",
        )
        assert wrong.status_code == 400
    assert track(Client(REMOTE_ADDR="198.51.100.77"), appeal.number, code).status_code == 302


def test_5_the_guesser_is_throttled_not_the_appeal(client, filed, settings):
    settings.JIESU = {**settings.JIESU, "TRACK_MAX_FAILURES_PER_IP": 3}
    appeal, code = filed
    guesser = Client(REMOTE_ADDR="203.0.113.50")
    for i in range(3):
        assert track(guesser, f"PS2026000000000{i}", "AAAAAAAA").status_code == 400
    assert track(guesser, appeal.number, code).status_code == 429
    assert track(Client(REMOTE_ADDR="198.51.100.7"), appeal.number, code).status_code == 302


def test_5_the_code_is_long_enough_that_guessing_is_hopeless(filed):
    _appeal, code = filed
    assert len(code) >= 8 and re.fullmatch(r"[A-Z0-9]+", code)


# -- item 6: hostile input is a 400, never a 500 ---------------------------------------------


@pytest.mark.parametrize(
    "number, code", [("x" * 5000, "A" * 5000), ("PS\u0000", "\u202e"), ("", "")]
)
def test_6_odd_tracking_input_is_refused_on_the_page(client, world, number, code):
    assert track(client, number, code).status_code == 400


# -- items 7 and 8 ------------------------------------------------------------------------------
# Not at this door: no published schema (7); no credentials at all (8).


# -- item 9: production settings ------------------------------------------------------------


def test_9_pages_carry_a_csp_that_forbids_inline_script_and_have_none(client, world):
    """A browser check: jiesu/console/tests/test_browser_csp.py."""
    response = client.get(reverse("citizen:report"))
    assert response.status_code == 200
    script_src = re.search(r"script-src ([^;]*)", response["Content-Security-Policy"]).group(1)
    assert "'unsafe-inline'" not in script_src
    # Scripts come from files; data blocks (json_script) are not executed.
    executable = rb'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>'
    assert not re.search(executable, response.content)


# -- item 10: the audit chain -------------------------------------------------------------------


def test_10_an_appeal_filed_here_starts_an_intact_audit_chain(filed):
    """Anchoring and tampering: test_api_door.py and jiesu/appeals/tests/test_checkpoints.py."""
    appeal, _code = filed
    appeal.refresh_from_db()
    assert appeal.audit_count == 1
    assert audit.verify_appeal(appeal) is None


# -- item 11: the smaller inconsistencies ------------------------------------------------------


def test_11_bidi_controls_are_refused(client, world):
    response = submit(client, form_data(client, description="垃圾\u202e堆积三天没人清理。"))
    assert response.status_code == 400
    assert not Appeal.objects.exists()


def test_11_a_pin_outside_the_district_is_refused(client, world):
    response = submit(client, form_data(client, lat="31.23", lng="121.47"))
    assert response.status_code == 400
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("path", ["/report/", "/track/"])
def test_11_a_form_body_that_is_not_utf8_is_refused(client, db, path):
    response = client.generic(
        "POST", path, b"description=Caf\xe9", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert not Appeal.objects.exists()


# approve_completion and staff roles do not exist at this door; CORS is never answered on pages
# (test_console_door.py checks a page with a configured origin).


def test_11_unknown_numbers_and_real_ones_without_the_code_look_the_same(client, filed):
    appeal, _code = filed
    wrong = track(client, appeal.number, "ZZZZZZZZ")
    unknown = track(client, "PS20269999999999", "ZZZZZZZZ")
    assert wrong.status_code == unknown.status_code == 400
    message = b"do not match"
    assert message in wrong.content and message in unknown.content
