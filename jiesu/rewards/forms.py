# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Forms of the rewards console pages. A programme's form builds raw terms; the checks are
`terms.normalise`'s, and its errors come back next to the fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from jiesu.catalog.models import AppealType
from jiesu.rewards import terms as terms_module


def _yuan_to_fen(value):
    return None if value is None else int(round(value * 100))


def _fen_to_yuan(value):
    return None if value is None else value / 100


class ProgrammeForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=100)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    priority = forms.IntegerField(label=_("Priority"), min_value=0, initial=100)
    channels = forms.CharField(
        label=_("Channels"),
        required=False,
        help_text=_("Channel codes separated by commas; empty: every channel."),
    )
    types = forms.MultipleChoiceField(
        label=_("Appeal types"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every type."),
    )
    categories = forms.CharField(
        label=_("Categories"),
        required=False,
        help_text=_("Category codes at any level, separated by commas; empty: every category."),
    )
    trigger = forms.ChoiceField(
        label=_("A report qualifies"),
        choices=[
            ("register", _("when it is registered (立案)")),
            ("close_confirmed", _("when it is closed with the problem confirmed")),
        ],
    )
    amount_kind = forms.ChoiceField(
        label=_("Amount"),
        choices=[
            ("fixed", _("Fixed")),
            ("random", _("Random in a range")),
            ("tiers_grade", _("Tiers by grade")),
            ("tiers_quality", _("Tiers by quality")),
        ],
    )
    fixed_yuan = forms.DecimalField(
        label=_("Fixed amount (yuan)"), required=False, decimal_places=2
    )
    min_yuan = forms.DecimalField(label=_("Smallest (yuan)"), required=False, decimal_places=2)
    max_yuan = forms.DecimalField(label=_("Largest (yuan)"), required=False, decimal_places=2)
    distribution = forms.ChoiceField(
        label=_("Distribution"),
        choices=[("uniform", _("Uniform")), ("triangular", _("Triangular"))],
        required=False,
    )
    mode_yuan = forms.DecimalField(
        label=_("Most frequent amount (yuan, triangular)"), required=False, decimal_places=2
    )
    tiers = forms.CharField(
        label=_("Tiers"),
        required=False,
        help_text=_(
            "One tier per line, key=yuan: A=20, B=10, C=5 (grade) or 0=2 … 3=20 (quality)."
        ),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    daily_count = forms.IntegerField(label=_("Rewards per day"), required=False, min_value=1)
    monthly_budget_yuan = forms.DecimalField(
        label=_("Monthly budget (yuan)"), decimal_places=2, min_value=0
    )
    reporter_daily = forms.IntegerField(
        label=_("Per reporter and day"), required=False, min_value=1
    )
    reporter_monthly = forms.IntegerField(
        label=_("Per reporter and month"), required=False, min_value=1
    )
    exclude_staff = forms.BooleanField(
        label=_("Exclude staff members"), required=False, initial=True
    )
    exclude_anonymous = forms.BooleanField(
        label=_("Exclude anonymous reports"), required=False, initial=True
    )
    valid_from = forms.DateField(label=_("Valid from"), required=False)
    valid_until = forms.DateField(label=_("Valid until"), required=False)
    four_eyes_yuan = forms.DecimalField(
        label=_("Two checks from (yuan)"),
        decimal_places=2,
        help_text=_(
            "A held reward of this amount or more needs two different staff members' approval."
        ),
    )
    flag_phone = forms.IntegerField(label=_("Flag: rewards to one phone"), min_value=1)
    flag_payee = forms.IntegerField(label=_("Flag: rewards to one payee account"), min_value=1)
    flag_device = forms.IntegerField(label=_("Flag: rewards to one device"), min_value=1)
    flag_window_days = forms.IntegerField(label=_("Flag window (days)"), min_value=1)
    flag_burst_count = forms.IntegerField(
        label=_("Flag: rewarded reports in one place"), min_value=1
    )
    flag_burst_metres = forms.IntegerField(label=_("… within (metres)"), min_value=1)
    flag_burst_hours = forms.IntegerField(label=_("… within (hours)"), min_value=1)
    flag_similarity = forms.FloatField(
        label=_("Flag: text similarity (0.1–1)"), min_value=0.1, max_value=1
    )
    note = forms.CharField(label=_("What changed"), required=False, max_length=200)

    TERM_FIELDS = {
        "channels": "channels",
        "types": "types",
        "categories": "categories",
        "trigger": "trigger",
        "amount": "amount_kind",
        "daily_count": "daily_count",
        "monthly_budget_fen": "monthly_budget_yuan",
        "reporter_daily": "reporter_daily",
        "reporter_monthly": "reporter_monthly",
        "valid_from": "valid_from",
        "valid_until": "valid_until",
        "four_eyes_fen": "four_eyes_yuan",
        "flags": "flag_phone",
        "terms": None,
    }

    def __init__(self, *args, programme=None, **kwargs):
        self.programme = programme
        if programme is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(programme)
        elif "initial" not in kwargs:
            kwargs["initial"] = self.initial_from_terms(terms_module.normalise({}))
        super().__init__(*args, **kwargs)
        self.fields["types"].choices = [
            (t.code, t.name) for t in AppealType.objects.filter(active=True).order_by("code")
        ]
        if programme is not None:
            self.fields["code"].disabled = True

    @classmethod
    def initial_from_terms(cls, t: dict) -> dict:
        amount = t["amount"]
        initial = {
            "channels": ", ".join(t["channels"]),
            "types": t["types"],
            "categories": ", ".join(t["categories"]),
            "trigger": t["trigger"],
            "daily_count": t["daily_count"],
            "monthly_budget_yuan": _fen_to_yuan(t["monthly_budget_fen"]),
            "reporter_daily": t["reporter_daily"],
            "reporter_monthly": t["reporter_monthly"],
            "exclude_staff": t["exclude_staff"],
            "exclude_anonymous": t["exclude_anonymous"],
            "valid_from": t["valid_from"],
            "valid_until": t["valid_until"],
            "four_eyes_yuan": _fen_to_yuan(t["four_eyes_fen"]),
            **{f"flag_{k}": v for k, v in t["flags"].items()},
        }
        if amount["kind"] == "fixed":
            initial.update(amount_kind="fixed", fixed_yuan=_fen_to_yuan(amount["fen"]))
        elif amount["kind"] == "random":
            initial.update(
                amount_kind="random",
                min_yuan=_fen_to_yuan(amount["min_fen"]),
                max_yuan=_fen_to_yuan(amount["max_fen"]),
                distribution=amount["distribution"],
                mode_yuan=_fen_to_yuan(amount.get("mode_fen")),
            )
        else:
            initial.update(
                amount_kind=f"tiers_{amount['by']}",
                tiers="\n".join(f"{k}={v / 100:g}" for k, v in amount["tiers"].items()),
            )
        return initial

    @classmethod
    def initial_from(cls, programme) -> dict:
        version = programme.current
        initial = cls.initial_from_terms(version.terms if version else terms_module.normalise({}))
        initial.update(
            code=programme.code,
            name=programme.name,
            active=programme.active,
            priority=programme.priority,
        )
        return initial

    def _tiers(self, text: str) -> dict:
        tiers = {}
        for line in (text or "").replace(",", "\n").replace("，", "\n").splitlines():
            if not line.strip():
                continue
            key, _sep, value = line.partition("=")
            try:
                tiers[key.strip()] = int(round(float(value) * 100))
            except ValueError:
                self.add_error("tiers", _("Write each tier as key=yuan."))
                return {}
        return tiers

    def raw_terms(self) -> dict:
        d = self.cleaned_data
        kind = d["amount_kind"]
        if kind == "fixed":
            amount = {"kind": "fixed", "fen": _yuan_to_fen(d.get("fixed_yuan"))}
        elif kind == "random":
            amount = {
                "kind": "random",
                "min_fen": _yuan_to_fen(d.get("min_yuan")),
                "max_fen": _yuan_to_fen(d.get("max_yuan")),
                "distribution": d.get("distribution") or "uniform",
            }
            if amount["distribution"] == "triangular":
                amount["mode_fen"] = _yuan_to_fen(d.get("mode_yuan"))
        else:
            amount = {
                "kind": "tiers",
                "by": kind.split("_", 1)[1],
                "tiers": self._tiers(d["tiers"]),
            }
        return {
            "channels": d["channels"],
            "types": list(d["types"]),
            "categories": d["categories"],
            "trigger": d["trigger"],
            "amount": amount,
            "daily_count": d["daily_count"],
            "monthly_budget_fen": _yuan_to_fen(d["monthly_budget_yuan"]),
            "reporter_daily": d["reporter_daily"],
            "reporter_monthly": d["reporter_monthly"],
            "exclude_staff": d["exclude_staff"],
            "exclude_anonymous": d["exclude_anonymous"],
            "valid_from": d["valid_from"].isoformat() if d["valid_from"] else None,
            "valid_until": d["valid_until"].isoformat() if d["valid_until"] else None,
            "four_eyes_fen": _yuan_to_fen(d["four_eyes_yuan"]),
            "flags": {key: d[f"flag_{key}"] for key in terms_module.DEFAULT_FLAGS},
        }

    def add_terms_errors(self, errors: dict):
        for key, messages in errors.items():
            field = self.TERM_FIELDS.get(key)
            if key == "amount":
                kind = self.cleaned_data.get("amount_kind", "")
                field = {"fixed": "fixed_yuan", "random": "min_yuan"}.get(kind, "tiers")
            for message in messages:
                self.add_error(field, message)


class TopUpForm(forms.Form):
    month = forms.DateField(label=_("Month (any day of it)"))
    yuan = forms.DecimalField(label=_("Amount (yuan)"), decimal_places=2, min_value=0.01)
    memo = forms.CharField(label=_("Memo"), max_length=200, required=False)


class RefuseForm(forms.Form):
    note = forms.CharField(
        label=_("Reason (the reporter reads it)"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
