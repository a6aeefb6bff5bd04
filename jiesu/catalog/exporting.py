# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Export the whole catalogue as CSV (UTF-8 with BOM) or .xlsx, one row per leaf category.

The file uses the Chinese headers and values of the import format, so an exported file can
be edited and imported again; importing it unchanged changes nothing.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from django.db.models import Prefetch

from jiesu.catalog.fileformat import (
    COLUMNS,
    COUNT_FROM_LABELS,
    LEAD_MODE_LABELS,
    LIMIT_COLUMNS,
    file_kind,
    format_amount,
)
from jiesu.catalog.models import AppealType, Category, Grade, HandlingRule, TimeLimit
from jiesu.org.models import Unit

__all__ = ["catalog_rows", "export_catalog"]


class _UnitLabels:
    """A unit's name when it identifies the unit unambiguously, else its code."""

    def __init__(self):
        units = list(Unit.objects.all())
        names = Counter(u.name for u in units)
        codes = {u.code for u in units}
        self.labels = {
            u.pk: u.name if names[u.name] == 1 and u.name not in codes else u.code for u in units
        }

    def __call__(self, unit_id):
        return self.labels[unit_id]


def _limit_cell(
    limits: list[TimeLimit],
    type_order: dict[int, int],
    grade_order: dict[int, int],
    type_code: dict[int | None, str],
    grade_code: dict[int | None, str],
) -> str:
    def key(limit):
        # any, then grade, then type, then type/grade
        rank = (limit.appeal_type_id is not None) * 2 + (limit.grade_id is not None)
        return (
            rank,
            type_order.get(limit.appeal_type_id, 0),
            grade_order.get(limit.grade_id, 0),
        )

    parts = []
    for limit in sorted(limits, key=key):
        if limit.appeal_type_id and limit.grade_id:
            selector = f"{type_code[limit.appeal_type_id]}/{grade_code[limit.grade_id]}"
        elif limit.appeal_type_id:
            selector = type_code[limit.appeal_type_id]
        elif limit.grade_id:
            selector = grade_code[limit.grade_id]
        else:
            selector = "*"
        parts.append(f"{selector}={format_amount(limit.amount, limit.unit)}")
    return "; ".join(parts)


def catalog_rows() -> list[list[str]]:
    """The catalogue as rows of cells (header row first), in tree order."""
    unit_label = _UnitLabels()
    types = list(AppealType.objects.all())
    grades = list(Grade.objects.all())
    type_code: dict[int | None, str] = {t.pk: t.code for t in types}
    grade_code: dict[int | None, str] = {g.pk: g.code for g in grades}
    type_order = {t.pk: i for i, t in enumerate(types)}
    grade_order = {g.pk: i for i, g in enumerate(grades)}
    rules = {
        r.category_id: r
        for r in HandlingRule.objects.prefetch_related(
            "assisting_units",
            Prefetch("time_limits", queryset=TimeLimit.objects.order_by("pk")),
        )
    }
    by_parent: dict[int | None, list[Category]] = {}
    for category in Category.objects.order_by("sort_order", "code"):
        by_parent.setdefault(category.parent_id, []).append(category)

    rows = [[c.header for c in COLUMNS]]
    for major in by_parent.get(None, []):
        for middle in by_parent.get(major.pk, []):
            for leaf in by_parent.get(middle.pk, []):
                values = {
                    "l1_code": major.code,
                    "l1_name": major.name,
                    "l2_code": middle.code,
                    "l2_name": middle.name,
                    "l3_code": leaf.code,
                    "l3_name": leaf.name,
                    "active": "是" if leaf.active else "否",
                    "keywords": leaf.keywords,
                }
                rule = rules.get(leaf.pk)
                if rule is not None:
                    limits = list(rule.time_limits.all())
                    assisting = sorted(rule.assisting_units.all(), key=lambda u: u.path)
                    values.update(
                        {
                            "lead_mode": LEAD_MODE_LABELS[rule.lead_mode],
                            "lead_unit": unit_label(rule.lead_unit_id) if rule.lead_unit_id else "",
                            "assisting_units": "; ".join(unit_label(u.pk) for u in assisting),
                            "default_grade": grade_code.get(rule.default_grade_id, ""),
                            "count_from": COUNT_FROM_LABELS[rule.count_from],
                            "filing_condition": rule.filing_condition,
                            "closing_condition": rule.closing_condition,
                            "plan": rule.plan,
                        }
                    )
                    for clock, key in LIMIT_COLUMNS.items():
                        values[key] = _limit_cell(
                            [lim for lim in limits if lim.clock == clock],
                            type_order,
                            grade_order,
                            type_code,
                            grade_code,
                        )
                rows.append([values.get(c.key, "") for c in COLUMNS])
    return rows


def export_catalog(path: str | Path) -> int:
    """Write the catalogue to `path` (.csv or .xlsx); returns the number of leaf rows."""
    kind = file_kind(path)
    if kind is None:
        raise ValueError(f"{path}: the file name must end in .csv or .xlsx")
    rows = catalog_rows()
    if kind == "csv":
        # UTF-8 with BOM, so that spreadsheet programs recognise the encoding.
        with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows(rows)
    else:
        _write_xlsx(path, rows)
    return len(rows) - 1


def _write_xlsx(path, rows):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("派单目录")
    widths = [12, 16, 12, 20, 12, 24, 6, 24, 10, 16, 20, 10, 12, 24, 24, 30, 24, 24, 30]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    for number, values in enumerate(rows):
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value if value != "" else None)
            # Everything is text: codes keep their leading zeros, and a value starting
            # with "=" is never taken for a formula.
            if value != "":
                cell.data_type = "s"
            if number == 0:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
    workbook.save(path)
