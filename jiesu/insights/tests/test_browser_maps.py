# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The staff's maps in a real browser: the call form 来电登记 and the appeal page draw the
district, subdistrict and community outlines without any tile server, and with tiles in BD-09
(Baidu) every point is shifted when drawn and shifted back when clicked."""

from __future__ import annotations

import pytest

from jiesu.appeals.models import Appeal
from jiesu.console.tests.browser import shot
from jiesu.console.tests.test_browser_journeys import demo, pytestmark, staff  # noqa: F401

OUTLINES = "svg path.region-outline"


@pytest.fixture
def baidu(settings):
    # No tile URL (nothing may leave the test server), but drawn as for Baidu tiles.
    settings.JIESU = {**settings.JIESU, "MAP_TILE_URL": "", "MAP_TILE_COORD_SYSTEM": "bd09"}


def test_call_form_map_draws_outlines_and_stores_wgs84(staff, demo, baidu):  # noqa: F811
    intake = staff.login("intake")
    intake.goto("/console/intake/new/")
    intake.wait_for_selector(f"#call-map {OUTLINES}")
    assert intake.locator(f"#call-map {OUTLINES}").count() >= 7  # district + 6 subdistricts
    assert intake.get_attribute("#call-map", "data-tiles-crs") == "bd09"
    intake.evaluate(
        """() => document.getElementById("call-map").jiesuMap.on("click", e => {
            window.clicked = [e.latlng.lat, e.latlng.lng];
        })"""
    )
    box = intake.locator("#call-map").bounding_box()
    intake.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    lat, lng = float(intake.input_value("#id_lat")), float(intake.input_value("#id_lng"))
    # The point under the mouse (in BD-09) and the WGS84 point stored, shifted back to BD-09.
    clicked, again = intake.evaluate(
        """([lat, lng]) => [window.clicked, JiesuMap.shiftFor("bd09")(lat, lng)]""",
        [lat, lng],
    )
    assert again == pytest.approx(clicked, abs=2e-6)
    # Baidu's offset around Pingshan is several hundred metres: the stored point is not the
    # clicked one.
    assert abs(clicked[0] - lat) + abs(clicked[1] - lng) > 0.005


def test_appeal_page_map_draws_outlines_and_the_shifted_pin(staff, demo, baidu):  # noqa: F811
    appeal = demo.in_progress(title="路灯不亮", lat=22.70, lng=114.35)
    assert Appeal.objects.get(pk=appeal.pk).lat == pytest.approx(22.70)
    supervisor = staff.login("supervisor")
    supervisor.goto(f"/console/appeals/{appeal.number}/")
    supervisor.wait_for_selector(f"#map {OUTLINES}")
    assert supervisor.locator(f"#map {OUTLINES}").count() >= 7
    pin = supervisor.evaluate(
        """() => {
            let at = null;
            document.getElementById("map").jiesuMap.eachLayer(l => {
                if (l instanceof L.Marker) at = [l.getLatLng().lat, l.getLatLng().lng];
            });
            return at;
        }"""
    )
    # WGS84 (22.70, 114.35) in BD-09, as jiesu.org.coords computes it.
    from jiesu.org import coords

    assert pin == pytest.approx(list(coords.wgs84_to_bd09(22.70, 114.35)), abs=1e-7)
    shot(supervisor, "console-appeal-map", doc=True)
