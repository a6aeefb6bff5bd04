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
