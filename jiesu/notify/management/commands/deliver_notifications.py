# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
import json

from django.core.management.base import BaseCommand

from jiesu.notify import delivery


class Command(BaseCommand):
    help = (
        "Deliver the notifications that are due now, once, and print what happened. The worker "
        "does this by itself (task jiesu.notify.tasks.deliver_outbox); this command is for "
        "operators and scripts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=None, help="Messages per run.")
        parser.add_argument(
            "--all", action="store_true", help="Repeat until nothing more is due now."
        )

    def handle(self, *args, batch, all, **options):
        totals = dict.fromkeys(delivery.COUNT_KEYS, 0)
        while True:
            counts = delivery.deliver_due(batch=batch)
            for key, value in counts.items():
                totals[key] += value
            if not all or not (counts["claimed"] or counts["dead"]):
                break
        self.stdout.write(json.dumps(totals))
