# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The console through Django's test client: each role's workbench, the appeal page, actions."""

import pytest

from jiesu.appeals import workflow
from jiesu.appeals.models import Event
from jiesu.appeals.states import Status
from jiesu.appeals.tests.conftest import dispatched, in_progress, new_appeal, registered


@pytest.fixture
def login(client, world):
    def as_(name):
        client.force_login(world.u(name))
        return client

    return as_


@pytest.mark.parametrize(
    "user,desk",
    [
        ("intake", "/console/intake/"),
        ("dispatcher", "/console/dispatch/"),
        ("handler", "/console/unit/"),
        ("leader", "/console/unit/"),
        ("supervisor", "/console/review/"),
        ("visitor", "/console/visits/"),
        ("admin", "/console/manage/"),
    ],
)
def test_each_role_lands_on_its_workbench(login, user, desk):
    client = login(user)
    response = client.get("/console/")
    assert response.status_code == 302 and response["Location"] == desk
    page = client.get(desk)
    assert page.status_code == 200
    assert "接诉" in page.content.decode()


def test_workbench_refuses_other_roles(login):
    assert login("handler").get("/console/dispatch/").status_code == 403


def test_analyst_lands_on_the_insights_desk(login):
    # Issue 9 defect 7 / issue 11: the analyst's desk is the command-centre overview.
    response = login("analyst").get("/console/")
    assert response["Location"] == "/console/insights/"


def test_login_required(client, db):
    response = client.get("/console/intake/")
    assert response.status_code == 302 and "/console/login/" in response["Location"]


def test_intake_queue_and_register_from_appeal_page(login, world):
    appeal = new_appeal(world)
    client = login("intake")
    page = client.get("/console/intake/").content.decode()
    assert appeal.number in page
    detail = client.get(f"/console/appeals/{appeal.number}/").content.decode()
    assert "立案" in detail  # the register action is offered
    assert "13800001234" not in detail and "138****1234" in detail  # masked
    response = client.post(
        f"/console/appeals/{appeal.number}/act/register/",
        {
            "appeal_type": world.complaint.pk,
            "category": world.leaf.pk,
            "grade": world.grade_c.pk,
            "address": "坪山街道某小区",
            "expected_version": appeal.version,
        },
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == Status.REGISTERED


def test_failed_action_shows_errors_next_to_fields_and_changes_nothing(login, world):
    appeal = new_appeal(world)
    client = login("intake")
    before = Event.objects.count()
    response = client.post(f"/console/appeals/{appeal.number}/act/reject/", {"reason": ""})
    assert response.status_code == 400
    assert 'class="field has-error"' in response.content.decode()
    assert Event.objects.count() == before


def test_stale_version_is_refused_as_conflict(login, world):
    appeal = registered(world)
    client = login("dispatcher")
    stale = appeal.version
    assert (
        client.post(
            f"/console/appeals/{appeal.number}/act/dispatch/", {"expected_version": stale}
        ).status_code
        == 302
    )
    response = client.post(
        f"/console/appeals/{appeal.number}/act/dispatch/", {"expected_version": stale}
    )
    assert response.status_code == 409


def test_unit_sees_only_its_appeals_and_only_allowed_actions(login, world):
    appeal = dispatched(world)
    other = login("water_handler")  # assisting unit: may view and sign its own part
    assert other.get(f"/console/appeals/{appeal.number}/").status_code == 200
    stranger = registered(world)
    # Outside one's scope an appeal answers as if it did not exist (like the API): a 403
    # would confirm to an id-guesser that the number is real.
    missing = other.get(f"/console/appeals/{stranger.number[:-1]}9/")
    outside = other.get(f"/console/appeals/{stranger.number}/")
    assert outside.status_code == missing.status_code == 404
    assert outside.content.decode().count("<h1") == missing.content.decode().count("<h1")
    assert other.post(f"/console/appeals/{stranger.number}/act/register/").status_code == 404
    handler = login("handler")
    page = handler.get(f"/console/appeals/{appeal.number}/").content.decode()
    assert 'id="action-sign"' in page and 'id="action-dispatch"' not in page


def test_forged_action_is_refused_by_the_workflow(login, world):
    appeal = in_progress(world)
    response = login("water_handler").post(
        f"/console/appeals/{appeal.number}/act/complete/", {"result": "x", "evidence": "y"}
    )
    assert response.status_code == 403
    appeal.refresh_from_db()
    assert appeal.status == Status.IN_PROGRESS


def test_unmask_is_logged(login, world):
    appeal = new_appeal(world)
    response = login("intake").post(f"/console/appeals/{appeal.number}/unmask/")
    assert "13800001234" in response.content.decode()
    assert appeal.events.filter(kind="unmask").count() == 1


def test_confidential_reporter_hidden_from_units(login, world):
    appeal = dispatched(world, confidential=True)
    page = login("handler").get(f"/console/appeals/{appeal.number}/").content.decode()
    assert "张" not in page.split('id="reporter"')[1][:200]
    assert login("handler").post(f"/console/appeals/{appeal.number}/unmask/").status_code == 403


def test_english_console(login):
    page = login("intake").get("/en/console/intake/").content.decode()
    assert "Intake desk" in page


def test_visit_desk_shows_call_script_and_citizen_rating(login, world):
    from jiesu.appeals import workflow
    from jiesu.appeals.tests.conftest import visiting

    appeal = visiting(world)
    workflow.citizen_rate(appeal, rating="basic", comment="还行")
    page = login("visitor").get(f"/console/appeals/{appeal.number}/").content.decode()
    assert 'data-testid="call-script"' in page and "还行" in page
    other = login("handler").get(f"/console/appeals/{appeal.number}/").content.decode()
    assert 'data-testid="call-script"' not in other


def test_appeal_page_names_the_channel(login, world):
    from jiesu.intake.models import Channel

    Channel.objects.create(code="hotline", name="12345热线", kind=Channel.Kind.HOTLINE)
    appeal = new_appeal(world)
    page = login("intake").get(f"/console/appeals/{appeal.number}/").content.decode()
    assert "12345热线" in page


def test_leader_desk_opens_on_first_tab_with_work(login, world):
    """Issue 9 defect 7: the leader's desk opened on 待签收 (0) while 待我审批 had work."""
    from jiesu.appeals import workflow

    world.urban.requires_leader_approval = True
    world.urban.save()
    appeal = in_progress(world)
    workflow.complete(appeal, world.u("handler"), result="已处理", evidence="照片")
    page = login("leader").get("/console/unit/").content.decode()
    assert 'aria-current="page"' in page
    current = page.split('class="tabs"')[1].split('aria-current="page"')[1][:200]
    assert "待我审批" in current
    assert appeal.number in page


def test_desk_without_work_opens_on_first_tab(login, world):
    page = login("handler").get("/console/unit/").content.decode()
    assert "待签收" in page.split('class="tabs"')[1].split('aria-current="page"')[1][:200]


def test_analyst_is_not_told_it_has_no_role(login):
    """Issue 9 defect 7: the analyst's page claimed the account had no role."""
    response = login("analyst").get("/console/no-role/")
    page = response.content.decode()
    assert "没有办件角色" not in page and "no case-handling role" not in page
    assert "分析" in page  # names the role
    assert "查看统计" in page  # and what it allows


def test_extension_form_states_its_limit_from_the_rule(login, world, settings):
    """Issue 9 defect 9: the 延期 form hid its limit until the browser's bubble."""
    appeal = in_progress(world)
    page = login("handler").get(f"/console/appeals/{appeal.number}/").content.decode()
    assert "每次延期最多 15 个工作日" in page
    assert 'max="15"' in page
    settings.JIESU = {**settings.JIESU, "MAX_EXTENSION_DAYS": 10}
    page = login("handler").get(f"/console/appeals/{appeal.number}/").content.decode()
    assert "每次延期最多 10 个工作日" in page and 'max="10"' in page
    response = login("handler").post(
        f"/console/appeals/{appeal.number}/act/request_extension/",
        {"working_days": "12", "reason": "需协调", "expected_version": appeal.version},
    )
    assert "10" in response.content.decode()
    from jiesu.appeals.models import UnitRequest

    assert response.status_code == 400
    assert not UnitRequest.objects.filter(appeal=appeal).exists()


def test_visit_list_shows_deadlines_as_the_appeal_page_does(login, world):
    """Issue 9 defect 9: the 回访 list read "12-08 03:24" like a clock time."""
    from django.utils import timezone

    from jiesu.appeals.models import Clock
    from jiesu.appeals.tests.conftest import visiting

    appeal = visiting(world)
    clock = Clock.objects.filter(appeal=appeal, stopped_at__isnull=True).order_by("due_at").first()
    page = login("visitor").get("/console/visits/").content.decode()
    assert timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M") in page


def test_evidence_text_on_the_appeal_page(login, world):
    from jiesu.appeals.tests.conftest import completed

    appeal = completed(world)
    page = login("supervisor").get(f"/console/appeals/{appeal.number}/").content.decode()
    assert "现场照片两张" in page and "已清理完毕" in page


def test_polling_refreshes_the_tab_counts(login, world):
    """The 30 s refresh of a desk's list also brings the tab counts (an out-of-band swap)."""
    client = login("handler")
    before = client.get("/console/unit/", headers={"HX-Request": "true"}).content.decode()
    assert 'id="desk-tabs"' in before and 'hx-swap-oob="true"' in before
    dispatched(world)
    after = client.get("/console/unit/?tab=to_sign", headers={"HX-Request": "true"})
    tabs = after.content.decode().split('id="desk-tabs"')[1]
    assert '待签收 <span class="count">1</span>' in tabs


@pytest.mark.parametrize(
    ("days", "chinese", "english"),
    [(1, "(1 个工作日)", "(1 working day)"), (3, "(3 个工作日)", "(3 working days)")],
)
def test_an_extension_request_names_its_working_days_as_one_phrase(
    login, world, days, chinese, english
):
    from jiesu.appeals import workflow

    appeal = in_progress(world)
    workflow.request_extension(appeal, world.u("handler"), working_days=days, reason="需协调")
    client = login("supervisor")
    assert chinese in client.get(f"/console/appeals/{appeal.number}/").content.decode()
    assert english in client.get(f"/en/console/appeals/{appeal.number}/").content.decode()


def test_a_finished_appeal_leaves_an_assisting_unit_s_desk(login, world):
    """The defect: an assisting unit that had not signed for its part when the appeal was
    closed kept it under "To sign for" for ever (its share stays pending), a closed appeal it
    can no longer act on; at a million appeals units carried thousands of them."""
    appeal = dispatched(world)  # the rule adds 水务局 as the assisting unit
    water = login("water_handler")
    assert appeal.number in water.get("/console/unit/?tab=to_sign").content.decode()
    workflow.sign(appeal, world.u("handler"))
    workflow.complete(appeal, world.u("handler"), result="已清理完毕", evidence="现场照片")
    workflow.approve_review(appeal, world.u("supervisor"))
    workflow.record_visit(appeal, world.u("visitor"), outcome="satisfied")
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED
    assert appeal.assignments.get(unit=world.water).state == "pending"
    page = water.get("/console/unit/?tab=to_sign").content.decode()
    assert appeal.number not in page
    # Still the unit's appeal: its search finds it.
    assert appeal.number in water.get("/console/search/").content.decode()


def test_due_soon_lists_the_appeals_whose_clocks_of_the_unit_passed_their_warning(login, world):
    from datetime import timedelta

    from django.utils import timezone

    from jiesu.appeals.models import Clock

    appeal = dispatched(world)  # 城市管理局 leads, 水务局 assists
    quiet = dispatched(world)
    past = timezone.now() - timedelta(hours=1)
    Clock.objects.filter(appeal=appeal, assignment__unit=world.urban, kind="sign").update(
        warn_at=past
    )

    def listed(user):
        return login(user).get("/console/unit/?tab=due_soon").content.decode()

    assert appeal.number in listed("handler") and quiet.number not in listed("handler")
    assert appeal.number not in listed("water_handler")  # its own clock has not warned
    # A clock that stopped (signed for) no longer puts the appeal on the list.
    workflow.sign(appeal, world.u("handler"))
    assert appeal.number not in listed("handler")
