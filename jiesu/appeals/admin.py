# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Read-only admin views of appeals for administrators (case work happens in the console).

The appeal list stays quick on a table of millions: no date hierarchy (its year and month lists
read the whole table), the channel filter's values found by a skip scan of the channel index (`IndexedValuesFilter`),
no second count of the whole table, and a search by appeal number that uses the number's index
(the console's search covers text, phones and places)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from jiesu.appeals.models import Appeal, Assignment, Clock, Event, SupervisionNotice
from jiesu.org.admin_base import IndexedValuesFilter, ReferenceDataAdmin, ReferenceDataInline


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AssignmentInline(ReadOnlyMixin, ReferenceDataInline, admin.TabularInline):
    model = Assignment
    extra = 0
    fields = readonly_fields = (
        "unit",
        "role",
        "state",
        "active",
        "dispatched_at",
        "signed_at",
        "completed_at",
    )


class ClockInline(ReadOnlyMixin, ReferenceDataInline, admin.TabularInline):
    model = Clock
    extra = 0
    fields = readonly_fields = (
        "kind",
        "started_at",
        "warn_at",
        "due_at",
        "original_due_at",
        "stopped_at",
    )


class EventInline(ReadOnlyMixin, ReferenceDataInline, admin.TabularInline):
    model = Event
    extra = 0
    fields = readonly_fields = (
        "seq",
        "created_at",
        "kind",
        "actor_label",
        "from_status",
        "to_status",
    )


@admin.register(Appeal)
class AppealAdmin(ReadOnlyMixin, ReferenceDataAdmin):
    list_display = ["number", "title", "status", "channel", "category", "received_at"]
    list_filter = ["status", IndexedValuesFilter.on("channel", _("channel")), "grade"]
    search_fields = ["title"]
    search_help_text = _(
        "An appeal number finds that appeal; other words are looked for in titles. The console's "
        "search also finds phones, places and full texts."
    )
    show_full_result_count = False
    exclude = ["reporter_name", "reporter_phone", "reporter_credit_code"]
    inlines = [AssignmentInline, ClockInline, EventInline]
    list_select_related = ["category"]

    def get_search_results(self, request, queryset, search_term):
        # The appeal whose number it is, by one probe of the unique index (as the console's
        # search does); otherwise the titles.
        by_number = queryset.filter(number=search_term.strip().upper())
        if search_term.strip() and by_number.exists():
            return by_number, False
        return super().get_search_results(request, queryset, search_term)


@admin.register(SupervisionNotice)
class SupervisionNoticeAdmin(ReadOnlyMixin, ReferenceDataAdmin):
    list_display = ["appeal", "unit", "automatic", "issued_at", "answered_at"]
    list_filter = ["automatic"]
