# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""manage.py permission_table — print (or check, or write) the role x action table."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jiesu.org.permissions import TABLE_BEGIN, TABLE_END, markdown_table

DOC = Path(settings.BASE_DIR) / "docs" / "permissions.md"


def replace_table(document: str, table: str) -> str:
    """The document with the text between the table markers replaced by `table`."""
    try:
        head, rest = document.split(TABLE_BEGIN, 1)
        _, tail = rest.split(TABLE_END, 1)
    except ValueError:
        raise CommandError(
            f"{DOC} lacks the table markers {TABLE_BEGIN!r} … {TABLE_END!r}"
        ) from None
    return f"{head}{TABLE_BEGIN}\n{table}{TABLE_END}{tail}"


class Command(BaseCommand):
    help = "Print the permission table of jiesu.org.permissions as Markdown."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--check", action="store_true", help=f"fail if {DOC.name} is stale")
        group.add_argument("--write", action="store_true", help=f"update the table in {DOC.name}")

    def handle(self, *args, check=False, write=False, **options):
        table = markdown_table()
        if not (check or write):
            self.stdout.write(table, ending="")
            return
        document = DOC.read_text(encoding="utf-8")
        updated = replace_table(document, table)
        if check:
            if updated != document:
                raise CommandError(f"{DOC} is out of date: run manage.py permission_table --write")
            self.stdout.write(f"{DOC.name} is up to date.")
        else:
            DOC.write_text(updated, encoding="utf-8")
            self.stdout.write(f"{DOC.name} updated.")
