from django.contrib import admin

from jiesu.notify.models import Notification
from jiesu.org.admin_base import ReferenceDataAdmin


@admin.register(Notification)
class NotificationAdmin(ReferenceDataAdmin):
    list_display = ["created_at", "event", "channel", "recipient_label", "subject_ref", "status"]
    list_filter = ["status", "channel", "event"]
    search_fields = ["subject_ref", "recipient_address", "event"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False
