# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A citizen on a phone, in a real browser: 随手拍 with a photo and a map pin, the receipt,
tracking, and the status changing on the page (no reload) as staff act.

Playwright (Python) drives Debian's chromium (/usr/bin/chromium, or $JIESU_CHROMIUM) headless
against pytest-django's live server. Skipped, with the reason, when either is missing;
`make test` installs both. Screenshots go to test-artifacts/ (not committed); with
JIESU_DOC_SCREENSHOTS=1 the guide's pictures in docs/guide/img/ are refreshed too.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections

from jiesu.appeals import tracking, workflow
from jiesu.appeals.models import Appeal
from jiesu.appeals.tests.conftest import build_world
from jiesu.catalog.models import AppealType
from jiesu.intake.tests import citizen_samples as samples

CHROMIUM = Path(os.environ.get("JIESU_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
DOC_IMAGES = Path(django_settings.BASE_DIR) / "docs" / "guide" / "img"

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright is not installed (pip install playwright; `make test` installs it)",
)
pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"chromium not found at {CHROMIUM} (apt-get install chromium; `make test` does)",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # itself are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(
            viewport={"width": 390, "height": 844},
            device_scale_factor=1,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on(
            "console",
            lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        outside: list[str] = []
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
        try:
            yield page, problems, outside
        finally:
            context.close()
            browser.close()
            # While Playwright's loop runs, Django keeps this thread's database connection
            # apart (asgiref sees a running event loop): close that one, or it outlives the
            # test database.
            connections.close_all()


def shot(page, name: str, *, doc: bool = False, full_page: bool = True):
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if doc and os.environ.get("JIESU_DOC_SCREENSHOTS"):
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOC_IMAGES / f"{name}.png")
    return path


def test_citizen_reports_on_a_phone_and_watches_progress(
    browser_page, live_server, settings, tmp_path
):
    page, problems, outside = browser_page
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.JIESU = {**settings.JIESU, "TRACK_POLL_SECONDS": 1}
    world = build_world()
    complaint = AppealType.objects.get(code="complaint")

    # -- the 随手拍 form --------------------------------------------------------------------
    page.goto(f"{live_server.url}/report/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    # The map has no tiles here, but the district outline is drawn from the boundaries.
    page.wait_for_selector("#map .leaflet-overlay-pane path")
    page.check(f"input[name=appeal_type][value='{complaint.pk}']")
    page.fill("#id_description", "小区东门垃圾堆了三天没人清理，气味很大。")
    page.set_input_files(
        "#id_photos",
        files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg_bytes()}],
    )
    page.wait_for_selector("#photo-preview img")  # the preview of the chosen photo
    box = page.locator("#map").bounding_box()
    page.locator("#map").tap(position={"x": box["width"] / 2, "y": box["height"] / 2})
    page.wait_for_selector("#map .leaflet-marker-icon")
    lat = float(page.input_value("input[name=lat]"))
    lng = float(page.input_value("input[name=lng]"))
    assert 22 < lat < 23 and 114 < lng < 115, (lat, lng)  # inside the test district
    page.fill("#id_address", "六和社区东门")
    page.fill("#id_reporter_name", "李四")
    page.fill("#id_reporter_phone", "13912345678")
    page.check("#id_consent")
    # Nothing sticks out of a 390 px wide screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "citizen-report", doc=True)

    page.click("#submit")
    page.wait_for_selector("#query-code")
    number = page.inner_text("#appeal-number").strip()
    code = page.inner_text("#query-code").strip()
    shot(page, "citizen-receipt", full_page=False)
    appeal = Appeal.objects.get(number=number)
    assert tracking.check_code(appeal, code)
    assert appeal.channel == "web" and appeal.attachments.count() == 1
    assert appeal.lat == pytest.approx(lat, abs=1e-5)

    # -- tracking, by number and code, as from another phone -----------------------------------
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/track/")
    page.fill("#id_number", number)
    page.fill("#id_code", code)
    page.click("#track-form button[type=submit]")
    page.wait_for_selector("#status[data-status='received']")
    assert page.locator(".thumbs img").count() == 1  # the citizen's own photo, as thumbnail
    page.evaluate("window.__notReloaded = true")

    # Staff act; the page follows without a reload.
    workflow.register(
        appeal,
        world.u("intake"),
        appeal_type=world.complaint,
        category=world.leaf,
        grade=world.grade_c,
    )
    workflow.dispatch(appeal, world.u("dispatcher"))
    workflow.sign(appeal, world.u("handler"))
    page.wait_for_selector("#status[data-status='in_progress']")
    steps = page.inner_text("#steps")
    assert "城市管理局" in steps
    assert "handler" not in page.content()  # no staff names
    assert page.evaluate("window.__notReloaded") is True
    shot(page, "citizen-tracking", doc=True)
    # The smallest common phone screen: still nothing to scroll sideways.
    page.set_viewport_size({"width": 360, "height": 640})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "citizen-tracking-360", full_page=False)

    workflow.complete(appeal, world.u("handler"), result="垃圾已清运。", evidence="现场照片")
    workflow.approve_review(appeal, world.u("supervisor"))
    page.wait_for_selector("#status[data-status='visiting'] #rating")
    assert "垃圾已清运" in page.inner_text("#reply")
    assert page.evaluate("window.__notReloaded") is True
    page.check("#rating input[value='satisfied']")
    page.click("#rating button[type=submit]")
    page.wait_for_selector("#my-rating")
    appeal.refresh_from_db()
    assert appeal.citizen_rating == "satisfied"
    shot(page, "citizen-rated")

    assert problems == []
    assert outside == []  # no CDN, no tiles, nothing outside this server
