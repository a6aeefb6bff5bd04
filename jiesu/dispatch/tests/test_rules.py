# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Routing rules: order (first match wins), conditions on every field, the catalogue's default,
area-bound categories and the backstop unit."""

from datetime import datetime

import pytest

from jiesu.appeals.tests.conftest import MONDAY_10, SHANGHAI
from jiesu.catalog.models import HandlingRule
from jiesu.dispatch import rules
from jiesu.dispatch.models import RoutingRule
from jiesu.org.models import Region, Unit


@pytest.fixture
def places(world):
    sub = Region.objects.create(
        code="440310001", name="坪山街道", level=Region.Level.SUBDISTRICT, parent=world.district
    )
    community = Region.objects.create(
        code="440310001001", name="六和社区", level=Region.Level.COMMUNITY, parent=sub
    )
    other = Region.objects.create(
        code="440310002", name="马峦街道", level=Region.Level.SUBDISTRICT, parent=world.district
    )
    office = Unit.objects.create(
        code="S01", name="坪山街道办", kind=Unit.Kind.SUBDISTRICT_OFFICE, region=sub
    )
    return sub, community, other, office


def facts(world, **kw):
    base = {"category": world.leaf, "channel": "hotline", "text": "垃圾", "received_at": MONDAY_10}
    base.update(kw)
    return rules.Facts(**base)


def rule(position, lead, **kw):
    return RoutingRule.objects.create(name=f"r{position}", position=position, lead_unit=lead, **kw)


def test_without_rules_the_catalogue_rule_leads_with_its_assisting_units(world):
    decision = rules.route(facts(world))
    assert decision.lead == world.urban
    assert decision.assisting == [world.water]
    assert decision.source == rules.Source.CATALOGUE


def test_first_matching_active_rule_wins(world):
    rule(1, world.water, active=False)
    rule(2, world.urban_team, category=world.leaf.parent.parent)  # a major category: matches leaves
    rule(3, world.water)
    decision = rules.route(facts(world))
    assert decision.lead == world.urban_team
    assert decision.source == rules.Source.RULE and decision.rule.name == "r2"


def test_order_is_by_position_not_creation(world):
    rule(5, world.water)
    rule(1, world.urban_team)
    assert rules.route(facts(world)).lead == world.urban_team


def test_category_condition_does_not_match_another_branch(world):
    rule(1, world.water, category=world.other_leaf)
    assert rules.route(facts(world)).lead == world.urban


def test_region_condition_matches_sub_regions_only(world, places):
    sub, community, other, _office = places
    rule(1, world.water, region=sub)
    assert rules.route(facts(world, region=community)).lead == world.water
    assert rules.route(facts(world, region=sub)).lead == world.water
    assert rules.route(facts(world, region=other)).lead == world.urban
    assert rules.route(facts(world, region=None)).lead == world.urban


def test_channel_keywords_type_and_grade_conditions(world):
    rule(1, world.water, channel="wechat")
    rule(2, world.urban_team, keywords="噪音, 扰民")
    rule(3, world.centre, appeal_type=world.consultation, grade=world.grade_a)
    assert rules.route(facts(world, channel="wechat")).lead == world.water
    assert rules.route(facts(world, text="夜间施工噪音")).lead == world.urban_team
    assert (
        rules.route(facts(world, appeal_type=world.consultation, grade=world.grade_a)).lead
        == world.centre
    )
    assert rules.route(facts(world, appeal_type=world.consultation, grade=world.grade_b)).lead == (
        world.urban
    )


def test_time_of_day_window_wraps_past_midnight(world):
    rule(1, world.water, hour_from=22, hour_to=6)
    night = datetime(2026, 11, 2, 23, 30, tzinfo=SHANGHAI)
    early = datetime(2026, 11, 3, 5, 59, tzinfo=SHANGHAI)
    assert rules.route(facts(world, received_at=night)).lead == world.water
    assert rules.route(facts(world, received_at=early)).lead == world.water
    assert rules.route(facts(world, received_at=MONDAY_10)).lead == world.urban


def test_area_bound_category_goes_to_the_unit_of_the_region(world, places):
    sub, community, other, office = places
    HandlingRule.objects.filter(category=world.leaf).update(
        lead_mode=HandlingRule.LeadMode.AREA, lead_unit=None
    )
    decision = rules.route(facts(world, region=community))
    assert decision.lead == office and decision.source == rules.Source.AREA
    assert "六和社区" in rules.describe_reason(decision.reason())
    # no unit bound to that area: the backstop leads
    decision = rules.route(facts(world, region=other))
    assert decision.lead == world.centre and decision.source == rules.Source.BACKSTOP


def test_no_owner_means_the_backstop_unit(world):
    decision = rules.route(facts(world, category=world.other_leaf))  # a leaf without a rule
    assert decision.lead == world.centre
    assert decision.source == rules.Source.BACKSTOP
    assert rules.route(facts(world, category=None)).lead == world.centre


def test_rule_with_an_inactive_lead_unit_is_passed_over(world):
    gone = Unit.objects.create(code="X9", name="撤销单位", kind=Unit.Kind.DEPARTMENT, active=False)
    rule(1, gone)
    assert rules.route(facts(world)).lead == world.urban


def test_explain_names_the_deciding_rule_and_why_others_failed(world):
    rule(1, world.water, channel="wechat")
    rule(2, world.urban_team, active=False)
    rule(3, world.centre, keywords="垃圾")
    rule(4, world.water)
    decision, trace = rules.explain(facts(world))
    assert decision.lead == world.centre
    assert [t["state"] for t in trace] == ["failed", "inactive", "decides", "shadowed"]
    assert "wechat" in trace[0]["why"]
