# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""OpenAPI descriptions of the API's authentication schemes (drf-spectacular extensions)."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ChannelKeyScheme(OpenApiAuthenticationExtension):
    target_class = "jiesu.intake.auth.ChannelKeyAuthentication"
    name = "channelApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "A channel's API key (js_…), issued with `manage.py channel_key CODE`. "
            "`Authorization: ApiKey <key>` works too.",
        }


class StaffTokenScheme(OpenApiAuthenticationExtension):
    target_class = "jiesu.intake.auth.StaffTokenAuthentication"
    name = "staffToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A staff member's token: `Authorization: Token <40 hex digits>` "
            "(`manage.py drf_create_token USERNAME`).",
        }


class StaffSessionScheme(OpenApiAuthenticationExtension):
    target_class = "jiesu.intake.auth.CsrfSessionAuthentication"
    name = "staffSession"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": settings.SESSION_COOKIE_NAME,
            "description": "The console's session; unsafe methods need the X-CSRFToken header.",
        }


class SingleCredentialCheck(OpenApiAuthenticationExtension):
    """`SingleCredential` only refuses requests with two credentials: no scheme of its own."""

    target_class = "jiesu.intake.auth.SingleCredential"
    name: list[str] = []

    def get_security_requirement(self, auto_schema):
        return None

    def get_security_definition(self, auto_schema):
        return []
