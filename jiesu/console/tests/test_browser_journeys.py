# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Staff journeys in a real browser, on the demo district, through the real login page.

One appeal through its whole life (operator → dispatcher → handler → leader → reviewer →
return-visit agent → supervisor), a return path, an extension path, refusals (a forged request,
a user with nothing to do, a conflict) and a workbench that shows new work without reload.

Playwright (Python) drives Debian's chromium (/usr/bin/chromium, or $JIESU_CHROMIUM) headless
against pytest-django's live server; skipped, with the reason, when either is missing (`make
test` provides both). Screenshots of every workbench and key page go to test-artifacts/ (not
committed); with JIESU_DOC_SCREENSHOTS=1 the guides' pictures in docs/guide/img/ are refreshed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone, translation

from jiesu.appeals import timesource, workflow
from jiesu.appeals.errors import Conflict
from jiesu.appeals.models import Appeal, Assignment, Clock, Event, UnitRequest
from jiesu.appeals.states import Status
from jiesu.catalog.models import AppealType, Category, Grade
from jiesu.console.tests.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    StaffBrowser,
    jpeg_bytes,
    open_action,
    open_appeal,
    shot,
    status_text,
    submit_action,
)
from jiesu.intake.models import Channel
from jiesu.org.models import Unit, User

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright is not installed (pip install playwright; `make test` installs it)",
)
pytest.importorskip("PIL", reason="Pillow is not installed (evidence photos need it)")
pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"chromium not found at {CHROMIUM} (apt-get install chromium; `make test` does)",
    ),
    # The demo needs the reference data the migrations load (types, grades, calendar):
    # serialized_rollback brings it back after each test's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# A demo leaf whose rule names a fixed lead: 城管局 (D01), the unit of `handler` and `leader`,
# which requires the leader's approval of completions. No assisting unit.
LEAF = "P5-176-596"  # 市容环卫 › 绿化养护 › 绿地保洁


def label(choice) -> str:
    """A status label as the Chinese interface shows it (e.g. 已结案)."""
    with translation.override("zh-hans"):
        return str(choice.label)


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def shanghai(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@dataclass
class Demo:
    leaf: Category
    complaint: AppealType
    grade_c: Grade
    urban: Unit  # D01
    subdistrict: Unit  # S01

    def u(self, username) -> User:
        return User.objects.get(username=username)

    def registered(self, title="绿地里堆满了落叶和垃圾", **kwargs) -> Appeal:
        """A phoned-in appeal, registered, through the workflow (as the intake desk would)."""
        appeal = workflow.receive(
            channel="hotline",
            title=title,
            description=f"{title}，已经一个星期没人清理。",
            reporter_name="李女士",
            reporter_phone="13800005678",
            address="坪山街道六联社区绿地公园东门",
            actor=self.u("intake"),
            **kwargs,
        )
        return workflow.register(
            appeal,
            self.u("intake"),
            appeal_type=self.complaint,
            category=self.leaf,
            grade=self.grade_c,
        )

    def in_progress(self, **kwargs) -> Appeal:
        appeal = workflow.dispatch(self.registered(**kwargs), self.u("dispatcher"))
        return workflow.sign(appeal, self.u("handler"))

    def background(self):
        """Other work in the queues, so that the workbenches look like a working day: a call
        awaiting intake, one awaiting dispatch, and one the unit signed for ten days ago and
        has not finished (its handling deadline has passed: a red light)."""
        workflow.receive(
            channel="hotline",
            title="小区门口井盖松动",
            description="马峦街道某小区门口井盖松动，车辆经过时响声很大。",
            reporter_name="陈先生",
            reporter_phone="13900001111",
            address="马峦街道某小区门口",
            actor=self.u("intake"),
        )
        self.registered(title="公园草坪被车辆碾压")
        with timesource.frozen_at(timezone.now() - timedelta(days=10)):
            late = self.in_progress(title="绿化带枯死苗木未补种")
        return late


@pytest.fixture
def demo(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", verbosity=0)  # accounts with the password Jiesu@2026
    return Demo(
        leaf=Category.objects.get(code=LEAF),
        complaint=AppealType.objects.get(code="complaint"),
        grade_c=Grade.objects.get(code="C"),
        urban=Unit.objects.get(code="D01"),
        subdistrict=Unit.objects.get(code="S01"),
    )


@pytest.fixture
def staff(demo, live_server, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        people = StaffBrowser(browser, live_server.url)
        try:
            yield people
        finally:
            people.close()
            # While Playwright's loop runs, Django keeps this thread's database connection
            # apart: close it, or it outlives the test database.
            connections.close_all()
    assert people.problems == [], "\n".join(people.problems)
    assert people.outside == [], "\n".join(
        people.outside
    )  # no CDN, no tiles: nothing leaves this server


# -- the whole life of one appeal -------------------------------------------------------------


def test_an_appeal_from_phone_call_to_closed(staff, demo):
    late = demo.background()

    # Intake operator: files the call in one screen and registers it.
    intake = staff.login("intake")
    assert intake.url.endswith("/console/intake/")
    shot(intake, "console-intake-desk", doc=True)
    intake.keyboard.press("n")  # shortcut: new call
    intake.wait_for_url("**/console/intake/new/")
    intake.fill("#id_reporter_name", "李女士")
    intake.fill("#id_reporter_phone", "138-0000-5678")
    intake.fill("#id_title", "绿地公园落叶垃圾无人清理")
    intake.fill("#id_description", "六联社区绿地公园东门草地上堆满落叶和垃圾，一周没人清理。")
    intake.fill("#id_address", "坪山街道六联社区绿地公园东门")
    box = intake.locator("#call-map").bounding_box()
    intake.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert intake.input_value("#id_lat") and intake.input_value("#id_lng")
    intake.select_option("#id_appeal_type", str(demo.complaint.pk))
    intake.select_option("#id_grade", str(demo.grade_c.pk))
    intake.fill("#category-filter", "绿地保洁")
    intake.press("#category-filter", "Enter")  # picks the first match
    assert intake.input_value("#id_category") == str(demo.leaf.pk)
    assert intake.is_checked("#id_register_now")
    shot(intake, "console-intake-new-call", doc=True)
    with intake.expect_navigation():
        intake.click("[data-testid=submit-call]")
    number = re.search(r"/console/appeals/([A-Z0-9]+)/$", intake.url).group(1)
    appeal = Appeal.objects.get(number=number)
    assert appeal.status == Status.REGISTERED
    assert Channel.objects.get(code=appeal.channel).kind == Channel.Kind.HOTLINE
    assert appeal.reporter_phone == "13800005678" and appeal.region_id is not None
    assert label(Status.REGISTERED) in status_text(intake)
    assert "138****5678" in intake.inner_text("#reporter")  # masked by default
    shot(intake, "console-intake-filed", doc=True)

    # Dispatcher: finds it on the dispatch desk; the catalogue's lead unit is preselected.
    dispatcher = staff.login("dispatcher")
    assert dispatcher.url.endswith("/console/dispatch/")
    shot(dispatcher, "console-dispatch-desk")
    open_appeal(dispatcher, number)
    dispatcher.keyboard.press("d")  # shortcut: unfold the dispatch form
    assert dispatcher.locator("details#action-dispatch").get_attribute("open") is not None
    assert dispatcher.input_value("#id_dispatch_lead_unit") == str(demo.urban.pk)
    shot(dispatcher, "console-dispatch-appeal", doc=True)
    submit_action(dispatcher, "dispatch")
    assert label(Status.DISPATCHED) in status_text(dispatcher)
    lead = Assignment.objects.get(appeal=appeal, role=Assignment.Role.LEAD, active=True)
    assert lead.unit == demo.urban
    # Nothing is left for the dispatcher to decide (no extension asked for).
    assert dispatcher.locator("details#action-approve_extension").count() == 0

    # Handler: signs for it, sees the caller's number (logged), records the first contact
    # and completes it with a result, evidence and a photo.
    handler = staff.login("handler")
    assert handler.url.endswith("/console/unit/")
    assert number in handler.inner_text("#appeal-list")
    shot(handler, "console-unit-workbench", doc=True)
    handler.click("nav.tabs a[href='?tab=due_soon']")
    row = handler.locator("#appeal-list tbody tr", has_text=late.number)
    assert row.locator(".light-red").inner_text().strip()  # a light always carries text
    shot(handler, "console-unit-due-soon", doc=True)
    handler.goto("/console/unit/")
    open_appeal(handler, number)
    handler.keyboard.press("s")  # shortcut: sign for
    submit_action(handler, "sign")
    assert label(Status.IN_PROGRESS) in status_text(handler)
    assert handler.locator("details#action-sign").count() == 0  # signed: not offered again
    unmasks = Event.objects.filter(appeal=appeal, kind="unmask").count()
    handler.click("#reporter button[type=submit]")  # show full contact (htmx)
    handler.wait_for_selector("#reporter .contact-full")
    assert "13800005678" in handler.inner_text("#reporter")
    assert Event.objects.filter(appeal=appeal, kind="unmask").count() == unmasks + 1
    shot(handler, "console-unit-unmasked", doc=True)
    form = open_action(handler, "contact")
    form.locator("select[name=method]").select_option("电话")
    form.locator("textarea[name=note]").fill("已电话联系李女士，约定今天下午到场清理。")
    submit_action(handler, "contact")
    handler.keyboard.press("c")  # shortcut: complete
    handler.fill("#id_complete_result", "已安排保洁人员清理绿地落叶和垃圾，并纳入每日巡查。")
    handler.fill("#id_complete_evidence", "现场清理前后照片各一张。")
    handler.set_input_files(
        "#id_complete_photos",
        files=[
            {"name": "before.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()},
            {
                "name": "after.jpg",
                "mimeType": "image/jpeg",
                "buffer": jpeg_bytes(colour=(90, 170, 110)),
            },
        ],
    )
    shot(handler, "console-unit-complete", doc=True)
    submit_action(handler, "complete")
    lead.refresh_from_db()
    assert lead.state == Assignment.State.AWAITING_APPROVAL  # D01: the leader approves
    assert label(Status.IN_PROGRESS) in status_text(handler)
    assert handler.locator(".photos img").count() == 2  # both evidence photos, as thumbnails
    handler.wait_for_function(
        "() => [...document.querySelectorAll('.photos img')]"
        ".every((img) => img.complete && img.naturalWidth > 0)"
    )

    # Unit leader: approves the completion before it leaves the unit.
    leader = staff.login("leader")
    leader.goto("/console/unit/?tab=approval")
    assert number in leader.inner_text("#appeal-list")
    shot(leader, "console-unit-approval", doc=True)
    open_appeal(leader, number)
    open_action(leader, "approve_completion")
    submit_action(leader, "approve_completion")
    assert label(Status.COMPLETED) in status_text(leader)

    # Supervisor (reviewer): accepts the result.
    supervisor = staff.login("supervisor")
    assert supervisor.url.endswith("/console/review/")
    shot(supervisor, "console-review-desk", doc=True)
    open_appeal(supervisor, number)
    open_action(supervisor, "approve_review")
    submit_action(supervisor, "approve_review")
    assert label(Status.VISITING) in status_text(supervisor)

    # Return-visit agent: the citizen is satisfied.
    visitor = staff.login("visitor")
    assert visitor.url.endswith("/console/visits/")
    shot(visitor, "console-visits-desk", doc=True)
    open_appeal(visitor, number)
    form = open_action(visitor, "record_visit")
    form.locator("select[name=outcome]").select_option(Appeal.Satisfaction.SATISFIED)
    form.locator("textarea[name=note]").fill("市民表示已清理干净，满意。")
    shot(visitor, "console-visit-record", doc=True)
    submit_action(visitor, "record_visit")
    assert label(Status.CLOSED) in status_text(visitor)

    # Supervisor: "/" jumps to the search box; the appeal is found, closed.
    supervisor.goto("/console/supervision/")
    assert late.number in supervisor.inner_text("#appeal-list")  # the red tab comes first
    supervisor.click("details.card summary")  # overdue appeals per unit
    shot(supervisor, "console-supervision-desk", doc=True)
    supervisor.keyboard.press("/")
    assert supervisor.evaluate("document.activeElement.id") == "quick-q"
    supervisor.keyboard.type(number)  # the exact number opens the appeal directly
    with supervisor.expect_navigation():
        supervisor.keyboard.press("Enter")
    assert supervisor.url.endswith(f"/console/appeals/{number}/")
    # The search form's number field lists the appeals whose number starts so.
    supervisor.goto(f"/console/search/?number={number}")
    row = supervisor.locator("#appeal-list tbody tr", has_text=number)
    assert label(Status.CLOSED) in row.inner_text()
    shot(supervisor, "console-search", doc=True)
    open_appeal(supervisor, number)
    assert label(Status.CLOSED) in status_text(supervisor)
    shot(supervisor, "console-appeal-closed")
    supervisor.locator("#hist-h").scroll_into_view_if_needed()
    shot(supervisor, "console-appeal-history", doc=True)
    shot(supervisor, "console-appeal-closed-full", full_page=True)

    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED
    assert appeal.satisfaction == Appeal.Satisfaction.SATISFIED
    assert appeal.attachments.filter(purpose="evidence").count() == 2
    kinds = list(appeal.events.order_by("seq").values_list("kind", flat=True))
    for kind in [
        "receive",
        "register",
        "dispatch",
        "sign",
        "unmask",
        "contact",
        "complete",
        "approve_completion",
        "approve_review",
        "record_visit",
    ]:
        assert kind in kinds


# -- a return and a re-dispatch ----------------------------------------------------------------


def test_return_request_approved_and_redispatched(staff, demo):
    appeal = workflow.dispatch(
        demo.registered(title="街道绿地边有人私搭棚子"), demo.u("dispatcher")
    )
    number = appeal.number

    handler = staff.login("handler")
    handler.goto(f"/console/appeals/{number}/")
    # A return needs a reason: submitted without one, the form stays, nothing changes.
    staff.allow(400, f"/console/appeals/{number}/act/request_return/")
    form = open_action(handler, "request_return")
    form.locator("textarea[name=reason]").evaluate("el => el.removeAttribute('required')")
    handler.click("[data-testid=submit-request_return]")
    handler.wait_for_selector(
        "details#action-request_return[open] .has-error textarea[name=reason]"
    )
    assert Appeal.objects.get(pk=appeal.pk).status == Status.DISPATCHED
    shot(handler, "console-error-missing-reason", doc=True)
    handler.fill("#id_request_return_reason", "属街道辖区内违建，应由坪山街道办事处处置。")
    submit_action(handler, "request_return")
    assert label(Status.RETURN_REQUESTED) in status_text(handler)

    dispatcher = staff.login("dispatcher")
    dispatcher.goto("/console/dispatch/?tab=returns")
    assert number in dispatcher.inner_text("#appeal-list")
    assert dispatcher.get_attribute("#appeal-list", "hx-trigger") == "every 30s"  # the default
    shot(dispatcher, "console-dispatch-returns", doc=True)
    open_appeal(dispatcher, number)
    open_action(dispatcher, "approve_return")
    dispatcher.select_option("#id_approve_return_lead_unit", str(demo.subdistrict.pk))
    dispatcher.fill("#id_approve_return_note", "改派坪山街道办事处。")
    submit_action(dispatcher, "approve_return")
    assert label(Status.DISPATCHED) in status_text(dispatcher)
    lead = Assignment.objects.get(appeal=appeal, role=Assignment.Role.LEAD, active=True)
    assert lead.unit == demo.subdistrict

    # The new unit sees it to sign for; the old unit no longer has anything to do with it.
    other = staff.login("handler_ps")
    assert number in other.inner_text("#appeal-list")
    handler.goto(f"/console/appeals/{number}/")
    assert handler.locator("details.action").count() == 0


# -- an extension ---------------------------------------------------------------------------------


def test_extension_requested_and_approved_moves_the_deadline(staff, demo):
    appeal = demo.in_progress(title="绿地喷灌管爆裂需更换")
    number = appeal.number
    clock = Clock.objects.get(appeal=appeal, kind=Clock.Kind.HANDLE, stopped_at__isnull=True)
    original = clock.due_at

    handler = staff.login("handler")
    handler.goto(f"/console/appeals/{number}/")
    open_action(handler, "request_extension")
    handler.fill("#id_request_extension_working_days", "5")
    handler.fill("#id_request_extension_reason", "需采购喷灌配件，供货周期约一周。")
    submit_action(handler, "request_extension")

    dispatcher = staff.login("dispatcher")
    dispatcher.goto("/console/dispatch/?tab=extensions")
    assert number in dispatcher.inner_text("#appeal-list")
    open_appeal(dispatcher, number)
    open_action(dispatcher, "approve_extension")
    dispatcher.fill("#id_approve_extension_note", "同意延期5个工作日。")
    submit_action(dispatcher, "approve_extension")

    clock.refresh_from_db()
    assert clock.due_at > original and clock.original_due_at == original
    req = UnitRequest.objects.get(appeal=appeal, kind=UnitRequest.Kind.EXTENSION)
    assert req.decision == UnitRequest.Decision.APPROVED
    handler.reload()
    deadlines = handler.locator("table[aria-label] tbody")
    assert shanghai(clock.due_at) in deadlines.inner_text()
    assert shanghai(original) in deadlines.inner_text()
    handler.locator("#units-h").scroll_into_view_if_needed()
    shot(handler, "console-extension-approved", doc=True)


# -- refusals ---------------------------------------------------------------------------------


def test_forged_requests_are_refused_and_change_nothing(staff, demo):
    appeal = demo.in_progress(title="公园绿地护栏损坏")
    number = appeal.number
    before = (appeal.version, Event.objects.filter(appeal=appeal).count())
    fields = {
        "result": "已处理。",
        "evidence": "无",
        "expected_version": str(appeal.version),
    }

    def forge(page, transition):
        page.goto("/console/")  # any page: sets the CSRF cookie
        token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
        return page.request.post(
            f"/console/appeals/{number}/act/{transition}/",
            form={**fields, "csrfmiddlewaretoken": token},
            max_redirects=0,
        )

    # A handler of another unit: the appeal is outside their scope, so it is "not found".
    outsider = staff.login("handler_ps")
    staff.allow(404, f"/console/appeals/{number}/act/complete/")
    assert forge(outsider, "complete").status == 404
    # The return-visit agent sees every appeal but may not complete one.
    visitor = staff.login("visitor")
    assert forge(visitor, "complete").status == 403
    # Without the CSRF token, even the right person is refused.
    handler = staff.login("handler")
    handler.goto("/console/")
    response = handler.request.post(
        f"/console/appeals/{number}/act/complete/", form=fields, max_redirects=0
    )
    assert response.status == 403

    appeal.refresh_from_db()
    assert appeal.status == Status.IN_PROGRESS
    assert (appeal.version, Event.objects.filter(appeal=appeal).count()) == before

    # The visitor's page of this appeal offers no actions at all.
    visitor.goto(f"/console/appeals/{number}/")
    assert visitor.locator("details.action").count() == 0
    assert visitor.locator("form.action").count() == 0
    assert 'data-testid="submit-' not in visitor.content()


def test_someone_acted_first_is_a_conflict(staff, demo):
    appeal = workflow.dispatch(demo.registered(title="绿地路灯不亮"), demo.u("dispatcher"))
    staff.allow(409, f"/console/appeals/{appeal.number}/act/sign/")
    handler = staff.login("handler")
    handler.goto(f"/console/appeals/{appeal.number}/")
    open_action(handler, "sign")
    # Meanwhile the leader of the same unit signs for it.
    workflow.sign(appeal, demo.u("leader"))
    submit_action(handler, "sign")
    # Signing is no longer on offer; the page says why at the top.
    assert zh(Conflict().message) in handler.inner_text(".messages .msg-error")
    assert handler.locator("details#action-sign").count() == 0
    shot(handler, "console-error-conflict", doc=True)
    assert Event.objects.filter(appeal=appeal, kind="sign").count() == 1


# -- live updates ---------------------------------------------------------------------------------


def test_unit_workbench_shows_new_work_without_reload(staff, demo, settings):
    settings.JIESU = {**settings.JIESU, "CONSOLE_POLL_SECONDS": 1}
    handler = staff.login("handler")
    assert handler.url.endswith("/console/unit/")
    assert handler.get_attribute("#appeal-list", "data-poll-seconds") == "1"
    handler.evaluate("window.__notReloaded = true")

    appeal = workflow.dispatch(demo.registered(title="绿地长椅断裂"), demo.u("dispatcher"))
    handler.wait_for_selector(f"#appeal-list a:text-is('{appeal.number}')", timeout=10_000)
    assert handler.evaluate("window.__notReloaded") is True
    assert handler.url.endswith("/console/unit/")


def test_tab_counts_refresh_with_the_list(staff, demo, settings):
    """The list's refresh brings the tab counts along (htmx out-of-band swap): new work shows
    in the count of its tab while the handler looks at another tab, without a reload."""
    settings.JIESU = {**settings.JIESU, "CONSOLE_POLL_SECONDS": 1}
    demo.in_progress(title="绿地里堆满了落叶")
    handler = staff.login("handler")
    handler.goto("/console/unit/?tab=in_progress")
    handler.evaluate("window.__notReloaded = true")
    count = "#desk-tabs a[href^='?tab=to_sign'] .count"
    before = int(handler.inner_text(count))

    workflow.dispatch(demo.registered(title="绿地长椅断裂"), demo.u("dispatcher"))
    workflow.dispatch(demo.registered(title="绿地围栏倒塌"), demo.u("dispatcher"))
    handler.wait_for_function(
        "([selector, n]) => Number(document.querySelector(selector).textContent) === n",
        arg=[count, before + 2],
        timeout=10_000,
    )
    assert handler.evaluate("window.__notReloaded") is True
    assert handler.locator("nav#desk-tabs").count() == 1
    current = handler.locator("#desk-tabs a[aria-current='page']")
    assert current.get_attribute("href").startswith("?tab=in_progress")
    assert "绿地长椅断裂" not in handler.inner_text("#appeal-list")


# -- administration -------------------------------------------------------------------------------


def test_administrator_pages(staff, demo):
    admin = staff.login("admin")
    assert admin.url.endswith("/console/manage/")
    shot(admin, "console-manage", doc=True)
    admin.goto("/console/manage/rules/?q=" + LEAF)
    assert "绿地保洁" in admin.inner_text("main")
    shot(admin, "console-manage-rules")
    admin.goto("/console/manage/users/")
    assert "handler" in admin.inner_text("main")
    shot(admin, "console-manage-users", doc=True)
    admin.goto("/console/manage/calendar/")
    shot(admin, "console-manage-calendar")
    # Administrators are not case workers: an appeal is outside their scope.
    appeal = demo.registered(title="管理员不能办件")
    staff.allow(404, f"/console/appeals/{appeal.number}/")
    assert admin.goto(f"/console/appeals/{appeal.number}/").status == 404
