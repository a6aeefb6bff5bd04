# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""manage.py export_regions FILE — write every region as GeoJSON (the import format)."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from jiesu.org.regions_io import dumps, export_regions


class Command(BaseCommand):
    help = "Write all regions as a GeoJSON FeatureCollection in the format import_regions reads."

    def add_arguments(self, parser):
        parser.add_argument("file", help="output file, or - for standard output")

    def handle(self, *args, file, **options):
        collection = export_regions()
        text = dumps(collection)
        if file == "-":
            sys.stdout.write(text)
            return
        Path(file).write_text(text, encoding="utf-8")
        self.stderr.write(f"{file}: {len(collection['features'])} region(s) written.")
