# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Region levels and boundary validation."""

import math

import pytest
from django.core.exceptions import ValidationError

from jiesu.org.models import Region

from .conftest import square


def region(code, level, parent=None, **fields):
    return Region(code=code, name=code, level=level, parent=parent, **fields)


@pytest.mark.django_db
class TestLevels:
    def test_valid_chain(self):
        d = Region.objects.create(code="D", name="D", level="district")
        s = region("S", "subdistrict", d)
        s.full_clean()
        s.save()
        c = region("C", "community", s)
        c.full_clean()
        c.save()
        g = region("G", "grid", c)
        g.full_clean()

    @pytest.mark.parametrize(
        ("level", "parent_level", "message"),
        [
            ("subdistrict", None, "Only a district may have no parent region."),
            ("community", None, "Only a district may have no parent region."),
            ("grid", "subdistrict", "A Grid cell must be placed under a Community"),
            ("community", "district", "A Community must be placed under a Subdistrict"),
            ("subdistrict", "subdistrict", "A Subdistrict must be placed under a District"),
            ("district", "district", "A district cannot have a parent region."),
        ],
    )
    def test_wrong_level_refused(self, level, parent_level, message):
        parent = None
        if parent_level:
            chain = ["district", "subdistrict", "community"]
            parent = None
            for lvl in chain[: chain.index(parent_level) + 1]:
                parent = Region.objects.create(code=lvl, name=lvl, level=lvl, parent=parent)
        with pytest.raises(ValidationError) as error:
            region("X", level, parent).full_clean()
        assert message in " ".join(error.value.message_dict["parent"])

    def test_level_change_that_strands_children_refused(self):
        d = Region.objects.create(code="D", name="D", level="district")
        s = Region.objects.create(code="S", name="S", level="subdistrict", parent=d)
        Region.objects.create(code="C", name="C", level="community", parent=s)
        s.level = "community"
        s.parent = d
        with pytest.raises(ValidationError) as error:
            s.full_clean()
        # Both the new place and the stranded child are reported.
        assert "parent" in error.value.message_dict

    def test_unknown_level(self):
        with pytest.raises(ValidationError) as error:
            region("X", "planet").full_clean()
        assert "level" in error.value.message_dict


@pytest.mark.django_db
class TestBoundary:
    def test_bbox_and_centre_filled(self):
        r = Region.objects.create(code="D", name="D", level="district", boundary=square(1, 2, 3, 6))
        r.refresh_from_db()
        assert (r.min_lng, r.min_lat, r.max_lng, r.max_lat) == (1, 2, 3, 6)
        assert (r.center_lng, r.center_lat) == (2, 4)
        assert len(r.boundary_digest) == 64

    def test_centre_inside_a_crescent(self):
        # A U shape whose centroid falls in the notch: the centre must still be inside.
        u_shape = {
            "type": "Polygon",
            "coordinates": [
                [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]
            ],
        }
        r = Region.objects.create(code="D", name="D", level="district", boundary=u_shape)
        assert r.geometry().covers(__import__("shapely").Point(r.center_lng, r.center_lat))

    def test_multipolygon_and_3d_coordinates(self):
        multi = {
            "type": "MultiPolygon",
            "coordinates": [
                [[[0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 1, 5], [0, 0, 5]]],
                [[[4, 4, 5], [5, 4, 5], [5, 5, 5], [4, 5, 5], [4, 4, 5]]],
            ],
        }
        r = Region.objects.create(code="D", name="D", level="district", boundary=multi)
        assert r.boundary["type"] == "MultiPolygon"
        assert r.boundary["coordinates"][0][0][0] == [0.0, 0.0]  # z dropped
        assert (r.min_lng, r.max_lng) == (0, 5)

    def test_clearing_the_boundary_clears_the_box(self):
        r = Region.objects.create(code="D", name="D", level="district", boundary=square(0, 0, 1, 1))
        r.boundary = None
        r.save()
        r.refresh_from_db()
        assert r.min_lng is r.max_lat is None and r.boundary_digest == ""

    def test_text_json_accepted(self):
        r = Region.objects.create(
            code="D",
            name="D",
            level="district",
            boundary='{"type": "Polygon", "coordinates": [[[0,0],[1,0],[1,1],[0,0]]]}',
        )
        assert r.boundary["type"] == "Polygon"

    @pytest.mark.parametrize(
        ("boundary", "message"),
        [
            (
                # A bow tie: the ring crosses itself.
                {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
                "not a valid polygon: Self-intersection",
            ),
            ({"type": "Point", "coordinates": [1, 1]}, "must be a Polygon or a MultiPolygon"),
            ({"type": "Polygon", "coordinates": []}, "empty"),
            ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, "Too few points"),
            ({"type": "Polygon", "coordinates": [[[0, 0], [1]]]}, "malformed"),
            ({"type": "Polygon", "coordinates": [[[0, 0], ["1", 0], [1, 1], [0, 0]]]}, "finite"),
            ({"type": "Polygon", "coordinates": "nope"}, "no 'coordinates' list"),
            ([1, 2, 3], "must be a GeoJSON geometry"),
            ("{not json", "not valid JSON"),
            (
                {"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [200, 1], [0, 0]]]},
                "outside longitude",
            ),
            (
                {"type": "Polygon", "coordinates": [[[0, 0], [math.nan, 0], [1, 1], [0, 0]]]},
                "not finite",
            ),
            (
                {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [2, 0], [0, 0]]]},
                "",  # no area: invalid or empty, either way refused
            ),
        ],
    )
    def test_bad_boundaries_refused_on_clean_and_save(self, boundary, message):
        r = Region(code="D", name="D", level="district", boundary=boundary)
        with pytest.raises(ValidationError) as error:
            r.full_clean()
        assert message in " ".join(error.value.message_dict["boundary"])
        with pytest.raises(ValidationError):
            Region(code="D", name="D", level="district", boundary=boundary).save()
        assert not Region.objects.exists()

    def test_a_feature_is_not_a_geometry(self):
        feature = {"type": "Feature", "properties": {}, "geometry": square(0, 0, 1, 1)}
        with pytest.raises(ValidationError):
            Region.objects.create(code="D", name="D", level="district", boundary=feature)
