# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Forms of the console's administration pages: handling rules, calendar, channels, units, staff.

Each form leaves the data rules to the models (`full_clean` runs through the ModelForm), and
adds only what a form must check across fields: a lead unit that also assists, duplicate time
limits, a unit role without a unit, an administrator locking themselves out.
"""

from django import forms
from django.contrib.auth.forms import SetPasswordMixin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from jiesu.catalog.models import Category, HandlingRule, TimeLimit
from jiesu.intake.models import Channel
from jiesu.org import permissions
from jiesu.org.models import Region, Unit, User
from jiesu.org.roles import UNIT_SCOPED_ROLES, Role
from jiesu.workdays.models import CalendarOverride, CoveredYear, WorkingPeriod
from jiesu.workdays.units import DurationUnit

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


NBSP = "\u00a0"


def tree_label(node) -> str:
    """A unit or region indented by its depth; an inactive one says so."""
    label = f"{NBSP * 2 * node.depth}{node.name} ({node.code})"
    if not node.active:
        label += f" [{_('inactive')}]"
    return label


class TreeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return tree_label(obj)


class TreeMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return tree_label(obj)


def units():
    return Unit.objects.order_by("path")


# -- handling rules ---------------------------------------------------------------------------


class RuleSearchForm(forms.Form):
    q = forms.CharField(label=_("Code or name"), max_length=100, required=False)
    major = forms.ModelChoiceField(
        label=_("Major category"),
        queryset=Category.objects.filter(level=Category.Level.MAJOR).order_by("code"),
        required=False,
        empty_label=_("All"),
    )
    mode = forms.ChoiceField(
        label=_("Lead unit mode"),
        choices=[("", _("All")), *HandlingRule.LeadMode.choices, ("none", _("No rule yet"))],
        required=False,
    )


class RuleForm(forms.ModelForm):
    lead_unit = TreeChoiceField(
        label=_("Lead unit"),
        queryset=units(),
        required=False,
        help_text=HandlingRule._meta.get_field("lead_unit").help_text,
    )
    assisting_units = TreeMultipleChoiceField(
        label=_("Assisting units"),
        queryset=units(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Hold Ctrl (or Cmd) to choose several."),
    )

    class Meta:
        model = HandlingRule
        fields = [
            "lead_mode",
            "lead_unit",
            "assisting_units",
            "default_grade",
            "count_from",
            "filing_condition",
            "closing_condition",
            "plan",
        ]
        widgets = {
            "filing_condition": forms.Textarea(attrs={"rows": 2}),
            "closing_condition": forms.Textarea(attrs={"rows": 2}),
            "plan": forms.Textarea(attrs={"rows": 5}),
        }

    def clean(self):
        cleaned = super().clean()
        lead = cleaned.get("lead_unit")
        assisting = cleaned.get("assisting_units")
        if lead is not None and assisting is not None and lead in assisting:
            self.add_error("assisting_units", _("The lead unit cannot also be an assisting unit."))
        return cleaned


DUPLICATE_LIMIT = _("There is already a limit for this clock, appeal type and grade.")


class TimeLimitForm(forms.ModelForm):
    amount = forms.IntegerField(label=_("Amount"), min_value=1, max_value=99999)

    class Meta:
        model = TimeLimit
        fields = ["clock", "appeal_type", "grade", "amount", "unit"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appeal_type"].empty_label = _("any type")
        self.fields["grade"].empty_label = _("any grade")

    def validate_unique(self):
        # Uniqueness among a rule's limits is checked by the formset over all its rows (the
        # database constraint treats an empty type or grade as equal, which a single row of a
        # rule not yet saved cannot check: it would clash with the district defaults).
        pass


class TimeLimitFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            key = (data.get("clock"), data.get("appeal_type"), data.get("grade"))
            if key in seen:
                form.add_error(None, DUPLICATE_LIMIT)
            seen.add(key)

    def save_limits(self):
        """Delete the removed rows first, so that a row may take over a deleted row's key."""
        saved = self.save(commit=False)
        for obj in self.deleted_objects:
            obj.delete()
        for obj in saved:
            obj.save()


LimitFormSet = inlineformset_factory(
    HandlingRule,
    TimeLimit,
    form=TimeLimitForm,
    formset=TimeLimitFormSet,
    extra=3,
    can_delete=True,
    max_num=60,
    validate_max=True,
)


# -- calendar ---------------------------------------------------------------------------------


class OverrideForm(forms.ModelForm):
    class Meta:
        model = CalendarOverride
        fields = ["date", "is_working_day", "name", "note"]
        widgets = {"date": DATE_INPUT, "note": forms.Textarea(attrs={"rows": 2})}


class CoveredYearForm(forms.ModelForm):
    class Meta:
        model = CoveredYear
        fields = ["year", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}


class WorkingPeriodForm(forms.ModelForm):
    class Meta:
        model = WorkingPeriod
        fields = ["start", "end"]
        widgets = {"start": TIME_INPUT, "end": TIME_INPUT}


class DeadlineForm(forms.Form):
    """The deadline calculator: what `calendar.add_duration` answers for a start and a limit."""

    start = forms.DateTimeField(
        label=_("Start"), input_formats=DATETIME_FORMATS, widget=DATETIME_INPUT
    )
    amount = forms.IntegerField(label=_("Amount"), min_value=0, max_value=10000)
    unit = forms.ChoiceField(label=_("Counted in"), choices=DurationUnit.choices)


# -- channels ---------------------------------------------------------------------------------


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = [
            "code",
            "name",
            "kind",
            "description",
            "active",
            "is_machine",
            "rate_limit_per_minute",
            "max_attachments",
            "max_attachment_mb",
            "allow_video",
            "sort_order",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # Appeals record the channel by its code: it stays once the channel exists.
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("Appeals record the channel by this code.")
        self.fields["max_attachment_mb"].validators.append(_at_least_one)


def _at_least_one(value):
    if value is not None and value < 1:
        raise ValidationError(_("Enter at least 1."))


# -- units ------------------------------------------------------------------------------------


class UnitForm(forms.ModelForm):
    parent = TreeChoiceField(label=_("Parent unit"), queryset=units(), required=False)
    region = TreeChoiceField(
        label=_("Bound region"),
        queryset=Region.objects.order_by("path"),
        required=False,
        help_text=Unit._meta.get_field("region").help_text,
    )

    class Meta:
        model = Unit
        fields = [
            "code",
            "name",
            "short_name",
            "kind",
            "parent",
            "region",
            "is_backstop",
            "requires_leader_approval",
            "phone",
            "remit",
            "active",
        ]
        widgets = {"remit": forms.Textarea(attrs={"rows": 2})}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_backstop") and not cleaned.get("active", True):
            self.add_error("active", _("The backstop unit must stay active."))
        return cleaned


# -- staff ------------------------------------------------------------------------------------


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, username, phone or unit"), max_length=100, required=False)
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("All")), *Role.choices], required=False
    )
    active = forms.ChoiceField(
        label=_("Account"),
        choices=[("", _("All")), ("1", _("Active")), ("0", _("Deactivated"))],
        required=False,
    )


class UserForm(forms.ModelForm):
    unit = TreeChoiceField(label=_("Unit"), queryset=units(), required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "What a staff member may do follows from the roles. Unit handlers and unit leaders "
            "act only within their unit and its sub-units."
        ),
    )

    class Meta:
        model = User
        fields = ["username", "full_name", "phone", "email", "unit", "is_active"]

    def __init__(self, *args, editor=None, **kwargs):
        self.editor = editor
        super().__init__(*args, **kwargs)
        self.fields["is_active"].label = _("Active")
        self.fields["is_active"].help_text = _(
            "A deactivated account cannot sign in; its history stays."
        )
        if self.instance.pk is not None and not self.is_bound:
            self.initial["roles"] = sorted(self.instance.role_set)

    def clean(self):
        cleaned = super().clean()
        roles = set(cleaned.get("roles") or ())
        scoped = sorted(str(Role(r).label) for r in roles if r in UNIT_SCOPED_ROLES)
        if scoped and not cleaned.get("unit") and "unit" not in self.errors:
            self.add_error(
                "roles",
                _(
                    "%(roles)s act only within their unit and its sub-units: give this staff "
                    "member a unit, or remove the role."
                )
                % {"roles": ", ".join(scoped)},
            )
        if self.editor is not None and self.instance.pk == self.editor.pk:
            if not cleaned.get("is_active", True):
                self.add_error("is_active", _("You cannot deactivate your own account."))
            managers = {str(r) for r in permissions.roles_allowed(permissions.Action.MANAGE_USERS)}
            if not self.editor.is_superuser and not roles & managers:
                self.add_error(
                    "roles",
                    _("You cannot take away your own right to manage staff accounts."),
                )
        return cleaned


class UserCreateForm(SetPasswordMixin, UserForm):
    password1, password2 = SetPasswordMixin.create_password_fields()

    def clean(self):
        self.validate_passwords()
        return super().clean()

    def _post_clean(self):
        super()._post_clean()
        # After the ModelForm copied the typed-in username and names onto the instance, so
        # that the similarity validator compares the password with them.
        self.validate_password_for_user(self.instance)

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user
