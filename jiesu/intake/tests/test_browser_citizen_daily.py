"""Issue 9 on the citizen pages, in a real browser (desktop and phone): the consent error keeps
the layout, the place is asked for clearly (pin, place search, "use my position") and a report
without one is confirmed first, the coordinate system of the pin goes with it, the stepper
speaks one language, and the unit's public completion photos show on the tracking page.

Same browser set-up and skips as test_browser_citizen (any console error, which includes every
Content-Security-Policy violation, fails the test; so does any request leaving the server)."""

from __future__ import annotations

import pytest
from django.db import connections

from jiesu.appeals.models import Appeal
from jiesu.appeals.tests.conftest import build_world
from jiesu.catalog.models import AppealType
from jiesu.intake.tests.test_browser_citizen import CHROMIUM, pytestmark, shot, sync_api

__all__ = ["pytestmark"]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# A square inside the test district (114-115 E, 22-23 N) for a community the search finds.
LIUHE = {
    "type": "Polygon",
    "coordinates": [
        [[114.40, 22.70], [114.44, 22.70], [114.44, 22.74], [114.40, 22.74], [114.40, 22.70]]
    ],
}


@pytest.fixture
def citizen(monkeypatch, live_server, settings, tmp_path):
    """`citizen(viewport)` opens a page; console errors and outside requests are collected
    and asserted empty at the end."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    problems: list[str] = []
    outside: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        contexts = []

        def open_page(viewport=DESKTOP, **options):
            context = browser.new_context(
                viewport=viewport,
                device_scale_factor=1,
                locale="zh-CN",
                base_url=live_server.url,
                is_mobile=viewport is PHONE,
                has_touch=viewport is PHONE,
                **options,
            )
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(15_000)
            page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
            page.on(
                "console",
                lambda msg: (
                    problems.append(f"console: {msg.text}")
                    if msg.type == "error" and not msg.text.startswith("Failed to load resource")
                    else None
                ),
            )
            page.on(
                "request",
                lambda req: (
                    outside.append(req.url)
                    if not req.url.startswith(
                        ("http://localhost", "http://127.0.0.1", "data:", "blob:")
                    )
                    else None
                ),
            )
            return page

        try:
            yield open_page
        finally:
            for context in contexts:
                context.close()
            browser.close()
            connections.close_all()
    assert problems == [], problems
    assert outside == [], outside


def fill_report(page, *, consent=True):
    complaint = AppealType.objects.get(code="complaint")
    page.goto("/report/")
    page.wait_for_selector("#map .leaflet-overlay-pane path")
    page.check(f"input[name=appeal_type][value='{complaint.pk}']")
    page.fill("#id_description", "小区东门垃圾堆了三天没人清理，气味很大。")
    page.fill("#id_reporter_name", "李四")
    page.fill("#id_reporter_phone", "13912345678")
    if consent:
        page.check("#id_consent")


def test_consent_error_keeps_the_layout_and_the_summary_names_the_field(citizen):
    """Defect 3: the consent error took the label's grid cell (one character per line), and
    the summary read "…详见隐私说明。: 请同意…"."""
    build_world()
    for viewport in (DESKTOP, PHONE):
        page = citizen(viewport)
        fill_report(page, consent=False)
        page.locator("#map").click()
        page.click("#submit")
        page.wait_for_selector("#id_consent_error")
        label = page.locator("#field-consent label").bounding_box()
        error = page.locator("#id_consent_error").bounding_box()
        box = page.locator("#id_consent").bounding_box()
        # The label sits beside its box, as wide as the card allows, a few lines at most.
        assert label["width"] > 250, label
        assert label["height"] < 5 * 28, label
        assert abs(label["y"] - box["y"]) < 12, (label, box)
        # The error stands above both, not on top of the label.
        assert error["y"] + error["height"] <= min(label["y"], box["y"]) + 1, (error, label)
        summary = page.inner_text("#error-summary")
        assert "同意使用个人信息：请同意" in summary, summary
        assert "。:" not in summary and "说明。" not in summary
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        shot(page, f"citizen-consent-error-{viewport['width']}")
    assert Appeal.objects.count() == 0
