# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Caller history in a real browser: typing the phone in the call form shows the caller's
earlier appeals beside it (masked), and showing full names is one click, logged; on a phone."""

from __future__ import annotations

from jiesu.appeals import workflow
from jiesu.appeals.models import Event
from jiesu.console.tests.browser import PHONE
from jiesu.console.tests.test_browser_journeys import demo, pytestmark, staff  # noqa: F401


def test_typing_the_phone_shows_the_callers_earlier_appeals(staff, demo):  # noqa: F811
    earlier = workflow.receive(
        channel="hotline",
        title="绿地里堆满了落叶",
        description="绿地里堆满了落叶，已经一个星期没人清理。",
        reporter_name="李女士",
        reporter_phone="13800005678",
        address="坪山街道六联社区绿地公园东门",
        actor=demo.u("intake"),
    )
    page = staff.login("intake", viewport=PHONE)
    page.goto("/console/intake/new/")
    panel = page.locator("#caller-history")
    assert panel.is_hidden()
    page.fill("[name=reporter_phone]", "138-0000-5678")
    panel.get_by_text(earlier.number).wait_for()
    text = panel.inner_text()
    assert "李*" in text and "李女士" not in text and "绿地里堆满了落叶" in text
    page.click("#caller-history-unmask")
    panel.get_by_text("李女士").wait_for()
    assert Event.objects.filter(appeal=earlier, kind="unmask").count() == 1
    # A number nobody called from: the panel says so.
    page.fill("[name=reporter_phone]", "13911112222")
    panel.get_by_text("该号码此前没有诉求").wait_for()
