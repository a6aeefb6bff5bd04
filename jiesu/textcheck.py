# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Characters that are not text, refused at every door (API, Open311, citizen pages, console).

C0 controls other than tab, newline and carriage return, DEL, C1 controls, lone surrogates and
non-characters: XML 1.0 cannot carry most of them (Open311 answers in XML), PostgreSQL refuses
NUL, and none belongs in an appeal. Bidirectional controls (U+061C, U+200E/F, U+202A-202E,
U+2066-2069): they reorder how text is displayed, so "moc.elgoog" can show as a trusted name
or a phone number can read backwards on a handler's screen ("Trojan Source").

`unsafe(value, multiline=True)` tells whether a string holds such a character; one-line fields
refuse line breaks and tabs as well. `ecma_class(...)` writes the same list for a regular
expression in another language (the API's OpenAPI patterns), so the schema and the server
refuse the same characters.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

_NOT_TEXT = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
)
UNSAFE_MULTILINE = re.compile(f"[{_NOT_TEXT}]")
UNSAFE_SINGLE_LINE = re.compile(f"[{_NOT_TEXT}\t\n\r]")


# The list above as code point ranges (for `ecma_class`).
NOT_TEXT_RANGES: tuple[tuple[int, int], ...] = (
    (0x00, 0x08),
    (0x0B, 0x0C),
    (0x0E, 0x1F),
    (0x7F, 0x9F),
    (0xD800, 0xDFFF),
    (0xFDD0, 0xFDEF),
    (0xFFFE, 0xFFFF),
    (0x061C, 0x061C),
    (0x200E, 0x200F),
    (0x202A, 0x202E),
    (0x2066, 0x2069),
)
# What `str.strip()` removes (the characters for which `str.isspace()` is true).
WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())


def ecma_class(characters: str = "", ranges=NOT_TEXT_RANGES, *, surrogates: bool = False) -> str:
    """The inside of a regular-expression character class holding `ranges` and `characters`,
    written with \\uXXXX escapes that ECMA-262 (JSON Schema) and Python read alike. Lone
    surrogates are left out unless asked for: they are no Unicode text, so no JSON Schema
    validator can name them (the server still refuses them)."""
    parts = []
    for start, end in ranges:
        if not surrogates and start >= 0xD800 and end <= 0xDFFF:
            continue
        parts.append(f"\\u{start:04x}" if start == end else f"\\u{start:04x}-\\u{end:04x}")
    parts.extend(f"\\u{ord(c):04x}" for c in characters)
    return "".join(parts)


def unsafe(value: str, *, multiline: bool = True) -> bool:
    pattern = UNSAFE_MULTILINE if multiline else UNSAFE_SINGLE_LINE
    return bool(pattern.search(value or ""))


def form_body_is_utf8(raw: bytes) -> bool:
    """Is an application/x-www-form-urlencoded body valid UTF-8, raw and once percent-decoded?
    (Django would decode a body that is not as Latin-1, and invalid percent-escapes as U+FFFD:
    mojibake stored as if the citizen had written it.)"""
    try:
        raw.decode("utf-8")
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
