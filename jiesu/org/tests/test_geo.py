# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Point-to-region resolution."""

import math
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu import versions
from jiesu.org import geo
from jiesu.org.models import Region

from .conftest import square

# Coordinates in these tests: the fixture district is lng 0..10, lat 0..10.


@pytest.mark.django_db
class TestResolvePoint:
    def test_deepest_region_wins(self, district):
        assert geo.resolve_point(1.5, 1.5) == district["G1"]  # inside the grid cell
        assert geo.resolve_point(4, 4) == district["C1"]  # community, outside the grid cell
        assert geo.resolve_point(8, 1) == district["S1"]  # west subdistrict, north of C1
        assert geo.resolve_point(1, 8) == district["S2"]  # east subdistrict (lng 8)

    def test_argument_order_is_lat_then_lng(self, district):
        # lat 1.5 / lng 7 lies in the east; the swapped point would be in the west.
        assert geo.resolve_point(lat=1.5, lng=7) == district["S2"]

    def test_outside_everything_is_none(self, district):
        assert geo.resolve_point(20, 20) is None
        assert geo.resolve_point(-1, 5) is None
        assert geo.resolve_point(22.7, 114.3) is None

    def test_no_regions_at_all(self, db):
        assert geo.resolve_point(1, 1) is None

    def test_point_on_a_border_counts_as_inside(self, district):
        assert geo.resolve_point(0, 0) == district["C1"]
        assert geo.resolve_point(10, 10) == district["S2"]

    def test_inactive_regions_are_skipped(self, district):
        g1 = district["G1"]
        g1.active = False
        g1.save()
        assert geo.resolve_point(1.5, 1.5) == district["C1"]

    def test_regions_without_boundary_are_skipped(self, district):
        Region.objects.create(code="C2", name="No shape", level="community", parent=district["S2"])
        assert geo.resolve_point(5, 7) == district["S2"]

    def test_regions_at_lists_deepest_first(self, district):
        chain = geo.regions_at(1.5, 1.5)
        assert [r.code for r in chain] == ["G1", "C1", "S1", "D"]

    def test_multipolygon(self, district):
        multi = {
            "type": "MultiPolygon",
            "coordinates": [square(6, 6, 7, 7)["coordinates"], square(8, 8, 9, 9)["coordinates"]],
        }
        c = Region.objects.create(
            code="C9", name="Islands", level="community", parent=district["S2"], boundary=multi
        )
        assert geo.resolve_point(8.5, 8.5) == c
        assert geo.resolve_point(6.5, 6.5) == c
        # Inside the bounding box, between the islands: the subdistrict.
        assert geo.resolve_point(7.5, 7.5) == district["S2"]

    def test_edited_boundary_is_picked_up(self, district):
        assert geo.resolve_point(1.5, 1.5) == district["G1"]  # caches G1's geometry
        g1 = Region.objects.get(code="G1")
        g1.boundary = square(3, 3, 4, 4)
        g1.save()
        assert geo.resolve_point(1.5, 1.5) == district["C1"]
        assert geo.resolve_point(3.5, 3.5) == g1

    def test_edit_through_queryset_update_with_new_digest_is_picked_up(self, district, monkeypatch):
        # Another process (or a raw update) changed the row: the digest tells, at the next
        # fingerprint check (at most MAX_AGE seconds later).
        assert geo.resolve_point(1.5, 1.5) == district["G1"]
        g1 = Region.objects.get(code="G1")
        g1.boundary = square(3, 3, 4, 4)
        g1._apply_boundary()
        Region.objects.filter(pk=g1.pk).update(
            boundary=g1.boundary,
            boundary_digest=g1.boundary_digest,
            min_lng=3,
            min_lat=3,
            max_lng=4,
            max_lat=4,
        )
        assert geo.resolve_point(1.5, 1.5).code == "G1"  # the copy is fresh enough
        later = time.monotonic() + geo.MAX_AGE + 0.1
        monkeypatch.setattr(versions.time, "monotonic", lambda: later)
        assert geo.resolve_point(3.5, 3.5).code == "G1"
        assert geo.resolve_point(1.5, 1.5).code == "C1"

    def test_a_broken_row_does_not_break_lookups(self, district, caplog):
        bow_tie = {"type": "Polygon", "coordinates": [[[1, 1], [2, 2], [2, 1], [1, 2], [1, 1]]]}
        Region.objects.filter(code="G1").update(boundary=bow_tie, boundary_digest="raw")
        assert geo.resolve_point(1.5, 1.2) == district["C1"]
        assert "invalid boundary" in caplog.text

    def test_lookups_ask_no_query_once_loaded(self, district, steady_process_copies):
        geo.resolve_point(1.5, 1.5)
        with CaptureQueriesContext(connection) as ctx:
            assert geo.resolve_point(1.6, 1.6) == district["G1"]
            assert [r.code for r in geo.regions_at(1.6, 1.6)] == ["G1", "C1", "S1", "D"]
            assert not geo.outside_district(1.6, 1.6)
        assert ctx.captured_queries == []

    def test_returned_regions_are_independent_instances(self, district):
        first = geo.resolve_point(1.5, 1.5)
        first.name = "changed in memory"
        assert geo.resolve_point(1.5, 1.5).name == district["G1"].name
        # The boundary is not kept on the instance but loads on access.
        assert geo.resolve_point(1.5, 1.5).boundary == district["G1"].boundary


@pytest.mark.parametrize(
    ("lat", "lng", "message"),
    [
        (91, 10, "latitude must be between -90 and 90"),
        (-90.5, 10, "latitude must be between -90 and 90"),
        (10, 180.01, "longitude must be between -180 and 180"),
        (math.nan, 10, "finite"),
        (10, math.inf, "finite"),
        ("abc", 10, "must be a number"),
        (None, 10, "must be a number"),
        (10, True, "must be a number"),
        (114.3, 22.7, "swapped"),
    ],
)
def test_bad_coordinates(lat, lng, message):
    with pytest.raises(ValueError, match=message):
        geo.resolve_point(lat, lng)


def test_numeric_strings_accepted():
    assert geo.check_coordinates("22.7", "114.3") == (22.7, 114.3)


def test_outside_share():
    parent = geo.parse_boundary(square(0, 0, 10, 10))
    assert geo.outside_share(geo.parse_boundary(square(1, 1, 2, 2)), parent) == 0
    assert geo.outside_share(geo.parse_boundary(square(9, 0, 11, 1)), parent) == pytest.approx(0.5)
    assert geo.sticks_out(geo.parse_boundary(square(9, 0, 10.005, 1)), parent) is None
    assert geo.sticks_out(geo.parse_boundary(square(9, 0, 11, 1)), parent) == pytest.approx(0.5)
