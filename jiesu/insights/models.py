# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The stored facts the KPIs are computed from (see docs/kpis.md and ADR 0011).

`AppealPart`: what one appeal contributes to the KPIs, one row per unit that led it or was asked
to assist (and one row for an appeal no unit ever led), with the appeal's dimensions copied in. It is derived only
from stored data (the appeal, its assignments, SLA clocks, return visits and unit requests) by
`jiesu.insights.facts`, and rewritten whenever the appeal changes.

`DailyFigure`: the parts summed per day of receipt and per dimension value (the whole district,
each unit, leaf category, channel, region, type and grade), kept current by applying the
difference between an appeal's old and new parts. A year of KPIs by unit reads a few tens of
thousands of these rows instead of millions of appeals.

`ChangedAppeal`: appeals changed since their parts were last computed (the work queue of the
refresh; written by the `appeal_event` hook in the transaction of the change).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiesu.appeals.models import Appeal
from jiesu.catalog.models import AppealType, Category, Grade
from jiesu.org.models import Region, Unit

# The additive counters of a part (numerators and denominators of docs/kpis.md).
COUNTERS = (
    "received",
    "decided",
    "accepted",
    "concluded",
    "fed_back",
    "dispatched",
    "sign_due",
    "sign_met",
    "contact_due",
    "contact_made",
    "contact_met",
    "handle_due",
    "handle_met",
    "visit_needed",
    "visit_due",
    "visit_met",
    "visited",
    "rated",
    "satisfied",
    "reopen_base",
    "reopened",
    "return_base",
    "returned",
    "extended",
    "handled",
    "handled_minutes",
    # Assisting units (协办): each assisting unit's own part, on its own part row.
    "assisted",
    "assist_due",
    "assist_signed",
    "assist_met",
)


def _counter_fields():
    return {name: models.PositiveIntegerField(default=0) for name in COUNTERS}


class AppealPart(models.Model):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="+")
    # The unit this part is about (a lead or assisting unit of the appeal); null: never led.
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE)
    # The part that carries the appeal-level counters (the current or last lead unit's).
    main = models.BooleanField(default=False)
    day = models.DateField(db_index=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE)
    channel = models.CharField(max_length=32, blank=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE)
    appeal_type = models.ForeignKey(AppealType, null=True, blank=True, on_delete=models.CASCADE)
    grade = models.ForeignKey(Grade, null=True, blank=True, on_delete=models.CASCADE)
    # Handling time rounded up to whole working hours (for the percentiles); null: not handled.
    handled_hours = models.PositiveIntegerField(null=True, blank=True)
    locals().update(_counter_fields())

    class Meta:
        verbose_name = _("KPI part of an appeal")
        verbose_name_plural = _("KPI parts of appeals")
        indexes = [
            models.Index(fields=["day", "unit"]),
            models.Index(fields=["appeal"]),
        ]

    def __str__(self):
        return f"{self.appeal_id}:{self.unit_id}"


class DailyFigure(models.Model):
    class Dimension(models.TextChoices):
        ALL = "all", _("whole district")
        UNIT = "unit", _("unit")
        CATEGORY = "category", _("category")
        CHANNEL = "channel", _("channel")
        REGION = "region", _("region")
        TYPE = "type", _("type")
        GRADE = "grade", _("grade")

    day = models.DateField()
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    key = models.CharField(max_length=40, blank=True)
    # {"<whole working hours>": count} of the handled appeals (for percentiles).
    hours = models.JSONField(default=dict, blank=True)
    locals().update(_counter_fields())

    class Meta:
        verbose_name = _("daily KPI figure")
        verbose_name_plural = _("daily KPI figures")
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "day", "key"], name="insights_daily_figure_unique"
            )
        ]

    def __str__(self):
        return f"{self.day} {self.dimension}={self.key}"


class ChangedAppeal(models.Model):
    appeal_id = models.BigIntegerField(primary_key=True)

    class Meta:
        verbose_name = _("appeal awaiting a KPI refresh")
        verbose_name_plural = _("appeals awaiting a KPI refresh")

    def __str__(self):
        return str(self.appeal_id)


class RefreshLock(models.Model):
    """One row: refreshes take turns (the daily figures are written by one at a time)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"refreshed at {self.refreshed_at}"


class Recommendation(models.Model):
    """A data-backed recommendation to a unit (数据建议), drafted from the figures, edited
    and issued by a supervisor, and kept with the unit's response."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")
        ANSWERED = "answered", _("Answered")

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("recommendation"))
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    created_at = models.DateTimeField(_("drafted at"))
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    response = models.TextField(_("unit's response"), blank=True)
    responded_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title


class EmergingFlag(models.Model):
    """An emerging issue 新发问题 told to the supervisors, once: a category x subdistrict
    rising above its baseline in a week, or a topic cluster of similar appeals. Written by
    `jiesu.insights.alerts.flag_emerging`; the unique key keeps a second run from telling
    the supervisors again."""

    class Kind(models.TextChoices):
        VOLUME = "volume", _("Volume above its baseline")
        TOPIC = "topic", _("Cluster of similar appeals")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    key = models.CharField(_("key"), max_length=120, unique=True)
    title = models.CharField(_("title"), max_length=300)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    flagged_at = models.DateTimeField(_("flagged at"), db_index=True)

    class Meta:
        verbose_name = _("emerging issue")
        verbose_name_plural = _("emerging issues")
        ordering = ["-flagged_at", "-id"]

    def __str__(self):
        return self.title


class AlertRun(models.Model):
    """One row: when the emerging issues were last looked for (the periodic task runs the
    search at most every `alerts.EVERY`, whichever worker takes it)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    ran_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"emerging issues looked for at {self.ran_at}"
