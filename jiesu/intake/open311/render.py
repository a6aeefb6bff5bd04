# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Open311 documents in XML and JSON, and the spec's error documents.

Every document is a root name plus a payload: a list (`services`, `service_requests`,
`errors`) or a dict (`service_definition`, `discovery`). XML is built with ElementTree, so
`<`, `>` and `&` are always escaped; characters XML 1.0 cannot carry at all (control
characters, U+FFFE, U+FFFF) are dropped, so the output is well-formed whatever is stored.
JSON follows the spec's Spark convention: a list root is a JSON array, a dict root an object,
repeated child elements are arrays.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
MIME_TYPES = ["text/xml", "application/json"]

# The element name of one item of each list, as the spec names them.
LIST_ITEMS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}

# Anything XML 1.0 cannot represent, even escaped.
XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def w3c_datetime(value: datetime | None) -> str | None:
    """ISO 8601 / W3C datetime with the local offset, e.g. 2026-11-02T10:00:00+08:00."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def xml_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return XML_INVALID.sub("", str(value))


def _append(parent: ET.Element, name: str, value) -> None:
    element = ET.SubElement(parent, name)
    _fill(element, name, value)


def _fill(element: ET.Element, name: str, value) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _append(element, key, child)
    elif isinstance(value, list | tuple):
        item_name = LIST_ITEMS[name]
        for item in value:
            _append(element, item_name, item)
    else:
        element.text = xml_text(value)


def to_xml(root: str, payload) -> bytes:
    element = ET.Element(root)
    _fill(element, root, payload)
    ET.indent(element, space="  ")
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-8")


def to_json(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def document(root: str, payload, fmt: str, status: int = 200) -> HttpResponse:
    body = to_json(payload) if fmt == "json" else to_xml(root, payload)
    response = HttpResponse(body, status=status, content_type=FORMATS.get(fmt, FORMATS["xml"]))
    # Public, key-less data for browser clients; the api_key travels in the form body, never
    # in a cookie, so allowing any origin gives nobody another user's rights.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def errors(items: list[tuple[int, str]], fmt: str, status: int) -> HttpResponse:
    payload = [{"code": code, "description": description} for code, description in items]
    return document("errors", payload, fmt, status=status)
