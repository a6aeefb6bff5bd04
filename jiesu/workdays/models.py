# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The working calendar's data: administrator overrides, years declared covered, working periods.

The arithmetic that uses them lives in `jiesu.workdays.calendar` (the only public entry point
for deadlines). Official holidays and make-up working days (调休) come from the
`chinesecalendar` library; the tables here correct it and extend it to years it does not know.
"""

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiesu.workdays.calendar import library_covers

FIRST_YEAR = 2000
LAST_YEAR = 2100


class CalendarOverride(models.Model):
    """One date whose status an administrator sets by hand; it wins over the library."""

    date = models.DateField(_("date"), unique=True)
    is_working_day = models.BooleanField(
        _("working day"),
        default=False,
        help_text=_(
            "Ticked: people work on this date (for example a make-up working day on a weekend). "
            "Unticked: a rest day (for example a public holiday on a weekday)."
        ),
    )
    name = models.CharField(
        _("name"),
        max_length=60,
        blank=True,
        help_text=_(
            "What the day is, for example “Spring Festival” or “National Day make-up day”."
        ),
    )
    note = models.TextField(
        _("note"),
        blank=True,
        help_text=_("Where this comes from, for example the State Council notice and its number."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        ordering = ["date"]

    def __str__(self):
        kind = _("working day") if self.is_working_day else _("rest day")
        label = f"{self.date.isoformat()} {kind}"
        return f"{label} ({self.name})" if self.name else label

    def clean(self):
        super().clean()
        if self.date and not FIRST_YEAR <= self.date.year <= LAST_YEAR:
            raise ValidationError(
                {
                    "date": _("Enter a date between %(first)s and %(last)s.")
                    % {"first": FIRST_YEAR, "last": LAST_YEAR}
                }
            )


class CoveredYear(models.Model):
    """A year the library does not know, declared fully entered through overrides."""

    year = models.PositiveSmallIntegerField(
        _("year"),
        unique=True,
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
        help_text=_(
            "A year the chinesecalendar library does not know yet, whose official holidays and "
            "make-up working days have all been entered as calendar overrides. Once declared, "
            "deadlines may run into this year: Monday to Friday are working days and Saturday and "
            "Sunday rest days, except the dates entered as overrides."
        ),
    )
    note = models.TextField(
        _("note"),
        blank=True,
        help_text=_("The notice the overrides were entered from, and who checked them."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("year declared complete")
        verbose_name_plural = _("years declared complete")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)

    def clean(self):
        super().clean()
        if self.year is None:
            return
        if library_covers(self.year):
            raise ValidationError(
                {
                    "year": _(
                        "The chinesecalendar library already covers %(year)s. Correct single "
                        "dates with calendar overrides; there is nothing to declare."
                    )
                    % {"year": self.year}
                }
            )
        if not CalendarOverride.objects.filter(date__year=self.year).exists():
            raise ValidationError(
                {
                    "year": _(
                        "No calendar overrides have been entered for %(year)s. Enter the year's "
                        "public holidays and make-up working days first, then declare the year."
                    )
                    % {"year": self.year}
                }
            )


class WorkingPeriod(models.Model):
    """A daily span of working hours (on working days), e.g. 09:00-12:00."""

    start = models.TimeField(_("start"), unique=True)
    end = models.TimeField(
        _("end"), help_text=_("Later than the start, on the same day. Periods may not overlap.")
    )

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")),
                name="workdays_workingperiod_start_before_end",
            ),
        ]

    def __str__(self):
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self):
        super().clean()
        if self.start is None or self.end is None:
            return
        if self.end <= self.start:
            raise ValidationError({"end": _("The end must be later than the start.")})
        overlapping = (
            WorkingPeriod.objects.exclude(pk=self.pk)
            .filter(start__lt=self.end, end__gt=self.start)
            .order_by("start")
            .first()
        )
        if overlapping is not None:
            raise ValidationError(
                _("This period overlaps the working period %(other)s.") % {"other": overlapping}
            )


class CalendarVersion(models.Model):
    """One row whose token changes with every change to the tables above.

    Processes keep the loaded calendar in memory and compare this token on each use, so that an
    administrator's edit reaches every worker at once, and a rolled-back edit never sticks.
    """

    token = models.UUIDField(default=uuid.uuid4)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calendar version")
        verbose_name_plural = _("calendar versions")

    def __str__(self):
        return str(self.token)
