# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The dispatch room in the admin: routing rules (every edit lands in the admin's history:
who changed what, when), auto-dispatch policies, read-only triages and overrides, and the
knowledge base (reference data: administrators only)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jiesu.dispatch.models import (
    CategoryPolicy,
    ChannelPolicy,
    KnowledgeEntry,
    Override,
    RoutingRule,
    Triage,
)
from jiesu.org.admin_base import ReadOnlyAdmin, ReferenceDataAdmin


@admin.register(RoutingRule)
class RoutingRuleAdmin(ReferenceDataAdmin):
    list_display = ("position", "name", "active", "category", "region", "channel", "lead_unit")
    list_display_links = ("name",)
    list_editable = ("position", "active")
    list_filter = ("active",)
    search_fields = ("name", "keywords", "note")
    autocomplete_fields = ()
    filter_horizontal = ("assisting_units",)
    ordering = ("position", "id")


@admin.register(CategoryPolicy)
class CategoryPolicyAdmin(ReferenceDataAdmin):
    list_display = ("category", "auto_dispatch", "threshold")
    list_filter = ("auto_dispatch",)


@admin.register(ChannelPolicy)
class ChannelPolicyAdmin(ReferenceDataAdmin):
    list_display = ("channel", "auto_dispatch")


@admin.register(Triage)
class TriageAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "outcome", "why", "confidence", "threshold", "unit", "created_at")
    list_filter = ("outcome",)
    raw_id_fields = ("appeal",)

    @admin.display(description=_("why"))
    def why(self, obj):
        from jiesu.dispatch import auto

        return auto.why_text(obj)


@admin.register(Override)
class OverrideAdmin(ReadOnlyAdmin):
    list_display = ("appeal", "suggested_unit", "chosen_unit", "reason", "actor", "created_at")
    list_filter = ("reason",)
    raw_id_fields = ("appeal",)


@admin.register(KnowledgeEntry)
class KnowledgeEntryAdmin(ReferenceDataAdmin):
    list_display = ("title", "category", "answered_at", "source", "active")
    list_filter = ("active", "source")
    search_fields = ("title", "question", "answer")
    list_editable = ("active",)
    autocomplete_fields = ()
    raw_id_fields = ("category",)
