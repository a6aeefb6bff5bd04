# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Routing rules: which unit leads an appeal (and which assist), and why.

Administrators keep an ordered list of `RoutingRule`s (console administration and the admin,
whose history records every edit). `route(facts)` tries the active rules in order; the first
whose conditions all hold decides. A condition left empty holds for every appeal:

- category: the rule's category or any category below it (a rule on a major category matches
  its leaves);
- type, grade, channel: equal;
- region: the rule's region or any region inside it (a subdistrict matches its communities);
- keywords: any of them in the title or text;
- time of day: the hour the appeal was received (Asia/Shanghai) in [from, to), wrapping past
  midnight when from > to.

When no rule matches, the catalogue decides as the workflow would: the handling rule's fixed
lead unit; for an area-bound category (属地) the unit bound to the appeal's region; with no
owner the backstop unit (first-ask responsibility, 首问负责).

`explain(facts)` gives, for the test panel, each rule with the first condition that failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from jiesu.catalog import services as catalog
from jiesu.catalog.models import AppealType, Category, Grade, HandlingRule
from jiesu.dispatch.models import RoutingRule
from jiesu.org.models import Region, Unit

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Source:
    RULE = "rule"
    CATALOGUE = "catalogue"
    AREA = "area"
    BACKSTOP = "backstop"


@dataclass
class Facts:
    """What routing looks at. Any field may be missing (None / empty)."""

    category: Category | None = None
    appeal_type: AppealType | None = None
    grade: Grade | None = None
    region: Region | None = None
    channel: str = ""
    text: str = ""
    received_at: datetime | None = None

    @classmethod
    def of(cls, appeal, **overrides) -> Facts:
        facts = cls(
            category=appeal.category,
            appeal_type=appeal.appeal_type,
            grade=appeal.grade,
            region=appeal.region,
            channel=appeal.channel,
            text=f"{appeal.title}\n{appeal.description}",
            received_at=appeal.received_at,
        )
        for name, value in overrides.items():
            setattr(facts, name, value)
        return facts


@dataclass
class Decision:
    lead: Unit | None
    assisting: list[Unit] = field(default_factory=list)
    source: str = Source.BACKSTOP
    rule: RoutingRule | None = None
    why: str = ""

    def reason(self) -> dict:
        """A JSON-able account of the decision (rendered by `describe_reason`)."""
        out = {"kind": self.source}
        if self.rule is not None:
            out["rule"] = self.rule.name
            out["rule_id"] = self.rule.pk
        if self.source == Source.AREA and getattr(self, "_region", None) is not None:
            out["region"] = self._region.name
        return out


def describe_reason(reason: dict) -> str:
    """A routing reason (from `Decision.reason`) as a sentence in the current language."""
    kind = reason.get("kind")
    if kind == Source.RULE:
        return _("Routing rule “%(rule)s”.") % {"rule": reason.get("rule", "")}
    if kind == Source.CATALOGUE:
        return _("The catalogue's handling rule for the category.")
    if kind == Source.AREA:
        if reason.get("region"):
            return _("Area-bound category: the unit bound to %(region)s.") % {
                "region": reason["region"]
            }
        return _("Area-bound category: the unit bound to the appeal's area.")
    if kind == Source.BACKSTOP:
        return _("No unit owns it: the backstop unit leads (first-ask responsibility).")
    return ""


# -- matching --------------------------------------------------------------------------------


def _category_chain(category: Category | None) -> set[int]:
    ids = set()
    node = category
    while node is not None:
        ids.add(node.pk)
        node = node.parent if node.parent_id else None
    return ids


def _hour(when: datetime | None) -> int | None:
    if when is None:
        return None
    return when.astimezone(SHANGHAI).hour


def _in_window(hour: int, start: int, end: int) -> bool:
    if start == end:
        return True
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def failed_condition(rule: RoutingRule, facts: Facts, chain: set[int] | None = None) -> str:
    """The first condition of `rule` that `facts` do not meet, as a sentence; "" when the rule
    matches."""
    if rule.category_id:
        if chain is None:
            chain = _category_chain(facts.category)
        if rule.category_id not in chain:
            return _("The category is not %(category)s or below it.") % {
                "category": rule.category.name
            }
    if rule.appeal_type_id and (
        facts.appeal_type is None or facts.appeal_type.pk != rule.appeal_type_id
    ):
        return _("The type is not %(type)s.") % {"type": rule.appeal_type.name}
    if rule.grade_id and (facts.grade is None or facts.grade.pk != rule.grade_id):
        return _("The grade is not %(grade)s.") % {"grade": rule.grade}
    if rule.region_id:
        region = facts.region
        inside = (
            region is not None
            and bool(rule.region.path)
            and (region.pk == rule.region_id or (region.path or "").startswith(rule.region.path))
        )
        if not inside:
            return _("The place is not in %(region)s.") % {"region": rule.region.name}
    if rule.channel and facts.channel != rule.channel:
        return _("The channel is not %(channel)s.") % {"channel": rule.channel}
    words = rule.keyword_list()
    if words and not any(w in (facts.text or "") for w in words):
        return _("None of the keywords appears: %(words)s.") % {"words": "、".join(words)}
    if rule.hour_from is not None and rule.hour_to is not None:
        hour = _hour(facts.received_at)
        if hour is None or not _in_window(hour, rule.hour_from, rule.hour_to):
            return _("The time of day is outside %(start)02d:00-%(end)02d:00.") % {
                "start": rule.hour_from,
                "end": rule.hour_to,
            }
    return ""


def active_rules() -> list[RoutingRule]:
    return list(
        RoutingRule.objects.filter(active=True)
        .select_related("category", "appeal_type", "grade", "region", "lead_unit")
        .prefetch_related("assisting_units")
        .order_by("position", "id")
    )


def _default(facts: Facts) -> Decision:
    """The catalogue's answer when no routing rule matches."""
    backstop = Unit.backstop()
    category = facts.category
    rule = None
    if category is not None and category.is_leaf:
        rule = (
            HandlingRule.objects.filter(category=category)
            .select_related("lead_unit")
            .prefetch_related("assisting_units")
            .first()
        )
    if rule is None:
        return Decision(lead=backstop, source=Source.BACKSTOP)
    assisting = [u for u in rule.assisting_units.all() if u.active]
    lead = catalog.lead_unit_for(category, facts.region)
    if lead is None or (backstop is not None and lead.pk == backstop.pk):
        return Decision(lead=lead, assisting=assisting, source=Source.BACKSTOP)
    if rule.lead_mode == HandlingRule.LeadMode.AREA:
        decision = Decision(lead=lead, assisting=assisting, source=Source.AREA)
        decision._region = facts.region
        return decision
    return Decision(lead=lead, assisting=assisting, source=Source.CATALOGUE)


def route(facts: Facts, rules: list[RoutingRule] | None = None) -> Decision:
    """The lead and assisting units for `facts`: the first matching active rule, else the
    catalogue's default."""
    chain = _category_chain(facts.category)
    for rule in active_rules() if rules is None else rules:
        if not failed_condition(rule, facts, chain) and rule.lead_unit.active:
            assisting = [u for u in rule.assisting_units.all() if u.active]
            return Decision(lead=rule.lead_unit, assisting=assisting, source=Source.RULE, rule=rule)
    return _default(facts)


def explain(facts: Facts) -> tuple[Decision, list[dict]]:
    """The decision and, per rule in order (inactive ones too), whether it matched and why
    not: what the test panel shows."""
    chain = _category_chain(facts.category)
    rules = list(
        RoutingRule.objects.select_related(
            "category", "appeal_type", "grade", "region", "lead_unit"
        )
        .prefetch_related("assisting_units")
        .order_by("position", "id")
    )
    trace = []
    decided = None
    for rule in rules:
        failed = failed_condition(rule, facts, chain)
        if not rule.active:
            state = "inactive"
        elif failed:
            state = "failed"
        elif not rule.lead_unit.active:
            state = "failed"
            failed = _("Its lead unit is inactive.")
        elif decided is None:
            state = "decides"
            decided = rule
        else:
            state = "shadowed"
        trace.append({"rule": rule, "state": state, "why": failed})
    decision = route(facts, [r for r in rules if r.active])
    return decision, trace
