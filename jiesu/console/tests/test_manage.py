# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The console's administration pages through Django's test client.

Each page: the happy path, and a refused or invalid request that changes nothing.
"""

from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth.hashers import identify_hasher
from django.test import Client
from django.utils import timezone

from jiesu.appeals.models import Appeal, Clock
from jiesu.appeals.tests.conftest import MONDAY_10, SHANGHAI, dispatched
from jiesu.catalog import services as catalog
from jiesu.catalog.models import Category, HandlingRule, HandlingRuleVersion, TimeLimit
from jiesu.console.views.manage import snapshot_changes
from jiesu.intake import channels as channel_keys
from jiesu.intake.models import Channel
from jiesu.org.models import Unit, User, UserRole
from jiesu.org.roles import Role
from jiesu.workdays import calendar
from jiesu.workdays.models import CalendarOverride, CoveredYear, WorkingPeriod

UNCOVERED = 2035  # a year neither the library nor the fixtures cover


@pytest.fixture
def login(client, world):
    def as_(name):
        client.force_login(world.u(name))
        return client

    return as_


@pytest.fixture
def admin(login):
    return login("admin")


def form_data(*forms):
    """What a browser would post back for these (bound or unbound) forms, unchanged."""
    data = {}
    for form in forms:
        for bound in form:
            if bound.field.disabled:
                continue
            value = bound.value()
            if value is None or value is False:
                continue
            if value is True:
                data[bound.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[bound.html_name] = [str(v) for v in value]
            else:
                data[bound.html_name] = str(value)
    return data


def rule_form_data(response):
    formset = response.context["formset"]
    return form_data(response.context["form"], formset.management_form, *formset.forms)


def channel(code="app_x", **kwargs):
    values = {"name": f"Test app {code}", "kind": Channel.Kind.APP, "is_machine": True, **kwargs}
    return Channel.objects.create(code=code, **values)


# -- who may enter ------------------------------------------------------------------------------


def _urls(world):
    leaf = world.leaf
    override = CalendarOverride.objects.create(date=date(UNCOVERED, 1, 1), name="元旦")
    period = WorkingPeriod.objects.order_by("start").first()
    chan = channel()
    return [
        "/console/manage/",
        "/console/manage/rules/",
        f"/console/manage/rules/{leaf.pk}/",
        "/console/manage/calendar/",
        "/console/manage/calendar/overrides/new/",
        f"/console/manage/calendar/overrides/{override.pk}/",
        f"/console/manage/calendar/overrides/{override.pk}/delete/",
        "/console/manage/calendar/years/declare/",
        f"/console/manage/calendar/periods/{period.pk}/",
        "/console/manage/channels/",
        "/console/manage/channels/new/",
        f"/console/manage/channels/{chan.pk}/",
        f"/console/manage/channels/{chan.pk}/key/",
        f"/console/manage/channels/{chan.pk}/revoke/",
        "/console/manage/units/",
        "/console/manage/units/new/",
        f"/console/manage/units/{world.urban.pk}/",
        "/console/manage/users/",
        "/console/manage/users/new/",
        f"/console/manage/users/{world.u('handler').pk}/",
        f"/console/manage/users/{world.u('handler').pk}/password/",
        f"/console/manage/users/{world.u('handler').pk}/deactivate/",
    ]


@pytest.mark.parametrize("who", ["dispatcher", "analyst"])
def test_other_roles_are_refused_everywhere(login, world, who):
    client = login(who)
    for url in _urls(world):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"name": "x"}).status_code == 403, url
    chan = Channel.objects.get(code="app_x")
    assert not channel_keys.has_key(chan)
    assert world.u("handler").is_active
    assert CalendarOverride.objects.count() == 1


def test_refused_post_changes_nothing(login, world):
    client = login("dispatcher")
    before = HandlingRuleVersion.objects.count()
    response = client.post(
        f"/console/manage/rules/{world.leaf.pk}/",
        {"lead_mode": "area", "limits-TOTAL_FORMS": 0, "limits-INITIAL_FORMS": 0},
    )
    assert response.status_code == 403
    assert HandlingRuleVersion.objects.count() == before
    assert HandlingRule.objects.get(category=world.leaf).lead_mode == "fixed"


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/console/manage/rules/")
    assert response.status_code == 302 and "/console/login/" in response["Location"]


def test_post_without_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.u("admin"))
    response = client.post(
        "/console/manage/calendar/overrides/new/",
        {"date": f"{UNCOVERED}-01-01", "name": "元旦"},
    )
    assert response.status_code == 403
    assert not CalendarOverride.objects.exists()


def test_landing_page_links_every_section(admin, world, at):
    with at(MONDAY_10):
        page = admin.get("/console/manage/").content.decode()
    for url in ("rules/", "calendar/", "channels/", "units/", "users/"):
        assert f'href="/console/manage/{url}"' in page
    assert "/admin/" in page  # the Django admin stays for the rest
    assert "2027" in page  # next year's coverage is shown


# -- handling rules -----------------------------------------------------------------------------


def test_rule_list_search_filter_and_pagination(admin, world):
    middle = world.leaf.parent
    other_major = Category.objects.create(code="02", name="交通", level=1)
    other_middle = Category.objects.create(code="0201", name="道路", level=2, parent=other_major)
    for i in range(60):
        Category.objects.create(code=f"0201{i:03d}", name=f"路灯{i}", level=3, parent=other_middle)
    HandlingRule.objects.create(category=world.other_leaf, lead_mode="area")

    page = admin.get("/console/manage/rules/")
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 62
    assert len(page.context["rows"]) == 50
    assert admin.get("/console/manage/rules/?page=2").context["page"].number == 2

    found = admin.get("/console/manage/rules/", {"q": "暴露"})
    assert [r["leaf"].code for r in found.context["rows"]] == ["0101001"]
    assert found.context["rows"][0]["leaf"].version == 1

    by_major = admin.get("/console/manage/rules/", {"major": middle.parent.pk})
    assert {r["leaf"].code for r in by_major.context["rows"]} == {"0101001", "0101002"}
    area = admin.get("/console/manage/rules/", {"mode": "area"})
    assert [r["leaf"].code for r in area.context["rows"]] == ["0101002"]
    none = admin.get("/console/manage/rules/", {"mode": "none"})
    assert none.context["page"].paginator.count == 60


def test_edit_rule_records_a_version_with_a_diff(admin, world):
    url = f"/console/manage/rules/{world.leaf.pk}/"
    page = admin.get(url)
    assert page.status_code == 200
    data = rule_form_data(page)
    data.update(
        {
            "lead_unit": str(world.water.pk),
            "assisting_units": [],
            "plan": "先清理，再查源头",
            "limits-0-clock": "handle",
            "limits-0-grade": str(world.grade_c.pk),
            "limits-0-amount": "2",
            "limits-0-unit": "wd",
        }
    )
    response = admin.post(url, data)
    assert response.status_code == 302
    rule = HandlingRule.objects.get(category=world.leaf)
    assert rule.lead_unit == world.water and not rule.assisting_units.exists()
    assert rule.time_limits.get().amount == 2
    latest = rule.versions.order_by("-number").first()
    assert latest.number == 2 and latest.created_by == world.u("admin")
    assert latest.snapshot["lead_unit"] == "D02"

    page = admin.get(url)
    history = page.context["history"]
    assert [h["version"].number for h in history] == [2, 1]
    changes = "\n".join(history[0]["changes"])
    assert "城市管理局 (D01) → 水务局 (D02)" in changes
    assert "水务局 (D02)" in changes and "2 " in changes
    html = page.content.decode()
    assert "水务局 (D02)" in html and "admin" in html

    # Saving again without a change records nothing.
    response = admin.post(url, rule_form_data(page))
    assert response.status_code == 302
    assert rule.versions.count() == 2

    # Removing the limit is a change too.
    page = admin.get(url)
    data = rule_form_data(page)
    data["limits-0-DELETE"] = "on"
    assert admin.post(url, data).status_code == 302
    assert not rule.time_limits.exists()
    assert rule.versions.count() == 3


def test_rule_for_a_leaf_without_one_is_created_as_version_1(admin, world):
    url = f"/console/manage/rules/{world.other_leaf.pk}/"
    page = admin.get(url)
    assert page.status_code == 200 and page.context["history"] == []
    data = rule_form_data(page)
    data.update({"lead_mode": "area", "limits-0-clock": "sign", "limits-0-amount": "30"})
    data["limits-0-unit"] = "min"
    assert admin.post(url, data).status_code == 302
    rule = HandlingRule.objects.get(category=world.other_leaf)
    assert rule.lead_mode == "area"
    assert [v.number for v in rule.versions.all()] == [1]
    assert rule.versions.get().snapshot["limits"][0]["amount"] == 30


@pytest.mark.parametrize(
    "change,field",
    [
        ({"lead_mode": "area"}, "lead_unit"),  # area mode with a fixed unit
        ({"assisting_units": ["LEAD"]}, "assisting_units"),  # lead also assisting
    ],
)
def test_invalid_rule_shows_errors_next_to_fields_and_changes_nothing(admin, world, change, field):
    url = f"/console/manage/rules/{world.leaf.pk}/"
    data = rule_form_data(admin.get(url))
    for key, value in change.items():
        data[key] = [str(world.urban.pk)] if value == ["LEAD"] else value
    data["plan"] = "不应保存"
    response = admin.post(url, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="field has-error"' in response.content.decode()
    rule = HandlingRule.objects.get(category=world.leaf)
    assert rule.lead_mode == "fixed" and rule.plan == ""
    assert rule.versions.count() == 1


def test_duplicate_limit_rows_are_refused(admin, world):
    url = f"/console/manage/rules/{world.leaf.pk}/"
    data = rule_form_data(admin.get(url))
    for i in (0, 1):
        data.update(
            {
                f"limits-{i}-clock": "handle",
                f"limits-{i}-grade": str(world.grade_b.pk),
                f"limits-{i}-amount": str(3 + i),
                f"limits-{i}-unit": "wd",
            }
        )
    response = admin.post(url, data)
    assert response.status_code == 200
    formset = response.context["formset"]
    assert formset.forms[1].non_field_errors()
    assert "row-errors" in response.content.decode()
    assert not TimeLimit.objects.filter(rule__category=world.leaf).exists()
    assert HandlingRuleVersion.objects.filter(rule__category=world.leaf).count() == 1


def test_editing_a_rule_never_changes_appeals_already_dispatched(admin, world, at):
    with at(MONDAY_10):
        before = dispatched(world)
    with at(MONDAY_10 + timedelta(minutes=5)):
        dispatched(world, title="另一处垃圾")
    clocks_before = {c.pk: c.due_at for c in Clock.objects.filter(appeal=before)}
    version_before = before.rule_version
    assert version_before.number == 1

    url = f"/console/manage/rules/{world.leaf.pk}/"
    data = rule_form_data(admin.get(url))
    data.update(
        {
            "lead_unit": str(world.water.pk),
            "assisting_units": [],
            "limits-0-clock": "handle",
            "limits-0-amount": "1",
            "limits-0-unit": "h",
        }
    )
    assert admin.post(url, data).status_code == 302

    before.refresh_from_db()
    assert before.rule_version_id == version_before.pk
    assert HandlingRuleVersion.objects.get(pk=version_before.pk).snapshot == version_before.snapshot
    assert {c.pk: c.due_at for c in Clock.objects.filter(appeal=before)} == clocks_before
    assert before.assignments.get(role="lead").unit == world.urban

    with at(MONDAY_10):
        after = dispatched(world)
    assert after.rule_version.number == 2
    assert after.assignments.get(role="lead").unit == world.water
    handle = Clock.objects.get(appeal=after, kind="handle")
    assert handle.due_at == datetime(2026, 11, 2, 11, 0, tzinfo=SHANGHAI)
    history = admin.get(url).context["history"]
    assert [(h["version"].number, h["appeals"]) for h in history] == [(2, 1), (1, 2)]
    assert Appeal.objects.filter(rule_version__number=1).count() == 2


def test_snapshot_changes_lists_every_kind_of_change(world):
    old = catalog.rule_snapshot(HandlingRule.objects.get(category=world.leaf))
    new = {**old, "count_from": "next_day", "assisting_units": []}
    new["limits"] = [
        {"clock": "sign", "appeal_type": "complaint", "grade": None, "amount": 2, "unit": "wh"}
    ]
    lines = snapshot_changes(old, new)
    assert len(lines) == 3
    assert "水务局 (D02)" in lines[1]
    assert snapshot_changes(None, new) and snapshot_changes(old, old)


# -- calendar -----------------------------------------------------------------------------------


def test_calendar_page_shows_coverage_and_computes_deadlines(admin, world, at):
    with at(MONDAY_10):
        page = admin.get("/console/manage/calendar/")
        assert page.status_code == 200
        rows = {r["year"]: r["covered"] for r in page.context["coverage"]}
        assert rows == {2026: True, 2027: False}
        html = page.content.decode()
        assert 'data-testid="coverage-2027"' in html

        result = admin.get(
            "/console/manage/calendar/",
            {"calc-start": "2026-11-02T10:00", "calc-amount": "3", "calc-unit": "wd"},
        )
        assert result.context["deadline"]["at"] == datetime(2026, 11, 5, 10, 0, tzinfo=SHANGHAI)
        assert "2026-11-05 10:00" in result.content.decode()

        uncovered = admin.get(
            "/console/manage/calendar/",
            {"calc-start": f"{UNCOVERED}-03-01T10:00", "calc-amount": "1", "calc-unit": "wd"},
        )
        assert uncovered.context["deadline"] is None
        assert str(UNCOVERED) in " ".join(uncovered.context["calc_form"].non_field_errors())

        invalid = admin.get(
            "/console/manage/calendar/",
            {"calc-start": "yesterday", "calc-amount": "-1", "calc-unit": "wd"},
        )
        assert set(invalid.context["calc_form"].errors) == {"start", "amount"}


def test_overrides_add_edit_delete(admin, world):
    response = admin.post(
        "/console/manage/calendar/overrides/new/",
        {"date": f"{UNCOVERED}-10-01", "name": "国庆节"},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"?year={UNCOVERED}")
    override = CalendarOverride.objects.get()
    assert not override.is_working_day

    listing = admin.get(f"/console/manage/calendar/?year={UNCOVERED}").content.decode()
    assert "国庆节" in listing

    url = f"/console/manage/calendar/overrides/{override.pk}/"
    response = admin.post(
        url, {"date": f"{UNCOVERED}-10-08", "is_working_day": "on", "name": "补班"}
    )
    assert response.status_code == 302
    override.refresh_from_db()
    assert override.is_working_day and override.date == date(UNCOVERED, 10, 8)

    assert admin.get(f"{url}delete/").status_code == 200  # asks first
    assert CalendarOverride.objects.exists()
    assert admin.post(f"{url}delete/").status_code == 302
    assert not CalendarOverride.objects.exists()


def test_invalid_override_changes_nothing(admin, world):
    CalendarOverride.objects.create(date=date(UNCOVERED, 1, 1), name="元旦")
    for data, field in [
        ({"date": "1999-12-31", "name": "太早"}, "date"),
        ({"date": f"{UNCOVERED}-01-01", "name": "重复"}, "date"),
        ({"date": "", "name": "无日期"}, "date"),
    ]:
        response = admin.post("/console/manage/calendar/overrides/new/", data)
        assert response.status_code == 200
        assert field in response.context["form"].errors
        assert 'class="field has-error"' in response.content.decode()
    assert list(CalendarOverride.objects.values_list("name", flat=True)) == ["元旦"]


def test_declare_and_withdraw_a_year(admin, world):
    url = "/console/manage/calendar/years/declare/"
    # The library knows 2026: nothing to declare.
    response = admin.post(url, {"declare-year": "2026"})
    assert response.status_code == 200 and "year" in response.context["form"].errors
    # No overrides entered for the year yet.
    response = admin.post(url, {"declare-year": str(UNCOVERED)})
    assert response.status_code == 200 and "year" in response.context["form"].errors
    assert not CoveredYear.objects.exists()

    CalendarOverride.objects.create(date=date(UNCOVERED, 1, 1), name="元旦")
    response = admin.post(url, {"declare-year": str(UNCOVERED), "declare-note": "国办发明电"})
    assert response.status_code == 302
    assert calendar.coverage([UNCOVERED])[UNCOVERED] == calendar.Coverage.DECLARED

    withdraw = f"/console/manage/calendar/years/{UNCOVERED}/withdraw/"
    assert admin.get(withdraw).status_code == 200
    assert CoveredYear.objects.exists()
    assert admin.post(withdraw).status_code == 302
    assert calendar.coverage([UNCOVERED])[UNCOVERED] is None
    assert CalendarOverride.objects.exists()  # the overrides stay


def test_working_periods_refuse_overlaps(admin, world):
    morning, afternoon = WorkingPeriod.objects.order_by("start")
    url = f"/console/manage/calendar/periods/{morning.pk}/"
    response = admin.post(url, {"start": "08:30", "end": "14:30"})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    response = admin.post(url, {"start": "10:00", "end": "09:00"})
    assert "end" in response.context["form"].errors
    morning.refresh_from_db()
    assert morning.start == time(9, 0) and morning.end == time(12, 0)

    assert admin.post(url, {"start": "08:30", "end": "12:00"}).status_code == 302
    morning.refresh_from_db()
    assert morning.start == time(8, 30)
    assert calendar.get_calendar().periods[0] == (time(8, 30), time(12, 0))

    response = admin.post(
        "/console/manage/calendar/periods/new/", {"start": "18:00", "end": "20:00"}
    )
    assert response.status_code == 302
    assert WorkingPeriod.objects.count() == 3


def test_the_last_working_period_cannot_be_deleted(admin, world):
    morning, afternoon = WorkingPeriod.objects.order_by("start")
    assert admin.post(f"/console/manage/calendar/periods/{afternoon.pk}/delete/").status_code == 302
    assert admin.post(f"/console/manage/calendar/periods/{morning.pk}/delete/").status_code == 302
    assert list(WorkingPeriod.objects.all()) == [morning]


# -- channels -----------------------------------------------------------------------------------


def test_add_and_edit_a_channel(admin, world):
    data = {
        "code": "app_new",
        "name": "新 APP",
        "kind": "app",
        "active": "on",
        "is_machine": "on",
        "rate_limit_per_minute": "30",
        "max_attachments": "5",
        "max_attachment_mb": "8",
        "sort_order": "10",
    }
    response = admin.post("/console/manage/channels/new/", data)
    assert response.status_code == 302
    chan = Channel.objects.get(code="app_new")
    assert chan.is_machine and chan.rate_limit_per_minute == 30 and chan.max_attachments == 5

    listing = admin.get("/console/manage/channels/").content.decode()
    assert "app_new" in listing

    url = f"/console/manage/channels/{chan.pk}/"
    response = admin.post(url, {**data, "code": "renamed", "name": "改名", "allow_video": "on"})
    assert response.status_code == 302
    chan.refresh_from_db()
    assert chan.code == "app_new"  # the code stays: appeals record it
    assert chan.name == "改名" and chan.allow_video


def test_invalid_channel_changes_nothing(admin, world):
    response = admin.post(
        "/console/manage/channels/new/",
        {"code": "bad code!", "name": "", "kind": "pigeon", "max_attachments": "-1"},
    )
    assert response.status_code == 200
    assert {"code", "name", "kind", "max_attachments"} <= set(response.context["form"].errors)
    assert not Channel.objects.exists()


def test_issue_a_key_shows_it_once_and_revoke_it(admin, world):
    chan = channel()
    key_url = f"/console/manage/channels/{chan.pk}/key/"
    confirm = admin.get(key_url)
    assert confirm.status_code == 200 and not channel_keys.has_key(Channel.objects.get())

    response = admin.post(key_url)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = response.context["key"]
    assert key in response.content.decode()
    assert channel_keys.authenticate_key(key) == chan
    # The channel page after it shows only the prefix.
    page = admin.get(f"/console/manage/channels/{chan.pk}/").content.decode()
    assert key not in page and key.split("_")[1] in page

    # A second key replaces the first.
    second = admin.post(key_url).context["key"]
    assert channel_keys.authenticate_key(key) is None
    assert channel_keys.authenticate_key(second) == chan

    revoke_url = f"/console/manage/channels/{chan.pk}/revoke/"
    assert admin.get(revoke_url).status_code == 200
    assert channel_keys.authenticate_key(second) == chan  # asking first changes nothing
    assert admin.post(revoke_url).status_code == 302
    assert channel_keys.authenticate_key(second) is None
    chan.refresh_from_db()
    assert not channel_keys.has_key(chan) and chan.key_revoked_at is not None


def test_channel_page_states_the_key_in_whole_sentences(admin, world):
    chan = channel()
    channel_keys.issue_key(chan)
    chan.refresh_from_db()
    issued = timezone.localtime(chan.key_created_at).strftime("%Y-%m-%d %H:%M")
    page = admin.get(f"/console/manage/channels/{chan.pk}/").content.decode()
    assert f"当前密钥：<code>js_{chan.key_prefix}_…</code>，签发于 {issued}。" in page
    english = admin.get(f"/en/console/manage/channels/{chan.pk}/").content.decode()
    assert f"Current key: <code>js_{chan.key_prefix}_…</code>, issued {issued}." in english

    channel_keys.revoke_key(chan)
    chan.refresh_from_db()
    revoked = timezone.localtime(chan.key_revoked_at).strftime("%Y-%m-%d %H:%M")
    page = admin.get(f"/console/manage/channels/{chan.pk}/").content.decode()
    assert f"上一个密钥已于 {revoked} 吊销。" in page


def test_no_key_for_a_channel_that_is_not_a_machine(admin, world):
    chan = channel(code="hotline_x", kind=Channel.Kind.HOTLINE, is_machine=False)
    response = admin.post(f"/console/manage/channels/{chan.pk}/key/")
    assert response.status_code == 302
    chan.refresh_from_db()
    assert not chan.key_hash and not channel_keys.has_key(chan)


# -- units --------------------------------------------------------------------------------------


def test_unit_tree_and_adding_a_sub_unit(admin, world):
    page = admin.get("/console/manage/units/")
    assert page.status_code == 200
    names = [u.name for u in page.context["page"].object_list]
    assert names.index("城管执法队") == names.index("城市管理局") + 1  # depth-first
    assert "tree-name depth-1" in page.content.decode()

    response = admin.post(
        "/console/manage/units/new/",
        {
            "code": "D01-T2",
            "name": "环卫所",
            "kind": "team",
            "parent": world.urban.pk,
            "active": "on",
        },
    )
    assert response.status_code == 302
    unit = Unit.objects.get(code="D01-T2")
    assert unit.parent == world.urban and unit.depth == 1
    assert unit.path.startswith(world.urban.path)

    found = admin.get("/console/manage/units/", {"q": "环卫"})
    assert [u.code for u in found.context["page"].object_list] == ["D01-T2"]


def test_edit_a_unit(admin, world):
    url = f"/console/manage/units/{world.water.pk}/"
    page = admin.get(url)
    data = form_data(page.context["form"])
    data.update({"short_name": "水务", "requires_leader_approval": "on"})
    assert admin.post(url, data).status_code == 302
    world.water.refresh_from_db()
    assert world.water.short_name == "水务" and world.water.requires_leader_approval


@pytest.mark.parametrize(
    "change,field",
    [
        ({"is_backstop": "on"}, "is_backstop"),  # the centre already is the backstop
        ({"parent": "TEAM"}, "parent"),  # under its own sub-unit: a cycle
    ],
)
def test_invalid_unit_changes_nothing(admin, world, change, field):
    url = f"/console/manage/units/{world.urban.pk}/"
    data = form_data(admin.get(url).context["form"])
    for key, value in change.items():
        data[key] = str(world.urban_team.pk) if value == "TEAM" else value
    data["name"] = "改了名"
    response = admin.post(url, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="field has-error"' in response.content.decode()
    urban = Unit.objects.get(pk=world.urban.pk)
    assert urban.name == "城市管理局" and urban.parent is None and not urban.is_backstop


# -- staff accounts -----------------------------------------------------------------------------


def test_staff_list_with_roles_and_search(admin, world):
    page = admin.get("/console/manage/users/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "water_leader" in html and "水务局" in html
    found = admin.get("/console/manage/users/", {"q": "water"})
    assert {u.username for u in found.context["page"].object_list} == {
        "water_handler",
        "water_leader",
    }
    leaders = admin.get("/console/manage/users/", {"role": Role.UNIT_LEADER})
    assert {u.username for u in leaders.context["page"].object_list} == {"leader", "water_leader"}


def test_add_a_staff_member_with_roles_and_an_argon2_password(admin, world, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    response = admin.post(
        "/console/manage/users/new/",
        {
            "username": "li.si",
            "full_name": "李四",
            "phone": "13900000000",
            "unit": world.water.pk,
            "roles": [Role.UNIT_HANDLER, Role.VISIT_AGENT],
            "is_active": "on",
            "password1": "Shui-Wu-2026!",
            "password2": "Shui-Wu-2026!",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="li.si")
    assert user.unit == world.water and user.is_active
    assert user.role_set == {Role.UNIT_HANDLER, Role.VISIT_AGENT}
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password("Shui-Wu-2026!")


def test_unit_role_without_unit_and_weak_password_are_refused(admin, world):
    response = admin.post(
        "/console/manage/users/new/",
        {
            "username": "wang.wu",
            "roles": [Role.UNIT_HANDLER],
            "is_active": "on",
            "password1": "123",
            "password2": "123",
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "roles" in errors and "password2" in errors
    assert not User.objects.filter(username="wang.wu").exists()


def test_edit_roles_and_unit(admin, world):
    handler = world.u("handler")
    url = f"/console/manage/users/{handler.pk}/"
    page = admin.get(url)
    data = form_data(page.context["form"])
    assert data["roles"] == [Role.UNIT_HANDLER]
    data.update(
        {"roles": [Role.UNIT_LEADER], "unit": str(world.urban_team.pk), "full_name": "赵六"}
    )
    assert admin.post(url, data).status_code == 302
    handler = User.objects.get(pk=handler.pk)
    assert handler.role_set == {Role.UNIT_LEADER}
    assert handler.unit == world.urban_team and handler.full_name == "赵六"

    # Taking the unit away from a unit leader is refused; nothing changes.
    data["unit"] = ""
    response = admin.post(url, data)
    assert response.status_code == 200 and "roles" in response.context["form"].errors
    assert User.objects.get(pk=handler.pk).unit == world.urban_team


def test_administrator_cannot_lock_themselves_out(admin, world):
    me = world.u("admin")
    url = f"/console/manage/users/{me.pk}/"
    data = form_data(admin.get(url).context["form"])
    data.pop("is_active")
    data["roles"] = [Role.ANALYST]
    response = admin.post(url, data)
    assert response.status_code == 200
    assert {"is_active", "roles"} <= set(response.context["form"].errors)
    me.refresh_from_db()
    assert me.is_active and me.role_set == {Role.ADMINISTRATOR}
    assert admin.post(f"{url}deactivate/").status_code == 302
    assert User.objects.get(pk=me.pk).is_active


def test_set_a_password(admin, world):
    handler = world.u("handler")
    url = f"/console/manage/users/{handler.pk}/password/"
    response = admin.post(url, {"new_password1": "x", "new_password2": "y"})
    assert response.status_code == 200 and "new_password2" in response.context["form"].errors
    handler.refresh_from_db()
    assert handler.check_password("x-Passw0rd!")

    response = admin.post(
        url, {"new_password1": "Cheng-Guan-77!", "new_password2": "Cheng-Guan-77!"}
    )
    assert response.status_code == 302
    handler.refresh_from_db()
    assert handler.check_password("Cheng-Guan-77!")
    assert admin.get("/console/manage/").status_code == 200  # the admin stays signed in


def test_deactivate_never_deletes(admin, world, at):
    handler = world.u("handler")
    with at(MONDAY_10):
        appeal = dispatched(world)
    url = f"/console/manage/users/{handler.pk}/deactivate/"
    assert admin.get(url).status_code == 200  # asks first
    assert User.objects.get(pk=handler.pk).is_active
    assert admin.post(url).status_code == 302
    handler = User.objects.get(pk=handler.pk)
    assert not handler.is_active
    assert UserRole.objects.filter(user=handler).exists()
    assert appeal.events.exists()
    other = Client()
    response = other.post("/console/login/", {"username": "handler", "password": "x-Passw0rd!"})
    assert response.status_code == 200 and "_auth_user_id" not in other.session


def test_a_removed_limit_can_be_replaced_in_the_same_save(admin, world):
    rule = HandlingRule.objects.get(category=world.leaf)
    old = TimeLimit.objects.create(rule=rule, clock="handle", amount=3, unit="wd")
    catalog.record_version(rule)
    url = f"/console/manage/rules/{world.leaf.pk}/"
    data = rule_form_data(admin.get(url))
    data["limits-0-DELETE"] = "on"
    data.update({"limits-1-clock": "handle", "limits-1-amount": "5", "limits-1-unit": "d"})
    assert admin.post(url, data).status_code == 302
    limit = TimeLimit.objects.get(rule=rule)
    assert limit.pk != old.pk and (limit.amount, limit.unit) == (5, "d")
    assert rule.versions.count() == 3


def test_lists_take_a_fixed_number_of_queries(
    admin, world, steady_process_copies, django_assert_max_num_queries
):
    middle = world.leaf.parent
    for i in range(30):
        leaf = Category.objects.create(
            code=f"0101{i + 100:03d}", name=f"叶{i}", level=3, parent=middle
        )
        rule = HandlingRule.objects.create(
            category=leaf, lead_unit=world.water, default_grade=world.grade_b
        )
        catalog.record_version(rule)
        unit = Unit.objects.create(code=f"T{i}", name=f"队{i}", kind="team", parent=world.water)
        user = User.objects.create_user(username=f"u{i}", unit=unit)
        UserRole.objects.create(user=user, role=Role.UNIT_HANDLER)
        channel(code=f"c{i}")
    for url in ("rules/", "units/", "users/", "channels/"):
        with django_assert_max_num_queries(10):
            assert admin.get(f"/console/manage/{url}").status_code == 200
