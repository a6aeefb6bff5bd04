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
