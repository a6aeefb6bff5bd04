# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""How a duration is counted. Shared by every room that stores a time limit."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class DurationUnit(models.TextChoices):
    NATURAL_MINUTES = "min", _("natural minutes")
    NATURAL_HOURS = "h", _("natural hours")
    NATURAL_DAYS = "d", _("natural days")
    WORKING_HOURS = "wh", _("working hours")
    WORKING_DAYS = "wd", _("working days")


def duration_text(amount: int, unit: str) -> str:
    """ "3 working days", "1 hour": one whole phrase per unit, plural by the language's rules.

    A unit this list does not know is shown as given (old snapshots keep what they stored).
    """
    count = int(amount)
    params = {"amount": count}
    if unit == DurationUnit.NATURAL_MINUTES:
        return ngettext("%(amount)d minute", "%(amount)d minutes", count) % params
    if unit == DurationUnit.NATURAL_HOURS:
        return ngettext("%(amount)d hour", "%(amount)d hours", count) % params
    if unit == DurationUnit.NATURAL_DAYS:
        return ngettext("%(amount)d natural day", "%(amount)d natural days", count) % params
    if unit == DurationUnit.WORKING_HOURS:
        return ngettext("%(amount)d working hour", "%(amount)d working hours", count) % params
    if unit == DurationUnit.WORKING_DAYS:
        return ngettext("%(amount)d working day", "%(amount)d working days", count) % params
    return f"{count} {unit}"
