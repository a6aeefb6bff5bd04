# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""One API endpoint per workflow transition: the request body of each.

`ACTION_SERIALIZERS` maps every transition of `workflow.TRANSITIONS` (except `receive`, which
is the submission endpoint) to the serializer of its body. Field names are the keyword
arguments of the workflow function, so the validated data is passed straight through and the
workflow's own field errors name the same fields. Reference data is named by code (category,
type, grade, unit, region), appeals by number, supervision notices and attachments by id.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework import serializers

from jiesu.appeals import workflow
from jiesu.appeals.models import Appeal
from jiesu.catalog.models import AppealType, Category, Grade
from jiesu.intake.api.fields import (
    NON_BLANK_PATTERN,
    CodeField,
    SafeCharField,
    StrictBooleanField,
    StrictFloatField,
    StrictIntegerField,
)
from jiesu.org.models import Region, Unit


class ActionSerializer(serializers.Serializer):
    expected_version = StrictIntegerField(
        required=False,
        help_text="The appeal's `version` you last saw: the action is refused with 409 "
        "`conflict` when somebody acted in between.",
    )


def _reason(help_text="Why (kept in the history)."):
    return SafeCharField(max_length=2000, multiline=True, help_text=help_text)


def _note(help_text="An optional note (kept in the history)."):
    return SafeCharField(
        max_length=2000, multiline=True, required=False, allow_blank=True, help_text=help_text
    )


def _unit(required, help_text):
    return CodeField(queryset=Unit.objects.all(), required=required, help_text=help_text)


class _RegisterSerializer(ActionSerializer):
    schema_rules = (
        {
            "anyOf": [
                {"required": ["lat", "lng"]},
                {"not": {"anyOf": [{"required": ["lat"]}, {"required": ["lng"]}]}},
            ]
        },
    )
    appeal_type = CodeField(queryset=AppealType.objects.all(), help_text="Appeal type code.")
    category = CodeField(
        queryset=Category.objects.all(), help_text="Leaf (third-level) category code."
    )
    grade = CodeField(queryset=Grade.objects.all(), help_text="Grade code: A, B or C.")
    address = SafeCharField(max_length=300, required=False, allow_blank=True)
    lat = StrictFloatField(
        required=False,
        min_value=-90,
        max_value=90,
        help_text="With lng, or neither. The point must lie in the district.",
    )
    lng = StrictFloatField(required=False, min_value=-180, max_value=180)
    region = CodeField(
        queryset=Region.objects.all(),
        required=False,
        help_text="Region code, when the map point does not decide it.",
    )

    def validate(self, attrs):
        if ("lat" in attrs) != ("lng" in attrs):
            raise serializers.ValidationError(
                {
                    "lat": serializers.ErrorDetail(
                        _("Give both latitude and longitude."),
                        code="incomplete_location",
                    )
                }
            )
        return attrs


class _MergeSerializer(ActionSerializer):
    into = CodeField(
        slug_field="number",
        queryset=Appeal.objects.all(),
        help_text="Number of the earlier open appeal about the same matter.",
    )


class _DispatchSerializer(ActionSerializer):
    lead_unit = _unit(
        False,
        "Lead unit code. Omitted: the catalogue's rule decides, else the backstop unit leads "
        "(first-ask responsibility).",
    )
    assisting_units = serializers.ListField(
        child=CodeField(queryset=Unit.objects.all()),
        required=False,
        help_text="Assisting unit codes. Omitted: those of the catalogue's rule; [] for none.",
    )


class _RequestExtensionSerializer(ActionSerializer):
    working_days = StrictIntegerField(
        min_value=1,
        help_text="Working days asked for: 1 to the configured maximum (15 by default); "
        "more is refused by the workflow.",
    )
    reason = _reason()


class _CompleteSerializer(ActionSerializer):
    result = SafeCharField(
        max_length=5000, multiline=True, help_text="The result the citizen will read."
    )
    evidence = SafeCharField(
        max_length=5000, multiline=True, help_text="What was done: photos, documents, visits."
    )
    attachments = serializers.ListField(
        child=StrictIntegerField(min_value=1),
        required=False,
        help_text="Ids of evidence files uploaded with POST /api/v1/attachments/.",
    )
    public_attachments = serializers.ListField(
        child=StrictIntegerField(min_value=1),
        required=False,
        help_text="Those of `attachments` the citizen may see on the tracking page with the "
        "result (once the centre has accepted it).",
    )


class _RecordVisitSerializer(ActionSerializer):
    # A citizen who is not satisfied says why.
    schema_rules = (
        {
            "anyOf": [
                {
                    "properties": {
                        "outcome": {
                            "enum": [
                                c.value
                                for c in Appeal.Satisfaction
                                if c != Appeal.Satisfaction.UNSATISFIED
                            ]
                        }
                    }
                },
                {"required": ["note"], "properties": {"note": {"pattern": NON_BLANK_PATTERN}}},
            ]
        },
    )

    outcome = serializers.ChoiceField(
        choices=[(c.value, c.label) for c in Appeal.Satisfaction],
        help_text="satisfied or basic close the appeal; unsatisfied with unit_at_fault "
        "reopens it; unreachable is retried up to the configured attempts.",
    )
    unit_at_fault = StrictBooleanField(required=False, default=False)
    note = _note("Required when the citizen is not satisfied.")

    def validate(self, attrs):
        if attrs["outcome"] == Appeal.Satisfaction.UNSATISFIED and not attrs.get("note"):
            raise serializers.ValidationError(
                {
                    "note": serializers.ErrorDetail(
                        str(_("Record why the citizen is not satisfied.")),
                        code="required",
                    )
                }
            )
        return attrs


class _AnswerSupervisionSerializer(ActionSerializer):
    notice = StrictIntegerField(
        min_value=1, help_text="Id of the supervision notice (see `supervisions` of the appeal)."
    )
    answer = SafeCharField(max_length=5000, multiline=True)


def _make(name: str, base=ActionSerializer, **fields) -> type[serializers.Serializer]:
    camel = "".join(part.capitalize() for part in name.split("_"))
    return type(f"{camel}ActionSerializer", (base,), {"__module__": __name__, **fields})


def _named(name, base):
    return _make(name, base)


ACTION_SERIALIZERS: dict[str, type[serializers.Serializer]] = {
    "register": _named("register", _RegisterSerializer),
    "reject": _make("reject", reason=_reason("The reason the citizen is told.")),
    "merge": _named("merge", _MergeSerializer),
    "answer": _make(
        "answer",
        reply=SafeCharField(
            max_length=5000, multiline=True, help_text="The answer the citizen will read."
        ),
    ),
    "dispatch": _named("dispatch", _DispatchSerializer),
    "redispatch": _make(
        "redispatch", lead_unit=_unit(True, "The new lead unit's code."), reason=_reason()
    ),
    "sign": _make("sign"),
    "contact": _make(
        "contact",
        method=SafeCharField(max_length=50, help_text="How: phone, visit, SMS, ..."),
        note=_note(),
    ),
    "request_return": _make("request_return", reason=_reason("Why it is not your unit's remit.")),
    "approve_return": _make(
        "approve_return",
        lead_unit=_unit(False, "The new lead unit. Omitted: the backstop unit leads."),
        note=_note(),
    ),
    "refuse_return": _make("refuse_return", reason=_reason()),
    "request_extension": _named("request_extension", _RequestExtensionSerializer),
    "approve_extension": _make("approve_extension", note=_note()),
    "refuse_extension": _make("refuse_extension", reason=_reason()),
    "complete": _named("complete", _CompleteSerializer),
    "approve_completion": _make("approve_completion", note=_note()),
    "reject_completion": _make("reject_completion", reason=_reason()),
    "approve_review": _make("approve_review", note=_note()),
    "send_back": _make("send_back", reason=_reason()),
    "record_visit": _named("record_visit", _RecordVisitSerializer),
    "close": _make("close", reason=_reason("Why no return visit is possible.")),
    "reopen": _make("reopen", reason=_reason()),
    "supervise": _make("supervise", reason=_reason("What the supervision notice demands.")),
    "answer_supervision": _named("answer_supervision", _AnswerSupervisionSerializer),
}


def run(name: str, appeal: Appeal, actor, validated_data: dict):
    """Perform transition `name` with the validated body."""
    data = dict(validated_data)
    expected_version = data.pop("expected_version", None)
    function = getattr(workflow, name)
    return function(appeal, actor, expected_version=expected_version, **data)
