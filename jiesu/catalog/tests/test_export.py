# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Export, and export -> import round trips in CSV and .xlsx."""

import csv

import pytest
from openpyxl import load_workbook

from jiesu.catalog.exporting import catalog_rows, export_catalog
from jiesu.catalog.fileformat import COLUMNS
from jiesu.catalog.importing import import_catalog
from jiesu.catalog.models import Category, HandlingRule
from jiesu.catalog.services import record_version
from jiesu.catalog.tests.conftest import TEDDY_CSV, fingerprint
from jiesu.catalog.tests.test_import import full_rows
from jiesu.org.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(org, csv_file):
    import_catalog(TEDDY_CSV)
    import_catalog(csv_file(full_rows(), name="seed.csv"))
    # Text that spreadsheets like to misread: a leading "=", a newline, a quote.
    rule = HandlingRule.objects.get(category__code="9001001")
    rule.plan = '=1+1 不是公式\n第二行 "引号"'
    rule.save()
    record_version(rule)
    Category.objects.filter(code="0101002").update(active=False, keywords="隐患,安全")


def read_csv(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_csv_layout(catalogue, tmp_path):
    path = tmp_path / "out.csv"
    count = export_catalog(path)
    assert count == 517 + 4
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for spreadsheet programs
    rows = read_csv(path)
    assert rows[0] == [c.header for c in COLUMNS]
    assert rows[1][:8] == ["01", "城乡建设", "0101", "安全生产", "0101001", "事故处理", "是", ""]
    assert rows[1][8:] == [""] * 11  # no rule
    garbage = next(r for r in rows if r[4] == "9001001")
    assert garbage[6:16] == [
        "是",
        "垃圾;垃圾桶满溢",
        "固定",
        "区城市管理和综合执法局",
        "区住房和建设局; 区水务局",
        "C",
        "收到之日起",
        "A=30min; B=2wh; C=4wh",
        "*=1wd",
        "*=3wd; A=24h; complaint/C=5wd",
    ]
    road = next(r for r in rows if r[4] == "9001002")
    assert road[6:16] == [
        "否",
        "",
        "属地",
        "",
        "",
        "B",
        "次日起",
        "",
        "",
        "complaint=2wd; consultation=1wd",
    ]


def test_ambiguous_unit_names_are_exported_as_codes(catalogue, tmp_path):
    Unit.objects.create(code="CG2", name="区城市管理和综合执法局", kind="department")
    rows = catalog_rows()
    garbage = next(r for r in rows if r[4] == "9001001")
    assert garbage[9] == "CG"


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_round_trip_is_a_no_op(catalogue, tmp_path, suffix):
    path = tmp_path / f"catalogue.{suffix}"
    export_catalog(path)
    before = fingerprint()
    result = import_catalog(path)
    assert result.changed == 0
    assert result.versions_recorded == 0
    assert result.rows == 521
    assert (result.unchanged, result.rules_unchanged) == (650 + 7, 3)
    assert fingerprint() == before
    # And the catalogue exports to the same rows again.
    assert catalog_rows() == _rows_of(path)


def _rows_of(path):
    if path.suffix == ".csv":
        return read_csv(path)
    workbook = load_workbook(path, read_only=True)
    try:
        # Read-only sheets drop trailing empty cells; pad to the full width.
        return [
            (["" if v is None else str(v) for v in values] + [""] * len(COLUMNS))[: len(COLUMNS)]
            for values in workbook.worksheets[0].iter_rows(values_only=True)
        ]
    finally:
        workbook.close()


def test_xlsx_keeps_text_as_text(catalogue, tmp_path):
    path = tmp_path / "catalogue.xlsx"
    export_catalog(path)
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    assert sheet["A2"].value == "01" and sheet["A2"].data_type == "s"
    plans = [row[18].value for row in sheet.iter_rows(min_row=2) if row[4].value == "9001001"]
    assert plans == ['=1+1 不是公式\n第二行 "引号"']


def test_edited_xlsx_imports_the_change(catalogue, tmp_path):
    path = tmp_path / "catalogue.xlsx"
    export_catalog(path)
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows(min_row=2):
        if row[4].value == "9001001":
            row[15].value = "*=2wd"
    workbook.save(path)
    result = import_catalog(path)
    assert (result.rules_updated, result.versions_recorded, result.updated) == (1, 1, 0)
    rule = HandlingRule.objects.get(category__code="9001001")
    assert rule.versions.count() == 3  # seed, plan edit, this import


def test_empty_catalogue_exports_headers_only(db, tmp_path):
    path = tmp_path / "empty.csv"
    assert export_catalog(path) == 0
    assert read_csv(path) == [[c.header for c in COLUMNS]]


def test_unknown_extension(db, tmp_path):
    with pytest.raises(ValueError):
        export_catalog(tmp_path / "out.ods")
