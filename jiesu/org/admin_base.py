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
