# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A strict Content-Security-Policy holds on every kind of page (issue 8, item 9): nothing
inline, nothing from elsewhere. The staff browser fails a test on any console error, and
Chromium reports every CSP violation as one ("Refused to apply inline style…")."""

from __future__ import annotations

from jiesu.console.tests.test_browser_journeys import demo, pytestmark, staff  # noqa: F401

ROLES = ["intake", "dispatcher", "handler", "leader", "supervisor", "visitor", "analyst", "admin"]


def test_the_policy_is_strict(client, db):
    policy = client.get("/console/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_every_page_passes_the_policy(staff, demo):  # noqa: F811 (the imported fixtures)
    appeal = demo.in_progress(title="路灯不亮，晚上很黑")
    visitor = staff.page()
    for path in ("/", "/report/", "/track/", "/en/report/", "/api/docs/", "/admin/login/"):
        response = visitor.goto(path)
        assert response.status == 200, path
        assert "unsafe-inline" not in response.headers["content-security-policy"], path
    visitor.goto("/api/docs/")
    visitor.wait_for_selector("#swagger-ui .info", timeout=20_000)
    staff.allow(403, "/console/no-role/")  # the analyst's desk is still to come (issue 11)
    for username in ROLES:
        page = staff.login(username)
        for path in (
            "/console/",
            f"/console/appeals/{appeal.number}/",
            "/console/search/?q=路灯",
            "/console/manage/rules/",
            "/console/manage/units/",
            "/console/manage/calendar/",
            "/console/manage/routing-proposals/",
            "/console/intake/new/",
        ):
            staff.allow(403, path.split("?")[0])
            staff.allow(404, path.split("?")[0])
            page.goto(path)
    admin = staff.login("admin")
    admin.goto("/admin/")
    admin.goto("/admin/org/unit/")


def test_a_configured_tile_server_is_the_one_outside_image_source(client, db, settings):
    settings.JIESU = {
        **settings.JIESU,
        "MAP_TILE_URL": "https://{s}.tiles.example.cn/{z}/{x}/{y}.png",
    }
    policy = client.get("/report/")["Content-Security-Policy"]
    assert "img-src 'self' data: blob: https://*.tiles.example.cn" in policy
    assert "tiles.example.cn" not in policy.split("img-src")[0]
