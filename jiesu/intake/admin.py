# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Admin of the intake channels: the registry, API keys (issued and shown once, revoked) and
a read-only view of idempotent submissions."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jiesu.intake import channels
from jiesu.intake.models import Channel, ChannelSubmission
from jiesu.org.admin_base import ReferenceDataAdmin


@admin.register(Channel)
class ChannelAdmin(ReferenceDataAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "is_machine",
        "active",
        "rate_limit_per_minute",
        "key_state",
        "sort_order",
    ]
    list_filter = ["kind", "is_machine", "active"]
    search_fields = ["code", "name", "description"]
    list_editable = ["sort_order"]
    readonly_fields = ["key_state", "key_created_at", "key_revoked_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "description", "active", "sort_order"]}),
        (
            _("Machine access"),
            {
                "fields": [
                    "is_machine",
                    "rate_limit_per_minute",
                    "key_state",
                    "key_created_at",
                    "key_revoked_at",
                ],
                "description": _(
                    "API keys are issued with the list action “Issue a new API key” (or "
                    "manage.py channel_key CODE) and shown only once."
                ),
            },
        ),
        (_("Attachments"), {"fields": ["max_attachments", "max_attachment_mb", "allow_video"]}),
    ]
    actions = ["issue_new_key", "revoke_key"]

    @admin.display(description=_("API key"))
    def key_state(self, channel):
        if channels.has_key(channel):
            return format_html("<code>js_{}_…</code>", channel.key_prefix)
        if channel.key_revoked_at:
            return _("revoked")
        return "—"

    @admin.action(description=_("Issue a new API key (shown once)"))
    def issue_new_key(self, request, queryset):
        for channel in queryset:
            try:
                key = channels.issue_key(channel)
            except channels.KeyNotAllowed:
                self.message_user(
                    request,
                    _("%(channel)s: no key issued — only active machine channels have keys.")
                    % {"channel": channel.code},
                    messages.ERROR,
                )
                continue
            self.log_change(request, channel, "Issued a new API key " + channel.key_prefix)
            self.message_user(
                request,
                format_html(
                    "{}: <code>{}</code> — {}",
                    channel.code,
                    key,
                    _("copy it now: it is shown only this once; the previous key no longer works."),
                ),
                messages.WARNING,
            )

    @admin.action(description=_("Revoke the API key"))
    def revoke_key(self, request, queryset):
        revoked = 0
        for channel in queryset:
            if channels.revoke_key(channel):
                revoked += 1
                self.log_change(request, channel, "Revoked the API key " + channel.key_prefix)
        self.message_user(
            request,
            ngettext("%(n)d key revoked.", "%(n)d keys revoked.", revoked) % {"n": revoked},
            messages.SUCCESS,
        )


@admin.register(ChannelSubmission)
class ChannelSubmissionAdmin(ReferenceDataAdmin):
    list_display = ["created_at", "channel", "idempotency_key", "appeal"]
    list_filter = ["channel"]
    search_fields = ["idempotency_key", "appeal__number"]
    list_select_related = ["channel", "appeal"]
    # One row per machine filing with a key: millions. No date hierarchy (its year and month
    # lists read every row) and no second count of the table.
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
