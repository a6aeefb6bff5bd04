# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Admin pages for the catalogue: categories, appeal types, grades, rules, versions, defaults."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from jiesu.catalog.models import (
    AppealType,
    Category,
    DistrictDefaultLimit,
    Grade,
    HandlingRule,
    HandlingRuleVersion,
    TimeLimit,
)
from jiesu.catalog.services import _record_version
from jiesu.org.admin_base import ReferenceDataAdmin, ReferenceDataInline


def _limit_key(cleaned_data):
    return (
        cleaned_data.get("clock"),
        cleaned_data.get("appeal_type"),
        cleaned_data.get("grade"),
    )


DUPLICATE_LIMIT = _("There is already a limit for this clock, appeal type and grade.")


class TimeLimitForm(forms.ModelForm):
    amount = forms.IntegerField(label=_("amount"), min_value=1, max_value=99999)

    class Meta:
        model = TimeLimit
        fields = ["clock", "appeal_type", "grade", "amount", "unit"]

    def validate_unique(self):
        # Uniqueness among a rule's limits is checked over the whole set of rows by the
        # formset (the unique constraint treats empty type/grade as equal, which the
        # per-row check cannot see for a rule that is still being created).
        pass


class TimeLimitFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            key = _limit_key(form.cleaned_data)
            if key in seen:
                form.add_error(None, DUPLICATE_LIMIT)
            seen.add(key)


class TimeLimitInline(ReferenceDataInline, admin.TabularInline):
    model = TimeLimit
    form = TimeLimitForm
    formset = TimeLimitFormSet
    extra = 0
    verbose_name = _("time limit")
    verbose_name_plural = _(
        "time limits (the most specific wins: type and grade, grade, type, any; "
        "what the rule does not set comes from the district defaults)"
    )


class VersionInline(ReferenceDataInline, admin.TabularInline):
    model = HandlingRuleVersion
    fields = readonly_fields = ("number", "created_at", "created_by")
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-number"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HandlingRuleForm(forms.ModelForm):
    class Meta:
        model = HandlingRule
        fields = [
            "category",
            "lead_mode",
            "lead_unit",
            "assisting_units",
            "default_grade",
            "count_from",
            "filing_condition",
            "closing_condition",
            "plan",
        ]

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        lead = cleaned.get("lead_unit")
        assisting = cleaned.get("assisting_units")
        if lead is not None and assisting is not None and lead in assisting:
            self.add_error("assisting_units", _("The lead unit cannot also be an assisting unit."))
        return cleaned


@admin.register(HandlingRule)
class HandlingRuleAdmin(ReferenceDataAdmin):
    form = HandlingRuleForm
    list_display = [
        "category",
        "category_code",
        "lead_mode",
        "lead_unit",
        "default_grade",
        "count_from",
        "current_version",
        "updated_at",
    ]
    list_filter = ["lead_mode", "default_grade", "count_from", "lead_unit"]
    search_fields = ["category__name", "category__code", "lead_unit__name", "plan"]
    list_select_related = ["category", "lead_unit", "default_grade"]
    autocomplete_fields = ["category"]
    filter_horizontal = ["assisting_units"]
    inlines = [TimeLimitInline, VersionInline]
    fieldsets = [
        (None, {"fields": ["category"]}),
        (
            _("Who handles it"),
            {"fields": ["lead_mode", "lead_unit", "assisting_units", "default_grade"]},
        ),
        (_("Time limits"), {"fields": ["count_from"]}),
        (
            _("Conditions and plan"),
            {"fields": ["filing_condition", "closing_condition", "plan"]},
        ),
    ]

    @admin.display(description=_("code"), ordering="category__code")
    def category_code(self, obj):
        return obj.category.code

    @admin.display(description=_("version"))
    def current_version(self, obj):
        latest = obj.versions.order_by("-number").first()
        return latest.number if latest else "-"

    def get_readonly_fields(self, request, obj=None):
        # A rule stays with its leaf: its versions are that leaf's history.
        return ["category"] if obj is not None else []

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        version, created = _record_version(form.instance, request.user)
        if created:
            self.message_user(
                request,
                _("Recorded as version %(number)s.") % {"number": version.number},
                messages.INFO,
            )


@admin.register(HandlingRuleVersion)
class HandlingRuleVersionAdmin(ReferenceDataAdmin):
    list_display = ["rule", "number", "created_at", "created_by"]
    list_select_related = ["rule__category", "created_by"]
    search_fields = ["rule__category__name", "rule__category__code"]
    date_hierarchy = "created_at"
    fields = readonly_fields = ("rule", "number", "created_at", "created_by", "snapshot_pretty")

    @admin.display(description=_("snapshot"))
    def snapshot_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.snapshot, ensure_ascii=False, indent=2))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DistrictDefaultLimitForm(forms.ModelForm):
    amount = forms.IntegerField(label=_("amount"), min_value=1, max_value=99999)

    class Meta:
        model = DistrictDefaultLimit
        fields = ["clock", "appeal_type", "grade", "amount", "unit"]

    def clean(self):
        cleaned = super().clean()
        clock, appeal_type, grade = _limit_key(cleaned)
        if clock:
            clash = DistrictDefaultLimit.objects.filter(
                clock=clock, appeal_type=appeal_type, grade=grade
            ).exclude(pk=self.instance.pk)
            if clash.exists():
                raise ValidationError(DUPLICATE_LIMIT)
        return cleaned


@admin.register(DistrictDefaultLimit)
class DistrictDefaultLimitAdmin(ReferenceDataAdmin):
    form = DistrictDefaultLimitForm
    list_display = ["clock", "appeal_type", "grade", "amount", "unit"]
    list_display_links = ["clock"]
    list_filter = ["clock", "grade", "appeal_type", "unit"]
    list_select_related = ["appeal_type", "grade"]
    ordering = ["clock", "grade__sort_order", "appeal_type__sort_order"]


class CategoryLevelFilter(admin.SimpleListFilter):
    title = _("level")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return Category.Level.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(level=self.value())
        return queryset


class ParentFilter(admin.SimpleListFilter):
    """Filter by parent; lists only major and middle categories."""

    title = _("parent category")
    parameter_name = "parent"

    def lookups(self, request, model_admin):
        parents = Category.objects.filter(level__lt=Category.Level.LEAF).order_by("code")
        return [(str(c.pk), f"{c.code} {c.name}") for c in parents]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(parent_id=self.value())
        return queryset


@admin.register(Category)
class CategoryAdmin(ReferenceDataAdmin):
    list_display = ["code", "name", "level", "parent", "active", "has_rule", "sort_order"]
    list_display_links = ["code", "name"]
    list_filter = [CategoryLevelFilter, "active", ParentFilter]
    search_fields = ["code", "name", "keywords"]
    list_select_related = ["parent", "rule"]
    autocomplete_fields = ["parent"]
    ordering = ["code"]
    list_per_page = 100
    fields = ["code", "name", "level", "parent", "active", "keywords", "sort_order"]

    @admin.display(description=_("handling rule"), boolean=True)
    def has_rule(self, obj):
        return hasattr(obj, "rule")


@admin.register(AppealType)
class AppealTypeAdmin(ReferenceDataAdmin):
    list_display = ["code", "name", "active", "sort_order"]
    list_editable = ["active", "sort_order"]
    search_fields = ["code", "name"]


@admin.register(Grade)
class GradeAdmin(ReferenceDataAdmin):
    list_display = ["code", "name", "importance", "urgency", "sort_order"]
    list_editable = ["sort_order"]
    search_fields = ["code", "name", "definition"]
