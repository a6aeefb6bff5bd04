# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The hotspots page's tables as .xlsx and CSV, masked per role: repeat callers only for
supervisors and with masked phones; topics, emerging issues and hotspot cells for every role
that may export statistics."""

import csv
import io

from openpyxl import load_workbook

from jiesu.appeals import timesource
from jiesu.insights.tests.test_emerging import WEDNESDAY, rising  # noqa: F401

PERIOD = "period=custom&start=2026-09-01&end=2026-11-30"


def _sheet(response):
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def test_repeat_callers_for_supervisors_masked(client, rising):  # noqa: F811
    client.force_login(rising.u("supervisor"))
    with timesource.frozen_at(WEDNESDAY):
        page = client.get(f"/console/insights/hotspots/?{PERIOD}").content.decode()
        assert 'data-testid="export-callers"' in page
        response = client.get(f"/console/insights/hotspots/callers.xlsx?{PERIOD}")
    assert response.status_code == 200
    rows = _sheet(response)
    assert "已脱敏" in rows[1][0]
    assert rows[2] == ["电话", "诉求", "诉求编号"]
    # The 25 background appeals came from one phone: shown masked, never in full.
    [caller] = [r for r in rows[3:] if r[1] == 25]
    assert caller[0] == "138****1234"
    assert "13800001234" not in str(rows)


def test_repeat_places_csv(client, rising):  # noqa: F811
    """All 31 appeals of the fixture give the same address (25 background, 6 about the
    manhole), from seven phones."""
    client.force_login(rising.u("supervisor"))
    with timesource.frozen_at(WEDNESDAY):
        response = client.get(f"/console/insights/hotspots/places.csv?{PERIOD}")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert any(r[0] == "坪山街道某小区" and r[1] == "31" for r in rows[1:])


def test_the_analyst_exports_topics_not_callers(client, rising):  # noqa: F811
    client.force_login(rising.u("analyst"))
    with timesource.frozen_at(WEDNESDAY):
        assert client.get(f"/console/insights/hotspots/callers.xlsx?{PERIOD}").status_code == 403
        response = client.get("/console/insights/hotspots/topics.csv")
        emerging = client.get("/console/insights/hotspots/emerging.xlsx")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and "井盖" in rows[1][0] and rows[1][1] == "6"
    sheet = _sheet(emerging)
    assert sheet[3][0] == "环境卫生" and sheet[3][2] == 6


def test_roles_without_exports_and_unknown_tables(client, rising):  # noqa: F811
    client.force_login(rising.u("supervisor"))
    assert client.get("/console/insights/hotspots/nothing.csv").status_code == 404
    assert client.get("/console/insights/hotspots/topics.pdf").status_code == 404
    client.force_login(rising.u("handler"))
    assert client.get("/console/insights/hotspots/topics.csv").status_code == 403


def test_trend_tables_export(client, rising):  # noqa: F811
    client.force_login(rising.u("analyst"))
    query = "period=custom&start=2026-11-01&end=2026-11-30"
    with timesource.frozen_at(WEDNESDAY):
        page = client.get(f"/console/insights/trends/?{query}").content.decode()
        response = client.get(f"/console/insights/trends/category.csv?{query}")
        sheet = _sheet(client.get(f"/console/insights/trends/channel.xlsx?{query}"))
        unknown = client.get(f"/console/insights/trends/unit.csv?{query}")
    assert 'data-testid="export-trend-category"' in page
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    # November by hand: 市容环卫 3 background appeals (3, 10, 17 Nov) + 6 this week = 9;
    # 市政设施 6 background (4, 5, 11, 12, 18, 19 Nov) + 1 this week = 7; nothing a year before.
    assert rows[0] == ["名称", "诉求", "占比", "去年同期占比", "同比", "末期环比"]
    assert rows[1][:3] == ["市容环卫", "9", "0.5625"] and rows[2][:3] == ["市政设施", "7", "0.4375"]
    assert rows[1][3:] == ["", "", ""]
    assert sheet[3][:3] == ["hotline", 16, 1]
    assert unknown.status_code == 404
