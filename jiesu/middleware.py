# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Project-wide middleware."""

from __future__ import annotations

import functools
from urllib.parse import urlsplit

from django.conf import settings
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


def content_security_policy() -> str:
    """The policy every page is served with: nothing inline, nothing from elsewhere except the
    map tile server an administrator configured (JIESU["MAP_TILE_URL"])."""
    return _policy(getattr(settings, "JIESU", {}).get("MAP_TILE_URL", ""))


@functools.lru_cache(maxsize=8)
def _policy(tiles: str) -> str:
    """Built once per tile setting, not on every response."""
    images = ["'self'", "data:", "blob:"]
    if tiles:
        parts = urlsplit(tiles.replace("{s}", "*"))
        if parts.scheme in ("http", "https") and parts.netloc:
            images.append(f"{parts.scheme}://{parts.netloc}")
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": images,
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


class ContentSecurityPolicy:
    """Sends the Content-Security-Policy header (a view may set a narrower one of its own,
    as the API reference does for the styles its renderer injects)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = content_security_policy()
        return response
