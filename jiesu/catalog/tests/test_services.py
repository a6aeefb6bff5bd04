# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Reference data, rule versions, time-limit resolution and the lead unit."""

import json

import pytest
from django.core.exceptions import ValidationError

from jiesu.catalog.models import (
    AppealType,
    Category,
    DistrictDefaultLimit,
    Grade,
    HandlingRule,
    HandlingRuleVersion,
    TimeLimit,
)
from jiesu.catalog.services import (
    TimeLimitNotFound,
    current_version,
    lead_unit_for,
    record_version,
    resolve_time_limit,
    rule_snapshot,
)
from jiesu.org.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaf(db):
    major = Category.objects.create(code="01", name="市容环境", level=1)
    middle = Category.objects.create(code="0101", name="环境卫生", level=2, parent=major)
    return Category.objects.create(code="0101001", name="垃圾暴露", level=3, parent=middle)


def grade(code):
    return Grade.objects.get(code=code)


def atype(code):
    return AppealType.objects.get(code=code)


def add_limit(rule, clock, amount, unit, type_code=None, grade_code=None):
    return TimeLimit.objects.create(
        rule=rule,
        clock=clock,
        amount=amount,
        unit=unit,
        appeal_type=atype(type_code) if type_code else None,
        grade=grade(grade_code) if grade_code else None,
    )


class TestReferenceData:
    def test_appeal_types(self):
        assert list(AppealType.objects.values_list("code", "name")) == [
            ("complaint", "投诉"),
            ("consultation", "咨询"),
            ("suggestion", "建议"),
            ("request", "求决"),
            ("report", "举报"),
            ("praise", "表扬"),
        ]

    def test_grades(self):
        assert list(Grade.objects.values_list("code", "name")) == [
            ("A", "重要紧急"),
            ("B", "重要或较紧急"),
            ("C", "一般"),
        ]
        assert "生命" in grade("A").definition
        assert all(g.definition for g in Grade.objects.all())

    @pytest.mark.parametrize(
        "clock, type_code, grade_code, expected",
        [
            ("sign", "complaint", "A", (30, "min")),
            ("contact", "consultation", "A", (1, "h")),
            ("handle", "report", "A", (24, "h")),
            ("sign", "complaint", "B", (2, "wh")),
            ("contact", "request", "B", (1, "wd")),
            ("handle", "suggestion", "B", (3, "wd")),
            ("sign", "praise", "C", (4, "wh")),
            ("contact", "complaint", "C", (1, "wd")),
            ("handle", "consultation", "C", (3, "wd")),
            ("handle", "suggestion", "C", (3, "wd")),
            ("handle", "complaint", "C", (5, "wd")),
            ("handle", "request", "C", (5, "wd")),
            ("handle", "report", "C", (5, "wd")),
            ("handle", "complaint", None, (5, "wd")),
            ("sign", None, "Z", (4, "wh")),
        ],
    )
    def test_district_defaults(self, clock, type_code, grade_code, expected):
        assert resolve_time_limit(clock, type_code, grade_code) == expected

    def test_defaults_are_rule_less_limits(self):
        assert DistrictDefaultLimit.objects.count() == TimeLimit.objects.count() == 15
        assert not TimeLimit.objects.filter(rule__isnull=False).exists()


class TestVersions:
    def test_snapshot_is_json_and_complete(self, org, leaf):
        rule = HandlingRule.objects.create(
            category=leaf,
            lead_unit=org.urban,
            default_grade=grade("C"),
            count_from="next_day",
            filing_condition="有地点",
            closing_condition="已清运",
            plan="通知清运",
        )
        rule.assisting_units.set([org.water, org.housing])
        add_limit(rule, "handle", 5, "wd", "complaint", "C")
        add_limit(rule, "handle", 3, "wd")
        add_limit(rule, "sign", 30, "min", grade_code="A")
        snapshot = rule_snapshot(rule)
        assert json.loads(json.dumps(snapshot)) == snapshot
        assert snapshot == {
            "format": 1,
            "lead_mode": "fixed",
            "lead_unit": "CG",
            "assisting_units": ["SW", "ZJ"],
            "default_grade": "C",
            "count_from": "next_day",
            "filing_condition": "有地点",
            "closing_condition": "已清运",
            "plan": "通知清运",
            "limits": [
                {"clock": "sign", "appeal_type": None, "grade": "A", "amount": 30, "unit": "min"},
                {"clock": "handle", "appeal_type": None, "grade": None, "amount": 3, "unit": "wd"},
                {
                    "clock": "handle",
                    "appeal_type": "complaint",
                    "grade": "C",
                    "amount": 5,
                    "unit": "wd",
                },
            ],
        }

    def test_edit_makes_version_2_and_keeps_version_1(self, org, leaf, django_user_model):
        user = django_user_model.objects.create(username="admin1")
        rule = HandlingRule.objects.create(category=leaf, lead_unit=org.urban)
        limit = add_limit(rule, "handle", 3, "wd")
        v1 = record_version(rule, user=user)
        assert (v1.number, v1.created_by) == (1, user)

        # Unchanged: no new version.
        assert record_version(rule) == v1
        assert rule.versions.count() == 1

        limit.amount = 5
        limit.save()
        rule.lead_unit = org.housing
        rule.save()
        v2 = record_version(rule)
        assert v2.number == 2
        assert v2.snapshot["lead_unit"] == "ZJ"
        assert v2.snapshot["limits"][0]["amount"] == 5

        v1.refresh_from_db()
        assert v1.snapshot["lead_unit"] == "CG"
        assert v1.snapshot["limits"][0]["amount"] == 3
        assert current_version(leaf) == v2

        # Assisting units are part of the rule too.
        rule.assisting_units.add(org.water)
        assert record_version(rule).number == 3

    def test_versions_are_permanent(self, org, leaf):
        rule = HandlingRule.objects.create(category=leaf)
        version = record_version(rule)
        version.snapshot = {"forged": True}
        with pytest.raises(ValidationError):
            version.save()
        with pytest.raises(ValidationError):
            version.delete()
        assert HandlingRuleVersion.objects.get().snapshot["lead_mode"] == "fixed"

    def test_current_version_without_rule(self, leaf):
        assert current_version(leaf) is None
        HandlingRule.objects.create(category=leaf)
        assert current_version(leaf) is None  # a rule never recorded has no version

    def test_area_mode_rejects_a_lead_unit(self, org, leaf):
        rule = HandlingRule(category=leaf, lead_mode="area", lead_unit=org.urban)
        with pytest.raises(ValidationError) as info:
            rule.full_clean()
        assert "lead_unit" in info.value.message_dict


class TestResolveTimeLimit:
    @pytest.fixture
    def version(self, leaf):
        rule = HandlingRule.objects.create(category=leaf)
        add_limit(rule, "handle", 10, "wd")
        add_limit(rule, "handle", 2, "h", grade_code="A")
        add_limit(rule, "handle", 7, "wd", type_code="complaint")
        add_limit(rule, "handle", 6, "wd", type_code="complaint", grade_code="C")
        add_limit(rule, "contact", 12, "h", type_code="consultation")
        return record_version(rule)

    @pytest.mark.parametrize(
        "clock, type_code, grade_code, expected",
        [
            ("handle", "complaint", "C", (6, "wd")),  # type + grade
            ("handle", "complaint", "A", (2, "h")),  # grade beats type
            ("handle", "complaint", "B", (7, "wd")),  # type
            ("handle", "consultation", "B", (10, "wd")),  # any
            ("handle", None, None, (10, "wd")),
            ("contact", "consultation", "A", (12, "h")),  # the rule's type beats a default
            ("contact", "complaint", "A", (1, "h")),  # nothing in the rule: defaults
            ("sign", "complaint", "B", (2, "wh")),
            ("sign", "complaint", None, (4, "wh")),
        ],
    )
    def test_most_specific_wins(self, version, clock, type_code, grade_code, expected):
        assert resolve_time_limit(clock, type_code, grade_code, version) == expected

    def test_reads_the_version_not_the_live_rule(self, version):
        rule = version.rule
        rule.time_limits.filter(appeal_type__isnull=True, grade__isnull=True).update(amount=20)
        assert resolve_time_limit("handle", "consultation", "B", version) == (10, "wd")
        newer = record_version(rule)
        assert resolve_time_limit("handle", "consultation", "B", newer) == (20, "wd")
        # A snapshot dict works too.
        assert resolve_time_limit("handle", "consultation", "B", version.snapshot) == (10, "wd")

    def test_nothing_applies(self, leaf):
        TimeLimit.objects.filter(rule__isnull=True, clock="sign", grade__isnull=True).delete()
        assert resolve_time_limit("sign", "complaint", "A") == (30, "min")
        with pytest.raises(TimeLimitNotFound) as info:
            resolve_time_limit("sign", "complaint", "Z")
        assert "Sign for" in str(info.value) and "Z" in str(info.value)

    def test_unknown_clock(self):
        with pytest.raises(ValueError):
            resolve_time_limit("visit", "complaint", "A")


class TestLeadUnit:
    def test_fixed(self, org, leaf):
        HandlingRule.objects.create(category=leaf, lead_unit=org.urban)
        assert lead_unit_for(leaf) == org.urban
        assert lead_unit_for(leaf, org.community) == org.urban

    def test_fixed_inactive_or_empty_falls_back_to_backstop(self, org, leaf):
        rule = HandlingRule.objects.create(category=leaf, lead_unit=org.urban)
        Unit.objects.filter(pk=org.urban.pk).update(active=False)
        assert lead_unit_for(leaf) == org.centre
        rule.lead_unit = None
        rule.save()
        assert lead_unit_for(leaf) == org.centre

    def test_area_uses_region_then_ancestors(self, org, leaf):
        HandlingRule.objects.create(category=leaf, lead_mode="area")
        assert lead_unit_for(leaf, org.community) == org.station
        # The grid has no unit: its community's does.
        assert lead_unit_for(leaf, org.grid) == org.station
        # No unit in this community: the subdistrict office (higher in the unit tree than
        # the enforcement team bound to the same subdistrict).
        assert lead_unit_for(leaf, org.quiet) == org.office
        Unit.objects.filter(pk=org.station.pk).update(active=False)
        assert lead_unit_for(leaf, org.grid) == org.office
        # Nothing bound to 马峦 or to the district except the centre itself.
        assert lead_unit_for(leaf, org.sub2) == org.centre
        assert lead_unit_for(leaf) == org.centre

    def test_area_with_no_unit_anywhere_is_backstop(self, org, leaf):
        HandlingRule.objects.create(category=leaf, lead_mode="area")
        Unit.objects.exclude(pk=org.centre.pk).update(region=None)
        Unit.objects.filter(pk=org.centre.pk).update(region=None)
        assert lead_unit_for(leaf, org.grid) == org.centre

    def test_no_rule_or_no_backstop(self, org, leaf):
        assert lead_unit_for(leaf, org.community) == org.centre
        Unit.objects.filter(pk=org.centre.pk).update(is_backstop=False)
        assert lead_unit_for(leaf) is None
