# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Delete uploaded photos and videos that were never attached to an appeal."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from jiesu.appeals.attachments import delete_stray_files, delete_unlinked


class Command(BaseCommand):
    help = (
        "Delete uploads (rows and stored files) never linked to an appeal: a citizen who left "
        "the form, a channel whose submission failed. Run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=float,
            default=24,
            help="Only uploads older than this many hours (default 24).",
        )
        parser.add_argument(
            "--files",
            action="store_true",
            help=(
                "Also walk the storage and delete files no attachment refers to (left behind "
                "when a transaction rolled back after storing an upload)."
            ),
        )

    def handle(self, *args, hours, files, **options):
        if hours < 0:
            raise CommandError("--hours must not be negative.")
        count = delete_unlinked(timedelta(hours=hours))
        self.stdout.write(f"Deleted {count} unlinked upload(s) older than {hours:g} hours.")
        if files:
            stray = delete_stray_files(timedelta(hours=hours))
            self.stdout.write(f"Deleted {stray} stray file(s) older than {hours:g} hours.")
