# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Provisional deadlines in the console: the 暂定 mark with its explaining title on the appeal
page, the desks, the work order, the calculator and the export; the history event when the year
is entered; the administrators' warning from 1 October until next year is entered."""

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from jiesu.appeals import clocks, workflow
from jiesu.appeals.tests.conftest import SHANGHAI, dispatched, in_progress
from jiesu.workdays.models import CalendarOverride, CoveredYear

TITLE = "2027 年的官方节假日和调休工作日尚未录入"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def login(client, world):
    def as_(name):
        client.force_login(world.u(name))
        return client

    return as_


def enter_2027(*rest_days):
    CalendarOverride.objects.create(date=local("2027-01-01").date(), name="元旦")
    for day in rest_days:
        CalendarOverride.objects.create(date=local(day).date(), name="调休")
    CoveredYear.objects.create(year=2027)


def provisional_marks(html: str) -> int:
    return html.count('data-testid="provisional"')


def test_the_appeal_page_marks_the_provisional_deadline_only(login, world, at):
    with at(local("2026-12-28 10:00")):
        appeal = dispatched(world)
        html = login("supervisor").get(f"/console/appeals/{appeal.number}/").content.decode()
    # Handling is due 2027-01-05 (provisional); sign and contact fall in 2026.
    assert "2027-01-05 10:00" in html
    assert provisional_marks(html) == 1
    assert ">暂定</abbr>" in html and TITLE in html
    with at(local("2026-12-28 10:00")):
        order = login("supervisor").get(f"/console/appeals/{appeal.number}/workorder/")
    assert provisional_marks(order.content.decode()) == 1


def test_desks_mark_a_provisional_next_deadline(login, world, at):
    with at(local("2026-12-28 10:00")):
        appeal = in_progress(world)
        workflow.contact(appeal, world.u("handler"), method="电话")
        workflow.sign(appeal, world.u("water_handler"))  # the assisting unit
        # The appeal's next deadline is now the handling one, in 2027.
        html = login("handler").get("/console/unit/?tab=handling").content.decode()
    assert appeal.number in html
    assert provisional_marks(html) >= 1 and TITLE in html


def test_the_mark_goes_and_the_history_tells_when_the_year_is_entered(login, world, at):
    with at(local("2026-12-28 10:00")):
        appeal = dispatched(world)
    enter_2027("2027-01-04")
    with at(local("2026-12-29 09:00")):
        clocks.recompute_provisional()
        html = login("supervisor").get(f"/console/appeals/{appeal.number}/").content.decode()
    assert provisional_marks(html) == 0
    assert "2027-01-06 10:00" in html
    assert "按工作日历重新计算时限" in html
    assert "2027-01-05 10:00 → 2027-01-06 10:00" in html


def test_the_export_has_the_next_deadline_and_its_mark(login, world, at):
    with at(local("2026-12-28 10:00")):
        appeal = in_progress(world)
        workflow.contact(appeal, world.u("handler"), method="电话")
        workflow.sign(appeal, world.u("water_handler"))
        response = login("supervisor").post("/console/search/export/", {"query": ""})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    header, *rows = list(book.worksheets[0].iter_rows(values_only=True))
    row = dict(zip(header, rows[0], strict=True))
    assert row["最近截止时间"] == datetime(2027, 1, 5, 10, 0)
    assert row["时限暂定"] == "暂定"


def test_the_calculator_marks_a_provisional_deadline(login, world, at):
    with at(local("2026-12-05 10:00")):
        page = login("admin").get(
            "/console/manage/calendar/",
            {"calc-start": "2026-12-20T10:00", "calc-amount": "15", "calc-unit": "wd"},
        )
    assert page.context["deadline"]["provisional"] is True
    html = page.content.decode()
    assert "2027-01-11 10:00" in html and provisional_marks(html) == 1
    assert "未覆盖：落入该年的时限为暂定（仅计法定节假日）" in html


@pytest.mark.parametrize(
    ("today", "warned"),
    [("2026-09-30 10:00", False), ("2026-10-01 09:00", True), ("2026-12-05 10:00", True)],
)
def test_administrators_are_warned_from_october(login, world, at, today, warned):
    with at(local(today)):
        html = login("admin").get("/console/manage/").content.decode()
    assert ('data-testid="calendar-warning"' in html) is warned
    if warned:
        assert "工作日历尚未录入 2027 年的官方节假日" in html
        assert "谁需要做什么" in html and "管理员" in html
        assert 'href="/console/manage/calendar/?year=2027"' in html


def test_the_warning_counts_provisional_deadlines_and_ends_when_the_year_is_entered(
    login, world, at
):
    with at(local("2026-12-28 10:00")):
        dispatched(world)
        html = login("admin").get("/console/manage/").content.decode()
    assert "目前有 1 个进行中的时限为暂定" in html
    enter_2027()
    with at(local("2026-12-28 10:00")):
        html = login("admin").get("/console/manage/").content.decode()
    assert 'data-testid="calendar-warning"' not in html


def test_the_warning_in_english(login, world, at):
    client = login("admin")
    with at(local("2026-11-02 10:00")):
        html = client.get("/en/console/manage/").content.decode()
    assert "The working calendar has no official holidays for 2027 yet" in html
    assert "Who must do what:" in html
