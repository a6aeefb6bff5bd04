# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Coordinate systems of Chinese maps, converted to WGS84 (what the platform stores).

Chinese map SDKs do not give WGS84 positions:

- **GCJ-02** (国测局坐标, "Mars coordinates"): WeChat `wx.getLocation(type: 'gcj02')`, AMap
  (高德), Tencent Maps, Apple Maps in China. WGS84 plus a deliberate, position-dependent
  offset of a few hundred metres.
- **BD-09** (百度坐标): Baidu Maps. GCJ-02 with a further rotation and shift.

Browsers' `navigator.geolocation`, GPS devices and OpenStreetMap give WGS84.

The GCJ-02 offset is the widely published public formula (Krasovsky 1940 ellipsoid constants,
as in googollee/eviltransform and wandergis/coordtransform). It has no closed-form inverse:
`gcj02_to_wgs84` iterates the forward transform until the round trip is within about a
millimetre. Points outside China's bounding box carry no offset (the SDKs do not shift them).
BD-09 ↔ GCJ-02 is Baidu's published rotation; its inverse is refined the same way.

Every function takes and returns `(lat, lng)` in degrees, in that order.
"""

from __future__ import annotations

import math

WGS84 = "wgs84"
GCJ02 = "gcj02"
BD09 = "bd09"
SYSTEMS = (WGS84, GCJ02, BD09)
# Other spellings clients send (AMap calls GCJ-02 "gaode"/"autonavi", WeChat "gcj02").
ALIASES = {
    "wgs84": WGS84,
    "wgs-84": WGS84,
    "wgs_84": WGS84,
    "epsg:4326": WGS84,
    "gps": WGS84,
    "gcj02": GCJ02,
    "gcj-02": GCJ02,
    "gcj_02": GCJ02,
    "bd09": BD09,
    "bd-09": BD09,
    "bd_09": BD09,
    "bd09ll": BD09,
}

_A = 6378245.0  # semi-major axis of the Krasovsky 1940 ellipsoid used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0
_TOLERANCE = 1e-9  # degrees, about 0.1 mm: where the inverse iterations stop
_MAX_STEPS = 30


def normalise(system: str | None) -> str | None:
    """The canonical name of a coordinate system ('' or None means WGS84), or None if unknown."""
    if system is None or not str(system).strip():
        return WGS84
    return ALIASES.get(str(system).strip().lower())


def out_of_china(lat: float, lng: float) -> bool:
    """Outside the rectangle where the Chinese SDKs apply the offset."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta(lat: float, lng: float) -> tuple[float, float]:
    """GCJ-02 minus WGS84 at a WGS84 point, in degrees (lat, lng)."""
    x, y = lng - 105.0, lat - 35.0
    d = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += d
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2 / 3
    d_lng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lng += d
    d_lng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lat, d_lng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if out_of_china(lat, lng):
        return lat, lng
    d_lat, d_lng = _delta(lat, lng)
    return lat + d_lat, lng + d_lng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """The WGS84 point whose GCJ-02 image is (lat, lng): fixed-point iteration on the forward
    transform (the offset changes slowly, so each step gains about four digits)."""
    if out_of_china(lat, lng):
        return lat, lng
    w_lat, w_lng = lat, lng
    for _step in range(_MAX_STEPS):
        g_lat, g_lng = wgs84_to_gcj02(w_lat, w_lng)
        e_lat, e_lng = g_lat - lat, g_lng - lng
        if abs(e_lat) < _TOLERANCE and abs(e_lng) < _TOLERANCE:
            break
        w_lat, w_lng = w_lat - e_lat, w_lng - e_lng
    return w_lat, w_lng


def gcj02_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    z = math.hypot(lng, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """Baidu's published inverse, then refined against the forward rotation (the published
    inverse alone is off by up to a few decimetres)."""
    x, y = lng - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    g_lat, g_lng = z * math.sin(theta), z * math.cos(theta)
    for _step in range(_MAX_STEPS):
        b_lat, b_lng = gcj02_to_bd09(g_lat, g_lng)
        e_lat, e_lng = b_lat - lat, b_lng - lng
        if abs(e_lat) < _TOLERANCE and abs(e_lng) < _TOLERANCE:
            break
        g_lat, g_lng = g_lat - e_lat, g_lng - e_lng
    return g_lat, g_lng


def wgs84_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lng))


def bd09_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lng))


def to_wgs84(lat: float, lng: float, system: str | None) -> tuple[float, float]:
    """A point given in `system` (any spelling `normalise` knows; empty means WGS84) as WGS84.
    Raises ValueError for an unknown system."""
    canonical = normalise(system)
    if canonical is None:
        raise ValueError(f"unknown coordinate system {system!r}")
    if canonical == GCJ02:
        return gcj02_to_wgs84(lat, lng)
    if canonical == BD09:
        return bd09_to_wgs84(lat, lng)
    return lat, lng


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))
