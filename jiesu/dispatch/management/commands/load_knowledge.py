# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.core.management.base import BaseCommand, CommandError

from jiesu.dispatch import knowledge


class Command(BaseCommand):
    help = (
        "Load knowledge-base entries (past questions and official answers) from a CSV file: the "
        "columns of messages_with_replies.csv (留言主题, 留言详情, 答复意见, 答复时间) or "
        "title, question, answer[, answered_at]; UTF-8, plain or gzipped. Entries loaded before "
        "from the same source are replaced."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, help="The CSV file (.csv or .csv.gz).")
        parser.add_argument(
            "--source", default="", help="A name for this source (default: the file's name)."
        )
        parser.add_argument(
            "--keep", action="store_true", help="Add to the entries of the same source."
        )

    def handle(self, *args, csv, source, keep, **options):
        try:
            count = knowledge.load(csv, source=source, replace=not keep)
        except knowledge.KnowledgeFileError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Loaded {count} knowledge-base entries from {csv}.")
