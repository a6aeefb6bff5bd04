"""Who may do what: the one place where roles, actions and scopes meet.

(Provisional minimal version; the full matrix is being written.)
"""

from django.db import models

from jiesu.org.roles import Role


class Action(models.TextChoices):
    MANAGE_REFERENCE_DATA = "manage_reference_data", "manage reference data"


def can(user, action, unit=None) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if action == Action.MANAGE_REFERENCE_DATA:
        return user.is_superuser or user.has_role(Role.ADMINISTRATOR)
    return False
