# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""`manage.py run_worker`: the task worker that survives a lost database.

django-tasks-db's `db_worker` exits when its database connection breaks (a PostgreSQL restart,
a failover, a network cut): the exception ends its loop. This command runs the same worker
(same options) and, when the database goes away, logs it, drops the broken connections and
starts the loop again after a pause that doubles up to 30 seconds. Tasks it had claimed when the
connection broke are not lost: the scheduler puts a task claimed longer than its lease back in
the queue (jiesu.taskclaims), and notifications are outbox rows that another worker takes over
when their lease runs out.
"""

import logging
import os
import time

from django.db import InterfaceError, OperationalError, connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from jiesu import telemetry

logger = logging.getLogger("jiesu.worker")

MAX_PAUSE = 30.0


class ResilientWorker(Worker):
    # The task this worker was running when the database went away: it stays RUNNING in the
    # database (its result could not be written); put back in the queue once reconnected.
    interrupted = None

    def run_task(self, db_task_result) -> None:
        self.interrupted = db_task_result
        super().run_task(db_task_result)
        self.interrupted = None

    def _requeue_interrupted(self) -> None:
        from django_tasks import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        row = self.interrupted
        if row is None:
            return
        put_back = DBTaskResult.objects.filter(
            pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at
        ).update(status=TaskResultStatus.READY)
        self.interrupted = None
        if put_back:
            logger.warning(
                "Task %s (%s) was interrupted when the database went away: put back in the queue.",
                row.pk,
                row.task_path,
            )

    def run(self) -> None:
        pause = 1.0
        while self.running:
            try:
                self._requeue_interrupted()
                super().run()
                return
            except (OperationalError, InterfaceError) as exc:
                if not self.running:
                    return
                logger.error(
                    "Worker %s lost the database (%s); reconnecting in %.0f s.",
                    self.worker_id,
                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
                    pause,
                )
                telemetry.WORKER_DATABASE_LOST.inc()
                connections.close_all()
                time.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE)


class Command(DbWorkerCommand):
    help = (
        "Run the task worker (django-tasks-db's db_worker, same options) and reconnect when "
        "the database goes away instead of exiting."
    )

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        reload,
        max_tasks,
        worker_id,
        exclude_queues,
        **options,
    ):
        self.configure_logging(verbosity)
        if reload and batch:
            reload = False
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        worker = ResilientWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
