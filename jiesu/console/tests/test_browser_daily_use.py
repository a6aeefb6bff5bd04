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
