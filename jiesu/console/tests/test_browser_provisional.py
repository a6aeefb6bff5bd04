# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Issue 9, the calendar at the turn of the year, in a real browser: the 暂定 mark and its title
on the appeal page at 390 px, the administrators' warning and its link to the calendar.

The live server answers at today's date (from 1 October the warning shows as long as next year is
not covered; chinesecalendar 1.11 ends with 2026). Uses the demo district and the staff browser
of test_browser_journeys (same skips)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jiesu.appeals import timesource
from jiesu.console.tests.browser import PHONE, page_width, shot
from jiesu.console.tests.test_browser_journeys import demo, pytestmark, staff  # noqa: F401
from jiesu.workdays import calendar


def test_provisional_deadline_and_the_administrators_warning(staff, demo):  # noqa: F811
    """A deadline reaching the provisional year carries a 暂定 mark whose title says why; the
    administrator's desk says who must do what and links to the working calendar."""
    assert calendar.provisional_year() == 2027
    with timesource.frozen_at(datetime(2026, 12, 28, 10, tzinfo=ZoneInfo("Asia/Shanghai"))):
        appeal = demo.in_progress(title="绿地里堆满了落叶和垃圾，年底前请清理")
    handle = appeal.clocks.get(kind="handle", cancelled=False)
    assert handle.provisional and handle.due_at.year == 2027

    supervisor = staff.login("supervisor", viewport=PHONE)
    supervisor.goto(f"/console/appeals/{appeal.number}/")
    marks = supervisor.locator('[data-testid="provisional"]')
    assert marks.count() == 1
    assert marks.first.inner_text() == "暂定"
    assert "2027 年的官方节假日和调休工作日尚未录入" in marks.first.get_attribute("title")
    assert marks.first.is_visible()
    assert page_width(supervisor) <= PHONE["width"]
    shot(supervisor, "console-provisional-deadline-phone", full_page=True)

    admin = staff.login("admin", viewport=PHONE)
    admin.goto("/console/manage/")
    warning = admin.locator('[data-testid="calendar-warning"]')
    text = warning.inner_text()
    assert "工作日历尚未录入 2027 年的官方节假日" in text
    assert "谁需要做什么" in text and "目前有 1 个进行中的时限为暂定" in text
    assert page_width(admin) <= PHONE["width"]
    shot(admin, "console-calendar-warning", doc=True)
    warning.get_by_role("link", name="打开工作日历").click()
    admin.wait_for_url("**/console/manage/calendar/?year=2027")
    assert "落入该年的时限为暂定" in admin.locator('[data-testid="coverage-2027"]').inner_text()
