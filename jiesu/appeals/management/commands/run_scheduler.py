import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from jiesu.appeals import tasks

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Enqueue the periodic tasks (the SLA sweep) every --interval seconds, for the task "
        "worker (`manage.py db_worker`) to run. Run exactly one scheduler per installation."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=int,
            default=settings.JIESU.get("SWEEP_INTERVAL", 60),
            help="Seconds between two sweeps (default: JIESU_SWEEP_INTERVAL or 60).",
        )
        parser.add_argument("--once", action="store_true", help="Enqueue one sweep and exit.")

    def handle(self, *args, interval, once, **options):
        running = True

        def stop(signum, frame):
            nonlocal running
            running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        pending = None
        while True:
            if pending is not None:
                try:
                    pending.refresh()
                except Exception:  # the backend forgot it (pruned): enqueue afresh
                    pending = None
            if pending is None or pending.is_finished:
                # Never pile sweeps up behind a stopped worker: one waiting sweep is enough.
                pending = tasks.sweep_clocks.enqueue()
                if options["verbosity"] > 1:
                    self.stdout.write(f"Enqueued SLA sweep {pending.id}")
            if once or not running:
                return
            slept = 0.0
            while running and slept < interval:
                time.sleep(0.5)
                slept += 0.5
            if not running:
                return
