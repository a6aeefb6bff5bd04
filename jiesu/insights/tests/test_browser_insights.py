# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The insights desks in a real browser (Playwright + chromium), on the demo district: the
analyst, a unit leader and a supervisor. The staff browser fails on any console error, CSP
violation included, and on any request that leaves the server."""

from __future__ import annotations

from jiesu.console.tests.browser import PHONE, page_width, shot
from jiesu.console.tests.test_browser_journeys import demo, pytestmark, staff  # noqa: F401


def test_analyst_leader_and_supervisor(staff, demo):  # noqa: F811 (the imported fixtures)
    demo.background()
    demo.in_progress(title="路灯不亮，晚上很黑")

    analyst = staff.login("analyst")
    assert analyst.url.endswith("/console/insights/")
    analyst.wait_for_selector('[data-chart="trend"] canvas')
    analyst.wait_for_selector('[data-chart="channels"] canvas')
    analyst.wait_for_selector(
        '[data-map="overview"] path.leaflet-interactive, [data-map="overview"] svg path'
    )
    assert int(analyst.inner_text("[data-testid=today-received]")) >= 3
    shot(analyst, "insights-overview", doc=True)
    analyst.click("[data-fullscreen]")
    analyst.wait_for_selector("#overview.wall")
    shot(analyst, "insights-overview-wall", doc=True)
    analyst.keyboard.press("Escape")

    analyst.goto("/console/insights/ranking/")
    rows = analyst.locator("#ranking tbody tr")
    assert rows.count() >= 3
    analyst.click("#ranking thead th:nth-child(2) button")  # sort by volume
    analyst.click("#ranking thead th:nth-child(2) button")  # descending
    first = analyst.locator("#ranking tbody tr").first
    assert first.get_attribute("data-testid") == "unit-D01"
    shot(analyst, "insights-ranking", doc=True)
    with analyst.expect_navigation():
        first.locator("td").first.locator("a").click()
    assert "/console/search/" in analyst.url and "unit=D01" in analyst.url
    assert analyst.locator("[data-testid=appeal-list] tbody tr").count() >= 1

    analyst.goto("/console/insights/trends/")
    analyst.wait_for_selector('[data-chart="trend-groups"] canvas')
    shot(analyst, "insights-trends", doc=True)

    phone = staff.login("analyst", viewport=PHONE)
    phone.wait_for_selector('[data-chart="trend"] canvas')
    assert page_width(phone) <= PHONE["width"]
    phone.goto("/console/insights/ranking/")
    assert page_width(phone) <= PHONE["width"]
    shot(phone, "insights-ranking-phone", doc=True)

    leader = staff.login("leader")
    leader.goto("/console/insights/ranking/")
    codes = leader.locator("#ranking tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.testid)"
    )
    assert codes == ["unit-D01"]
    shot(leader, "insights-leader-ranking", doc=True)

    supervisor = staff.login("supervisor")
    supervisor.goto("/console/insights/hotspots/")
    supervisor.wait_for_selector('[data-map="hotspots"].leaflet-container')
    shot(supervisor, "insights-hotspots", doc=True)
    supervisor.goto("/console/insights/reports/week/")
    assert supervisor.locator("[data-testid=report]").count() == 1
    with supervisor.expect_navigation():
        supervisor.click("[data-testid=draft-recommendations]")
    shot(supervisor, "insights-weekly-report", doc=True)
    # On a phone the report's tables are cards; a row named by a long unit name
    # (坪山区值班应急与智慧管理指挥中心（区指挥运行中心）) wraps instead of widening the page.
    phone = staff.login("supervisor", viewport=PHONE)
    phone.goto("/console/insights/reports/week/")
    assert page_width(phone) <= PHONE["width"]


def test_charts_speak_the_page_s_language_whatever_the_browser_s(staff, demo):  # noqa: F811
    """The defect: the Chinese console opened in a browser set to English drew its charts
    from the API in English ("Not classified" among the Chinese category names): the API
    answers in the language a request asks for, and the page's requests asked for the
    browser's."""
    demo.background()  # with a call waiting at the intake desk: not classified yet
    analyst = staff.login("analyst", locale="en-US")
    with analyst.expect_response(
        lambda r: "/api/v1/insights/trends/" in r.url and "by=category" in r.url
    ) as answer:
        analyst.goto("/console/insights/trends/")
    assert answer.value.request.headers["accept-language"] == "zh-hans"
    names = [g["name"] for g in answer.value.json()["groups"]]
    assert "未分类" in names and "Not classified" not in names, names
    english = staff.login("analyst", locale="zh-CN")
    with english.expect_response(
        lambda r: "/api/v1/insights/trends/" in r.url and "by=category" in r.url
    ) as answer:
        english.goto("/en/console/insights/trends/")
    assert "Not classified" in [g["name"] for g in answer.value.json()["groups"]]
