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

from jiesu.appeals import attachments, checkpoints, workflow

logger = logging.getLogger(__name__)

# Uploads that no submission or completion linked within this time are removed.
ORPHAN_UPLOAD_AGE = timedelta(hours=24)


@task()
def sweep_clocks() -> dict:
    """Raise due yellow and red lights and open supervision notices on handling breaches."""
    return workflow.sweep_clocks()


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
