# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Forms of the citizen pages."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jiesu.catalog.models import AppealType
from jiesu.org import coords

# Mainland mobile numbers, and landlines with their area code (0755-12345678).
PHONE_RE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")

# Citizen-friendly names of the seeded appeal types, in the page's language.
TYPE_LABELS = {
    "complaint": _("Complaint"),
    "consultation": _("Question"),
    "suggestion": _("Suggestion"),
    "request": _("Request for help"),
    "report": _("Report of wrongdoing"),
    "praise": _("Praise"),
}
TYPE_HINTS = {
    "complaint": _("Something is wrong and should be put right"),
    "consultation": _("Ask about a policy or a procedure"),
    "suggestion": _("An idea to improve a service"),
    "request": _("Ask for help with a concrete problem"),
    "report": _("Report a breach of rules or law"),
    "praise": _("Thank a unit or a person"),
}


class TypeChoiceField(forms.ModelChoiceField):
    """In Chinese the citizen reads the catalogue's own name of the type (求决, not a
    friendlier 求助), so the citizen and the console use one term; in other languages the
    English name; "What do these mean?" under the choices explains each in plain words."""

    def label_from_instance(self, obj):
        if (get_language() or "").startswith("zh"):
            return obj.name
        return TYPE_LABELS.get(obj.code, obj.name)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def derive_title(description: str, limit: int = 30) -> str:
    """A short title from the first sentence of the description."""
    text = " ".join(description.split())
    first = re.split(r"(?<=[。！？!?；;])|(?<=\.)\s", text, maxsplit=1)[0].strip()
    first = first.rstrip("。！？!?；;.") or text
    return first if len(first) <= limit else first[: limit - 1] + "…"


class ReportForm(forms.Form):
    """随手拍: the fields of the submission page (the photos are handled by the view)."""

    # How the error summary names a field whose label is a question or a sentence.
    SUMMARY_NAMES = {
        "appeal_type": _("Kind of matter"),
        "description": _("Description"),
        "title": _("Short title"),
        "photos": _("Photos"),
        "keep_photos": _("Photos"),
        "address": _("Place"),
        "consent": _("Consent to the use of your data"),
    }

    appeal_type = TypeChoiceField(
        label=_("What kind of matter is it?"),
        queryset=AppealType.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": _("Choose what kind of matter it is.")},
    )
    description = forms.CharField(
        label=_("What happened?"),
        help_text=_("Describe the problem: what, where exactly, since when."),
        min_length=5,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Describe the matter.")},
    )
    title = forms.CharField(
        label=_("Short title (optional)"),
        help_text=_("If you leave it empty, the first sentence of your description is used."),
        required=False,
        max_length=60,
    )
    photos = forms.Field(
        label=_("Photos (optional)"),
        help_text=_("Up to %(n)d photos. Location data inside photos is removed when stored."),
        required=False,
        widget=MultipleFileInput,
    )
    address = forms.CharField(
        label=_("Address or landmark"),
        help_text=_("For example: the east gate of the Liuhe community, next to the bus stop."),
        required=False,
        max_length=300,
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lng = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    # What the pin's source gives: the browser's position is WGS84, a map of Chinese tiles
    # (AMap, Tencent) GCJ-02; the page's script says which (jiesu.org.coords converts).
    coord_system = forms.ChoiceField(
        required=False,
        choices=[(s, s) for s in coords.SYSTEMS],
        widget=forms.HiddenInput,
    )
    # Pressed "send without a map position" after the page asked for one.
    without_location = forms.BooleanField(required=False, widget=forms.HiddenInput)
    reporter_name = forms.CharField(label=_("Your name"), required=False, max_length=50)
    reporter_phone = forms.CharField(
        label=_("Mobile phone"),
        help_text=_("We send the acceptance notice and the result to this number."),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    anonymous = forms.BooleanField(
        label=_("Report anonymously"),
        help_text=_("We keep no name or phone. You can still track it with the query code."),
        required=False,
    )
    confidential = forms.BooleanField(
        label=_("Keep my identity confidential"),
        help_text=_("The handling unit will not see your name or phone."),
        required=False,
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that my contact data and photos are used only to handle this appeal, "
            "as described in the privacy note."
        ),
        error_messages={"required": _("Please agree to the use of your data to send it.")},
    )
    form_token = forms.CharField(widget=forms.HiddenInput)
    keep_photos = forms.TypedMultipleChoiceField(
        label=_("Photos already added"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, pending=(), max_photos=9, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].help_text = self.fields["photos"].help_text % {"n": max_photos}
        self.fields["appeal_type"].queryset = AppealType.objects.filter(active=True).order_by(
            "sort_order", "code"
        )
        self.fields["keep_photos"].choices = [(a.pk, a.original_name or a.pk) for a in pending]
        self.pending = list(pending)
        if not self.is_bound:
            self.initial.setdefault("keep_photos", [a.pk for a in pending])

    def clean_reporter_phone(self):
        phone = re.sub(r"[\s()]", "", self.cleaned_data.get("reporter_phone") or "")
        phone = phone.removeprefix("+86")
        if phone and not PHONE_RE.match(phone):
            raise forms.ValidationError(
                _("Enter a mobile number (11 digits) or a landline with its area code.")
            )
        return phone

    def clean(self):
        data = super().clean()
        anonymous = data.get("anonymous")
        if anonymous:
            data["reporter_name"] = ""
            data["reporter_phone"] = ""
            data["confidential"] = False
        elif "reporter_phone" in data and not data["reporter_phone"]:
            self.add_error(
                "reporter_phone",
                _("Your phone number is needed so the unit can reach you (or report anonymously)."),
            )
        if (data.get("lat") is None) != (data.get("lng") is None):
            data["lat"] = data["lng"] = None
        if data.get("lat") is not None:
            data["lat"], data["lng"] = coords.to_wgs84(
                data["lat"], data["lng"], data.get("coord_system") or coords.WGS84
            )
        return data

    def type_help(self) -> list[dict]:
        """Each type's name as the choice shows it, with its plain-words hint."""
        field = self.fields["appeal_type"]
        return [
            {"label": field.label_from_instance(t), "hint": TYPE_HINTS.get(t.code, t.description)}
            for t in field.queryset
        ]

    def error_summary(self) -> list[dict]:
        """The errors for the summary at the top: the field's short name, the message, and
        where the link goes ("Consent to the use of your data: Please agree …", not the
        consent sentence itself)."""
        items = [{"anchor": "", "text": str(e)} for e in self.non_field_errors()]
        for name, field in self.fields.items():
            errors = self.errors.get(name)
            if not errors or name == NON_FIELD_ERRORS:
                continue
            label = str(self.SUMMARY_NAMES.get(name) or field.label or name)
            for error in errors:
                items.append(
                    {
                        "anchor": f"field-{name}",
                        "text": _("%(field)s: %(error)s") % {"field": label, "error": error},
                    }
                )
        return items

    @property
    def title_or_derived(self) -> str:
        data = self.cleaned_data
        return (data.get("title") or "").strip() or derive_title(data["description"])


class TrackForm(forms.Form):
    number = forms.CharField(
        label=_("Appeal number"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the appeal number.")},
    )
    code = forms.CharField(
        label=_("Query code or last four digits of your phone"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the query code.")},
    )

    def clean_number(self):
        return re.sub(r"\s", "", self.cleaned_data["number"]).upper()

    def clean_code(self):
        return re.sub(r"\s", "", self.cleaned_data["code"]).upper()


class RatingForm(forms.Form):
    rating = forms.ChoiceField(
        label=_("Are you satisfied with the result?"),
        choices=[
            ("satisfied", _("Satisfied")),
            ("basic", _("Basically satisfied")),
            ("unsatisfied", _("Not satisfied")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one answer.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
