# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""One Django form per workflow transition: the console's way to call `appeals.workflow`.

Field names are the keyword arguments of the workflow function, so a form's cleaned data is
passed straight through, and the workflow's own field errors land next to the same fields.
"""

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from jiesu.appeals import workflow
from jiesu.appeals.models import Appeal, Attachment, SupervisionNotice
from jiesu.catalog import services as catalog_services
from jiesu.catalog.models import AppealType, Category, Grade, HandlingRule
from jiesu.dispatch import presenting
from jiesu.dispatch.models import Override
from jiesu.org.models import Unit


class ActionForm(forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, appeal=None, user=None, **kwargs):
        self.appeal = appeal
        self.user = user
        super().__init__(*args, **kwargs)
        if appeal is not None and not self.is_bound:
            self.initial.setdefault("expected_version", appeal.version)

    def workflow_kwargs(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "") or k == "note"}


def reason_field(label=None):
    return forms.CharField(
        label=label or _("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


def note_field(label=None):
    return forms.CharField(
        label=label or _("Note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
    )


def unit_field(label, required=True, help_text=""):
    return forms.ModelChoiceField(
        label=label,
        queryset=Unit.objects.filter(active=True).order_by("path"),
        required=required,
        help_text=help_text,
    )


def search_picker_attrs(**extra) -> dict:
    """Widget attributes that turn a long select into a searchable one (console/pickers.js)."""
    return {
        "data-search-picker": "",
        "data-search-label": _("Find a category"),
        "data-placeholder": _("Type part of a name or code"),
        "data-picked-text": _("Picked: {name}"),
        "data-count-text": _("{n} matches, best first; click one, or type more"),
        "data-ambiguous-text": _("{n} matches: nothing picked. Click one, or type more."),
        "data-none-text": _("No category matches."),
        **extra,
    }


def multi_picker_attrs(**extra) -> dict:
    """Widget attributes for a searchable multi-picker with checkboxes (console/pickers.js)."""
    return {
        "data-multi-picker": "",
        "data-placeholder": _("Type part of a unit's name"),
        "data-remove-text": _("Remove {name}"),
        "data-none-chosen-text": _("None chosen"),
        **extra,
    }


class LeafChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        parent = obj.parent
        return f"{parent.parent.name} › {parent.name} › {obj.name}" if parent else obj.name


class RegisterForm(ActionForm):
    appeal_type = forms.ModelChoiceField(
        label=_("Type"), queryset=AppealType.objects.filter(active=True)
    )
    category = LeafChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(level=3, active=True)
        .select_related("parent__parent")
        .order_by("code"),
        widget=forms.Select(attrs=search_picker_attrs()),
    )
    grade = forms.ModelChoiceField(label=_("Grade"), queryset=Grade.objects.all())
    address = forms.CharField(label=_("Address"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.appeal is not None and not self.is_bound:
            self.initial.setdefault("address", self.appeal.address)
            for name in ("appeal_type", "category", "grade"):
                value = getattr(self.appeal, f"{name}_id")
                if value:
                    self.initial.setdefault(name, value)

    def workflow_kwargs(self):
        data = super().workflow_kwargs()
        data.setdefault("address", None)
        return data


class RejectForm(ActionForm):
    reason = reason_field(_("Reason for rejecting (the citizen is told)"))


class MergeForm(ActionForm):
    into = forms.CharField(label=_("Merge into appeal number"), max_length=32)

    def clean_into(self):
        number = self.cleaned_data["into"].strip().upper()
        appeal = Appeal.objects.filter(number=number).first()
        if appeal is None:
            raise forms.ValidationError(_("No appeal has this number."))
        return appeal


class AnswerForm(ActionForm):
    reply = forms.CharField(
        label=_("Answer (the citizen reads it)"), widget=forms.Textarea(attrs={"rows": 4})
    )


class DispatchForm(ActionForm):
    lead_unit = unit_field(
        _("Lead unit"),
        required=False,
        help_text=_("Empty: the catalogue's rule decides; if unclear, the backstop unit leads."),
    )
    assisting_units = forms.ModelMultipleChoiceField(
        label=_("Assisting units"),
        queryset=Unit.objects.filter(active=True).order_by("path"),
        required=False,
        widget=forms.SelectMultiple(attrs=multi_picker_attrs(size=4)),
    )
    override_reason = forms.ChoiceField(
        label=_("Why another unit than the suggested one"),
        choices=[("", "—"), *Override.Reason.choices],
        required=False,
    )
    override_note = forms.CharField(label=_("Override note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The unit the dispatch room suggested when the appeal arrived (its triage), if any.
        self.suggested = presenting.suggested_unit(self.appeal) if self.appeal else None
        if self.suggested is None:
            self.fields["override_reason"].widget = forms.HiddenInput()
            self.fields["override_note"].widget = forms.HiddenInput()
        elif not self.is_bound:
            self.initial.setdefault("lead_unit", self.suggested.pk)
        if self.appeal is not None and not self.is_bound and self.appeal.category_id:
            # The catalogue's suggestion, preselected: the rule's lead unit (fixed, or the unit
            # of the appeal's area) and its assisting units. When the rule leads nowhere but to
            # the backstop, the field stays empty so that dispatching records first-ask (兜底).
            lead = catalog_services.lead_unit_for(self.appeal.category, self.appeal.region)
            if lead is not None and not lead.is_backstop:
                self.initial.setdefault("lead_unit", lead.pk)
            rule = HandlingRule.objects.filter(category_id=self.appeal.category_id).first()
            if rule is not None:
                assisting = [u.pk for u in rule.assisting_units.filter(active=True)]
                if assisting:
                    self.initial.setdefault("assisting_units", assisting)

    def overrides(self) -> bool:
        chosen = self.cleaned_data.get("lead_unit")
        return self.suggested is not None and chosen is not None and chosen.pk != self.suggested.pk

    def clean(self):
        data = super().clean()
        if self.overrides() and not data.get("override_reason"):
            self.add_error(
                "override_reason",
                _("You chose another unit than the suggested one: pick the reason."),
            )
        return data

    def workflow_kwargs(self):
        data = super().workflow_kwargs()
        data.pop("override_reason", None)
        data.pop("override_note", None)
        if not self.cleaned_data.get("assisting_units"):
            data.pop("assisting_units", None)
        return data

    def after(self, user):
        """Record the override (it feeds the next training: see docs/guide/dispatch.md)."""
        if self.overrides():
            Override.objects.create(
                appeal=self.appeal,
                suggested_unit=self.suggested,
                chosen_unit=self.cleaned_data["lead_unit"],
                reason=self.cleaned_data["override_reason"],
                note=self.cleaned_data.get("override_note", ""),
                actor=user,
            )


class RedispatchForm(ActionForm):
    lead_unit = unit_field(_("New lead unit"))
    reason = reason_field()


class ContactForm(ActionForm):
    method = forms.ChoiceField(
        label=_("How"),
        choices=[("电话", _("Phone")), ("短信", _("SMS")), ("上门", _("Visit on site"))],
    )
    note = note_field()


class RequestReturnForm(ActionForm):
    reason = reason_field(_("Why this is not your unit's matter"))


class ApproveReturnForm(ActionForm):
    lead_unit = unit_field(
        _("Re-dispatch to"),
        required=False,
        help_text=_("Empty: the backstop unit leads (first-ask responsibility)."),
    )
    note = note_field()


class RequestExtensionForm(ActionForm):
    working_days = forms.IntegerField(label=_("Working days"), min_value=1)
    reason = reason_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limit comes from the rule the workflow enforces, and the form says it up front.
        limit = workflow.max_extension_days()
        field = self.fields["working_days"]
        field.max_value = limit
        field.widget.attrs["max"] = limit
        field.validators.append(MaxValueValidator(limit))
        field.help_text = _("At most %(max)d working days per extension.") % {"max": limit}


class MultiplePhotoInput(forms.ClearableFileInput):
    """A file input that takes several photos at once (before and after, several angles)."""

    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Each chosen file is checked like a single one; the view stores them with
    `appeals.attachments.store_upload`, which checks their bytes."""

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultiplePhotoField, self).clean(d, initial) for d in data if d]
        return super().clean(data, initial)


class CompleteForm(ActionForm):
    result = forms.CharField(
        label=_("Result (the citizen reads it)"), widget=forms.Textarea(attrs={"rows": 4})
    )
    evidence = forms.CharField(
        label=_("Evidence: what was done"), widget=forms.Textarea(attrs={"rows": 2})
    )
    photos = MultiplePhotoField(
        label=_("Evidence photos"),
        required=False,
        widget=MultiplePhotoInput(attrs={"accept": "image/*"}),
    )
    photos_public = forms.BooleanField(
        label=_("Show these photos to the citizen with the result"),
        help_text=_(
            "On the citizen's tracking page, once the centre has accepted the result. Leave it "
            "unticked for photos that show people, number plates or private places."
        ),
        required=False,
    )

    def workflow_kwargs(self):
        data = super().workflow_kwargs()
        data.pop("photos", None)
        data.pop("photos_public", None)
        return data


class RecordVisitForm(ActionForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Appeal.Satisfaction.choices)
    unit_at_fault = forms.BooleanField(
        label=_("Not satisfied for reasons on the unit's side (reopens the appeal)"),
        required=False,
    )
    note = note_field(_("What the citizen said"))


class AnswerSupervisionForm(ActionForm):
    notice = forms.ModelChoiceField(label=_("Notice"), queryset=SupervisionNotice.objects.none())
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.appeal is not None:
            self.fields["notice"].queryset = self.appeal.supervisions.filter(
                answered_at__isnull=True
            )


def _simple(*fields):
    return type("Form", (ActionForm,), dict(fields))


FORMS = {
    "register": RegisterForm,
    "reject": RejectForm,
    "merge": MergeForm,
    "answer": AnswerForm,
    "dispatch": DispatchForm,
    "redispatch": RedispatchForm,
    "sign": ActionForm,
    "contact": ContactForm,
    "request_return": RequestReturnForm,
    "approve_return": ApproveReturnForm,
    "refuse_return": _simple(("reason", reason_field())),
    "request_extension": RequestExtensionForm,
    "approve_extension": _simple(("note", note_field())),
    "refuse_extension": _simple(("reason", reason_field())),
    "complete": CompleteForm,
    "approve_completion": _simple(("note", note_field())),
    "reject_completion": _simple(("reason", reason_field())),
    "approve_review": _simple(("note", note_field())),
    "send_back": _simple(("reason", reason_field())),
    "record_visit": RecordVisitForm,
    "close": _simple(("reason", reason_field())),
    "reopen": _simple(("reason", reason_field())),
    "supervise": _simple(("reason", reason_field(_("What the notice demands")))),
    "answer_supervision": AnswerSupervisionForm,
}

# Evidence photos are stored before the transition and passed as attachments.
EVIDENCE_PURPOSE = Attachment.Purpose.EVIDENCE
