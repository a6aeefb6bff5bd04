# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The staff roles of DESIGN.md. What each role may do lives in `permissions`."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    INTAKE_OPERATOR = "intake_operator", _("Intake operator")
    DISPATCHER = "dispatcher", _("Dispatcher")
    UNIT_HANDLER = "unit_handler", _("Unit handler")
    UNIT_LEADER = "unit_leader", _("Unit leader")
    SUPERVISOR = "supervisor", _("Supervisor")
    VISIT_AGENT = "visit_agent", _("Return-visit agent")
    ANALYST = "analyst", _("Analyst")
    ADMINISTRATOR = "administrator", _("Administrator")


# Roles whose reach is their own unit and its sub-units; every other role works district-wide.
UNIT_SCOPED_ROLES = frozenset({Role.UNIT_HANDLER, Role.UNIT_LEADER})
