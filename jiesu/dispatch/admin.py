# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Admin pages of the dispatch room (reference data: administrators only)."""

from django.contrib import admin

from jiesu.dispatch.models import KnowledgeEntry
from jiesu.org.admin_base import ReferenceDataAdmin


@admin.register(KnowledgeEntry)
class KnowledgeEntryAdmin(ReferenceDataAdmin):
    list_display = ("title", "category", "answered_at", "source", "active")
    list_filter = ("active", "source")
    search_fields = ("title", "question", "answer")
    list_editable = ("active",)
    autocomplete_fields = ()
    raw_id_fields = ("category",)
