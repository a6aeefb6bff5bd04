# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""`manage.py kpis --from 2026-01-01 --to 2026-12-31 --by unit --format json|csv`"""

import csv
import datetime as dt
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from jiesu.insights import kpis


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = (
        "Print every KPI (docs/kpis.md) for the appeals received in a period, for the whole "
        "district or grouped by unit, category, channel, region, type or grade. Rates are "
        "numbers from 0 to 1 with their numerator and denominator."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, type=_date)
        parser.add_argument("--to", dest="end", required=True, type=_date)
        parser.add_argument("--by", default="all", choices=kpis.BY_CHOICES)
        parser.add_argument(
            "--level",
            help="Category level (1, 2, 3) or region level (subdistrict, community, grid).",
        )
        for name in kpis.FILTERS:
            parser.add_argument(f"--{name}", help=f"Only this {name} (its code).")
        parser.add_argument("--format", default="json", choices=("json", "csv"))

    def handle(self, *args, start, end, by, level, format, **options):
        try:
            filters = kpis.resolve_filters({k: options.get(k) for k in kpis.FILTERS})
            result = kpis.compute(
                start, end, scope=kpis.Scope_(True), by=by, filters=filters, level=level
            )
        except kpis.KpiError as exc:
            raise CommandError(str(exc)) from None
        if format == "json":
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        header, rows = kpis.table(result)
        writer = csv.writer(self.stdout if self.stdout else sys.stdout, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
