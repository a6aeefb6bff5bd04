# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The committed derived files are what the build scripts make (no database needed)."""

import csv
import json
from collections import Counter

import pytest
from shapely.geometry import Point, shape

from jiesu.demo import build_catalog, build_geometry


def test_regions_geojson_is_up_to_date():
    assert build_geometry.main(["--check"]) == 0


def test_demo_geometry_tiles_the_district():
    features = json.loads(build_geometry.OUTPUT.read_text(encoding="utf-8"))["features"]
    shapes = {f["properties"]["code"]: shape(f["geometry"]) for f in features}
    district = shapes["440310"]
    assert build_geometry.area_km2(district) == pytest.approx(166.31, abs=0.1)
    children = {}
    for f in features:
        if f["properties"]["parent_code"]:
            children.setdefault(f["properties"]["parent_code"], []).append(f["properties"]["code"])
    for parent, codes in children.items():
        parts = [shapes[c] for c in codes]
        # The children cover their parent, without overlapping one another.
        assert sum(p.area for p in parts) == pytest.approx(shapes[parent].area, rel=1e-4), parent
        for part in parts:
            # Rounding coordinates to 6 decimals leaves slivers of a few square metres.
            assert part.difference(shapes[parent]).area < 1e-4 * part.area
    # Each subdistrict's point of org.csv lies inside its own cell.
    _district, subdistricts, _communities = build_geometry.read_org()
    for s in subdistricts:
        assert shapes[s["code"]].contains(Point(s["lng"], s["lat"])), s["name"]


def test_every_2018_handler_name_is_mapped():
    units = build_catalog.read_units()
    default, narrowed = build_catalog.read_mapping(units)
    assert len(default) >= 150
    assert set(narrowed.values()) <= set(units)
    kinds = Counter(build_catalog.handler_key(code, units) for code in default.values())
    assert kinds[build_catalog.AREA] > 50  # communities, teams, subdistrict bodies


def test_catalogue_csv_is_well_formed():
    with open(build_catalog.OUTPUT, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == build_catalog.HEADER
    for row in rows:
        assert row["三级编码"].startswith(row["二级编码"] + "-")
        assert row["二级编码"].startswith(row["一级编码"] + "-")
        if row["主办方式"] == "area":
            assert row["主办单位"] == ""
        else:
            assert row["主办方式"] == "fixed" and row["主办单位"]
        if row["协办单位"]:
            assert row["协办单位"] != row["主办单位"]


@pytest.mark.skipif(
    not build_catalog.events_path(None).exists(),
    reason="needs the shared Pingshan events (not in a fresh clone)",
)
def test_catalogue_is_up_to_date_with_the_events():
    assert build_catalog.main(["--check"]) == 0
