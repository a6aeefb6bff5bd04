"""How a duration is counted. Shared by every room that stores a time limit."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DurationUnit(models.TextChoices):
    NATURAL_MINUTES = "min", _("natural minutes")
    NATURAL_HOURS = "h", _("natural hours")
    NATURAL_DAYS = "d", _("natural days")
    WORKING_HOURS = "wh", _("working hours")
    WORKING_DAYS = "wd", _("working days")
