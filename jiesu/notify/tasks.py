# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Background tasks of the notify room (Django Tasks API; see ADR 0003).

`deliver_outbox` is periodic: the scheduler (`manage.py run_scheduler`) enqueues every task of
`PERIODIC` at each tick, and the worker (`manage.py run_worker`) runs it. Running it late, twice,
or in several workers at once is harmless: rows are claimed one worker at a time.
"""

import time

from django_tasks import task

from jiesu.notify import conf, delivery


@task()
def deliver_outbox(max_seconds: float | None = None) -> dict:
    """Deliver due notifications, batch after batch, while some remain and time is left."""
    cfg = conf.config()
    budget = cfg["TASK_TIME_BUDGET"] if max_seconds is None else max_seconds
    batch = int(cfg["BATCH"])
    deadline = time.monotonic() + float(budget)
    totals = dict.fromkeys(delivery.COUNT_KEYS, 0)
    while True:
        counts = delivery.deliver_due(batch=batch)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
        if counts["claimed"] < batch or time.monotonic() >= deadline:
            return totals


# The periodic tasks of this room, for the scheduler to enqueue at every tick.
PERIODIC = [deliver_outbox]
