# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The insights desks as users see them: who lands where, the numbers on the pages, the
drill-down links, exports, reports and recommendations."""

import io

import pytest
from openpyxl import load_workbook

NOV = {"period": "custom", "start": "2026-11-01", "end": "2026-11-30"}


@pytest.fixture
def as_user(client, world):
    def login(name):
        client.force_login(world.u(name))
        return client

    return login


def test_the_analyst_lands_on_the_overview(as_user):
    response = as_user("analyst").get("/console/")
    assert response.status_code == 302 and response["Location"] == "/console/insights/"
    page = as_user("analyst").get("/console/insights/")
    assert page.status_code == 200
    assert 'data-testid="today-received"' in page.content.decode()


def test_supervisor_and_leader_reach_the_desk_others_do_not(as_user):
    assert as_user("supervisor").get("/console/insights/").status_code == 200
    assert as_user("leader").get("/console/insights/ranking/").status_code == 200
    assert as_user("handler").get("/console/insights/").status_code == 403
    assert as_user("intake").get("/console/insights/ranking/").status_code == 403


def test_ranking_numbers_and_drill_down(as_user, refreshed):
    page = as_user("supervisor").get("/console/insights/ranking/", NOV).content.decode()
    assert 'data-testid="unit-D01"' in page and 'data-testid="unit-D02"' in page
    # D01: 3 of 4 handling rounds on time; its drill-down opens the search filtered.
    assert "3/4" in page
    assert (
        "/console/search/?received_from=2026-11-01&amp;received_to=2026-11-30&amp;unit=D01" in page
    )
    search = as_user("analyst").get(
        "/console/search/",
        {
            "received_from": "2026-11-01",
            "received_to": "2026-11-30",
            "unit": "D01",
            "unit_role": "lead",
        },
    )
    assert search.status_code == 200
    text = search.content.decode()
    assert refreshed.clean.number in text
    assert "13800001234" not in text  # the analyst sees appeals masked


def test_a_leader_sees_only_the_own_unit(as_user, refreshed):
    page = as_user("leader").get("/console/insights/ranking/", NOV).content.decode()
    assert 'data-testid="unit-D01"' in page and 'data-testid="unit-D02"' not in page


def test_exports_open_in_excel(as_user, refreshed):
    response = as_user("analyst").get("/console/insights/export.xlsx", {**NOV, "by": "unit"})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    header = rows[2]
    assert "退单率" in header or "Return rate" in header
    d01 = next(r for r in rows[3:] if r[1] == "D01")
    assert d01[3] == 3  # appeals received
    csv = as_user("analyst").get("/console/insights/export.csv", {**NOV, "by": "channel"})
    assert csv.status_code == 200 and csv.content.decode("utf-8-sig").count("\n") == 2


def test_trends_and_hotspots_pages(as_user, refreshed):
    page = as_user("analyst").get("/console/insights/trends/", NOV)
    assert page.status_code == 200 and 'data-testid="trend-hotline"' in page.content.decode()
    page = as_user("supervisor").get("/console/insights/hotspots/", NOV)
    assert page.status_code == 200
    text = page.content.decode()
    # The history's appeals share one phone and one address: a repeat caller for supervisors.
    assert 'data-testid="repeat-caller"' in text and "138****1234" in text
    analyst = as_user("analyst").get("/console/insights/hotspots/", NOV).content.decode()
    assert 'data-testid="repeat-caller"' not in analyst


def test_bad_period_is_explained(as_user):
    page = as_user("analyst").get(
        "/console/insights/ranking/",
        {"period": "custom", "start": "2026-12-01", "end": "2026-11-01"},
    )
    assert page.status_code == 200
    assert "结束日期早于开始日期" in page.content.decode()


def test_regions_outline(as_user):
    data = as_user("analyst").get("/console/insights/regions.geojson").json()
    assert data["type"] == "FeatureCollection"
    assert data["features"][0]["properties"]["level"] == "district"
