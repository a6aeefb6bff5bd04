# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Serializer fields shared by the API: safe text, reference data by code, strict JSON types,
bounded integers and dates.

The API's OpenAPI schema and its server must agree exactly: a request the schema calls valid is
accepted unless it names something that does not exist (a code, a number, an id) or breaks a
rule of the appeal's state, and a request the schema calls invalid is refused with a 400. So
every field here says what it refuses in its schema (`Described.describe`, applied by
`jiesu.intake.api.schema`) and checks exactly that:

* text: no characters that are not text (`jiesu.textcheck`, as a `pattern`), at most
  `maxLength` characters as sent (before trimming), and, unless blank is allowed, at least one
  character that is not white space (what `str.strip()` removes);
* JSON bodies carry JSON types: a string is no number and "true" is no boolean (forms and
  query strings are text, and read as such);
* integers (versions, ids, days) fit PostgreSQL's `integer`: at most 2,147,483,647;
* dates are RFC 3339 (`2026-11-02` or `2026-11-02T10:00:00+08:00`) in the years 1900 to 2999.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

from django.http import QueryDict
from django.utils import timezone as django_timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty

from jiesu import textcheck

# The largest value of PostgreSQL's `integer` (ids, versions, counts).
MAX_INT = 2_147_483_647

# Characters refused in any text (controls, bidi overrides, ...): one list, in jiesu.textcheck.
CONTROL_CHARACTERS = textcheck.UNSAFE_MULTILINE
_LINE_BREAKS = re.compile(r"\r\n?")
_SPACE_RUN = re.compile(r"\s*[\r\n\t]+\s*")

# The same lists in the schema's regular expressions (ECMA-262).
_NOT_TEXT = textcheck.ecma_class()
# White space that is text (what trimming removes after the characters that are not text
# have been refused).
_SPACE = textcheck.ecma_class(
    "".join(c for c in textcheck.WHITESPACE if not textcheck.unsafe(c)), ranges=()
)
TEXT_PATTERN = f"^[^{_NOT_TEXT}]*$"
NON_BLANK_PATTERN = f"^[^{_NOT_TEXT}]*[^{_NOT_TEXT}{_SPACE}][^{_NOT_TEXT}]*$"


def trimmed_pattern(core: str, *, blank: bool = True) -> str:
    """A pattern for `core` with optional white space around it (which the server trims), or
    (if `blank`) nothing but white space. `core` must begin and end with a character that is
    not white space, so that trimming gives back exactly `core`."""
    return f"^[{_SPACE}]*(?:{core}[{_SPACE}]*){'?' if blank else ''}$"


def _control_characters_error():
    return serializers.ValidationError(
        _(
            "Contains control characters; only letters, digits, punctuation, spaces, tabs and line breaks are allowed."
        ),
        code="control_characters",
    )


def clean_text(value: str, *, multiline: bool) -> str:
    """Normalise line breaks (and fold them into spaces in one-line fields); raise
    ValidationError (code ``control_characters``) on characters that are not text."""
    if CONTROL_CHARACTERS.search(value):
        raise _control_characters_error()
    value = _LINE_BREAKS.sub("\n", value)
    if not multiline:
        value = _SPACE_RUN.sub(" ", value)
    return value


def typed_input(field: serializers.Field) -> bool:
    """True when the field reads a JSON body (values have JSON types); False for forms and
    query strings, where every value is text."""
    data = getattr(field.root, "initial_data", None)
    return not isinstance(data, QueryDict)


class PresentValue:
    """A form or query value that is present is checked like any other, even when empty:
    REST framework would take `q=` as "no q" (and `lat=` as null), so an empty value the schema
    refuses would be accepted."""

    def get_value(self, dictionary):
        if isinstance(dictionary, QueryDict) and self.field_name in dictionary:
            return dictionary[self.field_name]
        return super().get_value(dictionary)


class Described:
    """A field that adds to its OpenAPI schema what it checks beyond REST framework's own
    keywords (see `jiesu.intake.api.schema.DescribedFieldExtension`)."""

    def describe(self, schema: dict) -> dict:
        return schema


class SafeCharField(PresentValue, Described, serializers.CharField):
    """A CharField that refuses control characters; `multiline` keeps line breaks. Only
    strings; `max_length` counts the characters as sent. `pattern` (a regular expression the
    whole stripped value must match, and its message) adds a format."""

    def __init__(self, *, multiline: bool = False, pattern=None, pattern_message=None, **kwargs):
        self.multiline = multiline
        self.format_pattern = pattern
        self.pattern_message = pattern_message
        super().__init__(**kwargs)

    def run_validation(self, data=empty):
        if isinstance(data, str):
            if self.max_length is not None and len(data) > self.max_length:
                self.fail("max_length", max_length=self.max_length)
            if CONTROL_CHARACTERS.search(data):
                raise _control_characters_error()
        elif data is not empty and data is not None:
            self.fail("invalid")
        value = super().run_validation(data)
        if (
            value
            and self.format_pattern is not None
            and not re.fullmatch(self.format_pattern, value)
        ):
            raise serializers.ValidationError(self.pattern_message, code="invalid")
        return value

    def to_internal_value(self, data):
        return super().to_internal_value(clean_text(data, multiline=self.multiline))

    def describe(self, schema):
        if self.format_pattern is not None:
            schema["pattern"] = trimmed_pattern(self.format_pattern, blank=self.allow_blank)
        else:
            schema["pattern"] = TEXT_PATTERN if self.allow_blank else NON_BLANK_PATTERN
        return schema


class CodeField(PresentValue, Described, serializers.SlugRelatedField):
    """Reference data named by its code (category, type, grade, unit, region): a string of
    at most 32 characters with something besides white space; unknown codes are
    `does_not_exist`."""

    max_length = 32

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        super().__init__(**kwargs)

    def run_validation(self, data=empty):
        if isinstance(data, str):
            if len(data) > self.max_length:
                raise serializers.ValidationError(
                    serializers.CharField.default_error_messages["max_length"].format(
                        max_length=self.max_length
                    ),
                    code="max_length",
                )
            if CONTROL_CHARACTERS.search(data):
                raise _control_characters_error()
            if not data.strip():
                raise serializers.ValidationError(
                    serializers.CharField.default_error_messages["blank"], code="blank"
                )
        elif data is not empty and data is not None:
            self.fail("invalid")
        return super().run_validation(data)

    def to_internal_value(self, data):
        return super().to_internal_value(clean_text(data, multiline=False).strip())

    def to_representation(self, obj):
        return obj.code

    def describe(self, schema):
        schema.update(minLength=1, maxLength=self.max_length, pattern=NON_BLANK_PATTERN)
        return schema


@extend_schema_field({"type": "string", "format": "binary"})
class UploadField(serializers.FileField):
    """A file sent as a part of multipart/form-data; what it holds is decided by its bytes."""


class StrictBooleanField(PresentValue, serializers.BooleanField):
    """A boolean: `true`/`false` in JSON; in forms the usual words ("true", "false", ...)."""

    def to_internal_value(self, data):
        if typed_input(self) and not isinstance(data, bool):
            self.fail("invalid", input=data)
        return super().to_internal_value(data)


class StrictIntegerField(PresentValue, serializers.IntegerField):
    """An integer from `min_value` (default 0) to 2,147,483,647: a JSON number without a
    fraction in JSON bodies (not a string, not 5.0), decimal digits in forms."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", MAX_INT)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if typed_input(self):
            if isinstance(data, bool) or not isinstance(data, int):
                self.fail("invalid")
        elif not (isinstance(data, str) and re.fullmatch(r"-?[0-9]{1,30}", data)):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictFloatField(PresentValue, serializers.FloatField):
    """A number: a JSON number in JSON bodies (not a string), decimal text in forms."""

    def to_internal_value(self, data):
        if typed_input(self) and (isinstance(data, bool) or not isinstance(data, int | float)):
            self.fail("invalid")
        return super().to_internal_value(data)


PHONE = re.compile(r"^\+?[0-9][0-9 \-]{2,30}$")
# A phone number as the API takes it: digits, spaces and dashes, an optional leading +,
# beginning and ending with a digit (so that trimming never changes it).
API_PHONE = r"\+?[0-9][0-9 \-]{1,29}[0-9]"

#: An appeal number in an address: letters, digits and dashes (PS20261102000001); the URL
#: converter's pattern (api/urls.py), so a number matching it needs no quoting.
APPEAL_NUMBER_PATTERN = r"[A-Za-z0-9-]{1,32}"


# Dates the API accepts in filters: wide enough for any real appeal, narrow enough that
# converting between time zones can never leave Python's date range (year 1 to 9999).
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
_YEAR_PATTERN = "^(?:19[0-9]{2}|2[0-9]{3})-"
_RFC3339 = re.compile(
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"
    r"(?:[Tt](?P<H>[0-9]{2}):(?P<M>[0-9]{2}):(?P<S>[0-9]{2})(?:\.(?P<f>[0-9]+))?"
    r"(?P<tz>[Zz]|[+-][0-9]{2}:[0-9]{2}))?"
)


def parse_rfc3339(value: str) -> datetime | None:
    """An RFC 3339 full-date (midnight, local time) or date-time, or None. A leap second
    (:60) counts as :59."""
    match = _RFC3339.fullmatch(value)
    if match is None:
        return None
    g = match.groupdict()
    try:
        day = date(int(g["y"]), int(g["m"]), int(g["d"]))
        if g["H"] is None:
            return django_timezone.make_aware(datetime.combine(day, time()))
        tz = g["tz"]
        if tz in ("Z", "z"):
            zone = UTC
        else:
            hours, minutes = int(tz[1:3]), int(tz[4:6])
            if hours > 23 or minutes > 59:
                return None
            offset = timedelta(hours=hours, minutes=minutes)
            zone = timezone(-offset if tz[0] == "-" else offset)
        fraction = int((g["f"] or "0")[:6].ljust(6, "0"))
        return datetime.combine(
            day, time(int(g["H"]), int(g["M"]), min(int(g["S"]), 59), fraction, tzinfo=zone)
        )
    except ValueError:
        return None


class BoundedDateTimeField(PresentValue, Described, serializers.DateTimeField):
    """An RFC 3339 date or date-time between the years 1900 and 2999; anything else is a 400."""

    default_error_messages = {
        "invalid": _(
            "Give a date (2026-11-02) or a date and time with its offset "
            "(2026-11-02T10:00:00+08:00)."
        ),
        "out_of_range": _("Give a date between the years %(earliest)d and %(latest)d."),
    }

    def to_internal_value(self, value):
        parsed = parse_rfc3339(value) if isinstance(value, str) else None
        if parsed is None:
            self.fail("invalid")
        if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
            self.fail("out_of_range", earliest=EARLIEST_YEAR, latest=LATEST_YEAR)
        return parsed

    def describe(self, schema):
        description = schema.pop("description", None)
        schema.clear()
        schema["anyOf"] = [
            {"type": "string", "format": "date", "pattern": _YEAR_PATTERN},
            {"type": "string", "format": "date-time", "pattern": _YEAR_PATTERN},
        ]
        if description:
            schema["description"] = description
        return schema
