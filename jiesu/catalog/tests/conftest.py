# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Fixtures for the catalogue tests: an organisation, file writers and a database fingerprint."""

import csv
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import translation

from jiesu.catalog.models import Category, HandlingRule, HandlingRuleVersion, TimeLimit
from jiesu.org.models import Region, Unit

DATA = Path(__file__).parent / "data"
TEDDY_CSV = DATA / "taxonomy_3level.csv"


@pytest.fixture(autouse=True)
def _english_messages():
    # Messages are asserted in English; Chinese translations are added centrally.
    with translation.override("en"):
        yield


@pytest.fixture
def org(db):
    """District > subdistrict 坪山 > community 六和 > grid; units bound to some of them."""
    district = Region.objects.create(code="440310", name="坪山区", level="district")
    sub = Region.objects.create(
        code="440310001", name="坪山街道", level="subdistrict", parent=district
    )
    sub2 = Region.objects.create(
        code="440310002", name="马峦街道", level="subdistrict", parent=district
    )
    community = Region.objects.create(
        code="440310001001", name="六和社区", level="community", parent=sub
    )
    quiet = Region.objects.create(
        code="440310001002", name="和平社区", level="community", parent=sub
    )
    grid = Region.objects.create(
        code="440310001001001", name="六和第一网格", level="grid", parent=community
    )
    centre = Unit.objects.create(
        code="ZX", name="区智慧管理指挥中心", kind="centre", is_backstop=True, region=district
    )
    urban = Unit.objects.create(
        code="CG", name="区城市管理和综合执法局", short_name="城管局", kind="department"
    )
    housing = Unit.objects.create(code="ZJ", name="区住房和建设局", kind="department")
    water = Unit.objects.create(code="SW", name="区水务局", kind="department")
    office = Unit.objects.create(
        code="JD01", name="坪山街道办事处", kind="subdistrict_office", region=sub
    )
    team = Unit.objects.create(
        code="JD01ZF",
        name="坪山街道综合执法队",
        kind="team",
        region=sub,
        parent=office,
    )
    station = Unit.objects.create(
        code="SQ0101", name="六和社区工作站", kind="community", region=community, parent=office
    )
    return SimpleNamespace(
        district=district,
        sub=sub,
        sub2=sub2,
        community=community,
        quiet=quiet,
        grid=grid,
        centre=centre,
        urban=urban,
        housing=housing,
        water=water,
        office=office,
        team=team,
        station=station,
    )


def write_csv(path: Path, rows, encoding="utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for values in rows:
        sheet.append(values)
    workbook.save(path)
    return path


@pytest.fixture
def csv_file(tmp_path):
    def make(rows, name="catalog.csv", encoding="utf-8-sig"):
        return write_csv(tmp_path / name, rows, encoding=encoding)

    return make


@pytest.fixture
def xlsx_file(tmp_path):
    def make(rows, name="catalog.xlsx"):
        return write_xlsx(tmp_path / name, rows)

    return make


def fingerprint():
    """Everything an import can touch, to assert that a failed import changed nothing."""
    return (
        list(
            Category.objects.order_by("pk").values_list(
                "pk", "code", "name", "level", "parent_id", "active", "keywords"
            )
        ),
        list(
            HandlingRule.objects.order_by("pk").values_list(
                "pk",
                "category_id",
                "lead_mode",
                "lead_unit_id",
                "default_grade_id",
                "count_from",
                "filing_condition",
                "closing_condition",
                "plan",
            )
        ),
        list(HandlingRule.assisting_units.through.objects.order_by("pk").values_list()),
        list(TimeLimit.objects.order_by("pk").values_list()),
        list(HandlingRuleVersion.objects.order_by("pk").values_list("pk", "number", "snapshot")),
    )
