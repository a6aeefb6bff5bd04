# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The intake desk's phone-call entry form (来电登记): file an appeal from a call in one screen.

The operator types what the caller says; the form files it through the hotline channel
(`intake.services.submit`, which calls `workflow.receive`) and, with "register now" ticked,
registers it (`workflow.register`) in the same transaction: either both happen or nothing does,
and every refusal comes back next to its field.
"""

import re
import secrets

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.models import ModelChoiceIterator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from jiesu.appeals import workflow
from jiesu.appeals.errors import WorkflowError
from jiesu.catalog.models import AppealType, Category, Grade
from jiesu.console.forms import search_picker_attrs
from jiesu.credit_code import credit_code_valid
from jiesu.intake import services
from jiesu.intake.models import Channel
from jiesu.org import permissions
from jiesu.org.models import Region
from jiesu.org.permissions import Action

DEFAULT_CENTRE = (22.708, 114.35)  # Pingshan, when no district region has a centre
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{2,30}$")


# -- channel --------------------------------------------------------------------------------


def hotline_channels():
    return Channel.objects.filter(
        kind=Channel.Kind.HOTLINE, active=True, is_machine=False
    ).order_by("sort_order", "code")


def default_channel() -> Channel:
    """The operators' hotline (the first active staffed hotline channel, else `hotline`)."""
    channel = hotline_channels().first()
    if channel is None:
        channel, _created = Channel.objects.get_or_create(
            code="hotline", defaults={"name": "Hotline", "kind": Channel.Kind.HOTLINE}
        )
    return channel


# -- the form -------------------------------------------------------------------------------


class GroupedLeafIterator(ModelChoiceIterator):
    """Leaf categories grouped by "major › middle" (rendered as <optgroup>s), one query."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        groups: dict[str, list] = {}
        for leaf in self.queryset:
            middle = leaf.parent
            label = f"{middle.parent.name} › {middle.name}" if middle and middle.parent else "—"
            groups.setdefault(label, []).append(self.choice(leaf))
        yield from groups.items()


class LeafCategoryField(forms.ModelChoiceField):
    iterator = GroupedLeafIterator

    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.code})"


class CallForm(forms.Form):
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)
    reporter_name = forms.CharField(
        label=gettext_lazy("Caller's name"), max_length=100, required=False
    )
    reporter_phone = forms.CharField(
        label=gettext_lazy("Phone"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("Required unless the caller stays anonymous."),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    anonymous = forms.BooleanField(
        label=gettext_lazy("Anonymous: keep no name or phone"), required=False
    )
    confidential = forms.BooleanField(
        label=gettext_lazy("Confidential: hide the caller from handling units"), required=False
    )
    reporter_is_enterprise = forms.BooleanField(
        label=gettext_lazy("The caller speaks for an enterprise"), required=False
    )
    reporter_credit_code = forms.CharField(
        label=gettext_lazy("Unified social credit code"),
        max_length=18,
        required=False,
        help_text=gettext_lazy("18 characters; required for an enterprise."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("What the caller reports"), widget=forms.Textarea(attrs={"rows": 6})
    )
    address = forms.CharField(label=gettext_lazy("Address"), max_length=300, required=False)
    lat = forms.FloatField(
        label=gettext_lazy("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    lng = forms.FloatField(
        label=gettext_lazy("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"step": "any"}),
    )
    appeal_type = forms.ModelChoiceField(
        label=gettext_lazy("Type"),
        queryset=AppealType.objects.filter(active=True).order_by("sort_order", "code"),
        required=False,
    )
    category = LeafCategoryField(
        label=gettext_lazy("Category"),
        queryset=Category.objects.filter(level=Category.Level.LEAF, active=True)
        .select_related("parent__parent")
        .order_by("parent__parent__sort_order", "parent__parent__code", "parent__code", "code"),
        required=False,
        widget=forms.Select(
            attrs=search_picker_attrs(size=6, **{"data-search-id": "category-filter"})
        ),
    )
    grade = forms.ModelChoiceField(
        label=gettext_lazy("Grade"), queryset=Grade.objects.order_by("sort_order"), required=False
    )
    register_now = forms.BooleanField(
        label=gettext_lazy("Register now (type, category, grade and place are then required)"),
        required=False,
        initial=True,
    )
    channel = forms.ModelChoiceField(
        label=gettext_lazy("Line"), queryset=Channel.objects.none(), required=False
    )

    def __init__(self, *args, channels=None, **kwargs):
        super().__init__(*args, **kwargs)
        channels = list(channels if channels is not None else hotline_channels())
        if len(channels) > 1:
            self.fields["channel"].queryset = hotline_channels()
            self.fields["channel"].initial = channels[0].pk
            self.fields["channel"].empty_label = None
        else:
            del self.fields["channel"]
        self.default_channel = channels[0] if channels else None

    def clean_reporter_phone(self):
        phone = self.cleaned_data["reporter_phone"].strip()
        if phone and not PHONE.match(phone):
            raise forms.ValidationError(_("Digits only (a leading + and dashes are allowed)."))
        return re.sub(r"[ \-]", "", phone)

    def clean_reporter_credit_code(self):
        code = self.cleaned_data["reporter_credit_code"].strip().upper()
        if code and not credit_code_valid(code):
            raise forms.ValidationError(
                _(
                    "Not a valid unified social credit code: 18 characters, "
                    "the last a check character (GB 32100-2015)."
                )
            )
        return code

    def clean(self):
        data = super().clean()
        if data.get("anonymous"):
            data["reporter_name"] = ""
            data["reporter_phone"] = ""
        elif not data.get("reporter_phone") and "reporter_phone" not in self.errors:
            self.add_error("reporter_phone", _("Required unless the caller stays anonymous."))
        if (
            data.get("reporter_is_enterprise")
            and not data.get("reporter_credit_code")
            and "reporter_credit_code" not in self.errors
        ):
            self.add_error("reporter_credit_code", _("An enterprise gives its credit code."))
        lat, lng = data.get("lat"), data.get("lng")
        if (lat is None) != (lng is None) and not {"lat", "lng"} & set(self.errors):
            self.add_error("lat", _("Give both latitude and longitude, or neither."))
        if data.get("register_now"):
            for name in ("appeal_type", "category", "grade"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Required to register now."))
            if not data.get("address") and lat is None and "address" not in self.errors:
                self.add_error("address", _("Give the place: an address or a map point."))
        return data

    def channel_to_use(self) -> Channel:
        return self.cleaned_data.get("channel") or self.default_channel or default_channel()

    def receive_fields(self) -> dict:
        d = self.cleaned_data
        names = [
            "reporter_name",
            "reporter_phone",
            "reporter_is_enterprise",
            "reporter_credit_code",
            "anonymous",
            "confidential",
            "title",
            "description",
            "address",
            "lat",
            "lng",
            "appeal_type",
            "category",
            "grade",
        ]
        return {name: d.get(name) for name in names if d.get(name) not in (None, "")}


# Where the workflow's field names land in this form.
FIELD_FOR = {"location": "address", "lat": "lat", "lng": "lat", "channel": None}


def _show_errors(form, exc: WorkflowError):
    for field, errors in exc.field_errors.items():
        target = FIELD_FOR.get(field, field)
        if target not in form.fields:
            target = None
        for error in errors:
            form.add_error(target, str(error))
    if not exc.field_errors:
        form.add_error(None, str(exc))


def file_call(form, user):
    """Receive (and register) the call in one transaction. Returns `services.Submitted`."""
    d = form.cleaned_data
    token = d.get("form_token") or ""
    with transaction.atomic():
        submitted = services.submit(
            form.channel_to_use(),
            fields=form.receive_fields(),
            idempotency_key=f"console:{token}" if token else "",
            actor=user,
        )
        if submitted.created and d.get("register_now"):
            workflow.register(
                submitted.appeal,
                user,
                appeal_type=d["appeal_type"],
                category=d["category"],
                grade=d["grade"],
            )
    return submitted


def _map_config():
    district = (
        Region.objects.filter(active=True, level=Region.Level.DISTRICT, center_lat__isnull=False)
        .order_by("path")
        .only("center_lat", "center_lng")
        .first()
    )
    centre = (district.center_lat, district.center_lng) if district else DEFAULT_CENTRE
    jiesu = getattr(settings, "JIESU", {})
    return {
        "centre": centre,
        "tiles": jiesu.get("MAP_TILE_URL", ""),
        "attribution": jiesu.get("MAP_TILE_ATTRIBUTION", ""),
    }


def new_token() -> str:
    return secrets.token_hex(16)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def new_call(request):
    user = request.user
    if not permissions.can(user, Action.FILE_APPEAL):
        raise PermissionDenied(_("Only intake operators file appeals from calls."))
    channels = list(hotline_channels())
    status = 200
    if request.method == "GET":
        form = CallForm(initial={"form_token": new_token()}, channels=channels)
    else:
        form = CallForm(request.POST, channels=channels)
        status = 400
        if form.is_valid():
            try:
                submitted = file_call(form, user)
            except services.IdempotencyConflict:
                data = request.POST.copy()
                data["form_token"] = new_token()
                form = CallForm(data, channels=channels)
                form.is_valid()
                form.add_error(
                    None,
                    _(
                        "This form was already used to file an appeal. Check the fields and "
                        "submit again to file a new one."
                    ),
                )
                status = 409
            except WorkflowError as exc:
                _show_errors(form, exc)
                status = exc.http_status
            else:
                return _done(request, submitted, form.cleaned_data.get("register_now"))
    context = {
        "form": form,
        "active_desk": "intake",
        "map_config": _map_config(),
    }
    return render(request, "console/intake/new.html", context, status=status)


def _done(request, submitted, registered):
    appeal = submitted.appeal
    if not submitted.created:
        messages.info(
            request,
            _("This call was already filed as %(number)s.") % {"number": appeal.number},
        )
    else:
        text = (
            _("Appeal %(number)s filed and registered.")
            if registered
            else _("Appeal %(number)s filed; it awaits registration.")
        ) % {"number": appeal.number}
        if submitted.query_code:
            text += " " + _(
                "Query code for the caller: %(code)s. Read it out now: it is not shown again."
            ) % {"code": submitted.query_code}
        messages.success(request, text)
    return redirect("console:appeal", number=appeal.number)
