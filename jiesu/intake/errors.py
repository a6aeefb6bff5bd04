# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Errors of the native API: one JSON shape, stable codes, messages in the caller's language.

Every error response of `/api/v1/` has the body

    {"error": {"code": "invalid_input", "message": "…", "fields": {"title": [{"code":
    "required", "message": "…"}]}}}

`code` is stable (clients branch on it); `message` is for people, in the request's language
(Accept-Language: zh-hans by default, en). `fields` is present when single fields are wrong.
`detail` may add the original text of a message that has no translation yet.

`api_exception_handler` is the REST framework EXCEPTION_HANDLER of the API views (they name it
themselves, see `jiesu.intake.api.views.ApiView`). It maps the workflow's errors (`.code`,
`.http_status`, `.field_errors`), the permission module's refusals, REST framework's and
Django's exceptions; anything unexpected becomes a logged `internal_error` (500) in the same
shape instead of an HTML page.
"""

from __future__ import annotations

import logging
import re

from django.core import exceptions as django_exceptions
from django.http import Http404
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from jiesu.appeals.errors import WorkflowError
from jiesu.org.permissions import PermissionDenied as RoleDenied

logger = logging.getLogger("jiesu.intake.api")

_CJK = re.compile(r"[\u3400-\u9fff]")


def _is_chinese() -> bool:
    return (translation.get_language() or "zh-hans").lower().startswith("zh")


# code → (HTTP status, message): the table of docs/guide/api.md. The messages are English msgids
# translated in jiesu/locale (gettext_lazy: read in the language of the request that fails).
ERRORS: dict[str, tuple[int, Promise]] = {
    "invalid_input": (400, _("Some of the data is missing or invalid.")),
    "malformed_request": (
        400,
        _("The request body could not be read (malformed JSON or form data)."),
    ),
    "workflow_error": (400, _("The action was refused.")),
    "invalid_cursor": (400, _("The page cursor is invalid.")),
    "not_authenticated": (
        401,
        _("Authentication is required: send a channel API key, a token or a session."),
    ),
    "conflicting_credentials": (
        400,
        _(
            "Send one credential only: either an API key (Authorization: ApiKey or X-Api-Key) "
            "or a token, not both and not two keys."
        ),
    ),
    "invalid_api_key": (401, _("The API key is wrong, revoked, or its channel is closed.")),
    "invalid_token": (401, _("The token is wrong or its account is inactive.")),
    "token_auth_disabled": (401, _("Token authentication is not enabled on this server.")),
    "authentication_failed": (401, _("Authentication failed.")),
    "not_allowed": (403, _("You may not do this.")),
    "csrf_failed": (
        403,
        _("CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header."),
    ),
    "not_found": (404, _("Not found.")),
    "method_not_allowed": (405, _("This method is not allowed here.")),
    "not_acceptable": (406, _("Only JSON responses are available.")),
    "invalid_transition": (409, _("This action is not possible in the appeal's current state.")),
    "conflict": (
        409,
        _("Somebody else has just acted on this appeal. Reload it, then try again."),
    ),
    "idempotency_conflict": (
        409,
        _("This idempotency key was already used for a different submission."),
    ),
    "request_too_large": (413, _("The request is too large.")),
    "unsupported_media_type": (415, _("Send application/json or multipart/form-data.")),
    "throttled": (
        429,
        _("Too many requests for this channel; try again in %(wait)s seconds."),
    ),
    "internal_error": (500, _("Something went wrong on our side; it has been logged.")),
    "calendar_not_covered": (
        503,
        _("The working calendar does not cover this date yet; an administrator must extend it."),
    ),
}


def default_message(code: str, **params) -> str:
    """The message of `code` in the active language, with its %(name)s placeholders filled."""
    text = str(ERRORS.get(code, ERRORS["invalid_input"])[1])
    return text % params if params else text


class ApiError(exceptions.APIException):
    """An API error with a stable code, a status and an optional field map."""

    def __init__(
        self,
        code: str,
        message=None,
        *,
        status_code: int | None = None,
        fields: dict | None = None,
        headers: dict | None = None,
    ):
        self.code = code
        self.status_code = status_code or ERRORS.get(code, (400,))[0]
        self.message = message if message is not None else default_message(code)
        self.fields = fields or {}
        self.headers = headers or {}
        super().__init__(str(self.message), code)


def field_errors_from_detail(detail) -> dict:
    """REST framework's error detail as {field: [{"code", "message"}]} (nested with dots)."""
    out: dict[str, list] = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for key, sub in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        elif isinstance(value, list):
            if value and all(isinstance(v, exceptions.ErrorDetail | str) for v in value):
                for item in value:
                    out.setdefault(prefix or "non_field_errors", []).append(
                        {"code": getattr(item, "code", "invalid"), "message": str(item)}
                    )
            else:
                for index, sub in enumerate(value):
                    walk(f"{prefix}.{index}" if prefix else str(index), sub)
        else:
            out.setdefault(prefix or "non_field_errors", []).append(
                {"code": getattr(value, "code", "invalid"), "message": str(value)}
            )

    walk("", detail)
    return out


def _workflow_fields(field_errors: dict, code: str, rename: dict | None) -> dict:
    rename = rename or {}
    return {
        rename.get(name, name): [
            {"code": code if code != "invalid_input" else "invalid", "message": str(m)}
            for m in (messages if isinstance(messages, list | tuple) else [messages])
        ]
        for name, messages in field_errors.items()
    }


def error_response(
    code: str,
    message=None,
    *,
    status_code: int | None = None,
    fields: dict | None = None,
    headers: dict | None = None,
) -> Response:
    http = status_code or ERRORS.get(code, (400,))[0]
    text = str(message) if message is not None else default_message(code)
    body = {"code": code, "message": text}
    if _is_chinese() and not _CJK.search(text) and code in ERRORS:
        # An untranslated message (e.g. from a room without a Chinese catalogue yet): give the
        # Chinese message of the code and keep the original words as detail.
        body["message"] = default_message(code)
        body["detail"] = text
    if fields:
        body["fields"] = fields
    return Response({"error": body}, status=http, headers=headers)


def _translate(exc, context) -> tuple[str, object, int, dict, dict]:
    """(code, message, status, fields, headers) for any exception; raises nothing."""
    rename = (context or {}).get("field_names") if isinstance(context, dict) else None
    view = (context or {}).get("view")
    rename = rename or getattr(view, "field_names", None)

    if isinstance(exc, ApiError):
        return exc.code, exc.message, exc.status_code, exc.fields, exc.headers
    if isinstance(exc, WorkflowError):
        return (
            exc.code,
            exc.message,
            exc.http_status,
            _workflow_fields(exc.field_errors, exc.code, rename),
            {},
        )
    if isinstance(exc, RoleDenied):
        return "not_allowed", exc.message, 403, {}, {}
    if isinstance(exc, Http404 | exceptions.NotFound):
        return "not_found", default_message("not_found"), 404, {}, {}
    if isinstance(exc, django_exceptions.PermissionDenied):
        return "not_allowed", str(exc) or default_message("not_allowed"), 403, {}, {}
    if isinstance(exc, exceptions.ValidationError):
        fields = field_errors_from_detail(exc.detail)
        return "invalid_input", default_message("invalid_input"), 400, fields, {}
    if isinstance(exc, django_exceptions.ValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        fields = {k: [{"code": "invalid", "message": str(m)} for m in v] for k, v in detail.items()}
        return "invalid_input", default_message("invalid_input"), 400, fields, {}
    if isinstance(exc, exceptions.ParseError):
        message = f"{default_message('malformed_request')} {exc.detail}"
        return "malformed_request", message, 400, {}, {}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return "unsupported_media_type", default_message("unsupported_media_type"), 415, {}, {}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        headers = {"WWW-Authenticate": exc.auth_header} if getattr(exc, "auth_header", None) else {}
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "authentication_failed"
        if code not in ERRORS:
            code = "authentication_failed"
        return code, default_message(code), exc.status_code, {}, headers
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        return (
            "throttled",
            default_message("throttled", wait=wait),
            429,
            {},
            {"Retry-After": str(wait)},
        )
    if isinstance(exc, exceptions.PermissionDenied):
        return "not_allowed", str(exc.detail) or default_message("not_allowed"), 403, {}, {}
    if isinstance(exc, exceptions.MethodNotAllowed):
        return "method_not_allowed", default_message("method_not_allowed"), 405, {}, {}
    if isinstance(exc, exceptions.NotAcceptable):
        return "not_acceptable", default_message("not_acceptable"), 406, {}, {}
    if isinstance(exc, django_exceptions.RequestDataTooBig):
        return "request_too_large", default_message("request_too_large"), 413, {}, {}
    if isinstance(exc, django_exceptions.SuspiciousOperation | UnicodeError):
        return "malformed_request", default_message("malformed_request"), 400, {}, {}
    if isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "invalid_input"
        return code, str(exc.detail), exc.status_code, {}, {}
    logger.exception("Unexpected error in the API", exc_info=exc)
    return "internal_error", default_message("internal_error"), 500, {}, {}


def api_exception_handler(exc, context):
    """REST framework exception handler: every error as {"error": {...}} (see module doc)."""
    code, message, http, fields, headers = _translate(exc, context)
    set_rollback()
    return error_response(code, message, status_code=http, fields=fields, headers=headers)
