# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The insights API, `/api/v1/insights/…`: the numbers of the pages, as JSON.

Staff sign in with their session (the console) or a token (`Authorization: Token …`). Who may
read: roles with `view_statistics` (`jiesu.org.permissions`): supervisors and analysts the whole
district, unit leaders their unit and its sub-units. Nothing here carries personal data.
Errors have the API's one JSON shape (`{"error": {"code", "message", "fields"}}`).
"""

from __future__ import annotations

import re

from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from jiesu import textcheck
from jiesu.insights import hotspots, kpis, overview, topics
from jiesu.org import permissions
from jiesu.org.models import Region
from jiesu.org.permissions import Action


class MayViewStatistics(BasePermission):
    message = "Your role does not allow viewing statistics."

    def has_permission(self, request, view):
        return permissions.scope_of(request.user, Action.VIEW_STATISTICS) is not None


class InsightsErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False)


class InsightsErrorSerializer(serializers.Serializer):
    error = InsightsErrorBodySerializer()


ERRORS = {
    400: OpenApiResponse(InsightsErrorSerializer, description="Invalid query (`invalid_input`)."),
    401: OpenApiResponse(InsightsErrorSerializer, description="Not signed in."),
    403: OpenApiResponse(InsightsErrorSerializer, description="The role may not view statistics."),
}


# -- query parameters -------------------------------------------------------------------------


# A code in a query (unit, category, region, channel, type, grade): 1 to 32 characters, no
# white space and no characters that are not text (jiesu.textcheck); the schema says the same.
CODE_PATTERN = f"^[^{textcheck.ecma_class(textcheck.WHITESPACE)}]{{1,32}}$"
_CODE_RE = re.compile(CODE_PATTERN)


@extend_schema_field({"type": "string", "pattern": CODE_PATTERN, "minLength": 1, "maxLength": 32})
class CodeParam(serializers.CharField):
    default_error_messages = {
        "code": _("A code is 1 to 32 characters without spaces or control characters.")
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not _CODE_RE.match(value):
            self.fail("code")
        return value


class PeriodQuery(serializers.Serializer):
    locals()["from"] = serializers.DateField(help_text="First day of receipt (YYYY-MM-DD).")
    to = serializers.DateField(help_text="Last day of receipt, inclusive (YYYY-MM-DD).")

    def validate(self, attrs):
        try:
            kpis.check_range(attrs["from"], attrs["to"])
        except kpis.KpiError as exc:
            raise serializers.ValidationError(
                {"to": [serializers.ErrorDetail(str(exc), code=exc.code)]}
            ) from None
        return attrs


class KpiQuery(PeriodQuery):
    by = serializers.ChoiceField(choices=kpis.BY_CHOICES, default="all")
    level = serializers.ChoiceField(
        choices=("1", "2", "3", *Region.Level.values),
        required=False,
        help_text="Category level 1, 2 or 3 (by=category); region level subdistrict, "
        "community or grid (by=region).",
    )
    parent = CodeParam(help_text="by=unit: list the sub-units of the unit with this code.")
    unit = CodeParam(help_text="Only this unit (code) and below.")
    category = CodeParam(help_text="Only this category (code).")
    channel = CodeParam(help_text="Only this channel (code).")
    region = CodeParam(help_text="Only this region (code).")
    type = CodeParam(help_text="Only this appeal type (code).")
    grade = CodeParam(help_text="Only this grade (code).")


class TrendQuery(PeriodQuery):
    by = serializers.ChoiceField(choices=("category", "channel"), default="category")
    bucket = serializers.ChoiceField(choices=overview.BUCKETS, default="month")
    level = serializers.ChoiceField(choices=(1, 2, 3), default=1)
    top = serializers.IntegerField(min_value=1, max_value=50, default=8)


class HotspotQuery(PeriodQuery):
    category = CodeParam(help_text="Only this category (code).")
    resolution = serializers.IntegerField(
        min_value=6, max_value=10, default=hotspots.RESOLUTION, help_text="H3 resolution."
    )


class OverviewQuery(serializers.Serializer):
    day = serializers.DateField(required=False, help_text="The day shown (default today).")


# -- responses (for the schema) ---------------------------------------------------------------


class RateSerializer(serializers.Serializer):
    value = serializers.FloatField(allow_null=True, help_text="0 to 1; null: nothing to judge.")
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()


class GroupSerializer(serializers.Serializer):
    kind = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField(required=False)
    has_children = serializers.BooleanField(required=False)


def _row_fields():
    fields = {"group": GroupSerializer()}
    for name in kpis.COUNTS:
        fields[name] = serializers.IntegerField()
    fields["handled"] = serializers.IntegerField()
    for rate in kpis.RATES:
        fields[rate.code] = RateSerializer(help_text=f"{rate.numerator} / {rate.denominator}")
    fields["avg_handling_hours"] = serializers.FloatField(allow_null=True)
    fields["p90_handling_hours"] = serializers.IntegerField(allow_null=True)
    return fields


KpiRowSerializer = type("KpiRowSerializer", (serializers.Serializer,), _row_fields())


class PeriodSerializer(serializers.Serializer):
    locals()["from"] = serializers.DateField()
    to = serializers.DateField()


class KpiResultSerializer(serializers.Serializer):
    period = PeriodSerializer()
    by = serializers.CharField()
    filters = serializers.DictField(child=serializers.CharField())
    rows = KpiRowSerializer(many=True)


class NamedVolumeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    volume = serializers.IntegerField()


class TrendPointSerializer(serializers.Serializer):
    day = serializers.DateField()
    volume = serializers.IntegerField()
    concluded = serializers.IntegerField()


class PointSerializer(serializers.Serializer):
    number = serializers.CharField()
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    status = serializers.CharField()
    light = serializers.CharField()


class OverviewSerializer(serializers.Serializer):
    day = serializers.DateField()
    generated_at = serializers.DateTimeField()
    today = serializers.DictField(child=serializers.IntegerField())
    lights = serializers.DictField(child=serializers.IntegerField())
    month = serializers.DictField()
    trend = TrendPointSerializer(many=True)
    channels = NamedVolumeSerializer(many=True)
    top_categories = NamedVolumeSerializer(many=True)
    points = PointSerializer(many=True)


class TrendGroupSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    total = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)
    total_year_before = serializers.IntegerField()
    share_year_before = serializers.FloatField(allow_null=True)
    year_on_year = serializers.FloatField(allow_null=True)
    values = serializers.ListField(child=serializers.IntegerField())
    period_on_period = serializers.ListField(child=serializers.FloatField(allow_null=True))
    same_bucket_year_before = serializers.ListField(child=serializers.IntegerField())


class TrendSerializer(serializers.Serializer):
    period = PeriodSerializer()
    by = serializers.CharField()
    bucket = serializers.CharField()
    buckets = serializers.ListField(child=serializers.DateField())
    total = serializers.IntegerField()
    total_year_before = serializers.IntegerField()
    year_on_year = serializers.FloatField(allow_null=True)
    groups = TrendGroupSerializer(many=True)


class HotspotSerializer(serializers.Serializer):
    cell = serializers.CharField()
    lat = serializers.FloatField()
    lng = serializers.FloatField()
    boundary = serializers.ListField(child=serializers.ListField(child=serializers.FloatField()))
    count = serializers.IntegerField()
    p_value = serializers.FloatField()
    categories = NamedVolumeSerializer(many=True)
    numbers = serializers.ListField(child=serializers.CharField())


class HotspotResultSerializer(serializers.Serializer):
    period = PeriodSerializer()
    resolution = serializers.IntegerField()
    total = serializers.IntegerField()
    hotspots = HotspotSerializer(many=True)


class EmergingSerializer(serializers.Serializer):
    category = NamedVolumeSerializer()
    region = NamedVolumeSerializer()
    week = serializers.DateField()
    count = serializers.IntegerField()
    baseline = serializers.FloatField()
    p_value = serializers.FloatField()
    numbers = serializers.ListField(child=serializers.CharField())


class EmergingResultSerializer(serializers.Serializer):
    week = serializers.DateField()
    alpha = serializers.FloatField()
    tests = serializers.IntegerField()
    issues = EmergingSerializer(many=True)


# -- views ------------------------------------------------------------------------------------


class InsightsView(APIView):
    authentication_classes = [SessionAuthentication, TokenAuthentication]
    permission_classes = [MayViewStatistics]
    renderer_classes = [JSONRenderer]

    def dispatch(self, request, *args, **kwargs):
        # Like the rest of /api/v1/: the caller's Accept-Language (zh-hans by default, en).
        language = translation.get_language_from_request(request, check_path=False)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        response["Content-Language"] = language
        patch_vary_headers(response, ["Accept-Language", "Authorization"])
        response.setdefault("Cache-Control", "private, no-store")
        return response

    def query(self, serializer_class):
        params = self.request.query_params
        s = serializer_class(data=params)
        # REST framework reads `?day=` as "not given" for an optional field: a date, a number
        # or a choice sent empty is refused instead (the schema says what each must be).
        blank = [
            name
            for name, field in s.fields.items()
            if not isinstance(field, serializers.CharField) and params.get(name, None) == ""
        ]
        if blank:
            message = serializers.CharField.default_error_messages["blank"]
            raise serializers.ValidationError({name: [message] for name in blank})
        s.is_valid(raise_exception=True)
        return s.validated_data


def _kpi_error(exc: kpis.KpiError):
    return exceptions.ValidationError(
        {"detail": [serializers.ErrorDetail(str(exc), code=getattr(exc, "code", "invalid"))]}
    )


@extend_schema(
    tags=["insights"],
    summary="Every KPI for a period, grouped",
    description="Rates are numbers from 0 to 1 with their numerator and denominator; "
    "docs/kpis.md defines each. Appeals count in the period in which they were received.",
    parameters=[KpiQuery],
    responses={200: KpiResultSerializer, **ERRORS},
)
class KpiView(InsightsView):
    def get(self, request):
        q = self.query(KpiQuery)
        try:
            filters = kpis.resolve_filters({k: q.get(k) for k in kpis.FILTERS})
            parent = None
            if q.get("parent"):
                parent = kpis.resolve_filters({"unit": q["parent"]})["unit"]
            level = q.get("level")
            if q["by"] == "category" and level is not None:
                if level not in ("1", "2", "3"):
                    raise kpis.KpiError(
                        str(kpis._("A category level is 1, 2 or 3.")), code="level_mismatch"
                    )
                level = int(level)
            if q["by"] == "region" and level is not None and level not in Region.Level.values:
                raise kpis.KpiError(str(kpis._("Unknown region level.")), code="level_mismatch")
            result = kpis.compute(
                q["from"],
                q["to"],
                user=request.user,
                by=q["by"],
                filters=filters,
                level=level,
                parent=parent,
            )
        except kpis.KpiError as exc:
            raise _kpi_error(exc) from None
        return Response(result)


@extend_schema(
    tags=["insights"],
    summary="The command-centre overview",
    description="Today's intake, open appeals by light, this month's assessed rates, the last "
    "30 days' trend, channel mix and top categories, and open appeals on the map (no personal "
    "data).",
    parameters=[OverviewQuery],
    responses={200: OverviewSerializer, **ERRORS},
)
class OverviewView(InsightsView):
    def get(self, request):
        q = self.query(OverviewQuery)
        return Response(overview.overview(request.user, q.get("day")))


@extend_schema(
    tags=["insights"],
    summary="Volume trends by category or channel",
    description="Per bucket, with period-on-period (环比) and year-on-year (同比) change.",
    parameters=[TrendQuery],
    responses={200: TrendSerializer, **ERRORS},
)
class TrendView(InsightsView):
    def get(self, request):
        q = self.query(TrendQuery)
        try:
            result = overview.trends(
                request.user,
                q["from"],
                q["to"],
                by=q["by"],
                bucket=q["bucket"],
                level=q["level"],
                top=q["top"],
            )
        except kpis.KpiError as exc:
            raise _kpi_error(exc) from None
        return Response(result)


@extend_schema(
    tags=["insights"],
    summary="Spatial hotspots (H3 cells)",
    description="Cells holding significantly more appeals than the average cell of the "
    "district in the period, with the appeals behind each.",
    parameters=[HotspotQuery],
    responses={200: HotspotResultSerializer, **ERRORS},
)
class HotspotView(InsightsView):
    def get(self, request):
        q = self.query(HotspotQuery)
        try:
            filters = kpis.resolve_filters({"category": q.get("category")})
        except kpis.KpiError as exc:
            raise _kpi_error(exc) from None
        return Response(
            hotspots.spatial(
                request.user,
                q["from"],
                q["to"],
                category=filters.get("category"),
                resolution=q["resolution"],
            )
        )


@extend_schema(
    tags=["insights"],
    summary="Emerging issues this week",
    description="Category x subdistrict pairs whose volume this week is significantly above "
    "their own baseline (Poisson test, Bonferroni-corrected false-alarm rate).",
    parameters=[OverviewQuery],
    responses={200: EmergingResultSerializer, **ERRORS},
)
class EmergingView(InsightsView):
    def get(self, request):
        q = self.query(OverviewQuery)
        return Response(hotspots.emerging(request.user, q.get("day") or overview.today()))


class TopicPlaceSerializer(serializers.Serializer):
    name = serializers.CharField()
    messages = serializers.IntegerField(help_text="Appeals of the topic in this place.")


class TopicSerializer(serializers.Serializer):
    title = serializers.CharField(help_text="The title most of its appeals share.")
    heat = serializers.FloatField(help_text="Reporters + ln(1 + votes); appeals have no votes.")
    messages = serializers.IntegerField(help_text="Appeals in the topic.")
    writers = serializers.IntegerField(help_text="Distinct reporters (phones).")
    first = serializers.DateField(allow_null=True)
    last = serializers.DateField(allow_null=True)
    places = TopicPlaceSerializer(many=True)
    refs = serializers.ListField(child=serializers.CharField(), help_text="Appeal numbers.")


class TopicResultSerializer(serializers.Serializer):
    day = serializers.DateField()
    days = serializers.IntegerField()
    computed_at = serializers.DateTimeField(
        help_text="When the clusters were computed: they are kept for up to 5 minutes per "
        "scope and day."
    )
    topics = TopicSerializer(many=True)


@extend_schema(
    tags=["insights"],
    summary="Topic clusters of similar appeals",
    description="Appeals of the last 28 days whose texts are alike (character 2-3-gram TF-IDF, "
    "cosine >= 0.3, single linkage), at least 4 from at least 2 reporters, hottest first; "
    "within what the caller may see. Computed at most every 5 minutes per scope and day "
    "(`computed_at`).",
    parameters=[OverviewQuery],
    responses={200: TopicResultSerializer, **ERRORS},
)
class TopicView(InsightsView):
    def get(self, request):
        q = self.query(OverviewQuery)
        day = q.get("day") or overview.today()
        found, computed_at = topics.recent_topics(request.user, day)
        fields = ("title", "heat", "messages", "writers", "first", "last", "places", "refs")
        return Response(
            {
                "day": day.isoformat(),
                "days": topics.TOPIC_DAYS,
                "computed_at": computed_at.isoformat(),
                "topics": [{k: t.as_dict()[k] for k in fields} for t in found],
            }
        )
