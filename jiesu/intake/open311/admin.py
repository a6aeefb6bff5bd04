# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.contrib import admin

from jiesu.intake.open311.models import Open311Request


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    """Read-only: what Open311 clients sent beyond the appeal (for support questions)."""

    list_display = ["appeal", "service_code", "channel", "created_at"]
    list_filter = ["channel"]
    search_fields = ["appeal__number", "token", "address_id"]
    readonly_fields = [
        "appeal",
        "channel",
        "token",
        "service_code",
        "jurisdiction_id",
        "address_id",
        "media_url",
        "attributes",
        "created_at",
    ]
    list_select_related = ["appeal", "channel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
