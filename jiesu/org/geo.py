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
whose boundary covers the point (a point on a border counts as inside). Each process keeps the
active boundaries prepared in an STR tree (`jiesu.versions.ProcessCopy`): a lookup asks no
query. Saving or deleting a region reloads the tree at once in that process; every process
compares the regions' ids and boundary digests with its copy at most every two seconds (one
small query), so edits by other processes or raw SQL are picked up within that time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math

import shapely
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from jiesu.versions import ProcessCopy

logger = logging.getLogger(__name__)

GEOMETRY_TYPES = ("Polygon", "MultiPolygon")

# A child region may stick out of its parent by this share of its own area before the import
# (and the admin) warn about it: borders digitised from different sources never match exactly.
OUTSIDE_TOLERANCE = 0.01


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


class _Index:
    """Every active region with a boundary, prepared, in an STR tree (one process's copy)."""

    def __init__(self):
        from jiesu.org.models import Region

        fields = [f.attname for f in Region._meta.concrete_fields if f.attname != "boundary"]
        entries = []
        for row in Region.objects.filter(active=True, min_lat__isnull=False).values_list(
            *fields, "boundary"
        ):
            values, boundary = row[:-1], row[-1]
            record = dict(zip(fields, values, strict=True))
            try:
                geometry = parse_boundary(boundary)
            except ValidationError:
                # Only a row written around Region.save() can get here; skip it, loudly.
                logger.warning(
                    "Region %s has an invalid boundary; ignored for lookups.", record["id"]
                )
                continue
            shapely.prepare(geometry)
            box = (record["max_lng"] - record["min_lng"]) * (record["max_lat"] - record["min_lat"])
            # Deepest first; among equals (overlapping data) the smaller box, then the older.
            entries.append(((-record["depth"], box, record["id"]), geometry, values))
        entries.sort(key=lambda e: e[0])
        self.fields = fields
        self.ids = [e[0][2] for e in entries]
        self.geometries = [e[1] for e in entries]
        self.rows = {e[0][2]: e[2] for e in entries}
        self.tree = shapely.STRtree(self.geometries) if entries else None

    def containing(self, lng: float, lat: float) -> list[int]:
        if self.tree is None:
            return []
        hits = self.tree.query(shapely.Point(lng, lat), predicate="covered_by")
        return [self.ids[i] for i in sorted(hits.tolist())]

    def region(self, pk: int):
        """A fresh Region instance (its boundary is loaded on access)."""
        from jiesu.org.models import Region

        return Region.from_db(DEFAULT_DB_ALIAS, self.fields, self.rows[pk])


def _fingerprint():
    from jiesu.org.models import Region

    return tuple(
        Region.objects.filter(active=True, min_lat__isnull=False)
        .order_by("pk")
        .values_list("pk", "boundary_digest", "depth")
    )


# How stale another process's boundary edit may be here, in seconds.
MAX_AGE = 2.0
_index: ProcessCopy[_Index] = ProcessCopy(_Index, _fingerprint, max_age=MAX_AGE)


def _containing_ids(lat, lng, first_only: bool) -> list[int]:
    lat, lng = check_coordinates(lat, lng)
    hits = _index.get().containing(lng, lat)
    return hits[:1] if first_only else hits


def resolve_point(lat, lng):
    """The smallest (deepest) active region whose boundary covers the point, or None.

    Raises ValueError for coordinates that are not finite numbers in range. Answered from the
    process's copy of the boundaries (`jiesu.versions`): no query.
    """
    hits = _containing_ids(lat, lng, first_only=True)
    return _index.get().region(hits[0]) if hits else None


def outside_district(lat, lng) -> bool:
    """True when regions with boundaries are configured and none of them covers the point
    (a district without boundaries yet accepts any point)."""
    if _containing_ids(lat, lng, first_only=True):
        return False
    return bool(_index.get().ids)


def regions_at(lat, lng) -> list:
    """Every active region whose boundary covers the point, deepest first."""
    index = _index.get()
    return [index.region(pk) for pk in _containing_ids(lat, lng, first_only=False)]


def regions_changed(**kwargs) -> None:
    """A region was saved or deleted here: reload at once (connected in apps.py). Other
    processes see the change at their next fingerprint check, within MAX_AGE seconds."""
    _index.forget()


def clear_cache() -> None:
    """Forget this process's copy of the boundaries (tests)."""
    _index.forget()
