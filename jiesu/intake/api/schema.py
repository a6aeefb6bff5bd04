# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""OpenAPI descriptions of the API's authentication schemes and checked fields, and the rules
between fields (drf-spectacular extensions and a post-processing hook)."""

import re

from django.conf import settings
from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)


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


class DescribedFieldExtension(OpenApiSerializerFieldExtension):
    """Fields of `jiesu.intake.api.fields` that check more than REST framework describes
    (patterns, bounds, date formats) say so in the schema."""

    target_class = "jiesu.intake.api.fields.Described"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return self.target.describe(schema)


_BLANK = {"type": "string", "maxLength": 0}


def _merge_blank_alternative(node):
    """drf-spectacular writes a blank-allowed string with a pattern as `oneOf: [{pattern},
    {maxLength: 0}]`; when the pattern itself accepts "" (as ours do), "" would match both
    and `oneOf` refuse it. Keep the pattern alone."""
    if isinstance(node, dict):
        options = node.get("oneOf")
        if (
            isinstance(options, list)
            and len(options) == 2
            and options[1] == _BLANK
            and re.search(options[0].get("pattern", "(?!)"), "")
        ):
            node.update(node.pop("oneOf")[0])
        for value in node.values():
            _merge_blank_alternative(value)
    elif isinstance(node, list):
        for value in node:
            _merge_blank_alternative(value)


def add_rules(result, generator, request, public):
    """drf-spectacular post-processing hook: a serializer's `schema_rules` (JSON Schema
    keywords such as anyOf, for fields required or forbidden together) join its component,
    so the schema states the rules its `validate` enforces; blank-allowed patterns stay
    simple (`_merge_blank_alternative`)."""
    _merge_blank_alternative(result)
    schemas = result.get("components", {}).get("schemas", {})
    for component in generator.registry._components.values():
        rules = getattr(type(component.object), "schema_rules", None)
        if component.type == "schemas" and rules and component.name in schemas:
            schemas[component.name]["allOf"] = [dict(rule) for rule in rules]
    return result
