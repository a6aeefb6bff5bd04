# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Who is calling the native API: a channel with its API key, or a staff member.

* Channels send their key as ``Authorization: ApiKey js_…`` or ``X-Api-Key: js_…``. The
  request's user is then a `ChannelClient`: authenticated, but with no staff role, so the
  permission module grants it nothing; the API lets it file appeals through its own channel
  and read those appeals.
* Staff use their session (the console; CSRF is enforced on unsafe methods) or a token
  (``Authorization: Token …``, REST framework's authtoken app, when it is installed).
"""

from __future__ import annotations

import re

from django.apps import apps
from rest_framework import authentication, exceptions
from rest_framework.throttling import BaseThrottle

from jiesu.intake import channels
from jiesu.intake.errors import ApiError, default_message
from jiesu.intake.models import Channel

_TOKEN_RE = re.compile(r"^[0-9a-f]{40}$")


class ChannelClient:
    """The caller behind a channel's API key: not a staff member, no roles."""

    is_authenticated = True
    is_anonymous = False
    is_active = False  # the permission module grants inactive users nothing
    is_staff = False
    is_superuser = False
    pk = id = None
    unit_id = None
    role_set: frozenset[str] = frozenset()

    def __init__(self, channel: Channel):
        self.channel = channel

    def get_username(self) -> str:
        return f"channel:{self.channel.code}"

    def __str__(self) -> str:
        return self.get_username()


def is_channel(request) -> bool:
    return isinstance(getattr(request, "user", None), ChannelClient)


def _api_key_from(request) -> str | None:
    header = authentication.get_authorization_header(request).split()
    if header and header[0].lower() == b"apikey":
        if len(header) != 2:
            return ""
        return header[1].decode("latin-1")
    value = request.META.get("HTTP_X_API_KEY")
    if value is not None:
        return value.strip()
    return None


class SingleCredential(authentication.BaseAuthentication):
    """Refuse (400) a request that carries two credentials: an ``Authorization`` header and an
    ``X-Api-Key`` header together (two keys, or a token and a key). Which one wins would be
    a guess, and a guess about who is calling is a security hole. Never authenticates."""

    def authenticate(self, request):
        if request.META.get("HTTP_AUTHORIZATION") is not None and (
            request.META.get("HTTP_X_API_KEY") is not None
        ):
            raise ApiError("conflicting_credentials")
        return None

    def authenticate_header(self, request):
        # REST framework asks the first authenticator for the 401's WWW-Authenticate header.
        return ChannelKeyAuthentication().authenticate_header(request)


class ChannelKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: ApiKey <key>`` or ``X-Api-Key: <key>`` → the key's channel."""

    def authenticate(self, request):
        raw = _api_key_from(request)
        if raw is None:
            return None
        channel = channels.authenticate_key(raw)
        if channel is None:
            raise exceptions.AuthenticationFailed(
                default_message("invalid_api_key"), code="invalid_api_key"
            )
        return ChannelClient(channel), channel

    def authenticate_header(self, request):
        return 'ApiKey realm="jiesu"'


class StaffTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>`` with REST framework's authtoken tokens (when the
    ``rest_framework.authtoken`` app is installed; otherwise such a header is refused)."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if not apps.is_installed("rest_framework.authtoken"):
            raise exceptions.AuthenticationFailed(
                default_message("token_auth_disabled"), code="token_auth_disabled"
            )
        if len(header) != 2 or not _TOKEN_RE.match(header[1].decode("latin-1")):
            raise exceptions.AuthenticationFailed(
                default_message("invalid_token"), code="invalid_token"
            )
        try:
            return self.authenticate_credentials(header[1].decode("latin-1"))
        except exceptions.AuthenticationFailed:
            raise exceptions.AuthenticationFailed(
                default_message("invalid_token"), code="invalid_token"
            ) from None


class CsrfSessionAuthentication(authentication.SessionAuthentication):
    """The staff session, with CSRF enforced on unsafe methods (code ``csrf_failed``)."""

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            raise ApiError("csrf_failed", fields=None, status_code=403) from exc


class ChannelRateThrottle(BaseThrottle):
    """A channel's ``rate_limit_per_minute`` on submissions made with its key."""

    def allow_request(self, request, view):
        self._wait = None
        if request.method != "POST" or not is_channel(request):
            return True
        self._wait = channels.check_rate(request.user.channel)
        return self._wait is None

    def wait(self):
        return self._wait


AUTHENTICATION_CLASSES = [
    SingleCredential,
    ChannelKeyAuthentication,
    StaffTokenAuthentication,
    CsrfSessionAuthentication,
]
