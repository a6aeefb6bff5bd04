# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The staff console door (/console/, and the admin's sign-in): issue 8's checklist, item by item.

Pages answer in HTML; what a member of staff may not see is answered as if it did not exist.
The exhaustive variants: jiesu/console/tests/test_permission_matrix.py (each role x each action
x own / other / no unit / a guessed number), test_login_lockout.py, test_browser_csp.py. Items
that cannot arise here say why.
"""

import io
import re

import pytest
from axes.models import AccessAttempt
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from jiesu.appeals import attachments
from jiesu.appeals.models import Appeal, Attachment
from jiesu.appeals.tests.conftest import MONDAY_10
from jiesu.appeals.timesource import frozen_at

PASSWORD = "Right-Passw0rd!"


def page_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def evidence_by(user) -> Attachment:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(buffer, "JPEG")
    upload = SimpleUploadedFile("site.jpg", buffer.getvalue(), content_type="image/jpeg")
    return attachments.store_upload(upload, purpose=Attachment.Purpose.EVIDENCE, user=user)


# -- item 1: evidence files stay with their uploader ------------------------------------------


def test_1_a_pending_upload_is_visible_to_its_uploader_only(world):
    """Linking: jiesu/appeals/tests/test_evidence_files.py (the console's completion form stores
    the photos it is sent itself, so it cannot name another person's file)."""
    with frozen_at(MONDAY_10):
        file = evidence_by(world.u("water_handler"))
    url = f"/console/files/{file.pk}/"
    assert page_client(world.u("water_handler")).get(url).status_code == 200
    assert page_client(world.u("handler")).get(url).status_code == 404
    assert page_client(world.u("supervisor")).get(url).status_code == 404
    assert (
        page_client(world.u("handler")).get(f"/console/files/{file.pk + 1000}/").status_code == 404
    )


# -- item 2: flooding ---------------------------------------------------------------------------
# Not at this door: only signed-in staff file appeals here (the citizen form's throttle:
# test_citizen_door.py).


# -- items 3 and 4: password guessing, and lockouts every process sees -------------------------


@pytest.fixture
def dispatcher(world):
    user = world.u("dispatcher")
    user.set_password(PASSWORD)
    user.is_staff = True
    user.save()
    return user


@pytest.mark.parametrize("door", ["/console/login/", "/admin/login/"])
def test_3_five_wrong_passwords_lock_the_account_even_against_the_right_one(dispatcher, door):
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(5):
        attacker.post(door, {"username": "dispatcher", "password": "guess"})
    assert attacker.post(door, {"username": "dispatcher", "password": PASSWORD}).status_code == 429
    assert "_auth_user_id" not in attacker.session


def test_4_the_lockout_is_kept_in_the_database_so_every_worker_sees_it(dispatcher, settings):
    # The database handler (here its subclass with a per-address limit of its own).
    from axes.handlers.database import AxesDatabaseHandler
    from django.utils.module_loading import import_string

    assert issubclass(import_string(settings.AXES_HANDLER), AxesDatabaseHandler)
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(5):
        attacker.post("/console/login/", {"username": "dispatcher", "password": "guess"})
    assert AccessAttempt.objects.filter(username="dispatcher", failures_since_start=5).exists()
    # A fresh client from elsewhere (another worker, another address): still locked.
    elsewhere = Client(REMOTE_ADDR="198.51.100.9")
    response = elsewhere.post("/console/login/", {"username": "dispatcher", "password": PASSWORD})
    assert response.status_code == 429


# -- item 5: locking citizens out of tracking ----------------------------------------------------
# Not at this door: staff open appeals by their role's scope, never by a query code.


# -- item 6: hostile input is a 400, never a 500 ---------------------------------------------


@pytest.mark.parametrize(
    "query", ["received_from=0001-01-01", "received_to=9999-12-31", "received_from=abc"]
)
def test_6_search_dates_at_the_ends_of_the_calendar_are_no_500(world, query):
    response = page_client(world.u("supervisor")).get(f"/console/search/?{query}")
    assert response.status_code in (200, 400)


# -- items 7 and 8 ------------------------------------------------------------------------------
# Not at this door: no published schema (7), and one credential only, the session (8).


# -- item 9: production settings ------------------------------------------------------------


def test_9_pages_carry_a_csp_that_forbids_inline_script_and_have_none(world):
    """A browser check of every page type: jiesu/console/tests/test_browser_csp.py."""
    response = page_client(world.u("dispatcher")).get("/console/dispatch/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert "'unsafe-inline'" not in script_src
    # Scripts come from files; data blocks (json_script) are not executed.
    executable = rb'<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>'
    assert not re.search(executable, response.content)


# -- item 10: the audit chain -------------------------------------------------------------------
# Door-independent: checkpoints and verify_audit in test_operations.py and test_api_door.py.


# -- item 11: the smaller inconsistencies ------------------------------------------------------


def test_11_another_units_appeal_and_a_made_up_number_are_both_404(world, appeals):
    client = page_client(world.u("handler"))
    assert client.get(f"/console/appeals/{appeals['own']}/").status_code == 200
    other = client.get(f"/console/appeals/{appeals['other']}/")
    guess = client.get(f"/console/appeals/{appeals['guess']}/")
    assert other.status_code == guess.status_code == 404
    for path in ("workorder/", "workorder.pdf"):
        assert client.get(f"/console/appeals/{appeals['other']}/{path}").status_code == 404


def test_11_a_role_that_may_read_no_appeal_gets_404_for_any_number(world, appeals):
    """ADR 0020: a page answers 404 where the API, which explains, answers 403."""
    client = page_client(world.u("admin"))
    assert {client.get(f"/console/appeals/{n}/").status_code for n in appeals.values()} == {404}


def test_11_approve_completion_checks_the_role_before_the_state(world, appeals):
    url = f"/console/appeals/{appeals['own']}/act/approve_completion/"
    assert page_client(world.u("handler")).post(url, {}).status_code == 403
    assert page_client(world.u("leader")).post(url, {}).status_code == 409


def test_11_bidi_controls_in_a_call_filed_by_the_operator_are_refused(world):
    data = {
        "form_token": "tok-1",
        "reporter_name": "李四",
        "reporter_phone": "139-0000-5678",
        "title": "路灯\u202e不亮",
        "description": "坪山街道某路段路灯一周没亮，晚上很危险。",
        "address": "坪山街道某路",
        "lat": "22.7",
        "lng": "114.35",
    }
    response = page_client(world.u("intake")).post("/console/intake/new/", data)
    assert response.status_code == 400
    assert not Appeal.objects.filter(title__contains="路灯").exists()


def test_11_a_login_form_that_is_not_utf8_is_refused(db):
    response = Client().generic(
        "POST",
        "/console/login/",
        b"username=%FF%FE&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400


def test_11_no_cross_origin_access_to_the_console(world, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.gov.cn"]
    response = page_client(world.u("dispatcher")).get(
        "/console/dispatch/", HTTP_ORIGIN="https://app.example.gov.cn"
    )
    assert "Access-Control-Allow-Origin" not in response
