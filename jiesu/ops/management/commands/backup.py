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

from django.core.management.base import BaseCommand, CommandError

from jiesu.ops import backup


class Command(BaseCommand):
    help = (
        "Back up the database (PostgreSQL: pg_dump custom format; SQLite: the online backup "
        "API) and the uploaded files into a new folder under DIRECTORY, with a manifest. "
        "Restore and check: docs/operations.md, Backup and restore."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="where the backup folder is made")
        parser.add_argument("--no-media", action="store_true", help="leave the uploaded files out")

    def handle(self, *args, directory, no_media, **options):
        try:
            manifest = backup.backup(Path(directory), media=not no_media)
        except (backup.BackupError, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(manifest["folder"])
        for name, facts in manifest["files"].items():
            self.stdout.write(f"  {name}  {facts['bytes']} bytes  sha256 {facts['sha256']}")
