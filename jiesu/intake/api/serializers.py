# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""What goes in and out of the native API: submissions, appeals as staff and channels see
them, history events, filters and the error body (for the schema)."""

from __future__ import annotations

import re

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from jiesu.appeals import privacy, timesource, workflow
from jiesu.appeals.models import Appeal, Assignment, Attachment, Clock
from jiesu.appeals.states import Status
from jiesu.catalog.models import AppealType, Category, Grade
from jiesu.credit_code import credit_code_valid
from jiesu.intake.api.fastfields import FastFields
from jiesu.intake.api.fields import (
    API_PHONE,
    APPEAL_NUMBER_PATTERN,
    BoundedDateTimeField,
    CodeField,
    Described,
    PresentValue,
    SafeCharField,
    StrictBooleanField,
    StrictFloatField,
    UploadField,
    trimmed_pattern,
)
from jiesu.intake.auth import ChannelClient
from jiesu.org import coords
from jiesu.org.models import Unit

# -- errors (documentation only: the handler writes them) ----------------------------------------


class FieldErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable code, e.g. required, invalid, blank.")
    message = serializers.CharField()


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable error code (see the table in docs/guide/api.md)."
    )
    message = serializers.CharField(help_text="For people, in the request's language.")
    detail = serializers.CharField(
        required=False, help_text="The original words of a message not translated yet."
    )
    fields = serializers.DictField(
        child=FieldErrorSerializer(many=True),
        required=False,
        help_text="Errors of single fields, by field name.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


# -- submission ------------------------------------------------------------------------------


CREDIT_CODE = "[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}"


def _anonymous():
    return {"required": ["anonymous"], "properties": {"anonymous": {"enum": [True]}}}


class SubmissionSerializer(FastFields, serializers.Serializer):
    """A new appeal from a channel. JSON, or multipart/form-data with `photos` files."""

    # What `validate` checks, for the schema: a phone unless anonymous; a credit code for an
    # enterprise unless anonymous; latitude and longitude together or not at all.
    schema_rules = (
        {
            "anyOf": [
                _anonymous(),
                {
                    "required": ["reporter_phone"],
                    "properties": {
                        "reporter_phone": {"pattern": trimmed_pattern(API_PHONE, blank=False)}
                    },
                },
            ]
        },
        {
            "anyOf": [
                {"properties": {"reporter_is_enterprise": {"enum": [False]}}},
                _anonymous(),
                {
                    "required": ["reporter_credit_code"],
                    "properties": {
                        "reporter_credit_code": {
                            "pattern": trimmed_pattern(CREDIT_CODE, blank=False)
                        }
                    },
                },
            ]
        },
        {
            "anyOf": [
                {
                    "required": ["lat", "lng"],
                    "properties": {"lat": {"type": "number"}, "lng": {"type": "number"}},
                },
                {
                    "properties": {
                        "lat": {"nullable": True, "enum": [None]},
                        "lng": {"nullable": True, "enum": [None]},
                    }
                },
            ]
        },
    )

    channel = SafeCharField(
        required=False,
        max_length=32,
        help_text="Channel code. Required for staff; a channel key files through its own "
        "channel (if given, it must be that channel).",
    )
    title = SafeCharField(max_length=200, help_text="Short summary.")
    description = SafeCharField(max_length=5000, multiline=True)
    reporter_name = SafeCharField(max_length=100, required=False, allow_blank=True, default="")
    reporter_phone = SafeCharField(
        max_length=32,
        required=False,
        allow_blank=True,
        default="",
        pattern=API_PHONE,
        pattern_message=gettext_lazy(
            "Enter a phone number: digits, spaces and dashes, an optional leading +, beginning and ending with a digit."
        ),
        help_text="Required unless the appeal is anonymous.",
    )
    reporter_is_enterprise = StrictBooleanField(required=False, default=False)
    reporter_credit_code = SafeCharField(
        max_length=18,
        required=False,
        allow_blank=True,
        default="",
        pattern=CREDIT_CODE,
        pattern_message=gettext_lazy(
            "A unified social credit code is 18 characters (digits and capital letters except I, O, S, V, Z)."
        ),
        help_text="统一社会信用代码 of an enterprise reporter (18 characters; the check "
        "character is checked: `check_digit`). Required for an enterprise reporter unless "
        "the appeal is anonymous.",
    )
    anonymous = StrictBooleanField(required=False, default=False)
    confidential = StrictBooleanField(
        required=False, default=False, help_text="Hide the reporter from handling units."
    )
    address = SafeCharField(max_length=300, required=False, allow_blank=True, default="")
    lat = StrictFloatField(
        required=False,
        allow_null=True,
        default=None,
        min_value=-90,
        max_value=90,
        help_text="With lng, or neither. The point must lie in the district (`outside_district`).",
    )
    lng = StrictFloatField(
        required=False, allow_null=True, default=None, min_value=-180, max_value=180
    )
    coord_system = serializers.ChoiceField(
        choices=list(coords.SYSTEMS),
        required=False,
        default=coords.WGS84,
        help_text="Coordinate system of lat/lng: wgs84 (GPS, browsers; the default), gcj02 "
        "(WeChat wx.getLocation, AMap, Tencent) or bd09 (Baidu). Stored and returned as WGS84.",
    )
    appeal_type = CodeField(
        queryset=AppealType.objects.filter(active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="Appeal type code, e.g. complaint.",
    )
    category = CodeField(
        queryset=Category.objects.filter(level=Category.Level.LEAF, active=True),
        required=False,
        allow_null=True,
        default=None,
        help_text="Leaf (third-level) category code.",
    )
    grade = CodeField(
        queryset=Grade.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Grade code: A, B or C.",
    )
    external_ref = SafeCharField(
        max_length=128,
        required=False,
        allow_blank=True,
        default="",
        help_text="The appeal's reference in the channel's own system.",
    )
    idempotency_key = SafeCharField(
        max_length=128,
        required=False,
        allow_blank=True,
        default="",
        pattern="[!-~]+",
        pattern_message=gettext_lazy(
            "An idempotency key is 1 to 128 printable ASCII characters without spaces."
        ),
        help_text="Same as the Idempotency-Key header (the header wins).",
    )
    photos = serializers.ListField(
        child=UploadField(),
        required=False,
        default=list,
        help_text="Photos (multipart only): JPEG, PNG, HEIC, WebP; videos where the channel "
        "allows them.",
    )

    def validate_reporter_credit_code(self, value):
        value = value.strip().upper()
        if value and not credit_code_valid(value):
            raise serializers.ValidationError(
                _("Not a valid unified social credit code: the check character is wrong."),
                code="check_digit",
            )
        return value

    def validate(self, attrs):
        errors = {}
        if (attrs.get("lat") is None) != (attrs.get("lng") is None):
            errors["lat"] = serializers.ErrorDetail(
                _("Give both latitude and longitude."),
                code="incomplete_location",
            )
        elif attrs.get("lat") is not None:
            attrs["lat"], attrs["lng"] = coords.to_wgs84(
                attrs["lat"], attrs["lng"], attrs.get("coord_system")
            )
        if attrs.get("anonymous"):
            attrs["reporter_name"] = attrs["reporter_phone"] = ""
        elif not attrs.get("reporter_phone"):
            errors["reporter_phone"] = serializers.ErrorDetail(
                _("A contact phone is required unless the appeal is anonymous."),
                code="required",
            )
        if (
            attrs.get("reporter_is_enterprise")
            and not attrs.get("anonymous")
            and not attrs.get("reporter_credit_code")
        ):
            errors["reporter_credit_code"] = serializers.ErrorDetail(
                _("An enterprise reporter gives its unified social credit code."),
                code="required",
            )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    RECEIVE_FIELDS = (
        "title",
        "description",
        "reporter_name",
        "reporter_phone",
        "reporter_is_enterprise",
        "reporter_credit_code",
        "anonymous",
        "confidential",
        "address",
        "lat",
        "lng",
        "appeal_type",
        "category",
        "grade",
        "external_ref",
    )

    def receive_fields(self) -> dict:
        """The keyword arguments of `workflow.receive`, every one of them (so that a retry
        with or without default values has the same digest)."""
        return {name: self.validated_data.get(name) for name in self.RECEIVE_FIELDS}


class SubmissionJsonSerializer(SubmissionSerializer):
    """The JSON body of a submission: photos need multipart/form-data."""

    photos = None


class LinksSerializer(serializers.Serializer):
    self = serializers.URLField()
    history = serializers.URLField()


class SubmittedSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    created = serializers.BooleanField(
        help_text="False when an idempotent retry returned the first appeal."
    )
    query_code = serializers.CharField(
        required=False,
        help_text="For public tracking; shown only in the response that created the appeal.",
    )
    links = LinksSerializer()


_SAMPLE_NUMBER = "PS00000000000000"
_NUMBER = re.compile(APPEAL_NUMBER_PATTERN)
_DETAIL_PATHS: dict[tuple, tuple[str, str]] = {}


def appeal_path(number: str) -> str:
    """`reverse("api:appeal-detail", args=[number])`, reversed once per URL configuration,
    script prefix and language: a filing answers with this link, and resolving the pattern
    anew was a twentieth of a filing's CPU."""
    if not _NUMBER.fullmatch(number):
        return reverse("api:appeal-detail", args=[number])
    key = (get_script_prefix(), get_urlconf(), get_language())
    parts = _DETAIL_PATHS.get(key)
    if parts is None:
        head, _, tail = reverse("api:appeal-detail", args=[_SAMPLE_NUMBER]).partition(
            _SAMPLE_NUMBER
        )
        parts = _DETAIL_PATHS[key] = (head, tail)
    return parts[0] + number + parts[1]


def appeal_links(request, appeal: Appeal) -> dict:
    # The history lies under the appeal's own address (api/urls.py; a test follows both links):
    # one reverse and one absolute address per filing instead of two of each.
    detail = request.build_absolute_uri(appeal_path(appeal.number))
    return {"self": detail, "history": detail + "history/"}


# -- reading ---------------------------------------------------------------------------------


class RefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


def ref(obj) -> dict | None:
    return {"code": obj.code, "name": str(obj.name)} if obj is not None else None


class _RefField(serializers.Field):
    def to_representation(self, value):
        return ref(value)


@extend_schema_field(RefSerializer(allow_null=True))
class RefField(_RefField):
    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class ReporterSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Masked (张**), or a placeholder when hidden.")
    phone = serializers.CharField(help_text="Masked (138****5678); empty when hidden.")
    hidden = serializers.BooleanField(
        help_text="True for anonymous appeals and, for handling units, confidential ones."
    )
    is_enterprise = serializers.BooleanField()


def _active_assignments(appeal: Appeal) -> list[Assignment]:
    cached = getattr(appeal, "active_assignments", None)
    if cached is not None:
        return cached
    return [a for a in appeal.assignments.all() if a.active]


class AppealListSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    appeal_type = RefField()
    category = RefField()
    grade = RefField()
    region = RefField()
    lead_unit = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    # Declared (not derived from the model) so that the schema is the same on every database.
    version = serializers.IntegerField(
        read_only=True, help_text="Pass as expected_version to detect concurrent changes."
    )

    class Meta:
        model = Appeal
        fields = [
            "number",
            "title",
            "status",
            "status_display",
            "channel",
            "appeal_type",
            "category",
            "grade",
            "region",
            "lead_unit",
            "received_at",
            "version",
            "url",
        ]

    @extend_schema_field(RefSerializer(allow_null=True))
    def get_lead_unit(self, appeal):
        for a in _active_assignments(appeal):
            if a.role == Assignment.Role.LEAD:
                return ref(a.unit)
        return None

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, appeal):
        request = self.context["request"]
        return request.build_absolute_uri(reverse("api:appeal-detail", args=[appeal.number]))


class AssignmentSerializer(serializers.ModelSerializer):
    unit = RefField()

    class Meta:
        model = Assignment
        fields = [
            "id",
            "unit",
            "role",
            "state",
            "active",
            "first_asked",
            "dispatched_at",
            "signed_at",
            "contacted_at",
            "completed_at",
            "result",
            "withdrawn_at",
        ]


class ClockSerializer(serializers.ModelSerializer):
    limit_amount = serializers.IntegerField(read_only=True)
    unit = serializers.SerializerMethodField()
    light = serializers.SerializerMethodField()
    running = serializers.BooleanField(read_only=True)
    met = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = Clock
        fields = [
            "id",
            "kind",
            "unit",
            "started_at",
            "limit_amount",
            "limit_unit",
            "warn_at",
            "due_at",
            "original_due_at",
            "provisional",
            "stopped_at",
            "cancelled",
            "running",
            "met",
            "light",
        ]

    @extend_schema_field(RefSerializer(allow_null=True))
    def get_unit(self, clock):
        return ref(clock.assignment.unit) if clock.assignment_id else None

    @extend_schema_field(serializers.ChoiceField(choices=Clock.Light.choices))
    def get_light(self, clock):
        return clock.light(self.context.get("now") or timesource.now())


class UnitRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    unit = RefField(source="assignment.unit")
    reason = serializers.CharField()
    extension_days = serializers.IntegerField(allow_null=True)
    requested_at = serializers.DateTimeField()
    decision = serializers.CharField()
    decision_note = serializers.CharField()
    decided_at = serializers.DateTimeField(allow_null=True)


class SupervisionSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Pass as `notice` to answer_supervision.")
    unit = RefField()
    reason = serializers.CharField()
    automatic = serializers.BooleanField()
    issued_at = serializers.DateTimeField()
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)


class AttachmentSerializer(serializers.ModelSerializer):
    size = serializers.IntegerField(read_only=True, help_text="Bytes.")
    width = serializers.IntegerField(read_only=True, allow_null=True)
    height = serializers.IntegerField(read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "purpose",
            "kind",
            "content_type",
            "size",
            "width",
            "height",
            "sha256",
            "public",
            "uploaded_at",
            "url",
            "thumbnail_url",
        ]
        read_only_fields = ["public"]

    def _url(self, f):
        if not f:
            return None
        request = self.context.get("request")
        url = f.url
        return request.build_absolute_uri(url) if request is not None else url

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, attachment):
        return self._url(attachment.file)

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail_url(self, attachment):
        return self._url(attachment.thumbnail)


class AppealDetailSerializer(AppealListSerializer):
    satisfaction = serializers.CharField(
        read_only=True,
        help_text="Outcome of the return visit: satisfied, basic, unsatisfied, unreachable, "
        "or empty.",
    )
    reopen_count = serializers.IntegerField(read_only=True)
    reporter = serializers.SerializerMethodField()
    merged_into = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    assignments = serializers.SerializerMethodField()
    clocks = serializers.SerializerMethodField()
    unit_requests = serializers.SerializerMethodField()
    supervisions = serializers.SerializerMethodField()
    attachments = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta(AppealListSerializer.Meta):
        fields = [
            *AppealListSerializer.Meta.fields,
            "description",
            "address",
            "lat",
            "lng",
            "external_ref",
            "anonymous",
            "confidential",
            "reporter",
            "reply",
            "satisfaction",
            "reopen_count",
            "merged_into",
            "registered_at",
            "dispatched_at",
            "completed_at",
            "closed_at",
            "assignments",
            "clocks",
            "unit_requests",
            "supervisions",
            "attachments",
            "allowed_actions",
            "links",
        ]

    def _user(self):
        return self.context["request"].user

    @extend_schema_field(ReporterSerializer)
    def get_reporter(self, appeal):
        view = privacy.reporter_view(appeal, self._user())
        return {
            "name": str(view["name"]),
            "phone": view["phone"],
            "hidden": view["hidden"],
            "is_enterprise": appeal.reporter_is_enterprise and not view["hidden"],
        }

    @extend_schema_field(AssignmentSerializer(many=True))
    def get_assignments(self, appeal):
        rows = appeal.assignments.select_related("unit").order_by("-active", "-role", "id")
        return AssignmentSerializer(rows, many=True).data

    @extend_schema_field(ClockSerializer(many=True))
    def get_clocks(self, appeal):
        rows = appeal.clocks.select_related("assignment__unit").order_by("started_at", "id")
        return ClockSerializer(rows, many=True, context={"now": timesource.now()}).data

    def _internal(self) -> bool:
        """Requests and notices are the centre's and the units' business, not a channel's."""
        return not isinstance(self._user(), ChannelClient)

    @extend_schema_field(UnitRequestSerializer(many=True))
    def get_unit_requests(self, appeal):
        if not self._internal():
            return []
        rows = appeal.unit_requests.select_related("assignment__unit").order_by("requested_at")
        return UnitRequestSerializer(rows, many=True).data

    @extend_schema_field(SupervisionSerializer(many=True))
    def get_supervisions(self, appeal):
        if not self._internal():
            return []
        rows = appeal.supervisions.select_related("unit").order_by("issued_at", "id")
        return SupervisionSerializer(rows, many=True).data

    @extend_schema_field(AttachmentSerializer(many=True))
    def get_attachments(self, appeal):
        return AttachmentSerializer(
            appeal.attachments.order_by("uploaded_at", "id"), many=True, context=self.context
        ).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, appeal):
        user = self._user()
        if isinstance(user, ChannelClient):
            return []
        return workflow.allowed_transitions(appeal, user)

    @extend_schema_field(serializers.DictField(child=serializers.URLField()))
    def get_links(self, appeal):
        request = self.context["request"]
        links = appeal_links(request, appeal)
        if not isinstance(request.user, ChannelClient):
            links["unmask"] = request.build_absolute_uri(
                reverse("api:appeal-unmask", args=[appeal.number])
            )
            for name in self.get_allowed_actions(appeal):
                links[f"action:{name}"] = request.build_absolute_uri(
                    reverse(f"api:appeal-action-{name}", args=[appeal.number])
                )
        return links


class EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    kind = serializers.CharField(help_text="A transition name, or unmask, clock_warning, ...")
    label = serializers.CharField(help_text="What happened, in the request's language.")
    at = serializers.DateTimeField(source="created_at")
    actor = serializers.CharField(
        required=False, help_text="Who, as recorded (staff only; not shown to channels)."
    )
    unit = RefField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    payload = serializers.DictField(
        required=False, help_text="Details of the step (staff only; not shown to channels)."
    )


EVENT_LABELS = {
    "unmask": gettext_lazy("Contact data viewed"),
    "clock_warning": gettext_lazy("Deadline warning"),
    "clock_breach": gettext_lazy("Deadline passed"),
    "citizen_rating": gettext_lazy("Citizen's rating"),
}


def event_label(kind: str) -> str:
    if kind in workflow.TRANSITIONS:
        return str(workflow.TRANSITIONS[kind].label)
    return str(EVENT_LABELS.get(kind, kind))


def event_data(event, *, for_channel: bool) -> dict:
    data = {
        "seq": event.seq,
        "kind": event.kind,
        "label": event_label(event.kind),
        "at": serializers.DateTimeField().to_representation(event.created_at),
        "unit": ref(event.unit) if event.unit_id else None,
        "from_status": event.from_status,
        "to_status": event.to_status,
    }
    if not for_channel:
        data["actor"] = event.actor_label
        data["payload"] = event.payload
    return data


class HistorySerializer(serializers.Serializer):
    number = serializers.CharField()
    events = EventSerializer(many=True)


class UnmaskSerializer(serializers.Serializer):
    reason = SafeCharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the full contact data is needed (kept in the history).",
    )


class AttachmentUploadSerializer(serializers.Serializer):
    file = UploadField(help_text="A photo (JPEG, PNG, HEIC, WebP) or a short video (MP4, MOV).")


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    credit_code = serializers.CharField()


# -- filters ---------------------------------------------------------------------------------


STATUS_LIST = "(?:{0})(?:,(?:{0}))*".format("|".join(Status.values))


class StatusListField(PresentValue, Described, serializers.CharField):
    """Statuses, comma-separated, nothing else (no spaces, no empty items)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not re.fullmatch(STATUS_LIST, value):
            unknown = [s for s in value.split(",") if s not in Status.values]
            raise serializers.ValidationError(
                _("Unknown status: %(s)s. Known: %(known)s.")
                % {"s": ", ".join(repr(s) for s in unknown), "known": ", ".join(Status.values)},
                code="invalid_choice",
            )
        return value.split(",")

    def describe(self, schema):
        schema["pattern"] = f"^{STATUS_LIST}$"
        return schema


class AppealFilterSerializer(serializers.Serializer):
    status = StatusListField(
        required=False, help_text="One status or several, comma-separated (dispatched,in_progress)."
    )
    category = CodeField(
        queryset=Category.objects.all(),
        required=False,
        help_text="Category code at any level: a major or middle category includes its leaves.",
    )
    unit = CodeField(
        queryset=Unit.objects.all(),
        required=False,
        help_text="Appeals with an active assignment of this unit or one of its sub-units.",
    )
    channel = SafeCharField(max_length=32, required=False, help_text="Channel code.")
    appeal_type = CodeField(queryset=AppealType.objects.all(), required=False)
    grade = CodeField(queryset=Grade.objects.all(), required=False)
    received_after = BoundedDateTimeField(
        required=False, help_text="Received at or after (ISO 8601 date or date-time)."
    )
    received_before = BoundedDateTimeField(
        required=False, help_text="Received before (ISO 8601 date or date-time)."
    )
    q = SafeCharField(
        max_length=100, required=False, help_text="Text in the title, description or number."
    )
