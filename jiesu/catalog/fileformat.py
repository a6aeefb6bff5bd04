# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The catalogue file format shared by import and export: columns, cell values, file reading.

A catalogue file is a CSV (UTF-8, with or without BOM) or an .xlsx workbook (first sheet),
chosen by the file's extension. Row 1 holds the column headers; every further row is one
leaf category. See docs/guide/catalogue.md for the administrator's description.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from typing import NamedTuple

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from jiesu.catalog.columns import COLUMNS, Column  # noqa: F401  (part of this module's API)
from jiesu.catalog.models import Clock, HandlingRule
from jiesu.workdays.units import DurationUnit

COLUMNS_BY_KEY = {c.key: c for c in COLUMNS}
RULE_KEYS = [c.key for c in COLUMNS if c.rule]
LIMIT_COLUMNS = {
    Clock.SIGN: "sign_limits",
    Clock.CONTACT: "contact_limits",
    Clock.HANDLE: "handle_limits",
}
LEVEL_COLUMNS = [("l1_code", "l1_name"), ("l2_code", "l2_name"), ("l3_code", "l3_name")]


def _header_key(text: str) -> str:
    return text.strip().lstrip("\ufeff").strip().casefold()


HEADER_ALIASES = {}
for _column in COLUMNS:
    HEADER_ALIASES[_header_key(_column.key)] = _column.key
    HEADER_ALIASES[_header_key(_column.header)] = _column.key


class Problem(NamedTuple):
    """One thing wrong with an import file.

    `row` is the row number a spreadsheet shows (1 = the header row), None for the whole
    file; `column` is the column's header as written in the file (or its letter), or None.
    """

    row: int | None
    column: str | None
    reason: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(_("row %(row)s") % {"row": self.row})
        if self.column:
            where.append(_("column %(column)s") % {"column": self.column})
        prefix = ", ".join(where) if where else _("file")
        return f"{prefix}: {self.reason}"


class CatalogImportError(Exception):
    """The file cannot be imported; `problems` lists every (row, column, reason) found."""

    def __init__(self, problems):
        self.problems = [Problem(*p) for p in problems]
        super().__init__("\n".join(str(p) for p in self.problems))


# --- cell values ------------------------------------------------------------------------

LIST_SEPARATORS = re.compile(r"[;；、,，\n]")
LIMIT_SEPARATORS = re.compile(r"[;；\n]")

TRUE_WORDS = {"是", "true", "1", "yes", "y"}
FALSE_WORDS = {"否", "false", "0", "no", "n"}

LEAD_MODE_WORDS = {
    "fixed": HandlingRule.LeadMode.FIXED,
    "固定": HandlingRule.LeadMode.FIXED,
    "area": HandlingRule.LeadMode.AREA,
    "属地": HandlingRule.LeadMode.AREA,
}
LEAD_MODE_LABELS: dict[str, str] = {
    HandlingRule.LeadMode.FIXED: "固定",
    HandlingRule.LeadMode.AREA: "属地",
}

COUNT_FROM_WORDS = {
    "receipt": HandlingRule.CountFrom.RECEIPT,
    "收到之日起": HandlingRule.CountFrom.RECEIPT,
    "next_day": HandlingRule.CountFrom.NEXT_DAY,
    "次日起": HandlingRule.CountFrom.NEXT_DAY,
}
COUNT_FROM_LABELS: dict[str, str] = {
    HandlingRule.CountFrom.RECEIPT: "收到之日起",
    HandlingRule.CountFrom.NEXT_DAY: "次日起",
}

# Duration suffixes: the unit codes, plus Chinese words for hand-written files.
DURATION_WORDS = {
    "min": DurationUnit.NATURAL_MINUTES,
    "分钟": DurationUnit.NATURAL_MINUTES,
    "h": DurationUnit.NATURAL_HOURS,
    "小时": DurationUnit.NATURAL_HOURS,
    "d": DurationUnit.NATURAL_DAYS,
    "天": DurationUnit.NATURAL_DAYS,
    "自然日": DurationUnit.NATURAL_DAYS,
    "wh": DurationUnit.WORKING_HOURS,
    "工作小时": DurationUnit.WORKING_HOURS,
    "wd": DurationUnit.WORKING_DAYS,
    "工作日": DurationUnit.WORKING_DAYS,
}
AMOUNT_RE = re.compile(r"^(\d+)\s*(\S+)$")
MAX_AMOUNT = 99999


def parse_bool(text: str) -> bool | None:
    word = text.strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def split_list(text: str) -> list[str]:
    return [part.strip() for part in LIST_SEPARATORS.split(text) if part.strip()]


def parse_amount(text: str) -> tuple[int, str] | None:
    match = AMOUNT_RE.match(text.strip())
    if not match:
        return None
    unit = DURATION_WORDS.get(match.group(2).casefold())
    amount = int(match.group(1))
    if unit is None or amount <= 0 or amount > MAX_AMOUNT:
        return None
    return amount, str(unit)


def format_amount(amount: int, unit: str) -> str:
    return f"{amount}{unit}"


# --- reading files ------------------------------------------------------------------------


class Table(NamedTuple):
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells)


def file_kind(path: str | Path) -> str | None:
    suffix = Path(path).suffix.casefold()
    return {".csv": "csv", ".xlsx": "xlsx"}.get(suffix)


def read_table(path: str | Path) -> Table:
    """Read a CSV or .xlsx file into headers and non-blank data rows.

    Raises CatalogImportError for a file that cannot be read as a catalogue table.
    """
    kind = file_kind(path)
    if kind is None:
        raise CatalogImportError(
            [(None, None, _("Not a CSV or .xlsx file (the name must end in .csv or .xlsx)."))]
        )
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CatalogImportError(
            [(None, None, _("Cannot read the file: %(error)s") % {"error": exc.strerror})]
        ) from exc
    if not data.strip():
        raise CatalogImportError([(None, None, _("The file is empty."))])
    raw_rows = _read_csv(data) if kind == "csv" else _read_xlsx(data)
    if not raw_rows:
        raise CatalogImportError([(None, None, _("The first sheet is empty."))])
    if not any(cell for cell in raw_rows[0]):
        raise CatalogImportError(
            [(1, None, _("The first row must hold the column headers; it is empty."))]
        )
    headers = raw_rows[0]
    rows = [
        (number, cells)
        for number, cells in enumerate(raw_rows[1:], start=2)
        if any(cell for cell in cells)
    ]
    if not rows:
        raise CatalogImportError([(None, None, _("The file has headers but no data rows."))])
    return Table(headers, rows)


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _read_csv(data: bytes) -> list[list[str]]:
    if data.startswith(b"PK\x03\x04"):
        raise CatalogImportError(
            [(None, None, _("This is an Excel workbook, not a CSV file; name it .xlsx."))]
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CatalogImportError(
            [(None, None, _("The file is UTF-16 encoded; save it as CSV UTF-8."))]
        )
    if b"\x00" in data:
        raise CatalogImportError([(None, None, _("This is a binary file, not a CSV text file."))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            data.decode("gb18030")
            hint = _("it looks like GBK/GB18030; save it as CSV UTF-8")
        except UnicodeDecodeError:
            hint = _("save it as CSV UTF-8")
        raise CatalogImportError(
            [
                (
                    _line_of(data, exc.start),
                    None,
                    _("The file is not UTF-8 text (%(hint)s).") % {"hint": hint},
                )
            ]
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []
    try:
        for cells in reader:
            rows.append([cell.strip() for cell in cells])
    except csv.Error as exc:
        raise CatalogImportError(
            [
                (
                    len(rows) + 1,
                    None,
                    _("Malformed CSV (%(error)s).") % {"error": exc},
                )
            ]
        ) from exc
    return rows


class NumberCell(str):
    """The text of a workbook cell that holds a number, not text. Excel stores a code typed as
    0101 in such a cell as 101: the importer refuses it where codes begin with 0."""


# A number format of zeros only ("0000"): Excel shows the number padded to that width.
ZERO_PADDED = re.compile(r"^0+$")


def _xlsx_cell(value: object, number_format: str = "General") -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float) and (isinstance(value, int) or value.is_integer()):
        number = int(value)
        if ZERO_PADDED.match(number_format or "") and number >= 0:
            return str(number).zfill(len(number_format))  # shown as typed: plain text
        return NumberCell(str(number))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    if not data.startswith(b"PK\x03\x04"):
        raise CatalogImportError(
            [(None, None, _("The file is not an .xlsx workbook (it cannot be opened)."))]
        )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise CatalogImportError(
            [(None, None, _("The file is not an .xlsx workbook (it cannot be opened)."))]
        ) from exc
    except Exception as exc:  # openpyxl raises assorted errors for damaged workbooks
        raise CatalogImportError(
            [(None, None, _("The .xlsx workbook is damaged and cannot be read."))]
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = [
            [_xlsx_cell(c.value, getattr(c, "number_format", "General")) for c in cells]
            for cells in sheet.iter_rows()
        ]
    except Exception as exc:
        raise CatalogImportError(
            [(None, None, _("The .xlsx workbook is damaged and cannot be read."))]
        ) from exc
    finally:
        workbook.close()
    while rows and not any(rows[-1]):
        rows.pop()
    return rows


def column_letter(index: int) -> str:
    return get_column_letter(index + 1)
