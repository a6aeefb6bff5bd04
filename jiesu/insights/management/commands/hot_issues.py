# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""`manage.py hot_issues --csv messages_with_votes.csv [--top 10] [--format text|json|csv|html]`

Ranks the hot issues 热点问题 of a file of public messages with votes (the layout of the shared
teddy2020/messages_with_votes.csv) with the method of `jiesu.insights.topics`, and prints the top
ones with their evidence: messages, writers, votes, first and last day, places, titles.
"""

import csv as csv_module
import json

from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string
from django.utils import translation

from jiesu.insights import topics

FIELDS = (
    "rank",
    "heat",
    "title",
    "messages",
    "writers",
    "votes",
    "likes",
    "first",
    "last",
    "days",
    "places",
    "refs",
)


class Command(BaseCommand):
    help = (
        "Rank the hot issues of a CSV of messages with votes (留言编号, 留言用户, 留言主题, "
        "留言时间, 留言详情, 反对数, 点赞数) and print the top ones with their evidence."
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, help="The file of messages with votes.")
        parser.add_argument("--top", type=int, default=10)
        parser.add_argument(
            "--threshold",
            type=float,
            default=topics.THRESHOLD,
            help="Cosine similarity linking two messages (0 to 1).",
        )
        parser.add_argument("--format", default="text", choices=("text", "json", "csv", "html"))

    def handle(self, *args, csv, top, threshold, format, **options):  # noqa: A002
        if top < 1:
            raise CommandError("--top must be at least 1.")
        if not 0 < threshold <= 1:
            raise CommandError("--threshold must be above 0 and at most 1.")
        try:
            messages = topics.read_votes_csv(csv)
        except topics.FileError as exc:
            raise CommandError(f"Cannot read {csv}: {exc}") from None
        ranked = topics.rank(messages, threshold=threshold)[:top]
        rows = [{"rank": i, **t.as_dict()} for i, t in enumerate(ranked, 1)]
        summary = {
            "file": str(csv),
            "messages": len(messages),
            "threshold": threshold,
            "method": "char 2-3-gram TF-IDF, cosine >= threshold, single linkage; "
            "heat = writers + ln(1 + votes)",
            "issues": rows,
        }
        if format == "json":
            self.stdout.write(json.dumps(summary, ensure_ascii=False, indent=2))
        elif format == "csv":
            self._csv(rows)
        elif format == "html":
            with translation.override("zh-hans"):
                self.stdout.write(render_to_string("insights/hot_issues.html", summary))
        else:
            for row in rows:
                places = ", ".join(f"{p['name']}×{p['messages']}" for p in row["places"])
                self.stdout.write(
                    f"{row['rank']:>2}. [{row['heat']:.1f}] {row['title']} — "
                    f"{row['messages']} messages, {row['writers']} writers, {row['votes']} votes, "
                    f"{row['first']} to {row['last']}; {places}"
                )

    def _csv(self, rows):
        writer = csv_module.writer(self.stdout, lineterminator="\n")
        writer.writerow(FIELDS)
        for row in rows:
            places = "; ".join(f"{p['name']}:{p['messages']}" for p in row["places"])
            writer.writerow([row[f] for f in FIELDS[:-2]] + [places, " ".join(row["refs"])])
