# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Administration of selective auto-dispatch (under /console/manage/dispatch/): thresholds per
category beside the active model's measured precision table, switches per category and
channel, the real precision per week, and the routing rules' test panel.

Administrators only (MANAGE_REFERENCE_DATA, decided in `org.permissions`). Every change is a
POST; bad input comes back next to its field with status 400 and changes nothing. The rules
themselves are edited in the admin, whose history keeps every edit (who, when, what).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from jiesu.appeals.models import Appeal
from jiesu.catalog.models import AppealType, Category, Grade
from jiesu.console.views.manage import _render, reference_data
from jiesu.dispatch import auto, rules
from jiesu.dispatch.models import CategoryPolicy, ChannelPolicy, ModelVersion, RoutingRule, Triage
from jiesu.intake.models import Channel
from jiesu.org.models import Region

PAGE_SIZE = 50


def _bounded(label, low, high, message, *, required=True) -> forms.FloatField:
    """A number between `low` and `high`, with one message for every way of missing them."""
    return forms.FloatField(
        label=label,
        required=required,
        min_value=low,
        max_value=high,
        error_messages=dict.fromkeys(("invalid", "min_value", "max_value"), message),
    )


class PolicyForm(forms.Form):
    category = forms.ModelChoiceField(queryset=Category.objects.all(), widget=forms.HiddenInput)
    threshold = _bounded(
        gettext_lazy("Threshold"),
        0.01,
        1.0,
        gettext_lazy("A threshold lies between 0 and 1."),
        required=False,
    )
    auto_dispatch = forms.BooleanField(label=gettext_lazy("Automatic"), required=False)


class TargetForm(forms.Form):
    """The precision (in percent) the suggested thresholds aim for."""

    target = _bounded(
        gettext_lazy("Target precision (%)"),
        50,
        100,
        gettext_lazy("A target precision lies between 50 and 100 percent."),
    )


def _percent(share: float) -> str:
    """0.95 -> "95", 0.925 -> "92.5"."""
    return f"{round(share * 100, 1):g}"


def _target(data) -> tuple[float, TargetForm]:
    """The target precision (0-1) asked for in `data`, else the district's setting, and the
    form showing it (bound, with its error, when what was asked is not a percentage)."""
    default = auto.target_precision()
    if data.get("target") in (None, ""):
        return default, TargetForm(initial={"target": _percent(default)})
    form = TargetForm(data)
    if form.is_valid():
        return form.cleaned_data["target"] / 100, form
    return default, form


class ChannelSwitchForm(forms.Form):
    channel = forms.SlugField(max_length=32)
    auto_dispatch = forms.BooleanField(required=False)

    def clean_channel(self):
        code = self.cleaned_data["channel"]
        if not Channel.objects.filter(code=code).exists():
            raise forms.ValidationError(_("No such channel."))
        return code


def _table_rows(version, label):
    return auto.precision_table(version, label) if label else []


def _at_threshold(table: list[dict], threshold) -> dict | None:
    """The measured row a threshold in force falls on: the highest measured threshold not
    above it (what that threshold lets through is at least what this row measured)."""
    if threshold is None:
        return None
    below = [r for r in table if r["threshold"] <= float(threshold)]
    if not below:
        return None
    row = max(below, key=lambda r: r["threshold"])
    return {**row, "coverage_pct": round((row.get("coverage") or 0) * 100)}


@reference_data
@require_http_methods(["GET", "POST"])
def policies(request):
    version = ModelVersion.objects.filter(kind=ModelVersion.Kind.CATEGORY, active=True).first()
    failed = None
    status = 200
    if request.method == "POST":
        if "apply_suggestions" in request.POST:
            target, target_form = _target(request.POST)
            if target_form.is_bound and not target_form.is_valid():
                messages.error(request, " ".join(target_form.errors["target"]))
                return redirect("console:manage_auto")
            written = auto.apply_suggested_thresholds(target)
            if written:
                messages.success(
                    request,
                    ngettext(
                        "The suggested threshold was set for %(count)d category.",
                        "The suggested thresholds were set for %(count)d categories.",
                        len(written),
                    )
                    % {"count": len(written)},
                )
            else:
                messages.error(
                    request,
                    _("No threshold was set: no category has a suggestion from the active model."),
                )
            return redirect("console:manage_auto")
        if "channel" in request.POST:
            form = ChannelSwitchForm(request.POST)
            if form.is_valid():
                ChannelPolicy.objects.update_or_create(
                    channel=form.cleaned_data["channel"],
                    defaults={"auto_dispatch": form.cleaned_data["auto_dispatch"]},
                )
                messages.success(request, _("Saved."))
                return redirect("console:manage_auto")
            failed, status = form, 400
            messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        else:
            form = PolicyForm(request.POST)
            if form.is_valid():
                CategoryPolicy.objects.update_or_create(
                    category=form.cleaned_data["category"],
                    defaults={
                        "threshold": form.cleaned_data["threshold"],
                        "auto_dispatch": form.cleaned_data["auto_dispatch"],
                    },
                )
                messages.success(request, _("Saved."))
                return redirect(f"{request.path}?page={request.POST.get('page', '1')}")
            failed, status = form, 400
    policies_by_cat = {p.category_id: p for p in CategoryPolicy.objects.select_related("category")}
    overall = auto.precision_table(version)
    target, target_form = _target(request.GET)
    if target_form.is_bound and not target_form.is_valid():
        status = 400
    labels = set((version.meta or {}).get("label_counts", {})) if version else set()
    leaves = (
        Category.objects.filter(level=Category.Level.LEAF, active=True)
        .select_related("parent__parent")
        .order_by("code")
    )
    shown = [c for c in leaves if c.code in labels or c.name in labels or c.pk in policies_by_cat]
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for category in page:
        policy = policies_by_cat.get(category.pk)
        form = (
            failed
            if isinstance(failed, PolicyForm)
            and str(failed.data.get("category")) == str(category.pk)
            else PolicyForm(
                initial={
                    "category": category.pk,
                    "threshold": policy.threshold if policy else None,
                    "auto_dispatch": policy.auto_dispatch if policy else True,
                },
                auto_id=f"id_p{category.pk}_%s",
            )
        )
        effective = auto.threshold_for(category, policies_by_cat)
        table = _table_rows(version, auto.label_of(category, version))
        rows.append(
            {
                "category": category,
                "policy": policy,
                "form": form,
                "effective": effective,
                "table": table,
                "at_effective": _at_threshold(table, effective),
                "suggested": auto.suggested_threshold(table, overall, target) if table else None,
            }
        )
    # Major and middle categories' policies (switches set above the leaves) are listed too.
    upper = [p for p in policies_by_cat.values() if p.category.level < Category.Level.LEAF]
    switched_off = set(
        ChannelPolicy.objects.filter(auto_dispatch=False).values_list("channel", flat=True)
    )
    channels = [
        {"channel": c, "on": c.code not in switched_off} for c in Channel.objects.order_by("code")
    ]
    since = timezone.now() - timedelta(days=7)
    outcomes = dict(
        Triage.objects.filter(created_at__gte=since)
        .values_list("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    context = {
        "version": version,
        "overall": overall,
        "overall_suggested": auto.lowest_threshold_for(overall, target),
        "target_pct": _percent(target),
        "target_form": target_form,
        "rows": rows,
        "page": page,
        "upper": upper,
        "channels": channels,
        "weeks": auto.real_precision_by_week(),
        "outcomes": [(label, outcomes.get(value, 0)) for value, label in Triage.Outcome.choices],
        "global_on": auto.enabled(),
        "default_threshold": auto.default_threshold(),
        "failed": failed,
    }
    return _render(request, "console/manage/auto_dispatch.html", "auto", context, status=status)


class RuleTestForm(forms.Form):
    appeal = forms.CharField(
        label=gettext_lazy("Appeal number"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("Fills the fields below from an appeal; fields you give win."),
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Category"),
        queryset=Category.objects.filter(active=True).order_by("code"),
        required=False,
    )
    appeal_type = forms.ModelChoiceField(
        label=gettext_lazy("Type"), queryset=AppealType.objects.filter(active=True), required=False
    )
    grade = forms.ModelChoiceField(
        label=gettext_lazy("Grade"), queryset=Grade.objects.all(), required=False
    )
    region = forms.ModelChoiceField(
        label=gettext_lazy("Region"), queryset=Region.objects.order_by("path"), required=False
    )
    channel = forms.CharField(label=gettext_lazy("Channel code"), max_length=32, required=False)
    text = forms.CharField(
        label=gettext_lazy("Title and text"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    hour = forms.IntegerField(
        label=gettext_lazy("Hour received (0-23)"),
        min_value=0,
        max_value=23,
        required=False,
        error_messages={
            "min_value": gettext_lazy("An hour is 0 to 23."),
            "max_value": gettext_lazy("An hour is 0 to 23."),
            "invalid": gettext_lazy("An hour is 0 to 23."),
        },
    )

    def clean_appeal(self):
        number = (self.cleaned_data.get("appeal") or "").strip()
        if not number:
            return None
        appeal = (
            Appeal.objects.select_related("category", "appeal_type", "grade", "region")
            .filter(number=number)
            .first()
        )
        if appeal is None:
            raise forms.ValidationError(_("No appeal has this number."))
        return appeal

    def facts(self) -> rules.Facts:
        data = self.cleaned_data
        appeal = data.get("appeal")
        facts = rules.Facts.of(appeal) if appeal else rules.Facts()
        for name in ("category", "appeal_type", "grade", "region"):
            if data.get(name) is not None:
                setattr(facts, name, data[name])
        if data.get("channel"):
            facts.channel = data["channel"]
        if data.get("text"):
            facts.text = data["text"]
        if data.get("hour") is not None:
            base = facts.received_at or timezone.now()
            local = timezone.localtime(base, rules.SHANGHAI)
            facts.received_at = local.replace(hour=data["hour"], minute=0)
        return facts


@reference_data
def rule_test(request):
    form = RuleTestForm(request.GET or None)
    result = None
    status = 200
    if form.is_bound:
        if form.is_valid():
            decision, trace = rules.explain(form.facts())
            result = {
                "decision": decision,
                "trace": trace,
                "why": rules.describe_reason(decision.reason()),
            }
        else:
            status = 400
    context = {
        "form": form,
        "result": result,
        "rules": RoutingRule.objects.select_related("lead_unit").order_by("position", "id"),
    }
    return _render(request, "console/manage/auto_rule_test.html", "auto", context, status=status)
