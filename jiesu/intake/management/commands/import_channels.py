# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""manage.py import_channels FILE.csv [--dry-run]"""

from django.core.management.base import BaseCommand, CommandError

from jiesu.intake.channels import CSV_COLUMNS, ChannelImportError, import_channels


class Command(BaseCommand):
    help = (
        "Create or update channels from a UTF-8 CSV file with the columns "
        + ",".join(CSV_COLUMNS)
        + " (code, name and kind required). The whole file is checked first; if any row "
        "is wrong, nothing is changed. Existing channels keep their API keys."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a .csv file")
        parser.add_argument(
            "--dry-run", action="store_true", help="check and report, change nothing"
        )

    def handle(self, *args, file, dry_run=False, **options):
        try:
            result = import_channels(file, dry_run=dry_run)
        except ChannelImportError as exc:
            for problem in exc.problems:
                self.stderr.write(f"{file}: {problem}")
            raise CommandError(
                f"{len(exc.problems)} problem(s) in {file}; nothing was changed."
            ) from exc
        prefix = "Dry run, nothing saved: " if dry_run else ""
        self.stdout.write(self.style.SUCCESS(prefix + result.summary()))
        for label, codes in (("created", result.created), ("updated", result.updated)):
            if codes:
                self.stdout.write(f"  {label}: {', '.join(codes)}")
