# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Admin for the organisation: regions, units and staff (with their roles).

Also decides who may enter the admin site at all: administrators (by role) and superusers,
whether or not `is_staff` is set; nobody else, however their account is flagged.
"""

import contextlib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from jiesu.org import geo, permissions
from jiesu.org.admin_base import ReferenceDataAdmin
from jiesu.org.models import Region, Unit, User, UserRole
from jiesu.org.roles import UNIT_SCOPED_ROLES, Role

# -- who may enter the admin -------------------------------------------------------------------


def admin_site_has_permission(request) -> bool:
    """Replacement for AdminSite.has_permission: administrators and superusers only."""
    return permissions.may_use_admin(request.user)


class AdminLoginForm(AdminAuthenticationForm):
    """The admin login, following the same rule instead of Django's `is_staff`."""

    def confirm_login_allowed(self, user):
        if not user.is_active or not permissions.may_use_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


# Django's documented way is an AdminSite subclass; the default site is replaced in place so that
# every app's `admin.site.register` keeps working. mypy refuses assigning to a method.
admin.site.has_permission = admin_site_has_permission  # type: ignore[method-assign]
admin.site.login_form = AdminLoginForm

# Jiesu's permissions are roles (jiesu.org.permissions), not Django groups: hide groups.
with contextlib.suppress(NotRegistered):
    admin.site.unregister(Group)


# -- helpers -----------------------------------------------------------------------------------


def _indented(node, label):
    # Classes, not a style attribute (the CSP forbids inline styles): org/admin.css.
    return format_html('<span class="tree-depth-{}">{}</span>', min(node.depth, 10), label)


def _breadcrumb(node):
    if node.pk is None:
        return "–"
    return " › ".join(str(n) for n in [*node.ancestors(), node])


# -- regions -----------------------------------------------------------------------------------


class BoundaryField(forms.JSONField):
    """A JSON text area for a GeoJSON geometry; a pasted Feature is reduced to its geometry."""

    def to_python(self, value):
        data = super().to_python(value)
        if isinstance(data, dict) and data.get("type") == "FeatureCollection":
            features = data.get("features") or []
            if len(features) != 1:
                raise ValidationError(
                    _("Paste one geometry (or one Feature), not a collection of %(n)s features."),
                    params={"n": len(features)},
                )
            data = features[0]
        if isinstance(data, dict) and data.get("type") == "Feature":
            data = data.get("geometry")
        return data

    def validate(self, value):
        super().validate(value)
        if value not in self.empty_values:
            geo.parse_boundary(value)


class RegionForm(forms.ModelForm):
    boundary = BoundaryField(
        label=_("boundary (GeoJSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 100, "style": "font-family: monospace"}),
        help_text=Region._meta.get_field("boundary").help_text,
    )

    class Meta:
        model = Region
        fields = (
            "code",
            "name",
            "level",
            "parent",
            "active",
            "boundary",
            "geometry_note",
            "center_lat",
            "center_lng",
        )


@admin.register(Region)
class RegionAdmin(ReferenceDataAdmin):
    class Media:
        css = {"all": ["org/admin.css"]}

    form = RegionForm
    list_display = ("tree_name", "code", "level", "parent", "active", "has_boundary")
    list_filter = ("level", "active")
    list_select_related = ("parent",)
    search_fields = ("code", "name")
    ordering = ("path",)
    autocomplete_fields = ("parent",)
    readonly_fields = ("breadcrumb", "bounding_box")
    fieldsets = (
        (None, {"fields": ("code", "name", "level", "parent", "breadcrumb", "active")}),
        (
            _("Geometry"),
            {
                "fields": (
                    "boundary",
                    "geometry_note",
                    "bounding_box",
                    "center_lat",
                    "center_lng",
                )
            },
        ),
    )

    @admin.display(description=_("name"), ordering="path")
    def tree_name(self, obj):
        return _indented(obj, obj.name)

    @admin.display(description=_("place in the tree"))
    def breadcrumb(self, obj):
        return _breadcrumb(obj)

    @admin.display(description=_("boundary"), boolean=True)
    def has_boundary(self, obj):
        return obj.min_lng is not None

    @admin.display(description=_("bounding box"))
    def bounding_box(self, obj):
        if obj.min_lng is None:
            return "–"
        return f"{obj.min_lng:.6f}, {obj.min_lat:.6f} … {obj.max_lng:.6f}, {obj.max_lat:.6f}"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for message in boundary_warnings(obj):
            self.message_user(request, message, level=messages.WARNING)


def boundary_warnings(region: Region, tolerance: float = geo.OUTSIDE_TOLERANCE) -> list[str]:
    """Warnings when the region sticks out of its parent or a child sticks out of it."""
    warnings: list[str] = []
    own = region.geometry()
    if own is None:
        return warnings
    parent = region.parent
    if parent is not None and parent.boundary:
        share = geo.sticks_out(own, parent.geometry(), tolerance)
        if share is not None:
            warnings.append(
                _("%(region)s lies %(share).1f%% outside its parent %(parent)s.")
                % {"region": region, "share": share * 100, "parent": parent}
            )
    for child in region.children.exclude(boundary=None):
        share = geo.sticks_out(child.geometry(), own, tolerance)
        if share is not None:
            warnings.append(
                _("Its child %(child)s lies %(share).1f%% outside it.")
                % {"child": child, "share": share * 100}
            )
    return warnings


# -- units -------------------------------------------------------------------------------------


@admin.register(Unit)
class UnitAdmin(ReferenceDataAdmin):
    class Media:
        css = {"all": ["org/admin.css"]}

    list_display = (
        "tree_name",
        "code",
        "kind",
        "parent",
        "region",
        "is_backstop",
        "requires_leader_approval",
        "active",
    )
    list_filter = ("kind", "is_backstop", "requires_leader_approval", "active")
    list_select_related = ("parent", "region")
    search_fields = ("code", "name", "short_name")
    ordering = ("path",)
    autocomplete_fields = ("parent", "region")
    readonly_fields = ("breadcrumb",)
    fieldsets = (
        (None, {"fields": ("code", "name", "short_name", "kind", "parent", "breadcrumb")}),
        (
            _("Work"),
            {
                "fields": (
                    "region",
                    "is_backstop",
                    "requires_leader_approval",
                    "phone",
                    "remit",
                    "active",
                )
            },
        ),
    )

    @admin.display(description=_("name"), ordering="path")
    def tree_name(self, obj):
        return _indented(obj, obj.name)

    @admin.display(description=_("place in the tree"))
    def breadcrumb(self, obj):
        return _breadcrumb(obj)


# -- staff -------------------------------------------------------------------------------------


def _may_manage_users(request) -> bool:
    return permissions.can(request.user, permissions.Action.MANAGE_USERS)


class UserRoleFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        chosen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("role") and not data.get("DELETE"):
                chosen.add(data["role"])
        scoped = sorted(Role(r).label for r in chosen if r in UNIT_SCOPED_ROLES)
        if scoped and not self.instance.unit_id:
            raise ValidationError(
                _(
                    "%(roles)s act only within their unit and its sub-units: give this staff "
                    "member a unit, or remove the role."
                ),
                params={"roles": ", ".join(str(s) for s in scoped)},
                code="unit_required",
            )


class UserRoleInline(admin.TabularInline):
    model = UserRole
    formset = UserRoleFormSet
    fields = ("role",)
    extra = 1
    verbose_name = _("role")
    verbose_name_plural = _("roles")

    def has_view_permission(self, request, obj=None):
        return _may_manage_users(request)

    def has_add_permission(self, request, obj=None):
        return _may_manage_users(request)

    def has_change_permission(self, request, obj=None):
        return _may_manage_users(request)

    def has_delete_permission(self, request, obj=None):
        return _may_manage_users(request)


class StaffCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "full_name", "phone", "email", "unit")


class StaffChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


@admin.register(User)
class StaffAdmin(BaseUserAdmin):
    """Staff accounts. Passwords are hashed by the first PASSWORD_HASHERS entry (argon2)."""

    form = StaffChangeForm
    add_form = StaffCreationForm
    inlines = (UserRoleInline,)
    list_display = ("username", "full_name", "unit", "role_list", "is_active", "last_login")
    list_filter = ("is_active", "roles__role", "is_superuser")
    list_select_related = ("unit",)
    search_fields = ("username", "full_name", "phone", "email", "unit__name", "unit__code")
    ordering = ("username",)
    autocomplete_fields = ("unit",)
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "phone", "email")}),
        (_("Organisation"), {"fields": ("unit",)}),
        (
            _("Account"),
            {
                "fields": ("is_active", "is_superuser"),
                "description": format_lazy(
                    "{} {}",
                    _("What a staff member may do follows from the roles below."),
                    _(
                        "The superuser flag opens the admin (reference data and staff) "
                        "but allows no work on appeals."
                    ),
                ),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2"),
            },
        ),
        (_("Personal info"), {"fields": ("full_name", "phone", "email")}),
        (_("Organisation"), {"fields": ("unit",)}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            # Only a superuser may make or unmake superusers.
            readonly.append("is_superuser")
        return readonly

    @admin.display(description=_("roles"))
    def role_list(self, obj):
        return ", ".join(str(r.get_role_display()) for r in obj.roles.all()) or "–"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.instance.forget_roles()

    def has_module_permission(self, request):
        return _may_manage_users(request)

    def has_view_permission(self, request, obj=None):
        return _may_manage_users(request)

    def has_add_permission(self, request):
        return _may_manage_users(request)

    def has_change_permission(self, request, obj=None):
        return _may_manage_users(request)

    def has_delete_permission(self, request, obj=None):
        return _may_manage_users(request)
