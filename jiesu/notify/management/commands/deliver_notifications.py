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
