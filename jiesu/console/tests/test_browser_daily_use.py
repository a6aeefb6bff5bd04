# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Issue 9 (daily use) in a real browser: the console on a 390 px phone, the "?" shortcut list,
the unit's evidence text on the appeal page.

Uses the demo district and the staff browser of test_browser_journeys (same skips)."""

from __future__ import annotations

from jiesu.appeals import workflow
from jiesu.console.tests.browser import PHONE, page_width, shot
from jiesu.console.tests.test_browser_journeys import demo, pytestmark, staff  # noqa: F401


def test_unit_desk_and_appeal_page_fit_a_phone(staff, demo):  # noqa: F811 (the imported fixtures)
    """Defect 8: at 390 px the unit desk table was 519 px wide."""
    demo.background()
    appeal = demo.in_progress(title="绿地里堆满了落叶和垃圾，需要尽快清理")
    handler = staff.login("handler", viewport=PHONE)
    handler.goto("/console/unit/?tab=in_progress")
    assert appeal.number in handler.inner_text("#appeal-list")
    assert page_width(handler) <= PHONE["width"]
    # A row is a card: each cell names its column.
    card = handler.locator("#appeal-list tbody tr").first
    assert card.evaluate("tr => getComputedStyle(tr).display") == "block"
    first_label = card.locator("td").first.evaluate(
        "td => getComputedStyle(td, '::before').content"
    )
    assert "编号" in first_label
    shot(handler, "console-unit-phone", doc=True)
    handler.click(f"#appeal-list a:text-is('{appeal.number}')")
    handler.wait_for_url(f"**/console/appeals/{appeal.number}/")
    assert page_width(handler) <= PHONE["width"]
    shot(handler, "console-appeal-phone", doc=True, full_page=True)
    for desk in ("/console/search/?q=绿地", "/console/unit/?tab=to_sign"):
        handler.goto(desk)
        assert page_width(handler) <= PHONE["width"], desk


def test_every_table_cell_is_named_on_a_phone(staff, demo):  # noqa: F811 (the imported fixtures)
    """At 390 px a table row is a card: a cell without its column's name showed a bare value
    (the channels, units, users and rewards tables were written without data-label)."""
    admin = staff.login("admin", viewport=PHONE)
    for page in ("/console/manage/channels/", "/console/manage/units/", "/console/manage/users/"):
        admin.goto(page)
        assert page_width(admin) <= PHONE["width"], page
        unnamed = admin.evaluate(
            "Array.from(document.querySelectorAll('table.list tbody td'))"
            ".filter(td => td.colSpan === 1 && !td.dataset.label).length"
        )
        named = admin.evaluate(
            "getComputedStyle(document.querySelector('table.list tbody td'), '::before').content"
        )
        assert unnamed == 0, page
        assert named not in ("none", "normal", ""), (page, named)


def test_question_mark_lists_the_shortcuts(staff, demo):  # noqa: F811 (the imported fixtures)
    """Defect 9: console.js promised that "?" lists the shortcuts, but nothing did."""
    appeal = demo.in_progress()
    handler = staff.login("handler")
    handler.goto(f"/console/appeals/{appeal.number}/")
    handler.locator("h1").click()
    handler.keyboard.press("?")
    dialog = handler.locator("dialog#shortcut-list")
    dialog.wait_for()
    text = dialog.inner_text()
    assert "键盘快捷键" in text
    assert "诉求查询" in text  # "/" focuses the search box
    actions = handler.locator("details[data-shortcut]").all()
    assert actions  # the handler may complete: "c"
    for details in actions:
        key = details.get_attribute("data-shortcut")
        label = details.locator("summary").inner_text().rsplit(key, 1)[0].strip()
        assert f"{key}\t{label}" in text or f"{key}\n{label}" in text, (key, label, text)
    shot(handler, "console-shortcuts", doc=True)
    handler.keyboard.press("Escape")
    dialog.wait_for(state="detached")


def test_handler_evidence_text_is_shown(staff, demo):  # noqa: F811 (the imported fixtures)
    """Defect 9: the handler's 佐证 text was never displayed."""
    appeal = demo.in_progress()
    workflow.complete(
        appeal,
        demo.u("handler"),
        result="已清理绿地垃圾",
        evidence="清理前后照片各两张，保洁记录一份",
    )
    supervisor = staff.login("supervisor")
    supervisor.goto(f"/console/appeals/{appeal.number}/")
    evidence = supervisor.locator("[data-testid=evidence-text]")
    assert evidence.inner_text() == "清理前后照片各两张，保洁记录一份"
    assert "已清理绿地垃圾" in supervisor.inner_text("[data-testid=unit-result]")


def test_category_search_picks_only_an_unambiguous_match(staff, demo):  # noqa: F811 (fixtures)
    """Defect 4: "路灯" + Enter silently picked 路灯杆、街边建筑等乱张贴 (street cleaning)."""
    from jiesu.catalog.models import Category

    lamp = Category.objects.get(level=3, active=True, name="路灯")  # 公用部件 › 路灯
    lights = Category.objects.filter(level=3, active=True, name__contains="灯光")
    assert lights.count() > 1
    intake = staff.login("intake")
    intake.goto("/console/intake/new/")
    # Ambiguous: Enter picks nothing and says how many match.
    intake.fill("#category-filter", "灯光")
    intake.press("#category-filter", "Enter")
    assert intake.input_value("#id_category") == ""
    status = intake.inner_text("[data-testid=picker-status]")
    assert f"{lights.count()} 个匹配" in status and "未选择" in status
    # "路灯": the exact name is the best match, listed first; Enter picks it and says so
    # (not 路灯杆、街边建筑等乱张贴, a street-cleaning category that merely contains the word).
    intake.fill("#category-filter", "路灯")
    first = intake.locator(".picker-results li").first.inner_text()
    assert first.endswith("路灯 (" + lamp.code + ")"), first
    shot(intake, "console-category-search")
    intake.press("#category-filter", "Enter")
    assert intake.input_value("#id_category") == str(lamp.pk)
    status = intake.inner_text("[data-testid=picker-status]")
    assert status.startswith("已选：") and lamp.parent.name in status
    # An exact name is unambiguous: Enter picks it and says so.
    intake.fill("#category-filter", demo.leaf.name)
    intake.press("#category-filter", "Enter")
    assert intake.input_value("#id_category") == str(demo.leaf.pk)
    assert "已选：" in intake.inner_text("[data-testid=picker-status]")
    assert demo.leaf.name in intake.inner_text("[data-testid=picker-status]")


def test_register_form_searches_categories_and_dispatch_picks_assisting_units(staff, demo):  # noqa: F811
    """Defect 4: the 立案 form was a plain 351-option select; assisting units needed Ctrl-click."""
    from jiesu.appeals.models import Assignment

    appeal = workflow.receive(
        channel="hotline",
        title="路边绿地垃圾",
        description="路边绿地垃圾无人清理。",
        reporter_name="李女士",
        reporter_phone="13800005678",
        address="坪山街道六联社区",
        actor=demo.u("intake"),
    )
    intake = staff.login("intake")
    intake.goto(f"/console/appeals/{appeal.number}/")
    details = intake.locator("details#action-register")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    search = details.locator("input[type=search]")
    search.fill(demo.leaf.name)
    search.press("Enter")
    assert details.locator("select[name=category]").input_value() == str(demo.leaf.pk)
    assert "已选：" in details.locator("[data-testid=picker-status]").inner_text()
    details.locator("select[name=appeal_type]").select_option(str(demo.complaint.pk))
    details.locator("select[name=grade]").select_option(str(demo.grade_c.pk))
    with intake.expect_navigation():
        intake.click("[data-testid=submit-register]")
    appeal.refresh_from_db()
    assert appeal.category_id == demo.leaf.pk

    dispatcher = staff.login("dispatcher")
    dispatcher.goto(f"/console/appeals/{appeal.number}/")
    details = dispatcher.locator("details#action-dispatch")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    assert details.locator("select[name=assisting_units]").is_hidden()
    details.locator(".picker.multi input[type=search]").fill(str(demo.subdistrict))
    details.locator(".picker-options li:not([hidden]) input[type=checkbox]").first.check()
    assert str(demo.subdistrict) in details.locator("[data-testid=picker-chosen]").inner_text()
    shot(dispatcher, "console-dispatch-assisting-picker")
    with dispatcher.expect_navigation():
        dispatcher.click("[data-testid=submit-dispatch]")
    assisting = Assignment.objects.filter(appeal=appeal, role=Assignment.Role.ASSIST)
    assert demo.subdistrict.pk in set(assisting.values_list("unit_id", flat=True))


def test_every_demo_account_on_a_phone(staff, demo):  # noqa: F811 (fixtures)
    """Every demo account signs in at 390 px: its first page fits the phone (no horizontal
    scrolling), and the analyst is not told that it has no role (defect 7)."""
    from jiesu.demo.seeding import ACCOUNTS

    demo.background()
    for account in ACCOUNTS:
        if account.username == "analyst":
            staff.allow(403, "/console/no-role/")
        page = staff.login(account.username, viewport=PHONE)
        assert page_width(page) <= PHONE["width"], (account.username, page.url)
        if account.username == "analyst":
            # Its desk is the command-centre overview (issue 11).
            assert page.url.endswith("/console/insights/"), page.url
            assert "没有办件角色" not in page.inner_text("main")
            shot(page, "console-analyst-phone")
        # The appeal page of the first appeal on the list fits too.
        link = page.locator("#appeal-list tbody a").first
        if link.count():
            link.click()
            page.wait_for_url("**/console/appeals/*/")
            assert page_width(page) <= PHONE["width"], (account.username, page.url)


def test_completing_without_first_contact_is_not_on_time(staff, demo):  # noqa: F811 (fixtures)
    """Defect 1: completing without 登记先行联系 showed the 先行联系 clock as 按时完成 (and
    counted it on time), and the contact action stayed offered after the completion."""
    from jiesu.appeals.models import Clock
    from jiesu.console.tests.browser import open_action, submit_action

    appeal = demo.in_progress()
    handler = staff.login("handler")
    handler.goto(f"/console/appeals/{appeal.number}/")
    assert handler.locator("details#action-contact").count() == 1
    open_action(handler, "complete")
    handler.fill("#id_complete_result", "已清理绿地垃圾。")
    handler.fill("#id_complete_evidence", "清理前后照片各一张。")
    submit_action(handler, "complete")
    # D01 needs its leader's approval: still 处置中, but the completion is submitted.
    assert "已办结" not in handler.inner_text("[data-testid=status]")
    assert handler.locator("details#action-contact").count() == 0
    leader = staff.login("leader")
    leader.goto(f"/console/appeals/{appeal.number}/")
    assert leader.locator("details#action-contact").count() == 0
    open_action(leader, "approve_completion")
    submit_action(leader, "approve_completion")
    row = leader.locator("table.spaced tbody tr", has_text="先行联系")
    text = row.inner_text()
    assert "按时完成" not in text and "未履行" in text, text
    # A red light that says "not done", not "overdue": the deadline had not passed.
    assert row.locator(".light-missed").inner_text().strip() == "未履行"
    assert "已超时" not in text
    shot(leader, "console-contact-missed", full_page=True)
    assert Clock.objects.get(appeal=appeal, kind=Clock.Kind.CONTACT).met is False


def test_citizen_not_satisfied_reaches_the_supervision_desk(staff, demo):  # noqa: F811
    """Defect 2: a citizen's 不满意 after closing went nowhere, the page showed only the visit's
    满意, and the history showed `citizen` and `channel:web` instead of names."""
    from jiesu.console.tests.browser import PHONE
    from jiesu.intake.citizen.views import web_channel

    channel = web_channel()
    appeal = workflow.receive(
        channel=channel.code,
        title="人行道上的垃圾桶满了",
        description="人行道上的垃圾桶满了，垃圾散落一地。",
        reporter_name="王先生",
        reporter_phone="13900002222",
        address="坪山街道六联社区",
        actor=None,
    )
    code = appeal.query_code
    workflow.register(
        appeal,
        demo.u("intake"),
        appeal_type=demo.complaint,
        category=demo.leaf,
        grade=demo.grade_c,
    )
    workflow.dispatch(appeal, demo.u("dispatcher"))
    workflow.sign(appeal, demo.u("handler"))
    workflow.complete(appeal, demo.u("leader"), result="已清运。", evidence="照片")
    workflow.approve_review(appeal, demo.u("supervisor"))
    workflow.record_visit(appeal, demo.u("visitor"), outcome="satisfied")

    citizen = staff.page(PHONE)
    citizen.goto("/track/")
    citizen.fill("#id_number", appeal.number)
    citizen.fill("#id_code", code)
    citizen.click("#track-form button[type=submit]")
    citizen.check("#rating input[value='unsatisfied']")
    citizen.fill("#rating textarea", "垃圾桶还是满的")
    citizen.click("#rating button[type=submit]")
    citizen.wait_for_selector("#my-rating")

    supervisor = staff.login("supervisor")
    supervisor.goto("/console/supervision/?tab=unsatisfied")
    assert appeal.number in supervisor.inner_text("#appeal-list")
    supervisor.goto("/console/supervision/?tab=notices")
    assert appeal.number in supervisor.inner_text("#appeal-list")
    supervisor.goto(f"/console/appeals/{appeal.number}/")
    assert "已结案" in supervisor.inner_text("[data-testid=status]")  # the rule: no auto-reopen
    assert supervisor.inner_text("[data-testid=visit-rating]").strip() == "满意"
    citizen_rating = supervisor.inner_text("[data-testid=citizen-rating]")
    assert "不满意" in citizen_rating and "垃圾桶还是满的" in citizen_rating
    notices = supervisor.inner_text("section[aria-labelledby=req-h]")
    assert "垃圾桶还是满的" in notices and "待答复" in notices  # the unit must answer
    actors = supervisor.locator("[data-testid=actor]").all_inner_texts()
    assert f"市民（{channel.name}）" in actors
    assert not any(a in ("citizen", "system") or a.startswith("channel:") for a in actors)
    history = supervisor.inner_text(".timeline")
    assert "channel:" not in history
    shot(supervisor, "console-citizen-unsatisfied", doc=True)
    assert "reopen" in [
        d.get_attribute("id").removeprefix("action-")
        for d in supervisor.locator("details.action").all()
    ]


def test_visit_list_deadline_shows_date_and_time_left(staff, demo):  # noqa: F811 (fixtures)
    """Defect 9: the 回访 list showed deadlines like clock times ("12-08 03:24"): it now shows
    the date and the time left, as the appeal page does."""
    from django.utils import timezone

    from jiesu.appeals.models import Clock

    appeal = demo.in_progress()
    workflow.complete(appeal, demo.u("leader"), result="已清理。", evidence="照片")
    workflow.approve_review(appeal, demo.u("supervisor"))
    visitor = staff.login("visitor")
    row = visitor.locator("#appeal-list tbody tr", has_text=appeal.number)
    cell = row.locator("td", has=visitor.locator("[data-testid=due-left]"))
    left = cell.locator("[data-testid=due-left]").inner_text()
    assert left.startswith("剩余") and "工作小时" in left, left
    visit = Clock.objects.get(appeal=appeal, kind=Clock.Kind.VISIT)
    due = timezone.localtime(visit.due_at).strftime("%Y-%m-%d %H:%M")
    assert cell.inner_text().startswith(due)
    visitor.goto(f"/console/appeals/{appeal.number}/")
    clock_row = visitor.locator("table.spaced tbody tr", has_text="回访")
    assert due in clock_row.inner_text() and "剩余" in clock_row.inner_text()
