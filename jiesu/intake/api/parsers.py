# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Request parsers of the API.

`JsonParser` is REST framework's JSON parser with one guard: a body nested deeper than the
interpreter can decode (`{"a":` five thousand times, or `[` a hundred thousand times) is a
malformed request (400), not a crash: anything deeper than MAX_DEPTH is refused before decoding.
Legitimate bodies are a few levels deep.
"""

from io import BytesIO

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from jiesu import textcheck

# Deeper than any body the API accepts; checked before decoding, so the decoder never recurses.
MAX_DEPTH = 32


def _too_deep(text: bytes, limit: int = MAX_DEPTH) -> bool:
    """True when the JSON text opens more than `limit` arrays or objects at once (strings,
    where brackets are just characters, are skipped)."""
    if text.count(b"[") + text.count(b"{") <= limit:
        return False  # the usual body: too few brackets to be that deep (counted in C)
    depth = 0
    in_string = escaped = False
    for byte in text:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


class FormParser(parsers.FormParser):
    """A url-encoded form that is not UTF-8 is a 400 (REST framework would decode it as
    Latin-1)."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if not textcheck.form_body_is_utf8(raw):
            raise ParseError(_("The form was not sent as UTF-8 text."))
        return super().parse(BytesIO(raw), media_type, parser_context)


class JsonParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if _too_deep(raw):
            raise ParseError(
                _("The JSON body is nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH}
            )
        return super().parse(BytesIO(raw), media_type, parser_context)
