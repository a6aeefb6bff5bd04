# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Base classes for the admin site, which is for administrators' reference data.

Every room's ModelAdmin derives from `ReferenceDataAdmin`, so that who may use the admin
is decided in one place (`jiesu.org.permissions`).
"""

from django.contrib import admin
from django.db import connections, router


def indexed_values(model, column: str) -> list:
    """The distinct values of `column` in `model`'s table, read by a skip scan: one probe of an
    index that starts with the column per value, instead of reading every row as `SELECT
    DISTINCT` (and the admin's own field filter) does. For columns with few values and such an
    index, on tables of millions (appeals, the outbox)."""
    connection = connections[router.db_for_read(model)]
    table = connection.ops.quote_name(model._meta.db_table)
    col = connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH RECURSIVE c(v) AS ("  # noqa: S608 - a model's table and column names
            f" SELECT MIN({col}) FROM {table}"
            f" UNION ALL SELECT (SELECT MIN({col}) FROM {table} WHERE {col} > c.v)"
            " FROM c WHERE c.v IS NOT NULL"
            ") SELECT v FROM c WHERE v IS NOT NULL"
        )
        return [row[0] for row in cursor.fetchall()]


class IndexedValuesFilter(admin.SimpleListFilter):
    """A list filter on a plain column whose choices are the values stored (`indexed_values`);
    `IndexedValuesFilter.on("channel", _("channel"))` makes one. A value with a display name
    among the field's choices shows that name."""

    column = ""

    @classmethod
    def on(cls, column: str, title):
        return type(
            f"{column.title()}Filter",
            (cls,),
            {"column": column, "title": title, "parameter_name": column},
        )

    def lookups(self, request, model_admin):
        field = model_admin.model._meta.get_field(self.column)
        names = dict(field.flatchoices) if field.choices else {}
        return [(v, names.get(v, v)) for v in indexed_values(model_admin.model, field.column)]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(**{self.column: value}) if value else queryset


def may_manage_reference_data(user) -> bool:
    from jiesu.org import permissions

    return permissions.can(user, permissions.Action.MANAGE_REFERENCE_DATA)


class ReferenceDataAdmin(admin.ModelAdmin):
    """A ModelAdmin usable by administrators (and superusers) only."""

    def has_module_permission(self, request):
        return may_manage_reference_data(request.user)

    def has_view_permission(self, request, obj=None):
        return may_manage_reference_data(request.user)

    def has_add_permission(self, request):
        return may_manage_reference_data(request.user)

    def has_change_permission(self, request, obj=None):
        return may_manage_reference_data(request.user)

    def has_delete_permission(self, request, obj=None):
        return may_manage_reference_data(request.user)


class ReadOnlyAdmin(ReferenceDataAdmin):
    """Records written by the system (rewards, triages, overrides): administrators read them in
    the admin, nobody adds, changes or deletes them there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReferenceDataInline:
    """Mixin for inlines with the same rule."""

    def has_view_permission(self, request, obj=None):
        return may_manage_reference_data(request.user)

    def has_add_permission(self, request, obj=None):
        return may_manage_reference_data(request.user)

    def has_change_permission(self, request, obj=None):
        return may_manage_reference_data(request.user)

    def has_delete_permission(self, request, obj=None):
        return may_manage_reference_data(request.user)
