# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jiesu.notify import delivery
from jiesu.notify.models import Notification
from jiesu.org.admin_base import IndexedValuesFilter, ReferenceDataAdmin


class GenericTemplateFilter(admin.SimpleListFilter):
    """Messages whose event had no template of its own (rendered from the generic one)."""

    title = _("template")
    parameter_name = "template_kind"

    def lookups(self, request, model_admin):
        return [("generic", _("Generic (event without a template)")), ("own", _("Own template"))]

    def queryset(self, request, queryset):
        generic = {"template__startswith": "notify/_generic."}
        if self.value() == "generic":
            return queryset.filter(**generic)
        if self.value() == "own":
            return queryset.exclude(**generic).exclude(template="")
        return queryset


@admin.register(Notification)
class NotificationAdmin(ReferenceDataAdmin):
    """The outbox, read-only: what was (or will be) sent to whom, and what went wrong."""

    list_display = [
        "created_at",
        "event",
        "channel",
        "recipient_label",
        "subject_ref",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    # Quick on an outbox of millions: the event filter's values by a skip scan of its index, no
    # date hierarchy (its year and month lists read every row), no second count of the table.
    list_filter = [
        "status",
        "channel",
        IndexedValuesFilter.on("event", _("event")),
        GenericTemplateFilter,
    ]
    search_fields = ["subject_ref", "recipient_address", "event", "idempotency_key"]
    show_full_result_count = False
    list_select_related = ["recipient_user", "recipient_unit"]
    actions = ["retry_now"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # The outbox is a record of what the citizens and staff were told.
        return False

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        error = obj.last_error
        return error if len(error) <= 80 else error[:79] + "…"

    @admin.action(description=_("Retry now (failed and given-up messages)"), permissions=["change"])
    def retry_now(self, request, queryset):
        count = delivery.retry_now(queryset)
        skipped = queryset.count() - count
        self.message_user(
            request,
            ngettext(
                "%(count)d message will be sent again at the next delivery run.",
                "%(count)d messages will be sent again at the next delivery run.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d message was left alone: it is sent, being sent, or in-app.",
                    "%(count)d messages were left alone: they are sent, being sent, or in-app.",
                    skipped,
                )
                % {"count": skipped},
                messages.INFO,
            )
