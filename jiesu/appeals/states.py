# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The appeal's states (DESIGN.md, "The appeal and its life")."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")  # 待受理
    REGISTERED = "registered", _("Registered")  # 已立案
    REJECTED = "rejected", _("Rejected")  # 不予受理
    MERGED = "merged", _("Merged")  # 已并单
    ANSWERED = "answered", _("Answered directly")  # 已直接答复
    DISPATCHED = "dispatched", _("Dispatched")  # 已派单
    IN_PROGRESS = "in_progress", _("In progress")  # 处置中
    RETURN_REQUESTED = "return_requested", _("Return requested")  # 退单待审
    COMPLETED = "completed", _("Completed, awaiting review")  # 已办结待审核
    VISITING = "visiting", _("Awaiting return visit")  # 待回访
    CLOSED = "closed", _("Closed")  # 已结案


# States in which an appeal is finished. Reopening a closed appeal is the only way back.
FINAL_STATES = frozenset({Status.REJECTED, Status.MERGED, Status.ANSWERED, Status.CLOSED})
# States in which a unit holds the appeal.
WITH_UNIT_STATES = frozenset({Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURN_REQUESTED})
OPEN_STATES = frozenset(set(Status) - FINAL_STATES)
# The open states in one fixed order, for queries and the partial index on open appeals
# (PostgreSQL uses that index when a query's list is the index's own).
OPEN_STATUS_LIST = sorted(OPEN_STATES)
