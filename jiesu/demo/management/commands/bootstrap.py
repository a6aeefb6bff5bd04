# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from jiesu.demo import texts

# The precision the demo's auto-dispatch thresholds aim for (see the comment where it is used).
DEMO_TARGET_PRECISION = 0.90


class Command(BaseCommand):
    help = (
        "Migrate the database and create the cache table (when the cache is the database's); "
        "with --demo, load the demo data when the database is new."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo", action="store_true", help="Load the demo into a new (empty) database."
        )

    def handle(self, *args, demo=False, **options):
        is_new = "django_migrations" not in connection.introspection.table_names()
        call_command("migrate", interactive=False, verbosity=options["verbosity"])
        # The embedded cache (throttles, lockouts) is a table; a no-op for Redis.
        call_command("createcachetable", verbosity=options["verbosity"])
        if demo and is_new:
            self.stdout.write("New database: loading the demo data (seed_demo).")
            call_command("seed_demo", verbosity=options["verbosity"])
            self.stdout.write("Loading the knowledge base (load_knowledge).")
            call_command(
                "load_knowledge",
                csv=str(Path(__file__).resolve().parents[2] / "data" / "knowledge_base.csv.gz"),
                source="demo",
                verbosity=options["verbosity"],
            )
            self.stdout.write("Simulating 30 days of appeals for the demo history (simulate).")
            call_command(
                "simulate",
                appeals=300,
                days=30,
                seed=2026,
                waiting=6,
                texts=str(texts.TEXTS),
                verbosity=options["verbosity"],
            )
            self.stdout.write("Training the category classifier on the demo texts.")
            # Not on the texts of the appeals still open: the model meets those as new appeals.
            from jiesu.appeals.models import Appeal
            from jiesu.appeals.states import FINAL_STATES

            still_open = set(
                Appeal.objects.exclude(status__in=FINAL_STATES).values_list("title", flat=True)
            )
            version = texts.train_demo_classifier(exclude=still_open)
            figures = version.meta.get("out_of_fold", {})
            self.stdout.write(
                f"Active classifier {version.label}: out-of-fold macro-F1 "
                f"{figures.get('macro_f1')}, {version.meta.get('train_seconds')} s."
            )
            # Auto-dispatch thresholds from the active model's measured table (after the demo's
            # models are trained; nothing happens while no category model is active). The
            # demo's model learns from about a thousand texts: no threshold of it is shown to
            # reach the production default of 95%, so the demo aims for 90% (docs/demo.md).
            from jiesu.dispatch import auto

            written = auto.apply_suggested_thresholds(DEMO_TARGET_PRECISION)
            if written:
                self.stdout.write(
                    f"Auto-dispatch thresholds set for {len(written)} categories "
                    f"from the active model's precision table "
                    f"(target precision {DEMO_TARGET_PRECISION:.0%})."
                )
                # The appeals waiting at the desk: dispatched when confident, else suggestions.
                done = auto.triage_waiting()
                self.stdout.write(
                    f"Waiting appeals triaged: {done.get('auto', 0)} dispatched automatically, "
                    f"{done.get('queued', 0) + done.get('failed', 0)} left at the intake desk."
                )
        elif demo:
            self.stdout.write("Existing database: demo data not reloaded.")
