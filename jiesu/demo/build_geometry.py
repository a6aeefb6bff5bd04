# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Build the demo's approximate region geometry: jiesu/demo/data/regions.geojson.

    .venv/bin/python -m jiesu.demo.build_geometry          # rewrite the file
    .venv/bin/python -m jiesu.demo.build_geometry --check  # exit 1 if the file is stale

The result is *approximate demo geometry* (示意边界，非官方), not official boundaries:

- District 深圳市坪山区 (440310): a hand-drawn outline of the district's rough shape (about
  lat 22.63-22.79, lng 114.29-114.46), scaled about its centroid so that its area equals the
  official 166.31 km² (org.csv).
- Subdistricts (440310001-006): the Voronoi cells of the six subdistrict points of org.csv (estimates,
  about 1 km), clipped to the district. Each point therefore lies in its own subdistrict.
- Communities (the 24 of org.csv): org.csv gives no community coordinates, so each subdistrict is
  split into as many cells as it has communities, by a Voronoi diagram of seeded pseudo-random
  points relaxed with a few Lloyd iterations (cells of similar size). Which community gets which
  cell is arbitrary: the real communities lie elsewhere.
- Grid cells: each community split the same way into GRIDS_PER_COMMUNITY cells, coded community
  code + 3 digits (440310001001001).

Everything is deterministic (fixed seeds derived from the region codes) and needs only shapely;
it reads jiesu/demo/data/org.csv and no Django.
"""

import argparse
import csv
import hashlib
import json
import math
import random
import re
import sys
from pathlib import Path

from shapely import affinity
from shapely.geometry import MultiPoint, Point, Polygon, mapping, shape
from shapely.ops import voronoi_diagram

DATA = Path(__file__).resolve().parent / "data"
ORG_CSV = DATA / "org.csv"
OUTPUT = DATA / "regions.geojson"

GEOMETRY_NOTE = "示意边界，非官方（approximate demo geometry）"
DISTRICT_CODE = "440310"
DISTRICT_AREA_KM2 = 166.31
GRIDS_PER_COMMUNITY = 4
LLOYD_ITERATIONS = 12
PRECISION = 6  # decimal places of degrees (about 0.1 m)

# Hand-drawn rough outline of Pingshan (lng, lat), clockwise from the west; scaled to the real area.
DISTRICT_OUTLINE = [
    (114.290, 22.700),
    (114.300, 22.725),
    (114.335, 22.737),
    (114.355, 22.762),
    (114.375, 22.786),
    (114.405, 22.792),
    (114.432, 22.776),
    (114.447, 22.745),
    (114.462, 22.714),
    (114.447, 22.680),
    (114.420, 22.655),
    (114.385, 22.625),
    (114.350, 22.618),
    (114.318, 22.640),
    (114.295, 22.670),
]

# Local equirectangular projection for area computations (km per degree at the district's latitude).
KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LNG = 111.32 * math.cos(math.radians(22.71))


def area_km2(geom) -> float:
    return affinity.scale(geom, KM_PER_DEG_LNG, KM_PER_DEG_LAT, origin=(0, 0)).area


def code_from_remit(remit: str) -> str:
    match = re.search(r"(440310\d{3}(?:\d{3})?)", remit)
    if not match:
        raise ValueError(f"no statistical code in remit: {remit!r}")
    return match.group(1)


def read_org(path: Path = ORG_CSV):
    """The district, subdistricts and communities of org.csv, with their codes."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    district = next(r for r in rows if r["kind"] == "district")
    subdistricts = []
    for r in rows:
        if r["kind"] == "subdistrict":
            subdistricts.append(
                {
                    "code": code_from_remit(r["remit"]),
                    "name": r["name"],
                    "lat": float(r["lat"]),
                    "lng": float(r["lng"]),
                }
            )
    communities = [
        {"code": code_from_remit(r["remit"]), "name": r["name"], "parent_name": r["parent"]}
        for r in rows
        if r["kind"] == "community"
    ]
    return district, sorted(subdistricts, key=lambda s: s["code"]), communities


def seeded_rng(code: str) -> random.Random:
    digest = hashlib.sha256(f"jiesu-demo-geometry:{code}".encode()).hexdigest()
    return random.Random(int(digest[:16], 16))  # noqa: S311  demo shapes, no secret


def largest_polygon(geom) -> Polygon:
    if geom.geom_type == "Polygon":
        return geom
    return max(geom.geoms, key=lambda g: g.area)


def cells_for(points: list[Point], within) -> list[Polygon]:
    """The Voronoi cell of each point (in the points' order), clipped to `within`."""
    diagram = voronoi_diagram(MultiPoint(points), envelope=within.envelope.buffer(0.05))
    cells = []
    for point in points:
        cell = next(c for c in diagram.geoms if c.contains(point))
        cells.append(largest_polygon(cell.intersection(within)))
    return cells


def split(area, n: int, code: str) -> list[Polygon]:
    """Split `area` into n cells of similar size: seeded points, Lloyd-relaxed Voronoi."""
    rng = seeded_rng(code)
    minx, miny, maxx, maxy = area.bounds
    points: list[Point] = []
    while len(points) < n:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if area.contains(p):
            points.append(p)
    if n == 1:
        return [area]
    for _ in range(LLOYD_ITERATIONS):
        cells = cells_for(points, area)
        points = [
            c.centroid if area.contains(c.centroid) else c.representative_point() for c in cells
        ]
    # Order the cells north-west first so that numbering reads like a map.
    cells = cells_for(points, area)
    order = sorted(range(n), key=lambda i: (-round(points[i].y, 3), points[i].x))
    return [cells[i] for i in order]


def rounded(geom):
    """A GeoJSON mapping with coordinates rounded to PRECISION decimals."""

    def walk(value):
        if isinstance(value, (list, tuple)):
            if value and isinstance(value[0], float):
                return [round(v, PRECISION) for v in value]
            return [walk(v) for v in value]
        return value

    data = mapping(geom)
    return {"type": data["type"], "coordinates": walk(data["coordinates"])}


def feature(code, name, level, parent_code, geom):
    """A Feature in the format of jiesu.org.regions_io (manage.py import_regions)."""
    return {
        "type": "Feature",
        "properties": {
            "code": code,
            "name": name,
            "level": level,
            "parent_code": parent_code,
            "note": GEOMETRY_NOTE,
        },
        "geometry": rounded(geom),
    }


def build() -> dict:
    district_row, subdistricts, communities = read_org()
    outline = Polygon(DISTRICT_OUTLINE)
    factor = math.sqrt(DISTRICT_AREA_KM2 / area_km2(outline))
    district = affinity.scale(outline, factor, factor, origin="centroid")
    features = [feature(DISTRICT_CODE, district_row["name"], "district", None, district)]

    sub_points = [Point(s["lng"], s["lat"]) for s in subdistricts]
    for p, s in zip(sub_points, subdistricts, strict=True):
        if not district.buffer(-0.005).contains(p):
            raise SystemExit(f"subdistrict point of {s['name']} is not well inside the district")
    sub_cells = cells_for(sub_points, district)
    community_features, grid_features = [], []
    for s, cell in zip(subdistricts, sub_cells, strict=True):
        features.append(feature(s["code"], s["name"], "subdistrict", DISTRICT_CODE, cell))
        mine = sorted(
            (c for c in communities if c["parent_name"] == s["name"]), key=lambda c: c["code"]
        )
        if not mine:
            continue
        c_cells = split(cell, len(mine), s["code"])
        for community, c_cell in zip(mine, c_cells, strict=True):
            community_features.append(
                feature(community["code"], community["name"], "community", s["code"], c_cell)
            )
            g_cells = split(c_cell, GRIDS_PER_COMMUNITY, community["code"])
            for i, g_cell in enumerate(g_cells, start=1):
                grid_features.append(
                    feature(
                        f"{community['code']}{i:03d}",
                        f"{community['name']}第{i}网格",
                        "grid",
                        community["code"],
                        g_cell,
                    )
                )
    features += community_features + grid_features
    return {
        "type": "FeatureCollection",
        "name": "jiesu-demo-pingshan-regions",
        "note": (
            "Approximate demo geometry built by jiesu/demo/build_geometry.py from "
            "jiesu/demo/data/org.csv; not official boundaries. 示意边界，非官方。"
        ),
        "features": features,
    }


def dumps(collection: dict) -> str:
    """One feature per line: stable, diff-friendly output."""
    head = {k: v for k, v in collection.items() if k != "features"}
    lines = [
        json.dumps(f, ensure_ascii=False, separators=(",", ":")) for f in collection["features"]
    ]
    body = ",\n".join(lines)
    head_json = json.dumps(head, ensure_ascii=False)[:-1]
    return f'{head_json}, "features": [\n{body}\n]}}\n'


def summary(collection: dict) -> str:
    by_level: dict[str, list] = {}
    for f in collection["features"]:
        by_level.setdefault(f["properties"]["level"], []).append(shape(f["geometry"]))
    parts = [
        f"{level}: {len(geoms)} (total {sum(area_km2(g) for g in geoms):.1f} km²)"
        for level, geoms in by_level.items()
    ]
    return "; ".join(parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the committed file")
    args = parser.parse_args(argv)
    collection = build()
    text = dumps(collection)
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is stale: run python -m jiesu.demo.build_geometry", file=sys.stderr)
            return 1
        print(f"{OUTPUT} is up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}: {summary(collection)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
