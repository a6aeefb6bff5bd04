# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.core.management.base import BaseCommand

from jiesu.insights import refresh


class Command(BaseCommand):
    help = (
        "Bring the KPI facts up to date with the appeals changed since the last refresh (the "
        "worker does this every minute), or --rebuild them all from the stored appeals (after "
        "a bulk load that bypassed the workflow)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true")

    def handle(self, *args, rebuild, **options):
        if rebuild:
            done = refresh.rebuild(
                progress=lambda n: self.stderr.write(f"{n} appeals…") if n % 100_000 == 0 else None
            )
            self.stdout.write(f"Rebuilt the KPI facts of {done} appeals.")
        else:
            done = refresh.catch_up()
            self.stdout.write(f"Refreshed {done} changed appeals.")
