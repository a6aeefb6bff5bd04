# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""manage.py import_regions FILE.geojson — create or update regions from GeoJSON."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiesu.org import coords, geo
from jiesu.org.regions_io import ImportProblems, import_regions, read_file


class Command(BaseCommand):
    help = (
        "Create or update regions by code from a GeoJSON FeatureCollection (properties: code, "
        "name, level, parent_code, optional note and active). The whole file is checked first; "
        "on any problem nothing is changed. See docs/guide/organisation.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="GeoJSON FeatureCollection")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; change nothing."
        )
        parser.add_argument(
            "--tolerance",
            type=float,
            default=geo.OUTSIDE_TOLERANCE,
            help="Warn when a child lies outside its parent by more than this share of its "
            "area (default %(default)s).",
        )
        parser.add_argument(
            "--coord-system",
            default=coords.WGS84,
            metavar="SYSTEM",
            help="The file's coordinate system: wgs84 (default; GPS, OpenStreetMap), gcj02 "
            "(AMap, Tencent, WeChat) or bd09 (Baidu). Converted to WGS84, which Jiesu stores.",
        )

    def handle(
        self,
        *args,
        file,
        dry_run=False,
        tolerance=geo.OUTSIDE_TOLERANCE,
        coord_system=coords.WGS84,
        **options,
    ):
        # Messages follow the active language: zh-hans (LANGUAGE_CODE) when run from manage.py.
        if not 0 <= tolerance <= 1:
            raise CommandError(_("--tolerance must be between 0 and 1"))
        if coords.normalise(coord_system) is None:
            raise CommandError(
                _("Unknown coordinate system %(value)s: use wgs84, gcj02 or bd09.")
                % {"value": repr(coord_system)}
            )
        try:
            report = import_regions(
                read_file(file),
                dry_run=dry_run,
                tolerance=tolerance,
                coord_system=coord_system,
            )
        except ImportProblems as exc:
            heading = _("%(file)s: %(count)s problem(s); nothing was changed:") % {
                "file": file,
                "count": len(exc.problems),
            }
            lines = "\n".join(f"  {p}" for p in exc.problems)
            raise CommandError(f"{heading}\n{lines}") from exc
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(_("warning: %(warning)s") % {"warning": warning}))
        if dry_run:
            summary = _(
                "%(file)s: would create %(created)s region(s), would update %(updated)s, "
                "%(unchanged)s unchanged; %(warnings)s warning(s)."
            )
        else:
            summary = _(
                "%(file)s: created %(created)s region(s), updated %(updated)s, "
                "%(unchanged)s unchanged; %(warnings)s warning(s)."
            )
        counts = {
            "file": file,
            "created": len(report.created),
            "updated": len(report.updated),
            "unchanged": len(report.unchanged),
            "warnings": len(report.warnings),
        }
        self.stdout.write(self.style.SUCCESS(summary % counts))
