# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Background tasks of the rewards room (Django Tasks API, ADR 0003).

`pay_rewards` is periodic: the scheduler enqueues it at every tick; running it late, twice or
in several workers at once is harmless (payouts are claimed one worker at a time).
`reconcile_yesterday` is periodic too, and does its work once a day: when yesterday has no
reconciliation yet.
"""

import logging
import time
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from jiesu.rewards import conf, payouts, reconcile
from jiesu.rewards.models import Reconciliation

logger = logging.getLogger(__name__)


@task()
def pay_rewards(max_seconds: float = 50) -> dict:
    """Pay due rewards, batch after batch, while some remain and time is left."""
    batch = int(conf.config()["BATCH"])
    deadline = time.monotonic() + float(max_seconds)
    totals = dict.fromkeys(payouts.COUNT_KEYS, 0)
    while True:
        counts = payouts.pay_due(batch=batch)
        for key, value in counts.items():
            totals[key] += value
        if counts["claimed"] < batch or time.monotonic() >= deadline:
            return totals


@task()
def reconcile_yesterday() -> dict | None:
    """Reconcile yesterday's payouts with the provider, once."""
    day = timezone.localdate() - timedelta(days=1)
    provider = str(conf.config()["PROVIDER"])
    if Reconciliation.objects.filter(day=day, provider=provider).exists():
        return None
    run = reconcile.reconcile(day)
    if run.differences:
        logger.error(
            "Reward reconciliation of %s found %d differences: %s",
            day,
            len(run.differences),
            run.differences,
        )
    return {"day": day.isoformat(), "differences": len(run.differences)}


PERIODIC = [pay_rewards, reconcile_yesterday]
