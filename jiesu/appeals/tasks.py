# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Background tasks of the appeals room (Django Tasks API; see ADR 0003)."""

import logging
from datetime import timedelta

from django_tasks import task

from jiesu.appeals import attachments, checkpoints, clocks, workflow

logger = logging.getLogger(__name__)

# Uploads that no submission or completion linked within this time are removed.
ORPHAN_UPLOAD_AGE = timedelta(hours=24)


@task()
def sweep_clocks() -> dict:
    """Raise due yellow and red lights and open supervision notices on handling breaches.

    First, provisional deadlines whose year has meanwhile become covered (a newer
    chinesecalendar, or a change no signal announced) are recomputed, so that no light is
    raised on a provisional deadline the official calendar moved."""
    recomputed = clocks.recompute_provisional(only_covered=True)
    counts = workflow.sweep_clocks()
    counts["recomputed"] = recomputed.moved
    return counts


@task()
def recompute_provisional_deadlines() -> dict:
    """Recompute the running provisional deadlines after a change to the working calendar
    (enqueued by the `workdays.signals.calendar_changed` receiver; idempotent)."""
    return clocks.recompute_provisional().as_dict()


@task()
def purge_orphan_uploads() -> int:
    """Delete photos uploaded more than a day ago and never attached to an appeal."""
    return attachments.delete_unlinked(ORPHAN_UPLOAD_AGE)


@task()
def audit_checkpoint() -> int | None:
    """Sign the heads of the appeals' histories when a checkpoint is due (ADR 0005)."""
    if not checkpoints.due():
        return None
    try:
        made = checkpoints.create()
    except checkpoints.KeyMissing as exc:
        logger.error("No audit checkpoint made: %s", exc)
        return None
    return made.number if made else None


PERIODIC = [sweep_clocks, purge_orphan_uploads, audit_checkpoint]
