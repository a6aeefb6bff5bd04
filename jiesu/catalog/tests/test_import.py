# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Importing the catalogue: the Teddy tree as is, the full format with rules, and updates."""

import csv
import re

import pytest

from jiesu.catalog.importing import import_catalog
from jiesu.catalog.models import Category, HandlingRule, HandlingRuleVersion, TimeLimit
from jiesu.catalog.tests.conftest import TEDDY_CSV, fingerprint

pytestmark = pytest.mark.django_db

FULL_HEADER = [
    "一级编码",
    "一级分类",
    "二级编码",
    "二级分类",
    "三级编码",
    "三级分类",
    "启用",
    "关键词",
    "主办方式",
    "主办单位",
    "协办单位",
    "默认等级",
    "计时起点",
    "签收时限",
    "联系时限",
    "办理时限",
    "立案条件",
    "结案条件",
    "预案",
]


def full_rows():
    return [
        FULL_HEADER,
        [
            "90",
            "市容环境",
            "9001",
            "环境卫生",
            "9001001",
            "垃圾暴露",
            "是",
            "垃圾;垃圾桶满溢",
            "固定",
            "CG",
            "ZJ、区水务局",
            "C",
            "收到之日起",
            "A=30min; B=2wh; C=4wh",
            "*=1wd",
            "*=3wd; A=24h; complaint/C=5wd",
            "有明确地点",
            "垃圾已清运",
            "通知环卫公司清运",
        ],
        [
            "90",
            "市容环境",
            "9001",
            "环境卫生",
            "9001002",
            "道路不洁",
            "否",
            "",
            "属地",
            "",
            "",
            "B",
            "次日起",
            "",
            "",
            "投诉=2wd; 咨询/*=1wd",
            "",
            "",
            "",
        ],
        [
            "90",
            "市容环境",
            "9002",
            "违法建设",
            "9002001",
            "违建",
            "",
            "",
            "fixed",
            "城管局",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        # A leaf without any rule cell gets no rule.
        [
            "90",
            "市容环境",
            "9002",
            "违法建设",
            "9002002",
            "其他违建",
            "是",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
    ]


def limits_of(rule, clock):
    return sorted(
        (
            (
                lim.appeal_type.code if lim.appeal_type else None,
                lim.grade.code if lim.grade else None,
                lim.amount,
                lim.unit,
            )
            for lim in rule.time_limits.filter(clock=clock).select_related("appeal_type", "grade")
        ),
        key=lambda e: (e[0] or "", e[1] or ""),
    )


class TestTeddy:
    def test_imports_as_is(self):
        with TEDDY_CSV.open(encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))[1:]
        result = import_catalog(TEDDY_CSV)

        majors = {r[0] for r in rows}
        middles = {(r[0], r[1]) for r in rows}
        assert Category.objects.filter(level=1).count() == len(majors) == 15
        assert Category.objects.filter(level=2).count() == len(middles) == 118
        assert Category.objects.filter(level=3).count() == len(rows) == 517
        assert (result.created, result.updated, result.unchanged) == (650, 0, 0)
        assert result.rows == 517
        assert not HandlingRule.objects.exists()

        first = Category.objects.get(code="0101001")
        assert first.name == "事故处理"
        assert first.parent.code == "0101" and first.parent.name == "安全生产"
        assert first.parent.parent.code == "01" and first.parent.parent.name == "城乡建设"
        for leaf in Category.objects.filter(level=3).select_related("parent__parent"):
            assert re.fullmatch(r"\d{7}", leaf.code)
            assert leaf.code.startswith(leaf.parent.code)
            assert leaf.parent.code.startswith(leaf.parent.parent.code)
            assert leaf.active
        # Every path of the file is in the tree.
        stored = {
            (c.parent.parent.name, c.parent.name, c.name)
            for c in Category.objects.filter(level=3).select_related("parent__parent")
        }
        assert stored == {tuple(r) for r in rows}

    def test_second_import_changes_nothing(self):
        import_catalog(TEDDY_CSV)
        before = fingerprint()
        result = import_catalog(TEDDY_CSV)
        assert (result.created, result.updated, result.unchanged) == (0, 0, 650)
        assert result.changed == 0
        assert fingerprint() == before

    def test_reuses_existing_categories_and_takes_next_free_code(self):
        major = Category.objects.create(code="99", name="城乡建设", level=1)
        Category.objects.create(code="01", name="其他大类", level=1)
        import_catalog(TEDDY_CSV)
        major.refresh_from_db()
        assert Category.objects.filter(name="城乡建设", level=1).count() == 1
        middle = Category.objects.get(parent=major, name="安全生产")
        assert middle.code == "9901"
        assert Category.objects.get(parent=middle, name="事故处理").code == "9901001"
        # Past 99 the first unused numbers are taken: 02, 03, ...
        codes = sorted(Category.objects.filter(level=1).values_list("code", flat=True))
        assert codes[:3] == ["01", "02", "03"]
        assert len(codes) == 16

    def test_without_bom_and_with_english_headers(self, csv_file):
        path = csv_file(
            [["L1_Name", "l2_NAME", "l3_name"], ["大类", "中类", "小类"]], encoding="utf-8"
        )
        result = import_catalog(path)
        assert result.created == 3
        assert Category.objects.get(level=3).code == "01" + "01" + "001"

    def test_xlsx(self, xlsx_file):
        path = xlsx_file([["一级分类", "二级分类", "三级分类"], ["大类", "中类", "小类"]])
        import_catalog(path)
        assert Category.objects.get(level=3).name == "小类"

    def test_categories_not_in_file_are_left_alone(self, csv_file):
        import_catalog(TEDDY_CSV)
        before = Category.objects.count()
        other = Category.objects.get(code="0101001")
        other.keywords = "手工"
        other.save()
        import_catalog(csv_file([["一级分类", "二级分类", "三级分类"], ["大类", "中类", "小类"]]))
        assert Category.objects.count() == before + 3
        other.refresh_from_db()
        assert other.keywords == "手工"


class TestFullFormat:
    def test_rules_and_limits(self, org, csv_file):
        result = import_catalog(csv_file(full_rows()))
        assert result.created == 1 + 2 + 4
        assert (result.rules_created, result.versions_recorded) == (3, 3)

        garbage = Category.objects.get(code="9001001")
        assert garbage.keywords == "垃圾;垃圾桶满溢"
        assert garbage.active
        rule = garbage.rule
        assert rule.lead_mode == "fixed"
        assert rule.lead_unit == org.urban
        assert set(rule.assisting_units.all()) == {org.housing, org.water}
        assert rule.default_grade.code == "C"
        assert rule.count_from == "receipt"
        assert (rule.filing_condition, rule.closing_condition, rule.plan) == (
            "有明确地点",
            "垃圾已清运",
            "通知环卫公司清运",
        )
        assert limits_of(rule, "sign") == [
            (None, "A", 30, "min"),
            (None, "B", 2, "wh"),
            (None, "C", 4, "wh"),
        ]
        assert limits_of(rule, "contact") == [(None, None, 1, "wd")]
        assert limits_of(rule, "handle") == [
            (None, None, 3, "wd"),
            (None, "A", 24, "h"),
            ("complaint", "C", 5, "wd"),
        ]
        version = rule.versions.get()
        assert version.number == 1
        assert version.snapshot["lead_unit"] == "CG"
        assert version.snapshot["assisting_units"] == ["SW", "ZJ"]

        road = Category.objects.get(code="9001002")
        assert not road.active
        assert road.rule.lead_mode == "area" and road.rule.lead_unit is None
        assert road.rule.count_from == "next_day"
        assert limits_of(road.rule, "sign") == []
        assert limits_of(road.rule, "handle") == [
            ("complaint", None, 2, "wd"),
            ("consultation", None, 1, "wd"),
        ]

        illegal = Category.objects.get(code="9002001")
        assert illegal.active  # empty cell: yes
        assert illegal.rule.lead_unit == org.urban  # found by short name
        assert illegal.rule.default_grade is None
        assert not TimeLimit.objects.filter(rule=illegal.rule).exists()

        assert not HandlingRule.objects.filter(category__code="9002002").exists()

    def test_reimport_is_a_no_op(self, org, csv_file):
        import_catalog(csv_file(full_rows()))
        before = fingerprint()
        result = import_catalog(csv_file(full_rows()))
        assert result.changed == 0
        assert result.versions_recorded == 0
        assert (result.unchanged, result.rules_unchanged) == (7, 3)
        assert fingerprint() == before

    def test_changed_rule_gets_a_new_version(self, org, csv_file):
        import_catalog(csv_file(full_rows()))
        rule = HandlingRule.objects.get(category__code="9001001")
        v1 = rule.versions.get()
        v1_snapshot = v1.snapshot

        rows = full_rows()
        rows[1][15] = "*=2wd"  # handling limits
        rows[1][10] = "ZJ"  # assisting units
        result = import_catalog(csv_file(rows))
        assert (result.rules_updated, result.rules_unchanged) == (1, 2)
        assert result.versions_recorded == 1
        assert limits_of(rule, "handle") == [(None, None, 2, "wd")]
        assert list(rule.assisting_units.all()) == [org.housing]
        assert [v.number for v in rule.versions.order_by("number")] == [1, 2]
        v1.refresh_from_db()
        assert v1.snapshot == v1_snapshot
        assert rule.versions.get(number=2).snapshot["limits"][-1] == {
            "clock": "handle",
            "appeal_type": None,
            "grade": None,
            "amount": 2,
            "unit": "wd",
        }

    def test_empty_limit_cell_removes_that_clock(self, org, csv_file):
        import_catalog(csv_file(full_rows()))
        rows = full_rows()
        rows[1][13] = ""
        import_catalog(csv_file(rows))
        rule = HandlingRule.objects.get(category__code="9001001")
        assert limits_of(rule, "sign") == []
        assert len(limits_of(rule, "handle")) == 3

    def test_absent_columns_leave_fields_alone(self, org, csv_file):
        import_catalog(csv_file(full_rows()))
        rule = HandlingRule.objects.get(category__code="9001001")
        path = csv_file(
            [
                ["l1_code", "l1_name", "l2_name", "l3_name", "lead_unit"],
                ["90", "市容环境", "环境卫生", "垃圾暴露", "JD01"],
            ]
        )
        result = import_catalog(path)
        assert result.rules_updated == 1
        rule.refresh_from_db()
        assert rule.lead_unit == org.office
        assert rule.plan == "通知环卫公司清运"
        assert rule.default_grade.code == "C"
        assert len(limits_of(rule, "handle")) == 3
        garbage = Category.objects.get(code="9001001")
        assert garbage.keywords == "垃圾;垃圾桶满溢"
        assert rule.versions.count() == 2

    def test_only_names_leave_rules_alone(self, org, csv_file):
        import_catalog(csv_file(full_rows()))
        before = fingerprint()
        path = csv_file(
            [["一级分类", "二级分类", "三级分类"], ["市容环境", "环境卫生", "垃圾暴露"]]
        )
        result = import_catalog(path)
        assert result.changed == 0
        assert fingerprint() == before

    def test_rename_by_code(self, org, csv_file):
        import_catalog(csv_file(full_rows()))
        rows = full_rows()
        for row in rows[1:]:
            row[1] = "城市容貌"
        result = import_catalog(csv_file(rows))
        assert result.updated == 1
        assert Category.objects.get(code="90").name == "城市容貌"
        assert Category.objects.filter(level=1).count() == 1

    def test_dry_run_changes_nothing(self, org, csv_file):
        before = fingerprint()
        result = import_catalog(csv_file(full_rows()), dry_run=True)
        assert result.dry_run
        assert (result.created, result.rules_created) == (7, 3)
        assert fingerprint() == before

    def test_user_is_recorded_on_versions(self, org, csv_file, django_user_model):
        user = django_user_model.objects.create(username="admin1")
        import_catalog(csv_file(full_rows()), user=user)
        assert set(HandlingRuleVersion.objects.values_list("created_by", flat=True)) == {user.pk}

    def test_grade_and_type_selectors_are_case_insensitive(self, org, csv_file):
        rows = full_rows()[:2]
        rows[1][15] = "a=1h; COMPLAINT/c=4wd; 建议=2工作日; */b=3WD"
        import_catalog(csv_file(rows))
        rule = HandlingRule.objects.get()
        assert limits_of(rule, "handle") == [
            (None, "A", 1, "h"),
            (None, "B", 3, "wd"),
            ("complaint", "C", 4, "wd"),
            ("suggestion", None, 2, "wd"),
        ]
