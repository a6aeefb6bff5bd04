# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""`manage.py load_appeals --count 1000000`: add many valid appeals fast (benchmarks, capacity
tests, analytics at scale). See jiesu.appeals.bulkload."""

import time

from django.core.management.base import BaseCommand, CommandError

from jiesu.appeals import bulkload


class Command(BaseCommand):
    help = (
        "Add COUNT appeals copied from the histories already stored (run seed_demo first): new "
        "numbers, times moved back by whole weeks, references remapped, hash chains recomputed. "
        "Run nothing else against the database meanwhile: ids are taken in blocks, and a filing "
        "made during the load can collide with them and stop it (the batches written stay valid)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, required=True, help="How many appeals to add.")
        parser.add_argument(
            "--weeks",
            type=int,
            default=52,
            help="Spread finished histories over this many weeks back.",
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch", type=int, default=5000, help="Appeals per transaction.")
        parser.add_argument(
            "--code-seed",
            default="jiesu-bulk",
            help="Seed of the derived tracking codes (bulkload.tracking_code).",
        )
        parser.add_argument(
            "--no-vacuum",
            action="store_true",
            help="Skip the VACUUM (ANALYZE) of the loaded tables at the end (PostgreSQL; ANALYZE "
            "elsewhere). Without it, counts and searches read every loaded row until "
            "autovacuum has passed.",
        )

    def handle(self, *args, count, weeks, seed, batch, code_seed, no_vacuum=False, **options):
        if count < 1:
            raise CommandError("--count must be at least 1.")
        if weeks < 1 or batch < 1:
            raise CommandError("--weeks and --batch must be at least 1.")

        def progress(report):
            if options["verbosity"] >= 2:
                self.stdout.write(f"  {report.appeals} appeals, {report.events} events")

        try:
            report = bulkload.load(
                count, weeks=weeks, seed=seed, batch=batch, code_seed=code_seed, progress=progress
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(report.summary())
        if not no_vacuum:
            started = time.perf_counter()
            vacuumed = bulkload.settle()
            self.stdout.write(
                f"{'Vacuumed and analysed' if vacuumed else 'Analysed'} the loaded tables in "
                f"{time.perf_counter() - started:.1f} s."
            )
