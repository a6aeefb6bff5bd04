import importlib
import signal
import time
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone
from django_tasks import TaskResultStatus

from jiesu.appeals import tasks
from jiesu.notify import tasks as notify_tasks


def room_periodic_tasks() -> list:
    """The `PERIODIC` tasks of the other rooms (e.g. reward payouts): found through the app
    registry, so that this room never imports the rooms below it."""
    found = []
    for app in apps.get_app_configs():
        if not app.name.startswith("jiesu.") or app.name in ("jiesu.appeals", "jiesu.notify"):
            continue
        try:
            module = importlib.import_module(f"{app.name}.tasks")
        except ModuleNotFoundError as e:
            if e.name == f"{app.name}.tasks":
                continue
            raise
        found += getattr(module, "PERIODIC", [])
    return found


# The periodic tasks: the SLA sweep, removal of orphan uploads, the outbox delivery, and those
# of the rooms below.
PERIODIC = [*tasks.PERIODIC, *notify_tasks.PERIODIC]
# A worker killed in the middle of a task leaves its result RUNNING for ever.
STUCK_AFTER = timedelta(minutes=15)


class Command(BaseCommand):
    help = (
        "Enqueue the periodic tasks (SLA sweep, orphan uploads, outbox delivery) every --interval seconds for "
        "the task workers (`manage.py db_worker`). Run exactly one scheduler per installation: "
        "it never lets more than one run of each task wait in the queue."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=int,
            default=settings.JIESU.get("SWEEP_INTERVAL", 60),
            help="Seconds between two rounds (default: JIESU_SWEEP_INTERVAL or 60).",
        )
        parser.add_argument("--once", action="store_true", help="Enqueue one round and exit.")

    def handle(self, *args, interval, once, **options):
        running = True

        def stop(signum, frame):
            nonlocal running
            running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        periodic = [*PERIODIC, *room_periodic_tasks()]
        pending = dict.fromkeys(periodic)
        while True:
            for task in periodic:
                result = pending[task]
                if result is not None:
                    try:
                        result.refresh()
                    except Exception:  # the backend forgot it (pruned): enqueue afresh
                        result = None
                stuck = (
                    result is not None
                    and result.status == TaskResultStatus.RUNNING
                    and result.started_at is not None
                    and timezone.now() - result.started_at > STUCK_AFTER
                )
                if result is None or result.is_finished or stuck:
                    pending[task] = task.enqueue()
                    if options["verbosity"] > 1:
                        self.stdout.write(f"Enqueued {task.name} {pending[task].id}")
            if once or not running:
                return
            slept = 0.0
            while running and slept < interval:
                time.sleep(0.5)
                slept += 0.5
            if not running:
                return
