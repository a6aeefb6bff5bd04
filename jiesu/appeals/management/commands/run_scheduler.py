# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
import signal
import time
from datetime import timedelta
from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.utils import timezone
from django_tasks import TaskResultStatus

from jiesu.appeals import tasks
from jiesu.conf import setting
from jiesu.notify import tasks as notify_tasks


def _room_periodic_tasks() -> list:
    """`PERIODIC` of the rooms below appeals (e.g. insights), found by name so that appeals
    never imports them."""
    found: list = []
    for config in apps.get_app_configs():
        if config.name in ("jiesu.appeals", "jiesu.notify") or not config.name.startswith("jiesu."):
            continue
        try:
            module = import_module(f"{config.name}.tasks")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.tasks":
                raise
            continue
        found.extend(getattr(module, "PERIODIC", []))
    return found


# The periodic tasks: the SLA sweep, removal of orphan uploads, the outbox delivery, and those
# of the rooms below (the KPI refresh).
PERIODIC = [*tasks.PERIODIC, *notify_tasks.PERIODIC, *_room_periodic_tasks()]
# A worker killed in the middle of a task leaves its result RUNNING for ever.
STUCK_AFTER = timedelta(minutes=15)


class Command(BaseCommand):
    help = (
        "Enqueue the periodic tasks (SLA sweep, orphan uploads, outbox delivery) every --interval seconds for "
        "the task workers (`manage.py run_worker`). Run exactly one scheduler per installation: "
        "it never lets more than one run of each task wait in the queue."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=int,
            default=setting("SWEEP_INTERVAL", 60),
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
        periodic = list(PERIODIC)
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
                    enqueued = pending[task] = task.enqueue()
                    if options["verbosity"] > 1:
                        self.stdout.write(f"Enqueued {task.name} {enqueued.id}")
            if once or not running:
                return
            slept = 0.0
            while running and slept < interval:
                time.sleep(0.5)
                slept += 0.5
            if not running:
                return
