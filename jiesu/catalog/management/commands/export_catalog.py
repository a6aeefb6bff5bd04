# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""manage.py export_catalog FILE"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from jiesu.catalog.exporting import export_catalog
from jiesu.catalog.fileformat import file_kind


class Command(BaseCommand):
    help = "Export the whole category catalogue with its handling rules to a .csv or .xlsx file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="file to write, ending in .csv or .xlsx")

    def handle(self, *args, file, **options):
        if file_kind(file) is None:
            raise CommandError(
                _("%(file)s: the file name must end in .csv or .xlsx.") % {"file": file}
            )
        try:
            count = export_catalog(file)
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(file)s: %(error)s") % {"file": file, "error": exc.strerror}
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                _("Exported %(count)s leaf categories to %(file)s.")
                % {"count": count, "file": file}
            )
        )
