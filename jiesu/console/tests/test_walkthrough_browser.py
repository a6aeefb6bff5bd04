# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Issue 9's walkthrough as one browser test: a 随手拍 report from a citizen's phone taken to
closing and rating, and a hotline call from 来电登记 to an approved extension, through every
demo account, on a desktop and on a 390 px phone.

Same browser set-up and skips as test_browser_journeys (the staff browser fails on any console
error, CSP violation, unexpected HTTP error or request leaving the server). Screenshots go to
test-artifacts/walkthrough-*.png; with JIESU_DOC_SCREENSHOTS=1 the ones of the guides too."""

from __future__ import annotations

import re

from django.core.cache import cache

from jiesu.appeals import tracking
from jiesu.appeals.models import Appeal, Attachment, UnitRequest
from jiesu.appeals.states import Status
from jiesu.console.tests.browser import (
    PHONE,
    jpeg_bytes,
    open_action,
    page_width,
    shot,
    status_text,
    submit_action,
)
from jiesu.console.tests.test_browser_journeys import (  # noqa: F401 (fixtures)
    demo,
    label,
    pytestmark,
    staff,
)
from jiesu.demo.seeding import ACCOUNTS
from jiesu.org.models import Region


def fits(page) -> bool:
    width = page.viewport_size["width"]
    return page_width(page) <= width


def test_walkthrough_both_journeys_every_role_desktop_and_phone(staff, demo):  # noqa: F811
    cache.clear()  # citizen-form throttles count per client address
    demo.background()
    liuhe = Region.objects.get(name="六和社区")

    # == Journey 1: 随手拍 from a phone ==========================================================
    citizen = staff.page(PHONE)
    citizen.goto("/report/")
    citizen.wait_for_selector("#map .leaflet-overlay-pane path")
    citizen.check(f"input[name=appeal_type][value='{demo.complaint.pk}']")
    citizen.fill("#id_description", "六和社区绿地东门草地上堆满落叶和垃圾，一周没人清理。")
    citizen.set_input_files(
        "#id_photos",
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}],
    )
    citizen.fill("#place-search", "六和")
    citizen.click("#place-results button:has-text('六和社区')")
    citizen.wait_for_selector("#map .leaflet-marker-icon")
    citizen.fill("#id_address", "六和社区绿地东门")
    citizen.fill("#id_reporter_name", "李女士")
    citizen.fill("#id_reporter_phone", "13800005678")
    citizen.check("#id_consent")
    assert fits(citizen)
    shot(citizen, "walkthrough-01-citizen-report", full_page=True)
    citizen.click("#submit")
    citizen.wait_for_selector("#query-code")
    number = citizen.inner_text("#appeal-number").strip()
    code = citizen.inner_text("#query-code").strip()
    appeal = Appeal.objects.get(number=number)
    assert tracking.check_code(appeal, code)
    assert appeal.channel == "web" and appeal.region.path.startswith(liuhe.path)  # a grid cell
    shot(citizen, "walkthrough-02-citizen-receipt")

    # Intake operator (desktop): registers it with the category search.
    intake = staff.login("intake")
    assert number in intake.inner_text("#appeal-list")
    intake.goto(f"/console/appeals/{number}/")
    assert "网页随手拍" in intake.inner_text("main")  # the channel by its name
    details = open_action(intake, "register")
    search = details.locator("input[type=search]")
    search.fill(demo.leaf.name)
    search.press("Enter")
    details.locator("select[name=appeal_type]").select_option(str(demo.complaint.pk))
    details.locator("select[name=grade]").select_option(str(demo.grade_c.pk))
    shot(intake, "walkthrough-03-intake-register")
    submit_action(intake, "register")
    assert label(Status.REGISTERED) in status_text(intake)

    # Dispatcher (desktop): the catalogue's lead unit is preselected.
    dispatcher = staff.login("dispatcher")
    dispatcher.goto(f"/console/appeals/{number}/")
    open_action(dispatcher, "dispatch")
    assert dispatcher.input_value("#id_dispatch_lead_unit") == str(demo.urban.pk)
    submit_action(dispatcher, "dispatch")
    assert label(Status.DISPATCHED) in status_text(dispatcher)

    # Handler in the field (phone): signs, contacts, completes with a photo for the citizen.
    handler = staff.login("handler", viewport=PHONE)
    assert number in handler.inner_text("#appeal-list") and fits(handler)
    shot(handler, "walkthrough-04-handler-desk-phone")
    handler.click(f"#appeal-list a:text-is('{number}')")
    handler.wait_for_url(f"**/console/appeals/{number}/")
    open_action(handler, "sign")
    submit_action(handler, "sign")
    form = open_action(handler, "contact")
    form.locator("select[name=method]").select_option("电话")
    form.locator("textarea[name=note]").fill("已电话联系李女士，今天下午到场清理。")
    submit_action(handler, "contact")
    open_action(handler, "complete")
    handler.fill("#id_complete_result", "已清理绿地落叶和垃圾，并纳入每日巡查。")
    handler.fill("#id_complete_evidence", "清理后照片一张。")
    handler.set_input_files(
        "#id_complete_photos",
        files=[
            {
                "name": "after.jpg",
                "mimeType": "image/jpeg",
                "buffer": jpeg_bytes(colour=(90, 170, 110)),
            }
        ],
    )
    handler.check("#id_complete_photos_public")
    assert fits(handler)
    shot(handler, "walkthrough-05-handler-complete-phone", full_page=True)
    submit_action(handler, "complete")
    assert handler.locator("[data-testid=public-evidence]").count() == 1

    # Unit leader (desktop) approves; the supervisor (desktop) accepts the result.
    leader = staff.login("leader")
    leader.goto("/console/unit/?tab=approval")
    assert number in leader.inner_text("#appeal-list")
    leader.goto(f"/console/appeals/{number}/")
    open_action(leader, "approve_completion")
    submit_action(leader, "approve_completion")
    assert label(Status.COMPLETED) in status_text(leader)
    supervisor = staff.login("supervisor")
    supervisor.goto(f"/console/appeals/{number}/")
    open_action(supervisor, "approve_review")
    submit_action(supervisor, "approve_review")
    assert label(Status.VISITING) in status_text(supervisor)

    # The citizen (phone) sees the reply with the unit's photo, and rates it.
    citizen.goto(f"/track/{number}/")
    citizen.wait_for_selector("#status[data-status='visiting'] #result-photos img")
    citizen.wait_for_function(
        "() => { const i = document.querySelector('#result-photos img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert "已清理绿地落叶和垃圾" in citizen.inner_text("#reply")
    assert citizen.locator(".stages li").all_inner_texts() == [
        "已提交",
        "已受理",
        "办理中",
        "已办结",
    ]
    citizen.check("#rating input[value='satisfied']")
    assert fits(citizen)
    shot(citizen, "walkthrough-06-citizen-result", full_page=True)
    citizen.click("#rating button[type=submit]")
    citizen.wait_for_selector("#my-rating")

    # Return-visit agent (phone): the citizen is satisfied; the appeal closes.
    visitor = staff.login("visitor", viewport=PHONE)
    visitor.goto(f"/console/appeals/{number}/")
    form = open_action(visitor, "record_visit")
    form.locator("select[name=outcome]").select_option(Appeal.Satisfaction.SATISFIED)
    form.locator("textarea[name=note]").fill("市民表示已清理干净，满意。")
    submit_action(visitor, "record_visit")
    assert label(Status.CLOSED) in status_text(visitor) and fits(visitor)
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED and appeal.citizen_rating == "satisfied"
    assert appeal.attachments.filter(purpose=Attachment.Purpose.EVIDENCE, public=True).count() == 1

    # == Journey 2: a hotline call to an extension ===============================================
    intake.goto("/console/intake/new/")
    intake.fill("#id_reporter_name", "陈先生")
    intake.fill("#id_reporter_phone", "13900002222")
    intake.fill("#id_title", "绿地喷灌管爆裂")
    intake.fill("#id_description", "六和社区绿地喷灌管爆裂，水流到人行道上。")
    intake.fill("#id_address", "坪山街道六和社区绿地")
    box = intake.locator("#call-map").bounding_box()
    intake.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    intake.select_option("#id_appeal_type", str(demo.complaint.pk))
    intake.select_option("#id_grade", str(demo.grade_c.pk))
    intake.fill("#category-filter", demo.leaf.name)
    intake.press("#category-filter", "Enter")
    shot(intake, "walkthrough-07-intake-call")
    with intake.expect_navigation():
        intake.click("[data-testid=submit-call]")
    call = re.search(r"/console/appeals/([A-Z0-9]+)/$", intake.url).group(1)
    assert label(Status.REGISTERED) in status_text(intake)

    dispatcher.goto(f"/console/appeals/{call}/")
    open_action(dispatcher, "dispatch")
    submit_action(dispatcher, "dispatch")
    handler.goto(f"/console/appeals/{call}/")
    open_action(handler, "sign")
    submit_action(handler, "sign")
    open_action(handler, "request_extension")
    assert "15" in handler.inner_text("details#action-request_extension")  # the limit, said
    handler.fill("#id_request_extension_working_days", "5")
    handler.fill("#id_request_extension_reason", "需采购喷灌配件，供货周期约一周。")
    submit_action(handler, "request_extension")

    mobile_dispatcher = staff.login("dispatcher", viewport=PHONE)
    mobile_dispatcher.goto("/console/dispatch/?tab=extensions")
    assert call in mobile_dispatcher.inner_text("#appeal-list") and fits(mobile_dispatcher)
    mobile_dispatcher.goto(f"/console/appeals/{call}/")
    open_action(mobile_dispatcher, "approve_extension")
    mobile_dispatcher.fill("#id_approve_extension_note", "同意延期5个工作日。")
    submit_action(mobile_dispatcher, "approve_extension")
    assert fits(mobile_dispatcher)
    shot(mobile_dispatcher, "walkthrough-08-dispatcher-extension-phone", full_page=True)
    request = UnitRequest.objects.get(appeal__number=call, kind=UnitRequest.Kind.EXTENSION)
    assert request.decision == UnitRequest.Decision.APPROVED

    # == Every demo account, on a desktop and on a phone ==========================================
    staff.allow(403, "/console/no-role/")  # the analyst's desk is still to come (issue 11)
    for account in ACCOUNTS:
        for viewport, where in ((None, "desktop"), (PHONE, "phone")):
            page = staff.login(account.username, viewport=viewport)
            assert fits(page), (account.username, where, page.url)
            assert "没有办件角色" not in page.inner_text("main")
            shot(page, f"walkthrough-desk-{account.username}-{where}")
    supervisor.goto(f"/console/appeals/{number}/")
    history = supervisor.inner_text("main")
    assert "channel:web" not in history and "网页随手拍" in history
