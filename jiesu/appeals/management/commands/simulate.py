# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
import time

from django.core.management.base import BaseCommand, CommandError

from jiesu.appeals.errors import WorkflowError
from jiesu.appeals.simulation import simulate


class Command(BaseCommand):
    help = (
        "Drive N appeals through realistic lives over the last D days on a virtual clock, "
        "through the real workflow (needs the demo organisation: seed_demo)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--appeals", type=int, default=500)
        parser.add_argument("--days", type=int, default=60)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--waiting",
            type=int,
            default=0,
            help="Also file this many appeals in the last hour and leave them at the intake desk.",
        )
        parser.add_argument(
            "--texts",
            help="Real appeal texts: a CSV file with columns category_code, title, text "
            "(default: templated sentences).",
        )

    def handle(self, *args, appeals, days, seed, waiting=0, texts=None, **options):
        started = time.monotonic()
        try:
            report = simulate(appeals=appeals, days=days, seed=seed, waiting=waiting, texts=texts)
        except (OSError, ValueError, WorkflowError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.summary())
        self.stdout.write(f"Took {time.monotonic() - started:.1f} s.")
