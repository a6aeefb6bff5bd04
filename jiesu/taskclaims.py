# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Tasks whose worker died while running them go back to the queue.

The database task backend (django-tasks-db) claims a task by setting it RUNNING with the
worker's id; a worker killed in the middle (SIGKILL, out of memory, the machine lost) leaves it
RUNNING for ever and nobody runs it again. The scheduler (`manage.py run_scheduler`, exactly
one per installation) calls `recover_abandoned()` at each tick: a task RUNNING for longer than
the lease (`JIESU_TASK_LEASE` seconds, 15 minutes by default) is put back to READY, logged as a
warning and counted (`jiesu_tasks_recovered_total`), and the next free worker runs it again
(its `worker_ids` then name both workers).

So every task must be safe to run again, and should finish well within the lease: Jiesu's are
(the SLA sweep, the outbox delivery with its own time budget and per-row leases, the upload
purge, the audit checkpoint, the recomputation of provisional deadlines). A task that outlives
the lease while its worker is alive may run a second time in parallel; make the lease longer
than the longest task.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from jiesu import telemetry
from jiesu.conf import setting

logger = logging.getLogger("jiesu.tasks")

DEFAULT_LEASE = 900


def lease() -> timedelta:
    return timedelta(seconds=float(setting("TASK_LEASE", DEFAULT_LEASE)))


def abandoned(now=None):
    """The database tasks claimed longer than the lease ago and not finished."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - lease()
    )


def recover_abandoned(now=None) -> int:
    """Put the abandoned tasks back in the queue; returns how many."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    recovered = 0
    for row in list(abandoned(now).only("id", "task_path", "started_at", "worker_ids")):
        # Compare-and-set: if the worker finished it meanwhile, or another scheduler got there
        # first, nothing changes.
        done = DBTaskResult.objects.filter(
            pk=row.pk, status=TaskResultStatus.RUNNING, started_at=row.started_at
        ).update(status=TaskResultStatus.READY)
        if done:
            recovered += 1
            telemetry.TASKS_RECOVERED.inc()
            logger.warning(
                "Task %s (%s) claimed by worker %s at %s never finished (its worker stopped, "
                "or it ran longer than the lease of %s s): put back in the queue.",
                row.pk,
                row.task_path,
                row.worker_ids[-1] if row.worker_ids else "?",
                row.started_at.isoformat(),
                int(lease().total_seconds()),
            )
    return recovered
