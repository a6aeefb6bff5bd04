# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Serializer fields shared by the API: safe text, reference data by code, credit codes."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from jiesu import textcheck

# Characters refused in any text (controls, bidi overrides, ...): one list, in jiesu.textcheck.
CONTROL_CHARACTERS = textcheck.UNSAFE_MULTILINE
_LINE_BREAKS = re.compile(r"\r\n?")
_SPACE_RUN = re.compile(r"\s*[\r\n\t]+\s*")


def clean_text(value: str, *, multiline: bool) -> str:
    """Normalise line breaks (and fold them into spaces in one-line fields); raise
    ValidationError (code ``control_characters``) on characters that are not text."""
    if CONTROL_CHARACTERS.search(value):
        raise serializers.ValidationError(
            _(
                "Contains control characters; only letters, digits, punctuation, spaces, tabs "
                "and line breaks are allowed."
            ),
            code="control_characters",
        )
    value = _LINE_BREAKS.sub("\n", value)
    if not multiline:
        value = _SPACE_RUN.sub(" ", value)
    return value


class SafeCharField(serializers.CharField):
    """A CharField that refuses control characters; `multiline` keeps line breaks."""

    def __init__(self, *, multiline: bool = False, **kwargs):
        self.multiline = multiline
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = clean_text(data, multiline=self.multiline)
        return super().to_internal_value(data)


class CodeField(serializers.SlugRelatedField):
    """Reference data named by its code (category, type, grade, unit, region)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = clean_text(data, multiline=False).strip()
        return super().to_internal_value(data)

    def to_representation(self, obj):
        return obj.code


PHONE = re.compile(r"^\+?[0-9][0-9 \-]{2,30}$")


# Dates the API accepts in filters: wide enough for any real appeal, narrow enough that
# converting between time zones can never leave Python's date range (year 1 to 9999).
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


class BoundedDateTimeField(serializers.DateTimeField):
    """A DateTimeField that refuses dates before 1900 or after 2999 with a 400."""

    default_error_messages = {
        "out_of_range": _("Give a date between the years %(earliest)d and %(latest)d."),
    }

    def to_internal_value(self, value):
        try:
            parsed = super().to_internal_value(value)
        except OverflowError:
            parsed = None
        if parsed is None or not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
            self.fail("out_of_range", earliest=EARLIEST_YEAR, latest=LATEST_YEAR)
        return parsed
