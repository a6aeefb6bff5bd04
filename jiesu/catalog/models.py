# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The dispatch catalogue 派单目录: categories, appeal types, grades and handling rules.

A handling rule is edited in place by administrators, but every change is frozen into an
immutable `HandlingRuleVersion` snapshot. Appeals keep a reference to the version they were
dispatched under, so editing a rule never changes the deadlines of appeals already dispatched.
"""

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiesu.org.models import Unit
from jiesu.permanent import PermanentRecord
from jiesu.workdays.units import DurationUnit, duration_text


class Category(models.Model):
    """A node of the three-level category tree: 大类 > 中类 > 小类 (leaf)."""

    class Level(models.IntegerChoices):
        MAJOR = 1, _("Major category")
        MIDDLE = 2, _("Middle category")
        LEAF = 3, _("Leaf category")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    keywords = models.TextField(
        _("keywords and synonyms"),
        blank=True,
        help_text=_("Separated by commas or semicolons; used by routing and search."),
    )
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["level", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="catalog_category_unique_name_under_parent"
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.level == self.Level.MAJOR and self.parent_id:
            raise ValidationError({"parent": _("A major category has no parent.")})
        if self.level != self.Level.MAJOR:
            if self.parent is None:
                raise ValidationError({"parent": _("This category needs a parent category.")})
            if self.parent.level != self.level - 1:
                raise ValidationError(
                    {"parent": _("The parent must be one level above this category.")}
                )

    @property
    def is_leaf(self) -> bool:
        return self.level == self.Level.LEAF

    @property
    def full_name(self) -> str:
        names = [self.name]
        node = self.parent
        while node is not None:
            names.append(node.name)
            node = node.parent
        return " > ".join(reversed(names))

    def keyword_list(self) -> list[str]:
        import re

        return [k.strip() for k in re.split(r"[,;，；、\n]", self.keywords) if k.strip()]


class AppealType(models.Model):
    """The nature of an appeal: complaint 投诉, consultation 咨询, suggestion 建议, ..."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=40)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("appeal type")
        verbose_name_plural = _("appeal types")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class Grade(models.Model):
    """Importance x urgency grade: A (most urgent), B, C."""

    code = models.CharField(_("code"), max_length=4, unique=True)
    name = models.CharField(_("name"), max_length=40)
    importance = models.CharField(_("importance"), max_length=40, blank=True)
    urgency = models.CharField(_("urgency"), max_length=40, blank=True)
    definition = models.TextField(_("definition"), blank=True)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("grade")
        verbose_name_plural = _("grades")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Clock(models.TextChoices):
    """The SLA clocks a handling rule sets limits for."""

    SIGN = "sign", _("Sign for")
    CONTACT = "contact", _("First contact")
    HANDLE = "handle", pgettext_lazy("deadline clock", "Handling")


class HandlingRule(models.Model):
    """How appeals of one leaf category are handled. One current rule per leaf."""

    class LeadMode(models.TextChoices):
        FIXED = "fixed", _("Fixed unit")
        AREA = "area", _("By area (属地): the unit bound to the appeal's region")

    class CountFrom(models.TextChoices):
        RECEIPT = "receipt", _("From receipt (收到之日起)")
        NEXT_DAY = "next_day", _("From the next working day (次日起)")

    category = models.OneToOneField(
        Category,
        verbose_name=_("leaf category"),
        on_delete=models.CASCADE,
        related_name="rule",
        limit_choices_to={"level": Category.Level.LEAF},
    )
    lead_mode = models.CharField(
        _("lead unit mode"), max_length=8, choices=LeadMode.choices, default=LeadMode.FIXED
    )
    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lead_rules",
        help_text=_("For a fixed lead; empty means the backstop unit leads."),
    )
    assisting_units = models.ManyToManyField(
        Unit, verbose_name=_("assisting units"), blank=True, related_name="assisting_rules"
    )
    default_grade = models.ForeignKey(
        Grade, verbose_name=_("default grade"), null=True, blank=True, on_delete=models.PROTECT
    )
    count_from = models.CharField(
        _("counting starts"), max_length=10, choices=CountFrom.choices, default=CountFrom.RECEIPT
    )
    filing_condition = models.TextField(_("filing condition (立案条件)"), blank=True)
    closing_condition = models.TextField(_("closing condition (结案条件)"), blank=True)
    plan = models.TextField(_("handling plan (预案)"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("handling rule")
        verbose_name_plural = _("handling rules")

    def __str__(self):
        return str(self.category)

    def clean(self):
        super().clean()
        if self.category_id and not self.category.is_leaf:
            raise ValidationError({"category": _("Handling rules belong to leaf categories.")})
        if self.lead_mode == self.LeadMode.AREA and self.lead_unit_id:
            raise ValidationError(
                {
                    "lead_unit": _(
                        "In area mode the lead unit comes from the appeal's region; "
                        "leave this field empty."
                    )
                }
            )


class TimeLimit(models.Model):
    """One time limit: a clock, optionally narrowed to a type and/or a grade.

    A limit with a rule belongs to that leaf's rule; a limit without one is a district-wide
    default, used when the leaf's rule sets nothing for that clock, type and grade.
    The most specific matching limit wins: type+grade, then grade, then type, then neither.
    """

    rule = models.ForeignKey(
        HandlingRule,
        verbose_name=_("handling rule"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="time_limits",
        help_text=_("Empty: a district-wide default limit."),
    )
    clock = models.CharField(_("clock"), max_length=8, choices=Clock.choices)
    appeal_type = models.ForeignKey(
        AppealType,
        verbose_name=_("appeal type"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty: any type."),
    )
    grade = models.ForeignKey(
        Grade,
        verbose_name=_("grade"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Empty: any grade."),
    )
    amount = models.PositiveIntegerField(_("amount"))
    unit = models.CharField(_("counted in"), max_length=4, choices=DurationUnit.choices)

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "clock", "appeal_type", "grade"],
                name="catalog_timelimit_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="catalog_timelimit_positive"
            ),
        ]

    def __str__(self):
        return _("%(clock)s: %(duration)s") % {
            "clock": self.get_clock_display(),
            "duration": duration_text(self.amount, self.unit),
        }


class DistrictDefaultLimitManager(models.Manager["DistrictDefaultLimit"]):
    def get_queryset(self):
        return super().get_queryset().filter(rule__isnull=True)


class DistrictDefaultLimit(TimeLimit):
    """The district-wide default time limits (`TimeLimit` rows without a rule)."""

    objects: ClassVar[DistrictDefaultLimitManager] = DistrictDefaultLimitManager()

    class Meta:
        proxy = True
        verbose_name = _("district default time limit")
        verbose_name_plural = _("district default time limits")

    def save(self, *args, **kwargs):
        self.rule = None
        super().save(*args, **kwargs)


class HandlingRuleVersion(PermanentRecord, models.Model):
    """An immutable snapshot of a handling rule, made each time the rule changes."""

    change_refused = _("A rule version is a permanent record and cannot be changed.")
    delete_refused = _("A rule version is a permanent record and cannot be deleted.")

    rule = models.ForeignKey(
        HandlingRule,
        verbose_name=_("handling rule"),
        on_delete=models.PROTECT,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("snapshot"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )

    class Meta:
        verbose_name = _("handling rule version")
        verbose_name_plural = _("handling rule versions")
        ordering = ["rule", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "number"], name="catalog_ruleversion_unique"),
        ]

    def __str__(self):
        return f"{self.rule} v{self.number}"
