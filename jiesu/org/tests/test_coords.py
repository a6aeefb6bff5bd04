# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""GCJ-02 and BD-09 to WGS84, against published reference points.

The pairs come from the test suites of widely used implementations of the public formula:
googollee/eviltransform (python/test.py: Shanghai, Shenzhen, Beijing), wandergis/coordtransform
(test/app.js: Tiananmen Square, 116.404, 39.915) and hujiulong/gcoord (test/unit/crs: the
point 123, 45 in BD-09 and GCJ-02). eviltransform's own BD-09 pairs are left out: they were
made with its one-step GCJ-02 inverse, which is off by up to about ten metres."""

from __future__ import annotations

import random

import pytest

from jiesu.org import coords

# wgs lat, wgs lng, gcj lat, gcj lng (eviltransform)
WGS_GCJ = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
    # coordtransform: wgs84togcj02(116.404, 39.915), Tiananmen Square
    (39.915, 116.404, 39.91640428150164, 116.41024449916938),
]
# bd lat, bd lng, wgs lat, wgs lng (gcoord: BD09.to.WGS84([123, 45]))
BD_WGS = [(45.0, 123.0, 44.99171540, 122.98762210)]
# gcj lat, gcj lng -> bd lat, bd lng: coordtransform gcj02tobd09(116.404, 39.915) (Tiananmen
# Square); gcoord GCJ02.to.BD09([123, 45])
GCJ_TO_BD = [
    (39.915, 116.404, 39.92133699351021, 116.41036949371029),
    (45.0, 123.0, 45.00636899, 123.00636499),
]
# bd lat, bd lng -> gcj lat, gcj lng: coordtransform bd09togcj02(116.404, 39.915); gcoord
# BD09.to.GCJ02([123, 45]). Both use Baidu's unrefined inverse (off by a few centimetres).
BD_TO_GCJ = [
    (39.915, 116.404, 39.90865673957631, 116.39762729119315),
    (45.0, 123.0, 44.99365430, 122.99363304),
]


@pytest.mark.parametrize(("w_lat", "w_lng", "g_lat", "g_lng"), WGS_GCJ)
def test_wgs84_to_gcj02_matches_the_published_values(w_lat, w_lng, g_lat, g_lng):
    lat, lng = coords.wgs84_to_gcj02(w_lat, w_lng)
    assert coords.distance_m(lat, lng, g_lat, g_lng) < 0.001


@pytest.mark.parametrize(("w_lat", "w_lng", "g_lat", "g_lng"), WGS_GCJ)
def test_gcj02_to_wgs84_finds_the_published_point(w_lat, w_lng, g_lat, g_lng):
    lat, lng = coords.gcj02_to_wgs84(g_lat, g_lng)
    # The offset itself is several hundred metres; the inverse is within centimetres.
    assert coords.distance_m(g_lat, g_lng, w_lat, w_lng) > 100
    assert coords.distance_m(lat, lng, w_lat, w_lng) < 0.05


@pytest.mark.parametrize(("b_lat", "b_lng", "w_lat", "w_lng"), BD_WGS)
def test_bd09_to_wgs84_matches_the_published_values(b_lat, b_lng, w_lat, w_lng):
    lat, lng = coords.bd09_to_wgs84(b_lat, b_lng)
    # The published value has eight decimals (about a millimetre): half a metre is generous.
    assert coords.distance_m(lat, lng, w_lat, w_lng) < 0.5
    back = coords.wgs84_to_bd09(lat, lng)
    assert coords.distance_m(*back, b_lat, b_lng) < 0.01


@pytest.mark.parametrize(("g_lat", "g_lng", "b_lat", "b_lng"), GCJ_TO_BD)
def test_gcj02_to_bd09_matches_the_published_values(g_lat, g_lng, b_lat, b_lng):
    assert coords.distance_m(*coords.gcj02_to_bd09(g_lat, g_lng), b_lat, b_lng) < 0.01


@pytest.mark.parametrize(("b_lat", "b_lng", "g_lat", "g_lng"), BD_TO_GCJ)
def test_bd09_to_gcj02_matches_the_published_values(b_lat, b_lng, g_lat, g_lng):
    lat, lng = coords.bd09_to_gcj02(b_lat, b_lng)
    assert coords.distance_m(lat, lng, g_lat, g_lng) < 0.5
    # ours is refined: its forward image is the BD-09 point to the millimetre
    assert coords.distance_m(*coords.gcj02_to_bd09(lat, lng), b_lat, b_lng) < 0.001


def test_round_trips_stay_under_half_a_metre_across_china():
    rng = random.Random(9)
    worst = 0.0
    for _ in range(500):
        lat, lng = rng.uniform(18.2, 53.5), rng.uniform(73.5, 134.7)
        for forward, back in (
            (coords.wgs84_to_gcj02, coords.gcj02_to_wgs84),
            (coords.wgs84_to_bd09, coords.bd09_to_wgs84),
        ):
            again = back(*forward(lat, lng))
            worst = max(worst, coords.distance_m(lat, lng, *again))
    assert worst < 0.05  # a few centimetres at most (the brief asks under 0.5 m)


def test_gcj02_to_wgs84_matches_gcoord():
    lat, lng = coords.gcj02_to_wgs84(45.0, 123.0)
    assert coords.distance_m(lat, lng, 44.99804071, 122.99395597) < 0.5


def test_outside_china_nothing_moves():
    assert coords.wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)
    assert coords.gcj02_to_wgs84(39.3, -76.6) == (39.3, -76.6)  # Baltimore


def test_to_wgs84_by_name():
    g_lat, g_lng = WGS_GCJ[1][2:]
    assert coords.to_wgs84(g_lat, g_lng, "") == (g_lat, g_lng)
    assert coords.to_wgs84(g_lat, g_lng, "WGS84") == (g_lat, g_lng)
    lat, lng = coords.to_wgs84(g_lat, g_lng, "GCJ-02")
    assert coords.distance_m(lat, lng, *WGS_GCJ[1][:2]) < 0.05
    b_lat, b_lng = coords.wgs84_to_bd09(*WGS_GCJ[1][:2])
    lat, lng = coords.to_wgs84(b_lat, b_lng, "bd09ll")
    assert coords.distance_m(lat, lng, *WGS_GCJ[1][:2]) < 0.05
    with pytest.raises(ValueError):
        coords.to_wgs84(g_lat, g_lng, "mercator")
    assert coords.normalise("mercator") is None
