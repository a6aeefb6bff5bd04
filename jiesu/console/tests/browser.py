# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Staff in a real browser: Playwright (Python) driving Debian's chromium against the live server.

`StaffBrowser` opens one browser per test and one browser context per person, so that several
staff members can be signed in at once (each with their own cookies), as in a real centre.
Every page records JavaScript errors and requests that leave the server; the tests assert both
are empty. Screenshots go to test-artifacts/ (not committed); with JIESU_DOC_SCREENSHOTS=1 the
ones marked `doc=True` are also copied to docs/guide/img/ for the guides.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings as django_settings

CHROMIUM = Path(os.environ.get("JIESU_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
VIEWPORT = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
ARTIFACTS = Path(django_settings.BASE_DIR) / "test-artifacts"
DOC_IMAGES = Path(django_settings.BASE_DIR) / "docs" / "guide" / "img"
DEMO_PASSWORD = "Jiesu@2026"
LOCAL = ("http://localhost", "http://127.0.0.1", "data:", "blob:", "about:")


def jpeg_bytes(size=(320, 240), colour=(60, 140, 90)) -> bytes:
    """A small real JPEG (Pillow), as a phone camera would upload it."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 60, size[0] - 40, size[1] - 60), outline=(250, 250, 250), width=6)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


@dataclass
class StaffBrowser:
    browser: object
    base_url: str
    problems: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    contexts: list = field(default_factory=list)
    # Error responses a test provokes on purpose: (status, path) pairs.
    allowed: set = field(default_factory=set)

    def allow(self, status: int, path: str):
        """Declare an error response the test expects (e.g. 409 on a conflicting action)."""
        self.allowed.add((status, path))

    def _response(self, response):
        if response.status < 400 or not response.url.startswith(self.base_url):
            return
        path = response.url[len(self.base_url) :].split("?")[0]
        if (response.status, path) not in self.allowed:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def page(self, viewport=None, locale="zh-CN"):
        """A fresh browser context (own cookies) with one page, watched for problems;
        `viewport=PHONE` for a 390 px phone; `locale`: the browser's own language (what it
        sends as Accept-Language)."""
        context = self.browser.new_context(
            viewport=viewport or VIEWPORT,
            device_scale_factor=1,
            locale=locale,
            base_url=self.base_url,
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        # Chromium logs every error response as a console error; those are checked against
        # the allowed ones in `_response` instead.
        page.on(
            "console",
            lambda msg: (
                self.problems.append(f"console: {msg.text} ({page.url})")
                if msg.type == "error" and not msg.text.startswith("Failed to load resource")
                else None
            ),
        )
        page.on("response", self._response)
        page.on(
            "request",
            lambda req: self.outside.append(req.url) if not req.url.startswith(LOCAL) else None,
        )
        return page

    def login(self, username: str, password: str = DEMO_PASSWORD, viewport=None, locale="zh-CN"):
        """Sign in through the real login page; returns the page on the user's workbench."""
        page = self.page(viewport, locale)
        page.goto("/console/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("form button[type=submit]")
        page.wait_for_url(lambda url: "/console/login/" not in url)
        return page

    def close(self):
        for context in self.contexts:
            context.close()
        self.browser.close()


def shot(page, name: str, *, doc: bool = False, full_page: bool = False) -> Path:
    """Save a screenshot to test-artifacts/NAME.png; with `doc` and JIESU_DOC_SCREENSHOTS=1,
    also to docs/guide/img/NAME.png, reduced to a 256-colour palette to keep the repository
    small (a screen of text loses nothing visible)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    if doc and os.environ.get("JIESU_DOC_SCREENSHOTS"):
        from PIL import Image

        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        with Image.open(path) as image:
            small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
            small.save(DOC_IMAGES / f"{name}.png", optimize=True)
    return path


def open_appeal(page, number: str):
    """From a workbench list, open the appeal by clicking its number."""
    page.click(f"#appeal-list a:text-is('{number}')")
    page.wait_for_url(re.compile(rf"/console/appeals/{number}/$"))


def open_action(page, name: str):
    """Unfold the action's form on the appeal page (<details id="action-NAME">)."""
    details = page.locator(f"details#action-{name}")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details


def submit_action(page, name: str):
    """Press the action's submit button and wait for the page that follows."""
    with page.expect_navigation():
        page.click(f"[data-testid=submit-{name}]")


def status_text(page) -> str:
    return page.inner_text("[data-testid=status]").strip()


def page_width(page) -> int:
    """How wide the page's content is (more than the viewport means horizontal scrolling)."""
    return page.evaluate("() => document.documentElement.scrollWidth")
