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

from jiesu.console.models import ExportLog
from jiesu.org.admin_base import ReferenceDataAdmin


@admin.register(ExportLog)
class ExportLogAdmin(ReferenceDataAdmin):
    """The record of console exports: read-only (an audit note is never edited)."""

    list_display = ["created_at", "username", "row_count", "query"]
    list_filter = ["created_at"]
    search_fields = ["username", "query"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
