# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
import pytest

from jiesu.org.models import Region, Unit, User, UserRole


def square(x0, y0, x1, y1):
    """A GeoJSON Polygon for the box (x0, y0)-(x1, y1), in lng/lat."""
    return {
        "type": "Polygon",
        "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
    }


@pytest.fixture
def make_unit(db):
    counter = iter(range(1, 10_000))

    def make(name=None, parent=None, **fields):
        n = next(counter)
        fields.setdefault("kind", Unit.Kind.DEPARTMENT)
        return Unit.objects.create(
            code=fields.pop("code", f"U{n:03d}"), name=name or f"Unit {n}", parent=parent, **fields
        )

    return make


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(*roles, unit=None, **fields):
        n = next(counter)
        user = User.objects.create(username=fields.pop("username", f"user{n}"), unit=unit, **fields)
        for role in roles:
            UserRole.objects.create(user=user, role=role)
        return user

    return make


@pytest.fixture
def district(db):
    """A district 0..10 x 0..10 with two subdistricts, communities and a grid cell."""
    d = Region.objects.create(
        code="D", name="District", level="district", boundary=square(0, 0, 10, 10)
    )
    s1 = Region.objects.create(
        code="S1", name="West", level="subdistrict", parent=d, boundary=square(0, 0, 5, 10)
    )
    s2 = Region.objects.create(
        code="S2", name="East", level="subdistrict", parent=d, boundary=square(5, 0, 10, 10)
    )
    c1 = Region.objects.create(
        code="C1", name="West-south", level="community", parent=s1, boundary=square(0, 0, 5, 5)
    )
    g1 = Region.objects.create(
        code="G1", name="Grid 1", level="grid", parent=c1, boundary=square(1, 1, 2, 2)
    )
    return {"D": d, "S1": s1, "S2": s2, "C1": c1, "G1": g1}
