# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The intake desk's phone-call entry form, its shortcut, and the duplicate suggestions."""

import re
from datetime import timedelta

import pytest

from jiesu.appeals import tracking
from jiesu.appeals.models import Appeal, Event
from jiesu.appeals.states import Status
from jiesu.appeals.tests.conftest import MONDAY_10, new_appeal
from jiesu.console import suggestions
from jiesu.console.views.intake import credit_code_valid
from jiesu.intake.models import Channel, ChannelSubmission

URL = "/console/intake/new/"
VALID_CREDIT_CODE = "91350100M000100Y43"


@pytest.fixture
def operator(client, world):
    client.force_login(world.u("intake"))
    return client


def call(world, **overrides):
    data = {
        "form_token": "tok-1",
        "reporter_name": "李四",
        "reporter_phone": "139-0000-5678",
        "title": "路灯不亮",
        "description": "坪山街道某路段路灯一周没亮，晚上很危险。",
        "address": "坪山街道某路",
        "lat": "22.7",
        "lng": "114.35",
        "appeal_type": world.complaint.pk,
        "category": world.leaf.pk,
        "grade": world.grade_c.pk,
        "register_now": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def errors_of(response, field):
    """The error text rendered next to `field` (inside the same `div.field`), or ""."""
    for chunk in response.content.decode().split('<div class="field')[1:]:
        if f'name="{field}"' in chunk and chunk.startswith(" has-error"):
            found = re.search(r'<ul class="errors" role="alert">(.*?)</ul>', chunk, re.S)
            return found.group(1) if found else ""
    return ""


def test_credit_code_check_character():
    assert credit_code_valid(VALID_CREDIT_CODE)
    assert credit_code_valid(VALID_CREDIT_CODE.lower())
    assert not credit_code_valid("91350100M000100Y44")  # wrong check character
    assert not credit_code_valid("91350100M000100Y4")  # 17 characters
    assert not credit_code_valid("91350100M000100I43")  # I is not in the alphabet


def test_form_page_for_operators_only(client, world):
    client.force_login(world.u("intake"))
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    # Top-to-bottom order of the inputs is the Tab order (no tabindex tricks).
    order = [
        "reporter_name",
        "reporter_phone",
        "anonymous",
        "confidential",
        "reporter_is_enterprise",
        "reporter_credit_code",
        "title",
        "description",
        "address",
        "lat",
        "lng",
        "appeal_type",
        "grade",
        "category",
        "register_now",
    ]
    positions = [html.index(f'name="{name}"') for name in order]
    assert positions == sorted(positions)
    assert html.index('name="register_now"') < html.index('data-testid="submit-call"')
    assert "tabindex=" not in html.split('id="call-form"')[1].split("</form>")[0]
    assert 'name="register_now" checked' in html or re.search(
        r'name="register_now"[^>]*checked', html
    )
    assert "intake/vendor/leaflet/leaflet.js" in html
    assert "<optgroup" in html and "市容环卫 › 环境卫生" in html
    client.force_login(world.u("dispatcher"))
    assert client.get(URL).status_code == 403


def test_intake_desk_offers_the_form_on_n(operator):
    html = operator.get("/console/intake/").content.decode()
    assert re.search(r'href="/console/intake/new/"[^>]*data-shortcut="n"', html)


def test_call_is_received_and_registered_in_one_go(operator, world):
    response = operator.post(URL, call(world))
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert response["Location"] == f"/console/appeals/{appeal.number}/"
    assert appeal.status == Status.REGISTERED
    assert appeal.channel == "hotline"  # created when no hotline channel existed
    assert Channel.objects.get(code="hotline").kind == Channel.Kind.HOTLINE
    assert appeal.created_by == world.u("intake")
    assert appeal.reporter_phone == "13900005678"
    assert appeal.category == world.leaf and appeal.region == world.district
    assert list(appeal.events.values_list("kind", flat=True)) == ["receive", "register"]
    assert appeal.number in operator.get(response["Location"]).content.decode()


def test_success_message_gives_number_and_query_code_once(operator, world):
    response = operator.post("/en" + URL, call(world), follow=True)
    appeal = Appeal.objects.get()
    html = response.content.decode()
    found = re.search(
        r"Appeal (\w+) filed and registered\. Query code for the caller: (\w+)\.", html
    )
    assert found and found.group(1) == appeal.number
    assert tracking.check_code(appeal, found.group(2), allow_last_four=False)
    again = operator.get(f"/en/console/appeals/{appeal.number}/").content.decode()
    assert found.group(2) not in again


def test_call_uses_the_staffed_hotline_channel(operator, world):
    Channel.objects.create(code="hotline_12345", name="12345 热线", kind=Channel.Kind.HOTLINE)
    Channel.objects.create(
        code="hotline_12319", name="12319", kind=Channel.Kind.HOTLINE, is_machine=True
    )
    assert operator.post(URL, call(world)).status_code == 302
    assert Appeal.objects.get().channel == "hotline_12345"


def test_several_hotlines_offer_a_choice(operator, world):
    Channel.objects.create(
        code="hotline_12345", name="12345 热线", kind=Channel.Kind.HOTLINE, sort_order=1
    )
    landline = Channel.objects.create(
        code="hotline_landline", name="固话", kind=Channel.Kind.HOTLINE, sort_order=2
    )
    assert 'name="channel"' in operator.get(URL).content.decode()
    assert operator.post(URL, call(world, channel=landline.pk)).status_code == 302
    assert Appeal.objects.get().channel == "hotline_landline"


def test_file_without_registering(operator, world):
    data = call(world, register_now=None, appeal_type="", category="", grade="", lat="", lng="")
    response = operator.post(URL, data)
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.status == Status.RECEIVED and appeal.category is None


def test_phone_required_unless_anonymous(operator, world):
    response = operator.post(URL, call(world, reporter_phone=""))
    assert response.status_code == 400
    assert errors_of(response, "reporter_phone")
    assert not Appeal.objects.exists()
    response = operator.post(URL, call(world, reporter_phone="", anonymous="on"))
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.anonymous and appeal.reporter_name == "" and appeal.reporter_phone == ""


def test_phone_format_checked(operator, world):
    response = operator.post(URL, call(world, reporter_phone="call me"))
    assert response.status_code == 400 and errors_of(response, "reporter_phone")


def test_enterprise_needs_a_valid_credit_code(operator, world):
    response = operator.post(URL, call(world, reporter_is_enterprise="on"))
    assert response.status_code == 400 and errors_of(response, "reporter_credit_code")
    response = operator.post(
        URL, call(world, reporter_is_enterprise="on", reporter_credit_code="91350100M000100Y44")
    )
    assert response.status_code == 400
    assert "GB 32100" in errors_of(response, "reporter_credit_code")
    assert not Appeal.objects.exists()
    response = operator.post(
        URL,
        call(
            world,
            reporter_is_enterprise="on",
            reporter_credit_code=VALID_CREDIT_CODE.lower(),
        ),
    )
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.reporter_is_enterprise and appeal.reporter_credit_code == VALID_CREDIT_CODE


def test_register_now_needs_its_fields(operator, world):
    response = operator.post(URL, call(world, category="", grade="", address="", lat="", lng=""))
    assert response.status_code == 400
    for field in ("category", "grade", "address"):
        assert errors_of(response, field), field
    assert not Appeal.objects.exists()


def test_half_a_point_is_refused(operator, world):
    response = operator.post(URL, call(world, lng=""))
    assert response.status_code == 400 and errors_of(response, "lat")


def test_refused_registration_files_nothing(operator, world):
    """A point outside the district passes the form but not `register`: nothing is kept."""
    events = Event.objects.count()
    response = operator.post(URL, call(world, lat="30.0", lng="120.0"))
    assert response.status_code == 400
    assert errors_of(response, "address")
    assert not Appeal.objects.exists()
    assert Event.objects.count() == events
    assert not ChannelSubmission.objects.exists()
    # The form keeps what was typed.
    assert "路灯不亮" in response.content.decode()


def test_double_submission_files_once(operator, world):
    first = operator.post(URL, call(world))
    second = operator.post(URL, call(world))
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Appeal.objects.count() == 1
    # The same form token with different content is refused, with a fresh token to go on.
    third = operator.post(URL, call(world, title="另一件事"))
    assert third.status_code == 409
    assert 'name="form_token" value="tok-1"' not in third.content.decode()
    assert Appeal.objects.count() == 1


# -- suggestions --------------------------------------------------------------------------


def test_no_suggestions_for_a_lone_appeal(world):
    assert suggestions.suggest(new_appeal(world)) == {}


def test_duplicates_come_from_the_finder_with_score_and_reasons(world, at):
    """The desk's suggestions are the dispatch room's finder: earlier open appeals with the
    same matter, each with a score and the reasons; the old plain rules are gone (a different
    matter from the same phone, or far away in the same category, is not a duplicate)."""
    with at(MONDAY_10 - timedelta(days=40)):
        too_old = new_appeal(world)
    with at(MONDAY_10 - timedelta(days=3)):
        earlier = new_appeal(world)
        new_appeal(world, title="噪音扰民", description="楼下餐馆深夜营业，噪音很大，影响休息。")
    with at(MONDAY_10):
        appeal = new_appeal(world)
    found = suggestions.suggest(appeal)["duplicates"]
    assert [d.appeal for d in found] == [earlier]
    assert found[0].percent == 85  # text 0.5 + place 0.25 + phone 0.1 (no category yet)
    assert "text 100% similar" in found[0].reasons and "same phone" in found[0].reasons
    assert too_old not in [d.appeal for d in found]
    # Only earlier appeals are offered (a merge goes into the earlier one).
    assert suggestions.suggest(earlier) == {}


def test_suggestions_on_desk_and_appeal_page_with_one_click_merge(operator, world, at):
    with at(MONDAY_10 - timedelta(days=1)):
        earlier = new_appeal(world)
    with at(MONDAY_10):
        appeal = new_appeal(world)
    desk = operator.get("/console/intake/").content.decode()
    assert 'data-testid="suggestions"' in desk
    assert f'data-testid="merge-{appeal.number}-{earlier.number}"' in desk
    page = operator.get(f"/console/appeals/{appeal.number}/").content.decode()
    assert f'data-testid="merge-{appeal.number}-{earlier.number}"' in page
    response = operator.post(
        f"/console/appeals/{appeal.number}/act/merge/",
        {"into": earlier.number, "expected_version": appeal.version, "next": "/console/intake/"},
    )
    assert response.status_code == 302 and response["Location"] == "/console/intake/"
    appeal.refresh_from_db()
    assert appeal.status == Status.MERGED and appeal.merged_into == earlier
    # Registered or merged appeals get no suggestions.
    page = operator.get(f"/console/appeals/{appeal.number}/").content.decode()
    assert 'data-testid="suggestions"' not in page


def test_merge_button_only_for_those_who_may_merge(client, world, at):
    with at(MONDAY_10 - timedelta(days=1)):
        new_appeal(world)
    with at(MONDAY_10):
        appeal = new_appeal(world)
    client.force_login(world.u("supervisor"))
    page = client.get(f"/console/appeals/{appeal.number}/").content.decode()
    assert 'data-testid="suggestions"' in page and 'data-testid="merge-' not in page
