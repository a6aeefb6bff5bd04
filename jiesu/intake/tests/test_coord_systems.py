# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Coordinates from Chinese map SDKs at the machine doors (issue 9): the native API's
`coord_system` and Open311's `attribute[coord_system]` take wgs84 (the default), gcj02 and
bd09; the appeal stores, and both doors return, WGS84."""

from __future__ import annotations

import pytest

from jiesu.appeals.models import Appeal
from jiesu.intake.open311.models import Open311Request
from jiesu.intake.tests.api_support import (
    LIST_URL,
    at,
    body,
    field_codes,
    key_client,
    machine_channel,
    make_world,
)
from jiesu.intake.tests.test_open311 import o311, parse, valid_request, world  # noqa: F401
from jiesu.org import coords

# A point in the test district (114-115 E, 22-23 N), as WGS84 and as the SDKs give it.
WGS = (22.7, 114.35)
GCJ = coords.wgs84_to_gcj02(*WGS)
BD = coords.wgs84_to_bd09(*WGS)


def test_the_sdk_points_really_differ():
    assert coords.distance_m(*GCJ, *WGS) > 200 and coords.distance_m(*BD, *WGS) > 500


# -- native API ---------------------------------------------------------------------------------


@pytest.fixture
def api(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_world(settings)
    _channel, key = machine_channel()
    return key_client(key)


@pytest.mark.parametrize(
    ("system", "point"),
    [(None, WGS), ("wgs84", WGS), ("gcj02", GCJ), ("bd09", BD)],
)
def test_api_stores_wgs84_whatever_the_system(api, system, point):
    data = body(lat=point[0], lng=point[1])
    if system:
        data["coord_system"] = system
    with at():
        response = api.post(LIST_URL, data, format="json")
    assert response.status_code == 201, response.content
    appeal = Appeal.objects.get(number=response.json()["number"])
    assert coords.distance_m(appeal.lat, appeal.lng, *WGS) < 0.1
    detail = api.get(f"{LIST_URL}{appeal.number}/").json()
    assert coords.distance_m(detail["lat"], detail["lng"], *WGS) < 0.1


def test_api_refuses_an_unknown_system_and_files_nothing(api):
    with at():
        response = api.post(LIST_URL, body(coord_system="mercator"), format="json")
    assert response.status_code == 400
    assert "coord_system" in field_codes(response)
    assert not Appeal.objects.exists()


def test_api_checks_the_district_after_converting(api):
    """Near the district's east edge (115 E) the GCJ-02 point lies outside and its WGS84
    point inside: the district check must see the converted point."""
    inside = (22.5, 114.997)
    shifted = coords.wgs84_to_gcj02(*inside)
    assert shifted[1] > 115
    with at():
        raw = api.post(LIST_URL, body(lat=shifted[0], lng=shifted[1]), format="json")
        converted = api.post(
            LIST_URL,
            body(lat=shifted[0], lng=shifted[1], coord_system="gcj02"),
            format="json",
            HTTP_IDEMPOTENCY_KEY="second",
        )
    assert raw.status_code == 400, raw.content
    assert converted.status_code == 201, converted.content
    appeal = Appeal.objects.get()
    assert coords.distance_m(appeal.lat, appeal.lng, *inside) < 0.1


# -- Open311 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("system", "point"), [("gcj02", GCJ), ("bd09", BD), ("wgs84", WGS)])
def test_open311_attribute_converts_to_wgs84(o311, system, point):  # noqa: F811
    fields = valid_request(
        o311, lat=f"{point[0]:.8f}", long=f"{point[1]:.8f}", **{"attribute[coord_system]": system}
    )
    response = o311.api.post(fields, "json")
    assert response.status_code == 201, response.content
    appeal = Appeal.objects.get()
    assert coords.distance_m(appeal.lat, appeal.lng, *WGS) < 0.1
    assert Open311Request.objects.get().attributes["coord_system"] == system
    (entry,) = parse(o311.api.get(f"requests/{appeal.number}", "json"), "json")
    assert coords.distance_m(float(entry["lat"]), float(entry["long"]), *WGS) < 0.1


def test_open311_unknown_system_is_a_400(o311):  # noqa: F811
    fields = valid_request(o311, **{"attribute[coord_system]": "mercator"})
    response = o311.api.post(fields, "json")
    assert response.status_code == 400
    assert "coord_system" in response.content.decode()
    assert not Appeal.objects.exists()


def test_open311_offers_the_attribute(o311):  # noqa: F811
    definition = parse(o311.api.get(f"services/{o311.leaf.code}", "json"), "json")
    (attribute,) = [a for a in definition["attributes"] if a["code"] == "coord_system"]
    assert [v["key"] for v in attribute["values"]] == ["wgs84", "gcj02", "bd09"]
    assert attribute["required"] is False
