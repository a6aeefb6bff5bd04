# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The native API `/api/v1/`: submit, list and read appeals, act on them, read their history.

Callers are channels (API key) or staff (session or token); see `jiesu.intake.auth`. What a
caller sees: a channel its own channel's appeals; district roles every appeal; unit roles the
appeals with an active assignment of their unit or a sub-unit. Out of reach is "not found".
Every error is JSON (`jiesu.intake.errors`).
"""

from __future__ import annotations

import re
from base64 import b64decode
from urllib.parse import parse_qs

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import status as http_status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from jiesu.appeals import attachments as attachment_store
from jiesu.appeals import privacy, textsearch, workflow
from jiesu.appeals.errors import InvalidInput
from jiesu.appeals.models import Appeal, Assignment, Attachment
from jiesu.intake import services
from jiesu.intake.api import actions
from jiesu.intake.api import schema as _schema  # noqa: F401  (registers the auth schemes)
from jiesu.intake.api.fields import trimmed_pattern
from jiesu.intake.api.parsers import FormParser, JsonParser
from jiesu.intake.api.serializers import (
    AppealDetailSerializer,
    AppealFilterSerializer,
    AppealListSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    ContactSerializer,
    ErrorSerializer,
    HistorySerializer,
    SubmissionJsonSerializer,
    SubmissionSerializer,
    SubmittedSerializer,
    UnmaskSerializer,
    appeal_links,
    event_data,
)
from jiesu.intake.auth import AUTHENTICATION_CLASSES, ChannelRateThrottle, is_channel
from jiesu.intake.errors import ApiError, api_exception_handler
from jiesu.intake.models import Channel, ChannelSubmission
from jiesu.org import permissions
from jiesu.org.permissions import Action, Scope

NUMBER = OpenApiParameter(
    "number",
    {"type": "string", "pattern": "^[A-Za-z0-9-]{1,32}$"},
    OpenApiParameter.PATH,
    description="The appeal's number, e.g. PS20261102000001.",
)


def _errors(*codes) -> dict:
    meanings = {
        400: "Invalid input (`invalid_input`, `malformed_request`).",
        401: "Not authenticated (`not_authenticated`, `invalid_api_key`, `invalid_token`).",
        403: "Not allowed (`not_allowed`, `csrf_failed`).",
        404: "No such appeal within your reach (`not_found`).",
        409: "`invalid_transition`, `conflict` or `idempotency_conflict`.",
        413: "Request too large (`request_too_large`).",
        415: "Wrong content type (`unsupported_media_type`).",
        429: "Too many requests for this channel (`throttled`; see Retry-After).",
    }
    return {c: OpenApiResponse(ErrorSerializer, description=meanings[c]) for c in codes}


class ApiView(GenericAPIView):
    """Base of every view of the API: its authentication, JSON only, its error handler."""

    authentication_classes = AUTHENTICATION_CLASSES
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    parser_classes = [JsonParser, MultiPartParser, FormParser]
    # Field names of errors raised by lower layers, as this endpoint calls them.
    field_names: dict[str, str] = {}

    def get_exception_handler(self):
        return api_exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # REST framework reads JSON bodies without Django's DATA_UPLOAD_MAX_MEMORY_SIZE check
        # (multipart bodies get it from Django, and each file its own limit).
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and not request.content_type.startswith("multipart/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise ApiError("request_too_large")

    def dispatch(self, request, *args, **kwargs):
        # The site's LocaleMiddleware gives unprefixed URLs the default language; an API
        # follows the caller's Accept-Language (or language cookie) instead.
        language = translation.get_language_from_request(request, check_path=False)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        response["Content-Language"] = language
        patch_vary_headers(response, ["Accept-Language", "Authorization", "X-Api-Key"])
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Appeals carry personal data: no shared caches.
        response.setdefault("Cache-Control", "private, no-store")
        return response


# -- what a caller may see -------------------------------------------------------------------


def visible_appeals(request):
    """The appeals the caller may read (a QuerySet); raises not_allowed for staff without
    the view permission at all."""
    user = request.user
    if is_channel(request):
        return Appeal.objects.filter(channel=user.channel.code)
    scope = permissions.scope_of(user, Action.VIEW_APPEAL)
    if scope is None:
        raise ApiError(
            "not_allowed",
            _("Your role does not allow reading appeals."),
        )
    if scope == Scope.DISTRICT:
        return Appeal.objects.all()
    in_scope = Assignment.objects.filter(
        permissions.scope_q(user, Action.VIEW_APPEAL, "unit"),
        appeal=OuterRef("pk"),
        active=True,
    )
    # Only a dispatched appeal has assignments: said here, a list in time order walks the
    # dispatched appeals' index and skips those still waiting at the centre (ADR 0037).
    return Appeal.objects.filter(Exists(in_scope), dispatched_at__isnull=False)


def with_related(queryset):
    return queryset.select_related(
        "appeal_type", "category", "grade", "region", "merged_into"
    ).prefetch_related(
        Prefetch(
            "assignments",
            queryset=Assignment.objects.filter(active=True).select_related("unit"),
            to_attr="active_assignments",
        )
    )


def get_appeal(request, number: str) -> Appeal:
    appeal = with_related(visible_appeals(request)).filter(number=number).first()
    if appeal is None:
        raise ApiError(
            "not_found",
            _("No appeal numbered %(number)s within your reach.") % {"number": number},
        )
    return appeal


def refuse_channels(request):
    if is_channel(request):
        raise ApiError(
            "not_allowed",
            _("A channel's API key may file and read appeals, not act on them."),
        )


# -- collection: submit and list -------------------------------------------------------------


class AppealCursorPagination(CursorPagination):
    ordering = ("-received_at", "-id")
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is not None:
            # REST framework reads any base64 as "the first page"; only cursors it could have
            # written (a position and/or an offset and a direction, nothing else) are accepted.
            try:
                tokens = parse_qs(
                    b64decode(encoded.encode("ascii"), validate=True).decode("ascii"),
                    keep_blank_values=True,
                    strict_parsing=True,
                )
            except (ValueError, UnicodeError):
                tokens = {}
            if (
                not tokens
                or set(tokens) - {"o", "r", "p"}
                or any(len(v) != 1 for v in tokens.values())
            ):
                raise ApiError("invalid_cursor")
        try:
            return super().decode_cursor(request)
        except Exception:  # NotFound("Invalid cursor") and malformed values
            raise ApiError("invalid_cursor") from None

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise ApiError(
                "invalid_input",
                fields={
                    "page_size": [
                        {
                            "code": "invalid",
                            "message": _("page_size must be a whole number from 1 to %(max)d.")
                            % {"max": self.max_page_size},
                        }
                    ]
                },
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
            elif parameter["name"] == self.cursor_query_param:
                # Opaque: the `next`/`previous` link's value, base64 (an empty or non-base64
                # value is refused by the schema; one the server never wrote, by the server).
                parameter["description"] = (
                    "The `cursor` of a `next` or `previous` link; any other value is refused "
                    "(400 invalid_cursor)."
                )
                parameter["schema"] = {
                    "type": "string",
                    "minLength": 4,
                    "pattern": "^[A-Za-z0-9+/]+={0,2}$",
                }
        return parameters


IDEMPOTENCY_KEY = "[!-~]{1,128}"


def _idempotency_key(request, serializer) -> str:
    """The submission's idempotency key: the header (1 to 128 printable ASCII characters,
    white space around it aside) or else the body field; "" for none."""
    header = request.headers.get("Idempotency-Key")
    body = serializer.validated_data.get("idempotency_key") or ""
    problem = None
    if header is not None:
        key = header.strip()
        if not re.fullmatch(IDEMPOTENCY_KEY, key):
            problem = _("An idempotency key is 1 to 128 printable ASCII characters without spaces.")
        elif body and key != body:
            problem = _("The Idempotency-Key header and the idempotency_key field differ.")
    else:
        key = body
    if problem:
        raise ApiError(
            "invalid_input", fields={"idempotency_key": [{"code": "invalid", "message": problem}]}
        )
    return key


class AppealCollectionView(ApiView):
    pagination_class = AppealCursorPagination
    throttle_classes = [ChannelRateThrottle]
    serializer_class = AppealListSerializer
    field_names = {"attachments": "photos", "file": "photos"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Appeal.objects.none()
        return visible_appeals(self.request)

    # ---- list

    @extend_schema(
        operation_id="appeals_list",
        summary="List appeals within your reach",
        description="Newest first (received_at, then id), with cursor pagination: follow "
        "`next` until it is null. Filters combine with AND.",
        parameters=[AppealFilterSerializer],
        responses={200: AppealListSerializer(many=True), **_errors(400, 401, 403)},
        tags=["appeals"],
    )
    def get(self, request):
        filters = AppealFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = with_related(self._filter(self.get_queryset(), filters.validated_data))
        page = self.paginate_queryset(queryset)
        data = AppealListSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)

    @staticmethod
    def _filter(queryset, f: dict):
        if f.get("status"):
            queryset = queryset.filter(status__in=f["status"])
        if f.get("category") is not None:
            c = f["category"]
            queryset = queryset.filter(
                Q(category=c) | Q(category__parent=c) | Q(category__parent__parent=c)
            )
        if f.get("unit") is not None:
            queryset = queryset.filter(
                Exists(
                    Assignment.objects.filter(
                        appeal=OuterRef("pk"), active=True, unit__path__startswith=f["unit"].path
                    )
                )
            )
        if f.get("channel"):
            queryset = queryset.filter(channel=f["channel"])
        if f.get("appeal_type") is not None:
            queryset = queryset.filter(appeal_type=f["appeal_type"])
        if f.get("grade") is not None:
            queryset = queryset.filter(grade=f["grade"])
        if f.get("received_after"):
            queryset = queryset.filter(received_at__gte=f["received_after"])
        if f.get("received_before"):
            queryset = queryset.filter(received_at__lt=f["received_before"])
        if f.get("q"):
            q = f["q"].strip()
            queryset = queryset.filter(textsearch.contains(q, ("title", "description", "number")))
        return queryset

    # ---- submit

    @extend_schema(
        operation_id="appeals_submit",
        summary="Submit an appeal",
        description=(
            "File a new appeal. A channel authenticates with its API key and files through "
            "its own channel; staff with the file_appeal permission name the `channel`. "
            "Send JSON, or multipart/form-data with the photos as `photos` files.\n\n"
            "With an `Idempotency-Key` header (or `idempotency_key` field), a retry of the "
            "same submission returns the first appeal with 200 instead of filing a second; "
            "the same key with different data is refused with 409 `idempotency_conflict`. "
            "The `query_code` (for public tracking) is in the 201 response only."
        ),
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                {"type": "string", "pattern": trimmed_pattern(IDEMPOTENCY_KEY, blank=False)},
                OpenApiParameter.HEADER,
                description="1 to 128 printable ASCII characters, unique per submission.",
            )
        ],
        request={
            "application/json": SubmissionJsonSerializer,
            "multipart/form-data": SubmissionSerializer,
        },
        responses={
            201: OpenApiResponse(SubmittedSerializer, description="Filed."),
            200: OpenApiResponse(
                SubmittedSerializer, description="A retry: the first appeal with this key."
            ),
            **_errors(400, 401, 403, 409, 413, 415, 429),
        },
        examples=[
            OpenApiExample(
                "A WeChat report",
                request_only=True,
                media_type="application/json",
                value={
                    "title": "小区门口垃圾堆积",
                    "description": "坪山街道六和社区某小区门口垃圾三天没人清理。",
                    "reporter_name": "张三",
                    "reporter_phone": "13800001234",
                    "lat": 22.7,
                    "lng": 114.35,
                    "address": "坪山街道六和社区",
                    "external_ref": "WX-20261102-0001",
                },
            ),
        ],
        tags=["appeals"],
    )
    def post(self, request):
        channel, actor = self._channel_and_actor(request)
        serializer = SubmissionSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        key = _idempotency_key(request, serializer)
        fields = serializer.receive_fields()
        photos = list(serializer.validated_data.get("photos") or [])
        if len(photos) > channel.max_attachments:
            message = ngettext(
                "At most %(count)d photo is allowed on this channel.",
                "At most %(count)d photos are allowed on this channel.",
                channel.max_attachments,
            ) % {"count": channel.max_attachments}
            raise ApiError(
                "invalid_input", fields={"photos": [{"code": "max_length", "message": message}]}
            )
        for attempt in range(2):
            if key:
                replay = self._replay(channel, key, fields, len(photos), actor)
                if replay is not None:
                    return self._submitted(request, replay)
            try:
                result = self._store_and_submit(channel, key, fields, photos, actor)
            except services.IdempotencyConflict:
                # A concurrent request with this key filed first; its photos have other ids,
                # so compare with it the way a retry is compared (once).
                if attempt or not photos:
                    raise
                continue
            return self._submitted(request, result)
        raise AssertionError("unreachable")  # pragma: no cover

    def _channel_and_actor(self, request) -> tuple[Channel, object]:
        data = request.data
        given = data.get("channel") if hasattr(data, "get") else None
        if isinstance(given, str):
            given = given.strip()
        if is_channel(request):
            channel = request.user.channel
            if given not in (None, "", channel.code):
                raise ApiError(
                    "invalid_input",
                    fields={
                        "channel": [
                            {
                                "code": "wrong_channel",
                                "message": _("A channel's key files only through its own channel."),
                            }
                        ]
                    },
                )
            return channel, None
        if not permissions.can(request.user, Action.FILE_APPEAL):
            raise ApiError(
                "not_allowed",
                _("Your role does not allow filing appeals."),
            )
        if not given or not isinstance(given, str):
            raise ApiError(
                "invalid_input",
                fields={
                    "channel": [
                        {
                            "code": "required",
                            "message": _("Name the channel the appeal came through."),
                        }
                    ]
                },
            )
        channel = Channel.objects.filter(code=given).first()
        if channel is None or not channel.active:
            raise ApiError(
                "invalid_input",
                fields={
                    "channel": [
                        {
                            "code": "does_not_exist" if channel is None else "inactive",
                            "message": _("No active channel with the code %(code)r.")
                            % {"code": given},
                        }
                    ]
                },
            )
        return channel, request.user

    @staticmethod
    def _check_photo_count(appeal, count: int):
        linked = appeal.attachments.filter(purpose=Attachment.Purpose.REPORT).count()
        if linked != count:
            raise services.IdempotencyConflict(
                ngettext(
                    "This idempotency key was already used for a submission with %(linked)d "
                    "photo, this one has %(count)d.",
                    "This idempotency key was already used for a submission with %(linked)d "
                    "photos, this one has %(count)d.",
                    linked,
                )
                % {"linked": linked, "count": count}
            )

    def _replay(self, channel, key, fields, photo_count, actor):
        """A retry: the first appeal when this key was used before, without storing the
        photos again. `services.submit` compares the data (with the first submission's
        photos); the number of photos must be the same too."""
        previous = (
            ChannelSubmission.objects.filter(channel=channel, idempotency_key=key)
            .select_related("appeal")
            .first()
        )
        if previous is None:
            return None
        self._check_photo_count(previous.appeal, photo_count)
        ids = previous.appeal.attachments.filter(purpose=Attachment.Purpose.REPORT).values_list(
            "pk", flat=True
        )
        return services.submit(
            channel, fields=fields, idempotency_key=key, attachments=list(ids), actor=actor
        )

    @staticmethod
    def _store_and_submit(channel, key, fields, photos, actor):
        """Store the photos and file the appeal with them, or store nothing at all."""
        stored = []
        try:
            for index, upload in enumerate(photos, start=1):
                try:
                    stored.append(
                        attachment_store.store_upload(
                            upload, purpose=Attachment.Purpose.REPORT, channel=channel, user=actor
                        )
                    )
                except InvalidInput as exc:
                    name = getattr(upload, "name", "") or f"#{index}"
                    message = f"{name}: {exc.message}"
                    raise InvalidInput(message, field_errors={"photos": [message]}) from None
            result = services.submit(
                channel, fields=fields, idempotency_key=key, attachments=stored, actor=actor
            )
        except BaseException:
            for attachment in stored:
                attachment_store.discard(attachment)
            raise
        if not result.created:  # the same data filed meanwhile (without photos)
            for attachment in stored:
                attachment_store.discard(attachment)
        return result

    @staticmethod
    def _submitted(request, result) -> Response:
        appeal = result.appeal
        body = {
            "number": appeal.number,
            "status": appeal.status,
            "created": result.created,
            "links": appeal_links(request, appeal),
        }
        if result.created and result.query_code:
            body["query_code"] = result.query_code
        if result.created:
            return Response(
                body,
                status=http_status.HTTP_201_CREATED,
                headers={"Location": body["links"]["self"]},
            )
        return Response(body, status=http_status.HTTP_200_OK)


# -- one appeal ------------------------------------------------------------------------------


class AppealDetailView(ApiView):
    serializer_class = AppealDetailSerializer

    @extend_schema(
        operation_id="appeals_read",
        summary="Read an appeal",
        description="Assignments, SLA clocks with their light (green, yellow, red) at this "
        "moment, requests, supervision notices, attachments and the actions you may take now. "
        "The reporter is masked; a confidential appeal hides its reporter from handling units.",
        parameters=[NUMBER],
        responses={200: AppealDetailSerializer, **_errors(401, 403, 404)},
        tags=["appeals"],
    )
    def get(self, request, number):
        appeal = get_appeal(request, number)
        return Response(AppealDetailSerializer(appeal, context={"request": request}).data)


class AppealHistoryView(ApiView):
    serializer_class = HistorySerializer

    @extend_schema(
        operation_id="appeals_history",
        summary="Read an appeal's history",
        description="Every event of the appeal's hash-chained history, oldest first. Channels "
        "see the steps without staff names and details.",
        parameters=[NUMBER],
        responses={200: HistorySerializer, **_errors(401, 403, 404)},
        tags=["appeals"],
    )
    def get(self, request, number):
        appeal = get_appeal(request, number)
        events = appeal.events.select_related("unit").order_by("seq")
        for_channel = is_channel(request)
        return Response(
            {
                "number": appeal.number,
                "events": [event_data(e, for_channel=for_channel) for e in events],
            }
        )


class AppealUnmaskView(ApiView):
    serializer_class = UnmaskSerializer

    @extend_schema(
        operation_id="appeals_unmask",
        summary="See the reporter's full contact data",
        description="For roles that may unmask (intake operators, supervisors, return-visit "
        "agents, the appeal's handling units). Each call writes an `unmask` event to the "
        "appeal's history. Confidential reporters stay hidden from handling units.",
        parameters=[NUMBER],
        request=UnmaskSerializer,
        responses={200: ContactSerializer, **_errors(400, 401, 403, 404)},
        tags=["appeals"],
    )
    def post(self, request, number):
        refuse_channels(request)
        appeal = get_appeal(request, number)
        serializer = UnmaskSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        contact = privacy.reveal_contact(
            appeal, request.user, reason=serializer.validated_data["reason"]
        )
        return Response(ContactSerializer(contact).data)


def make_action_view(name: str):
    """The view of transition `name`: POST /api/v1/appeals/{number}/actions/{name}/."""
    transition = workflow.TRANSITIONS[name]
    body = actions.ACTION_SERIALIZERS[name]

    class ActionView(ApiView):
        serializer_class = body

        def post(self, request, number):
            refuse_channels(request)
            appeal = get_appeal(request, number)
            serializer = body(data=request.data, context={"request": request})
            serializer.is_valid(raise_exception=True)
            with transaction.atomic():
                actions.run(name, appeal, request.user, serializer.validated_data)
            fresh = with_related(Appeal.objects.filter(pk=appeal.pk)).get()
            return Response(AppealDetailSerializer(fresh, context={"request": request}).data)

    with translation.override("en"):
        label = str(transition.label)
    states = ", ".join(sorted(transition.sources))
    targets = ", ".join(transition.targets) or "unchanged"
    ActionView.post = extend_schema(
        operation_id=f"appeals_action_{name}",
        summary=label,
        description=(
            f"Workflow transition `{name}`: {transition.note}.\n\n"
            f"Possible from: {states}. Resulting state: {targets}. "
            f"Needs the `{transition.action}` permission (scope as in docs/permissions.md).\n\n"
            "Returns the appeal as it is afterwards."
        ),
        parameters=[NUMBER],
        request=body,
        responses={200: AppealDetailSerializer, **_errors(400, 401, 403, 404, 409)},
        tags=["actions"],
    )(ActionView.post)
    camel = "".join(part.capitalize() for part in name.split("_"))
    ActionView.__name__ = ActionView.__qualname__ = f"{camel}ActionView"
    return ActionView


ACTION_VIEWS = {name: make_action_view(name) for name in actions.ACTION_SERIALIZERS}


# -- evidence uploads ------------------------------------------------------------------------


class AttachmentUploadView(ApiView):
    parser_classes = [MultiPartParser]
    serializer_class = AttachmentUploadSerializer
    field_names = {"file": "file"}

    @extend_schema(
        operation_id="attachments_upload",
        summary="Upload an evidence file",
        description="For unit staff completing an appeal: upload each photo or video here "
        "first, then pass the returned ids as `attachments` of the `complete` action. The "
        "file's bytes decide what it is; metadata (EXIF) is stripped. Files never linked "
        "to an appeal are deleted after a while.",
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, **_errors(400, 401, 403, 413, 415)},
        tags=["attachments"],
    )
    def post(self, request):
        refuse_channels(request)
        if not (permissions.roles_allowed(Action.COMPLETE) & request.user.role_set):
            raise ApiError(
                "not_allowed",
                _("Only unit staff who complete appeals upload evidence."),
            )
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = attachment_store.store_upload(
            serializer.validated_data["file"],
            purpose=Attachment.Purpose.EVIDENCE,
            user=request.user,
            allow_video=True,
        )
        return Response(
            AttachmentSerializer(attachment, context={"request": request}).data,
            status=http_status.HTTP_201_CREATED,
        )


# -- the root and everything unknown ---------------------------------------------------------


class ApiRootView(ApiView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(exclude=True)
    def get(self, request):
        return Response(
            {
                "appeals": request.build_absolute_uri(reverse("api:appeal-list")),
                "schema": request.build_absolute_uri(reverse("schema")),
                "docs": request.build_absolute_uri(reverse("api-docs")),
            }
        )


@extend_schema(exclude=True)
class NotFoundView(ApiView):
    """Anything under /api/v1/ that is no endpoint: a JSON 404, never an HTML page."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def _not_found(self, request, *args, **kwargs):
        path = request.path
        message = _("No API endpoint at %(path)s.") % {"path": path}
        if not path.endswith("/"):
            try:
                match = resolve(path + "/")
            except Resolver404:
                match = None
            if match is not None and match.url_name != "not-found":
                message = _(
                    "No API endpoint at %(path)s. Did you mean %(path)s/ (with the final slash)?"
                ) % {"path": path}
        raise ApiError("not_found", message)

    get = post = put = patch = delete = head = options = _not_found


@extend_schema(exclude=True)
class UnknownActionView(NotFoundView):
    def _not_found(self, request, *args, **kwargs):
        name = kwargs.get("name", "")
        raise ApiError(
            "not_found",
            _("There is no action %(name)r. Actions: %(actions)s.")
            % {"name": name, "actions": ", ".join(actions.ACTION_SERIALIZERS)},
        )

    get = post = put = patch = delete = head = options = _not_found


class ApiReferenceView(SpectacularSwaggerSplitView):
    """The browsable API reference (/api/docs/): Swagger UI from drf-spectacular-sidecar, its
    start-up script served as a file (the "split" view), on a page without inline style, so the
    site's Content-Security-Policy holds here too."""

    template_name = "intake/api/swagger_ui.html"
