# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
import logging
import signal
import time
from datetime import timedelta
from importlib import import_module

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone
from django_tasks import TaskResultStatus

from jiesu import taskclaims
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


logger = logging.getLogger("jiesu.scheduler")

# The periodic tasks: the SLA sweep, removal of orphan uploads, the outbox delivery, and those
# of the rooms below (the KPI refresh).
PERIODIC = [*tasks.PERIODIC, *notify_tasks.PERIODIC, *_room_periodic_tasks()]
# A worker killed in the middle of a task leaves its result RUNNING for ever: on the database
# backend the scheduler puts it back in the queue after the lease (jiesu.taskclaims); on RQ a
# periodic task stuck that long is enqueued afresh.
STUCK_AFTER = timedelta(seconds=taskclaims.DEFAULT_LEASE)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class Backlog:
    """Says in the log when work waits too long (`JIESU_BACKLOG_WARN_SECONDS`, 10 minutes by
    default): tasks ready but not taken (too few workers, or none running) and notifications
    not delivered (a gateway down, or no worker); at most every 5 minutes while it lasts, and
    once when it has cleared. The same figures are on /metrics."""

    REPEAT = 300

    def __init__(self):
        self.warned_at = None

    def figures(self) -> dict:
        from django.db.models import Count, Min
        from django_tasks_db.models import DBTaskResult

        from jiesu.notify.models import Notification

        now = timezone.now()
        ready = DBTaskResult.objects.ready().aggregate(n=Count("pk"), oldest=Min("enqueued_at"))
        S = Notification.Status
        outbox = (
            Notification.objects.exclude(channel=Notification.Channel.IN_APP)
            .filter(status__in=[S.PENDING, S.SENDING, S.FAILED])
            .aggregate(n=Count("pk"), oldest=Min("created_at"))
        )

        def age(oldest):
            return int((now - oldest).total_seconds()) if oldest else 0

        return {
            "tasks": ready["n"],
            "tasks_age": age(ready["oldest"]),
            "notifications": outbox["n"],
            "notifications_age": age(outbox["oldest"]),
        }

    def check(self) -> None:
        limit = setting("BACKLOG_WARN_SECONDS", 600)
        f = self.figures()
        late = f["tasks_age"] > limit or f["notifications_age"] > limit
        now = time.monotonic()
        if late and (self.warned_at is None or now - self.warned_at >= self.REPEAT):
            self.warned_at = now
            logger.warning(
                "Backlog: %(tasks)d tasks waiting (oldest %(tasks_age)d s), %(notifications)d "
                "notifications not delivered (oldest %(notifications_age)d s). Check that the "
                "workers run (manage.py run_worker) and the notification gateways answer.",
                f,
            )
        elif not late and self.warned_at is not None:
            self.warned_at = None
            logger.warning(
                "Backlog cleared: %(tasks)d tasks waiting, %(notifications)d notifications not "
                "delivered, none older than the limit.",
                f,
            )


def _database_backend() -> bool:
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


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

    def _enqueue_if_due(self, task, pending, verbosity) -> None:
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
            and timezone.now() - result.started_at > max(STUCK_AFTER, taskclaims.lease())
        )
        if result is None or result.is_finished or stuck:
            enqueued = pending[task] = task.enqueue()
            if verbosity > 1:
                self.stdout.write(f"Enqueued {task.name} {enqueued.id}")

    def handle(self, *args, interval, once, **options):
        running = True

        def stop(signum, frame):
            nonlocal running
            running = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        periodic = list(PERIODIC)
        pending = dict.fromkeys(periodic)
        database_backend = _database_backend()
        backlog = Backlog()
        while True:
            # A connection broken by a database restart is replaced at the next tick.
            close_old_connections()
            if database_backend:
                try:
                    taskclaims.recover_abandoned()
                except Exception as exc:  # the database is away: the next tick tries again
                    logger.error("Could not look for abandoned tasks (%s).", _first_line(exc))
            for task in periodic:
                try:
                    self._enqueue_if_due(task, pending, options["verbosity"])
                except Exception as exc:  # noqa: BLE001 - Redis or the database away
                    logger.error(
                        "Could not enqueue %s (%s); trying again in %s s.",
                        task.name,
                        _first_line(exc),
                        interval,
                    )
            if database_backend:
                try:
                    backlog.check()
                except Exception as exc:  # noqa: BLE001
                    logger.error("Could not measure the backlog (%s).", _first_line(exc))
            if once or not running:
                return
            slept = 0.0
            while running and slept < interval:
                time.sleep(0.5)
                slept += 0.5
            if not running:
                return
