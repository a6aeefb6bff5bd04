# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Region geometry: boundary validation and point-to-region resolution.

Boundaries are GeoJSON geometries (Polygon or MultiPolygon) in WGS84 longitude/latitude
order, stored on `Region.boundary`. Saving a region validates its boundary with shapely and
fills the bounding box (`min_lng` … `max_lat`), the centre and a digest of the boundary.

`resolve_point(lat, lng)` answers "which region is this point in?": the deepest active region
whose boundary covers the point (a point on a border counts as inside). The indexed bounding
box columns narrow the candidates, shapely decides. Prepared geometries are cached per process
and keyed by the boundary digest, so an edited boundary is picked up at once by every process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import threading
from collections import OrderedDict

import shapely
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

logger = logging.getLogger(__name__)

GEOMETRY_TYPES = ("Polygon", "MultiPolygon")

# A child region may stick out of its parent by this share of its own area before the import
# (and the admin) warn about it: borders digitised from different sources never match exactly.
OUTSIDE_TOLERANCE = 0.01

_CACHE_SIZE = 4096
_cache: OrderedDict[int, tuple[str, BaseGeometry]] = OrderedDict()
_lock = threading.Lock()


# -- boundaries --------------------------------------------------------------------------------


def parse_boundary(data) -> Polygon | MultiPolygon:
    """Turn a GeoJSON geometry (dict or JSON text) into a valid shapely (Multi)Polygon.

    Raises ValidationError with a message saying what is wrong: not a geometry, the wrong
    type, malformed coordinates, out-of-range coordinates, empty, or invalid (with the place,
    e.g. a self-intersection).
    """
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise ValidationError(
                _("The boundary is not valid JSON: %(error)s"), params={"error": exc}
            ) from exc
    if not isinstance(data, dict) or "type" not in data:
        raise ValidationError(
            _("The boundary must be a GeoJSON geometry object with a 'type' and 'coordinates'."),
            code="not_geometry",
        )
    kind = data.get("type")
    if kind not in GEOMETRY_TYPES:
        raise ValidationError(
            _("The boundary must be a Polygon or a MultiPolygon, not %(type)s."),
            params={"type": repr(kind)},
            code="wrong_type",
        )
    if not isinstance(data.get("coordinates"), list):
        raise ValidationError(
            _("The boundary has no 'coordinates' list."), code="malformed_coordinates"
        )
    if not _finite_positions(data["coordinates"]):
        raise ValidationError(
            _("The boundary contains coordinates that are not finite numbers."),
            code="bad_coordinates",
        )
    try:
        geometry = shape(data)
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        shapely.errors.ShapelyError,
    ) as exc:
        raise ValidationError(
            _("The boundary's coordinates are malformed: %(error)s"),
            params={"error": exc},
            code="malformed_coordinates",
        ) from exc
    if geometry.is_empty:
        raise ValidationError(_("The boundary is empty."), code="empty")
    if geometry.has_z:
        geometry = shapely.force_2d(geometry)
    min_lng, min_lat, max_lng, max_lat = geometry.bounds
    if min_lng < -180 or max_lng > 180 or min_lat < -90 or max_lat > 90:
        raise ValidationError(
            _(
                "The boundary has coordinates outside longitude -180…180 / latitude -90…90 "
                "(GeoJSON order is [longitude, latitude])."
            ),
            code="bad_coordinates",
        )
    if not geometry.is_valid:
        raise ValidationError(
            _("The boundary is not a valid polygon: %(reason)s."),
            params={"reason": explain_validity(geometry)},
            code="invalid",
        )
    if geometry.area <= 0:
        raise ValidationError(_("The boundary has no area."), code="empty")
    return geometry


def _finite_positions(value) -> bool:
    """False when any leaf of the nested coordinate lists is not a finite number."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif (
            isinstance(item, bool) or not isinstance(item, (int, float)) or not math.isfinite(item)
        ):
            return False
    return True


def _lists(value):
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return value


def to_geojson(geometry: BaseGeometry) -> dict:
    """The GeoJSON geometry dict of a shapely geometry (lists, not tuples)."""
    mapped = shapely.geometry.mapping(geometry)
    return {"type": mapped["type"], "coordinates": _lists(mapped["coordinates"])}


def derived_fields(geometry: BaseGeometry) -> dict:
    """Bounding box and centre of a boundary, as Region field values."""
    min_lng, min_lat, max_lng, max_lat = geometry.bounds
    centre = geometry.centroid
    if not geometry.covers(centre):
        # A crescent or a multipolygon: use a point that is surely inside the area.
        centre = geometry.point_on_surface()
    return {
        "min_lng": min_lng,
        "min_lat": min_lat,
        "max_lng": max_lng,
        "max_lat": max_lat,
        "center_lng": centre.x,
        "center_lat": centre.y,
    }


def digest(geojson: dict) -> str:
    """A stable fingerprint of a GeoJSON geometry."""
    text = json.dumps(geojson, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def outside_share(child: BaseGeometry, parent: BaseGeometry) -> float:
    """The share (0…1) of the child's area that lies outside the parent."""
    if child.area <= 0:
        return 0.0
    return child.difference(parent).area / child.area


def sticks_out(child: BaseGeometry, parent: BaseGeometry, tolerance: float = OUTSIDE_TOLERANCE):
    """The share of `child` outside `parent` when it exceeds `tolerance`, else None."""
    share = outside_share(child, parent)
    return share if share > tolerance else None


# -- points ------------------------------------------------------------------------------------


def _coordinate(name: str, value, limit: float) -> float:
    try:
        if isinstance(value, bool):
            raise TypeError(value)
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(
            gettext("The %(name)s must be a number, not %(value)r.")
            % {"name": name, "value": value}
        ) from None
    if math.isnan(number) or math.isinf(number):
        raise ValueError(
            gettext("The %(name)s must be a finite number, not %(value)r.")
            % {"name": name, "value": value}
        )
    if not -limit <= number <= limit:
        raise ValueError(
            gettext("The %(name)s must be between -%(limit)s and %(limit)s degrees, not %(value)s.")
            % {"name": name, "limit": int(limit), "value": value}
        )
    return number


def check_coordinates(lat, lng) -> tuple[float, float]:
    """Validate a WGS84 point; returns (lat, lng) as floats or raises ValueError."""
    if (
        isinstance(lat, (int, float))
        and not isinstance(lat, bool)
        and 90 < abs(lat) <= 180
        and isinstance(lng, (int, float))
        and abs(lng) <= 90
    ):
        raise ValueError(
            gettext(
                "The latitude must be between -90 and 90 degrees, not %(lat)s "
                "(are latitude and longitude swapped?)."
            )
            % {"lat": lat}
        )
    return _coordinate(gettext("latitude"), lat, 90.0), _coordinate(
        gettext("longitude"), lng, 180.0
    )


def _prepared(entries) -> dict[int, BaseGeometry]:
    """Prepared geometries for (pk, digest) pairs, from the cache or the database."""
    from jiesu.org.models import Region

    found: dict[int, BaseGeometry] = {}
    missing = []
    with _lock:
        for pk, fingerprint in entries:
            cached = _cache.get(pk)
            if cached is not None and cached[0] == fingerprint:
                _cache.move_to_end(pk)
                found[pk] = cached[1]
            else:
                missing.append(pk)
    if missing:
        rows = Region.objects.filter(pk__in=missing).values_list(
            "pk", "boundary_digest", "boundary"
        )
        loaded = {}
        for pk, fingerprint, boundary in rows:
            if not boundary:
                continue
            try:
                geometry = parse_boundary(boundary)
            except ValidationError:
                # Only a row written around Region.save() can get here; skip it, loudly.
                logger.warning("Region %s has an invalid boundary; ignored for lookups.", pk)
                continue
            shapely.prepare(geometry)
            loaded[pk] = (fingerprint, geometry)
            found[pk] = geometry
        with _lock:
            _cache.update(loaded)
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return found


def _containing_ids(lat, lng, first_only: bool) -> list[int]:
    from jiesu.org.models import Region

    lat, lng = check_coordinates(lat, lng)
    candidates = list(
        Region.objects.filter(
            active=True,
            min_lng__lte=lng,
            max_lng__gte=lng,
            min_lat__lte=lat,
            max_lat__gte=lat,
        ).values_list("pk", "boundary_digest", "depth", "min_lng", "min_lat", "max_lng", "max_lat")
    )
    if not candidates:
        return []
    # Deepest first; among equals (overlapping data) the smaller box, then the older region.
    candidates.sort(key=lambda c: (-c[2], (c[5] - c[3]) * (c[6] - c[4]), c[0]))
    geometries = _prepared([(c[0], c[1]) for c in candidates])
    point = shapely.Point(lng, lat)
    hits = []
    with _lock:
        for candidate in candidates:
            geometry = geometries.get(candidate[0])
            if geometry is not None and geometry.covers(point):
                hits.append(candidate[0])
                if first_only:
                    break
    return hits


def resolve_point(lat, lng):
    """The smallest (deepest) active region whose boundary covers the point, or None.

    Raises ValueError for coordinates that are not finite numbers in range.
    """
    from jiesu.org.models import Region

    hits = _containing_ids(lat, lng, first_only=True)
    return Region.objects.filter(pk=hits[0]).first() if hits else None


def outside_district(lat, lng) -> bool:
    """True when regions with boundaries are configured and none of them covers the point
    (a district without boundaries yet accepts any point)."""
    from jiesu.org.models import Region

    if _containing_ids(lat, lng, first_only=True):
        return False
    return Region.objects.filter(active=True, min_lat__isnull=False).exists()


def regions_at(lat, lng) -> list:
    """Every active region whose boundary covers the point, deepest first."""
    from jiesu.org.models import Region

    hits = _containing_ids(lat, lng, first_only=False)
    regions = Region.objects.in_bulk(hits)
    return [regions[pk] for pk in hits if pk in regions]


def clear_cache() -> None:
    """Forget every cached geometry (tests; the digest check makes this optional elsewhere)."""
    with _lock:
        _cache.clear()
