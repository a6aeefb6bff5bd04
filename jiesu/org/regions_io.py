# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""GeoJSON import and export of regions (`manage.py import_regions` / `export_regions`).

The format is a GeoJSON FeatureCollection, one Feature per region::

    {"type": "Feature",
     "properties": {"code": "440310001", "name": "坪山街道", "level": "subdistrict",
                    "parent_code": "440310", "note": "approximate demo geometry"},
     "geometry": {"type": "Polygon", "coordinates": [[[114.33, 22.68], ...]]}}

`code`, `name` and `level` are required; `parent_code` is required for every level but the
district; `note` (where the boundary comes from) and `active` (true/false) are optional. The
geometry may be null (a region without a boundary; then optional `center_lng`/`center_lat`
properties give its centre). Regions are created or updated by code.

An import validates the whole file first and writes nothing unless every feature is right;
the writing itself is one transaction.

Boundaries drawn on Chinese maps (AMap's and Tencent's district outlines, anything traced on
their tiles) are in GCJ-02, Baidu's in BD-09. `import_regions(..., coord_system="gcj02")`
converts every vertex (and a region's given centre) to WGS84, which the platform stores
(`jiesu.org.coords`); the converted boundary is checked again like any other.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from jiesu.org import coords, geo
from jiesu.org.models import Region


class ImportProblems(Exception):
    """The file cannot be imported; `problems` lists every reason, by feature.

    Problems and warnings are in the active language (the command's: zh-hans by default).
    """

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already exactly as in the file
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False


@dataclass
class _Item:
    index: int
    code: str
    name: str = ""
    level: str = ""
    parent_code: str | None = None
    note: str = ""
    active: bool | None = None
    geometry: object = None  # shapely geometry or None
    center: tuple[float, float] | None = None  # (lng, lat) when there is no geometry

    @property
    def where(self) -> str:
        return _where(self.index, self.code)


def _where(index: int, code) -> str:
    if not code:
        return f"features[{index}]"
    return _("features[%(index)s] (code %(code)s)") % {"index": index, "code": code}


def _at(where: str, problem) -> str:
    """A problem (or warning) of the feature at `where`."""
    return _("%(where)s: %(problem)s") % {"where": where, "problem": problem}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError
    return str(value).strip()


def read_file(path) -> dict:
    """Read a GeoJSON file; raise ImportProblems when it is not JSON or not readable."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportProblems(
            [_("cannot read %(path)s: %(error)s") % {"path": path, "error": exc}]
        ) from exc
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ImportProblems(
            [_("%(path)s is not valid JSON: %(error)s") % {"path": path, "error": exc}]
        ) from exc


def _max_length(field_name: str) -> int:
    field = Region._meta.get_field(field_name)
    length = field.max_length if isinstance(field, models.CharField) else None
    if length is None:
        raise TypeError(f"Region.{field_name} has no max_length")
    return length


def _to_wgs84(geometry, system: str):
    """A parsed boundary given in `system`, with every vertex converted to WGS84 and checked
    again (raises ValidationError as `geo.parse_boundary` does)."""

    def convert(positions):  # an (n, 2) array of (lng, lat)
        converted = [coords.to_wgs84(lat, lng, system)[::-1] for lng, lat in positions]
        return np.array(converted, dtype=float).reshape(-1, 2)

    return geo.parse_boundary(geo.to_geojson(shapely.transform(geometry, convert)))


def _parse_features(data, problems: list[str], system: str = coords.WGS84) -> list[_Item]:
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        problems.append(_("the file must be a GeoJSON FeatureCollection"))
        return []
    features = data.get("features")
    if not isinstance(features, list):
        problems.append(_("the FeatureCollection has no 'features' list"))
        return []
    max_code = _max_length("code")
    max_name = _max_length("name")
    max_note = _max_length("geometry_note")
    items = []
    for index, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(_at(_where(index, None), _("not a GeoJSON Feature")))
            continue
        props = feature.get("properties")
        if not isinstance(props, dict):
            problems.append(_at(_where(index, None), _("has no 'properties' object")))
            continue
        try:
            code = _text(props.get("code"))
        except TypeError:
            code = None
        if not code:
            problems.append(_at(_where(index, None), _("'code' is missing or not a string")))
            continue
        item = _Item(index=index, code=code)
        where = item.where
        if len(code) > max_code:
            problems.append(
                _at(where, _("'code' is longer than %(max)s characters") % {"max": max_code})
            )
        try:
            item.name = _text(props.get("name")) or ""
        except TypeError:
            item.name = ""
        if not item.name:
            problems.append(_at(where, _("'name' is missing")))
        elif len(item.name) > max_name:
            problems.append(
                _at(where, _("'name' is longer than %(max)s characters") % {"max": max_name})
            )
        level = props.get("level")
        if level not in Region.Level.values:
            problems.append(
                _at(
                    where,
                    _("'level' is %(value)r; expected one of %(levels)s")
                    % {"value": level, "levels": ", ".join(Region.Level.values)},
                )
            )
        else:
            item.level = level
        try:
            item.parent_code = _text(props.get("parent_code")) or None
        except TypeError:
            problems.append(_at(where, _("'parent_code' is not a string")))
        try:
            item.note = _text(props.get("note")) or ""
        except TypeError:
            problems.append(_at(where, _("'note' is not a string")))
        if len(item.note) > max_note:
            problems.append(
                _at(where, _("'note' is longer than %(max)s characters") % {"max": max_note})
            )
        if "active" in props:
            if not isinstance(props["active"], bool):
                problems.append(_at(where, _("'active' must be true or false")))
            else:
                item.active = props["active"]
        if "geometry" not in feature:
            problems.append(_at(where, _("has no 'geometry' member (use null for no boundary)")))
        elif feature["geometry"] is not None:
            try:
                item.geometry = geo.parse_boundary(feature["geometry"])
                if system != coords.WGS84:
                    item.geometry = _to_wgs84(item.geometry, system)
            except ValidationError as exc:
                problems.extend(_at(where, message) for message in exc.messages)
        else:
            lng, lat = props.get("center_lng"), props.get("center_lat")
            if lng is not None or lat is not None:
                try:
                    lat, lng = geo.check_coordinates(lat, lng)
                    lat, lng = coords.to_wgs84(lat, lng, system)
                    item.center = (lng, lat)
                except ValueError as exc:
                    problems.append(_at(where, _("centre: %(error)s") % {"error": exc}))
        items.append(item)
    return items


def _check(items: list[_Item], problems: list[str], warnings: list[str], tolerance: float):
    by_code: dict[str, _Item] = {}
    for item in items:
        first = by_code.get(item.code)
        if first is not None:
            problems.append(
                _at(
                    item.where,
                    _("duplicate code, already used by features[%(index)s]")
                    % {"index": first.index},
                )
            )
        else:
            by_code[item.code] = item

    wanted = set(by_code) | {i.parent_code for i in items if i.parent_code}
    in_db = {r.code: r for r in Region.objects.filter(code__in=wanted)}

    def level_of(code):
        if code in by_code:
            return by_code[code].level or None
        return in_db[code].level if code in in_db else None

    for item in items:
        if not item.level:
            continue
        if item.parent_code is None:
            problem = Region.level_problem(item.level, None)
            if problem:
                problems.append(
                    _at(item.where, _("%(problem)s (set 'parent_code')") % {"problem": problem})
                )
            continue
        if item.parent_code not in by_code and item.parent_code not in in_db:
            problems.append(
                _at(
                    item.where,
                    _("parent_code %(parent)s is neither in the file nor in the database")
                    % {"parent": item.parent_code},
                )
            )
            continue
        parent_level = level_of(item.parent_code)
        if parent_level is None:
            continue  # the parent's own level is already reported
        problem = Region.level_problem(item.level, parent_level)
        if problem:
            problems.append(
                _at(
                    item.where,
                    _("%(problem)s (parent %(parent)s)")
                    % {"problem": problem, "parent": item.parent_code},
                )
            )

    # Regions that stay in the database as they are must still fit under a region the file
    # changes (e.g. a community turned into a subdistrict would strand its grid cells).
    staying = (
        Region.objects.filter(parent__code__in=list(by_code))
        .exclude(code__in=list(by_code))
        .values_list("code", "level", "parent__code")
    )
    for code, level, parent_code in staying:
        parent = by_code[parent_code]
        if parent.level and Region.level_problem(level, parent.level):
            problems.append(
                _at(
                    parent.where,
                    _(
                        "level %(level)r does not fit its child %(child)s (%(child_level)s) "
                        "that stays in the database"
                    )
                    % {"level": parent.level, "child": code, "child_level": level},
                )
            )

    if problems:
        return
    for item in items:
        if item.geometry is None or item.parent_code is None:
            continue
        if item.parent_code in by_code:
            parent_geometry = by_code[item.parent_code].geometry
        else:
            parent_geometry = in_db[item.parent_code].geometry()
        if parent_geometry is None:
            continue
        share = geo.sticks_out(item.geometry, parent_geometry, tolerance)
        if share is not None:
            warnings.append(
                _at(
                    item.where,
                    _("lies %(share)s outside its parent %(parent)s (tolerance %(tolerance)s)")
                    % {
                        "share": f"{share:.1%}",
                        "parent": item.parent_code,
                        "tolerance": f"{tolerance:.1%}",
                    },
                )
            )


def import_regions(
    data,
    *,
    dry_run: bool = False,
    tolerance: float = geo.OUTSIDE_TOLERANCE,
    coord_system: str = coords.WGS84,
) -> ImportReport:
    """Create or update regions from a parsed FeatureCollection whose coordinates are in
    `coord_system` (WGS84, GCJ-02 or BD-09, any spelling `coords.normalise` knows; stored as
    WGS84).

    Raises ImportProblems (listing every problem by feature index and code) and changes
    nothing when any feature is wrong. Warnings (a child sticking out of its parent by more
    than `tolerance` of its area) do not stop the import. An unknown `coord_system` or
    `tolerance` raises ValueError before anything is read.
    """
    if not (isinstance(tolerance, (int, float)) and 0 <= tolerance <= 1) or math.isnan(tolerance):
        raise ValueError("tolerance must be between 0 and 1")
    system = coords.normalise(coord_system)
    if system is None:
        raise ValueError(f"unknown coordinate system {coord_system!r}")
    problems: list[str] = []
    report = ImportReport(dry_run=dry_run)
    items = _parse_features(data, problems, system)
    if not problems:
        _check(items, problems, report.warnings, tolerance)
    if problems:
        raise ImportProblems(problems)
    items.sort(key=lambda i: (Region.level_rank(i.level), i.index))
    with transaction.atomic():
        existing = {r.code: r for r in Region.objects.filter(code__in=[i.code for i in items])}
        # Parents already in the database, in one query (the file's own are taken as saved).
        in_db = dict(
            Region.objects.filter(
                code__in={i.parent_code for i in items if i.parent_code}
            ).values_list("code", "pk")
        )
        saved: dict[str, Region] = {}
        for item in items:
            region = existing.get(item.code)
            created = region is None
            if region is None:
                region = Region(code=item.code)
            code = item.parent_code
            parent_id = None if code is None else (saved[code].pk if code in saved else in_db[code])
            previous = None if created else _state(region)
            _apply(region, item, parent_id)
            saved[item.code] = region
            if previous is not None and _state(region) == previous:
                # Saving would change nothing but the geometry caches' fingerprints.
                report.unchanged.append(item.code)
                continue
            if not dry_run:
                try:
                    region.save()
                except ValidationError as exc:  # not expected after the checks; never half-done
                    raise ImportProblems([_at(item.where, m) for m in exc.messages]) from exc
            (report.created if created else report.updated).append(item.code)
    return report


def _apply(region: Region, item: _Item, parent_id) -> None:
    """Set the region's imported fields from the file's feature (not saved)."""
    region.parent_id = parent_id
    region.name = item.name
    region.level = item.level
    region.geometry_note = item.note
    if item.active is not None:
        region.active = item.active
    if item.geometry is not None:
        region.boundary = geo.to_geojson(item.geometry)
    else:
        region.boundary = None
        region.center_lng, region.center_lat = item.center or (None, None)


def _state(region: Region) -> tuple:
    """What an import may change, to tell a real update from a file that repeats the data."""
    return (
        region.parent_id,
        region.name,
        region.level,
        region.geometry_note,
        region.active,
        json.dumps(region.boundary, sort_keys=True),
        None if region.boundary else (region.center_lng, region.center_lat),
    )


def export_regions(queryset=None) -> dict:
    """All regions (or `queryset`) as a FeatureCollection in the import format, parents first."""
    queryset = Region.objects.all() if queryset is None else queryset
    features = []
    for region in queryset.select_related("parent").order_by("path"):
        properties = {
            "code": region.code,
            "name": region.name,
            "level": region.level,
            "parent_code": region.parent.code if region.parent_id else None,
            "note": region.geometry_note,
            "active": region.active,
        }
        if not region.boundary and region.center_lat is not None:
            properties["center_lng"] = region.center_lng
            properties["center_lat"] = region.center_lat
        features.append({"type": "Feature", "properties": properties, "geometry": region.boundary})
    return {"type": "FeatureCollection", "features": features}


def dumps(collection: dict) -> str:
    """JSON text with one feature per line (readable diffs, still plain GeoJSON)."""
    lines = [
        json.dumps(feature, ensure_ascii=False, separators=(",", ":"))
        for feature in collection["features"]
    ]
    body = ",\n".join(lines)
    return '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"
