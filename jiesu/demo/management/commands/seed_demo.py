# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""manage.py seed_demo — load (or restore) the Pingshan-like demo district. See docs/demo.md."""

from django.core.management.base import BaseCommand, CommandError

from jiesu.catalog.importing import CatalogImportError
from jiesu.demo.seeding import DEMO_PASSWORD, seed_demo
from jiesu.org.regions_io import ImportProblems


class Command(BaseCommand):
    help = (
        "Load the demo district: regions with approximate demo geometry, units, one account "
        "per role and the catalogue derived from Pingshan's 2018 appeals. Idempotent: a second "
        "run changes nothing. See docs/demo.md."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help=f"Set every demo account's password back to the demo password ({DEMO_PASSWORD}).",
        )

    def handle(self, *args, reset_passwords=False, **options):
        try:
            report = seed_demo(reset_passwords=reset_passwords)
        except (CatalogImportError, ImportProblems) as exc:
            raise CommandError(f"The demo data was not loaded (nothing changed):\n{exc}") from exc
        if options["verbosity"] == 0:
            return
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        self.stdout.write("Demo district (seed_demo):")
        for line in report.lines():
            self.stdout.write(f"  {line}")
        if report.changed:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo loaded. Accounts (e.g. admin, dispatcher, handler) use the password "
                    f"{DEMO_PASSWORD} unless changed; see docs/demo.md."
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS("Demo already up to date: nothing changed."))
