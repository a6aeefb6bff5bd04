# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""manage.py import_catalog FILE [--dry-run] [--user USERNAME]"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiesu.catalog.importing import CatalogImportError, import_catalog


class Command(BaseCommand):
    help = (
        "Import the category catalogue (and handling rules) from a .csv or .xlsx file. "
        "The whole file is checked first; if anything is wrong, nothing is changed. Columns: "
        "docs/guide/catalogue.md (example: jiesu/demo/data/pingshan_catalogue.csv; on an empty "
        "catalogue `export_catalog FILE.xlsx` writes the headers to fill in). Units named as "
        "lead or assisting units must exist first."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="catalogue file ending in .csv or .xlsx")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="check the file and report what would change, without saving",
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="staff member recorded as the author of new rule versions",
        )

    def handle(self, *args, file, dry_run=False, user=None, **options):
        author = None
        if user:
            User = get_user_model()
            try:
                author = User.objects.get(username=user)
            except User.DoesNotExist as exc:
                raise CommandError(
                    _("No staff member with user name %(name)s.") % {"name": user}
                ) from exc
        try:
            result = import_catalog(file, user=author, dry_run=dry_run)
        except CatalogImportError as exc:
            for problem in exc.problems:
                self.stderr.write(f"{file}: {problem}")
            raise CommandError(
                _("%(count)s problem(s) in %(file)s; nothing was changed.")
                % {"count": len(exc.problems), "file": file}
            ) from exc
        self.stdout.write(self.style.SUCCESS(result.summary()))
