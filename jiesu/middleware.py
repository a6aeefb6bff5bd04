"""Project-wide middleware."""

from __future__ import annotations

from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _

from jiesu import textcheck

FORM = "application/x-www-form-urlencoded"


class RefuseNonUtf8Forms:
    """A form body that is not UTF-8 is a 400, not text decoded as Latin-1 (Django's fallback).

    The API (/api/) and Open311 (/open311/) answer the same refusal in their own error formats
    (their parsers check it); every other page gets a plain 400 here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.method in ("POST", "PUT", "PATCH")
            and request.content_type == FORM
            and not _own_format(request.path_info)
            and not textcheck.form_body_is_utf8(request.body)
        ):
            return HttpResponseBadRequest(
                _("The form was not sent as UTF-8 text."), content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)


def _own_format(path: str) -> bool:
    parts = path.lstrip("/").split("/")
    if parts and parts[0] in ("en", "zh-hans"):
        parts = parts[1:]
    return bool(parts) and parts[0] in ("api", "open311")
