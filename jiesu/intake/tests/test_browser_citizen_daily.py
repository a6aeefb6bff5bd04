# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Issue 9 on the citizen pages, in a real browser (desktop and phone): the consent error keeps
the layout, the place is asked for clearly (pin, place search, "use my position") and a report
without one is confirmed first, the coordinate system of the pin goes with it, the stepper
speaks one language, and the unit's public completion photos show on the tracking page.

Same browser set-up and skips as test_browser_citizen (any console error, which includes every
Content-Security-Policy violation, fails the test; so does any request leaving the server)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connections

from jiesu.appeals.models import Appeal
from jiesu.appeals.tests.conftest import build_world
from jiesu.catalog.models import AppealType
from jiesu.intake.tests.test_browser_citizen import CHROMIUM, pytestmark, shot, sync_api
from jiesu.org import coords
from jiesu.org.models import Region

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
    cache.clear()  # the citizen-form throttles count per client address: start afresh
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
            cache.clear()
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


def district_with_places():
    world = build_world()
    street = Region.objects.create(
        code="440310001",
        name="坪山街道",
        level=Region.Level.SUBDISTRICT,
        parent=world.district,
        boundary={
            "type": "Polygon",
            "coordinates": [
                [[114.3, 22.6], [114.5, 22.6], [114.5, 22.8], [114.3, 22.8], [114.3, 22.6]]
            ],
        },
    )
    liuhe = Region.objects.create(
        code="440310001001",
        name="六和社区",
        level=Region.Level.COMMUNITY,
        parent=street,
        boundary=LIUHE,
    )
    return world, liuhe


def test_desktop_report_asks_for_the_place_and_finds_a_community(citizen):
    """Defect 5: on a desktop the pin was easy to miss and a report without a place was taken
    silently. Now the status says there is no place yet, sending asks once, and the place
    search over the district's own communities puts the pin."""
    _world, liuhe = district_with_places()
    page = citizen(DESKTOP)
    fill_report(page)
    page.fill("#id_address", "六和社区东门")
    status = page.locator("#pin-status")
    assert "地图上还没有标出位置" in status.inner_text()
    assert "pin-missing" in status.get_attribute("class")
    page.click("#submit")
    check = page.locator("#location-check")
    check.wait_for()
    assert "您填写了地址，但没有在地图上标出位置" in check.inner_text()
    assert Appeal.objects.count() == 0
    shot(page, "citizen-report-no-pin-desktop")
    # The photos and the text are still there; the citizen looks the community up.
    assert page.input_value("#id_address") == "六和社区东门"
    page.fill("#place-search", "六和")
    page.click("#place-results button:has-text('六和社区')")
    page.wait_for_selector("#map .leaflet-marker-icon")
    assert "六和社区" in status.inner_text() and "pin-missing" not in status.get_attribute("class")
    assert page.input_value("input[name=coord_system]") == "wgs84"
    shot(page, "citizen-report-place-search", doc=True)
    page.click("#submit")
    page.wait_for_selector("#query-code")
    appeal = Appeal.objects.get()
    assert appeal.region == liuhe
    assert appeal.lat == pytest.approx(liuhe.center_lat, abs=1e-5)


def test_use_my_position_is_wgs84_and_a_report_may_go_without_a_place(citizen):
    district_with_places()
    here = {"latitude": 22.7123, "longitude": 114.4211}
    page = citizen(PHONE, geolocation=here, permissions=["geolocation"])
    fill_report(page)
    page.click("#pin-here")
    page.wait_for_selector("#map .leaflet-marker-icon")
    assert page.input_value("input[name=coord_system]") == "wgs84"
    page.click("#pin-clear")
    assert page.input_value("input[name=lat]") == ""
    page.click("#submit")
    page.locator("#location-check").wait_for()
    assert "您还没有说明地点" in page.inner_text("#location-check")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "citizen-report-no-pin-phone", doc=True)
    # Found after all: the browser's position, stored as given (WGS84, no conversion).
    page.click("#pin-here")
    page.wait_for_selector("#map .leaflet-marker-icon")
    page.click("#submit")
    page.wait_for_selector("#query-code")
    appeal = Appeal.objects.get()
    assert (appeal.lat, appeal.lng) == pytest.approx((here["latitude"], here["longitude"]))

    # A second report, sent without a place after the question.
    fill_report(page)
    page.click("#submit")
    page.click("#send-without-location")
    page.wait_for_selector("#query-code")
    assert page.locator("#no-location-note").is_visible()
    assert Appeal.objects.filter(lat__isnull=True).count() == 1


def test_a_map_of_gcj02_tiles_sends_its_system(citizen, settings):
    """With Chinese tiles (GCJ-02) a tapped pin is GCJ-02: the page says so and the stored
    point is the WGS84 one."""
    settings.JIESU = {**settings.JIESU, "MAP_TILE_COORD_SYSTEM": "gcj02"}
    district_with_places()
    page = citizen(DESKTOP)
    fill_report(page)
    page.locator("#map").click()
    page.wait_for_selector("#map .leaflet-marker-icon")
    assert page.input_value("input[name=coord_system]") == "gcj02"
    lat = float(page.input_value("input[name=lat]"))
    lng = float(page.input_value("input[name=lng]"))
    page.click("#submit")
    page.wait_for_selector("#query-code")
    appeal = Appeal.objects.get()
    expected = coords.gcj02_to_wgs84(lat, lng)
    assert coords.distance_m(appeal.lat, appeal.lng, *expected) < 0.1
    assert coords.distance_m(appeal.lat, appeal.lng, lat, lng) > 200


def test_tracking_shows_the_units_public_photos_and_one_form_of_stages(citizen, settings):
    """The unit's public completion photos appear with the result (not its private ones); the
    stepper reads 已提交 · 已受理 · 办理中 · 已办结 (defect 6: 办理 among past participles)."""
    from jiesu.appeals import attachments, tracking, workflow
    from jiesu.appeals.models import Attachment
    from jiesu.intake.tests import citizen_samples as samples

    settings.JIESU = {**settings.JIESU, "TRACK_POLL_SECONDS": 1}
    world, _liuhe = district_with_places()
    page = citizen(PHONE)
    fill_report(page)
    page.locator("#map").tap()
    page.click("#submit")
    page.wait_for_selector("#query-code")
    appeal = Appeal.objects.get()
    assert tracking.check_code(appeal, page.inner_text("#query-code").strip())
    page.click("#track-now")
    page.wait_for_selector("#status[data-status='received']")
    stages = page.locator(".stages li").all_inner_texts()
    assert stages == ["已提交", "已受理", "办理中", "已办结"]

    workflow.register(
        appeal,
        world.u("intake"),
        appeal_type=world.complaint,
        category=world.leaf,
        grade=world.grade_c,
    )
    workflow.dispatch(appeal, world.u("dispatcher"))
    workflow.sign(appeal, world.u("handler"))
    files = [
        attachments.store_upload(
            samples.upload(name, samples.jpeg_bytes(width, gps=False)),
            purpose=Attachment.Purpose.EVIDENCE,
            user=world.u("handler"),
        )
        for name, width in (("after.jpg", 640), ("people.jpg", 600))
    ]
    workflow.complete(
        appeal,
        world.u("handler"),
        result="垃圾已清运，地面已冲洗。",
        evidence="清运后照片",
        attachments=files,
        public_attachments=files[:1],
    )
    workflow.approve_review(appeal, world.u("supervisor"))
    page.wait_for_selector("#status[data-status='visiting'] #result-photos img")
    images = page.locator("#result-photos img")
    assert images.count() == 1
    # The thumbnail really loads (the poll has just swapped it in: wait for the image).
    page.wait_for_function(
        "() => { const i = document.querySelector('#result-photos img');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    assert f"/photo/{files[1].pk}/" not in page.content()
    assert page.locator(".stages li.current").inner_text() == "已办结"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "citizen-result-photos", doc=True)
