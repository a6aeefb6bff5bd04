# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Public functions of the catalogue: rule versions, time limits and the lead unit.

Other rooms use these, never the models' internals:

- `rule_snapshot(rule)` — the JSON-able content of a handling rule;
- `record_version(rule, user=None)` — freeze the rule into a new `HandlingRuleVersion` when it
  differs from the latest one;
- `current_version(category)` — the latest version of a leaf's rule (or None);
- `resolve_time_limit(clock, appeal_type_code, grade_code, version=None)` — the limit that
  applies, from the version's snapshot, then the district-wide defaults;
  `resolve_time_limits(clocks, …)` the same for several clocks in one query;
- `lead_unit_for(category, region=None, rule=None)` — the unit that leads an appeal of that
  category.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from jiesu.catalog.models import (
    Category,
    Clock,
    HandlingRule,
    HandlingRuleVersion,
    TimeLimit,
)
from jiesu.org.models import Region, Unit, User

#: Order of the clocks in snapshots and exports.
CLOCK_ORDER = {Clock.SIGN: 0, Clock.CONTACT: 1, Clock.HANDLE: 2}

#: Bumped if the snapshot layout ever changes, so readers can tell old snapshots apart.
SNAPSHOT_FORMAT = 1


class TimeLimitNotFound(LookupError):
    """No rule limit and no district default applies to a clock, type and grade."""


def limit_entry(limit: TimeLimit) -> dict[str, Any]:
    """One time limit as a JSON-able dict (codes, not database ids)."""
    return {
        "clock": limit.clock,
        "appeal_type": limit.appeal_type.code if limit.appeal_type is not None else None,
        "grade": limit.grade.code if limit.grade is not None else None,
        "amount": limit.amount,
        "unit": limit.unit,
    }


def limit_sort_key(entry: Mapping[str, Any]) -> tuple:
    return (
        CLOCK_ORDER.get(entry["clock"], 99),
        entry["appeal_type"] or "",
        entry["grade"] or "",
    )


def sorted_limits(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(e) for e in sorted(entries, key=limit_sort_key)]


def rule_snapshot(rule: HandlingRule) -> dict[str, Any]:
    """The content of a handling rule as a JSON-able dict, in a stable order.

    Units, grades and appeal types are named by code. Two rules with the same content have
    equal snapshots, which is how `record_version` tells whether anything changed.
    """
    limits = rule.time_limits.select_related("appeal_type", "grade")
    return {
        "format": SNAPSHOT_FORMAT,
        "lead_mode": rule.lead_mode,
        "lead_unit": rule.lead_unit.code if rule.lead_unit is not None else None,
        "assisting_units": sorted(rule.assisting_units.values_list("code", flat=True)),
        "default_grade": rule.default_grade.code if rule.default_grade is not None else None,
        "count_from": rule.count_from,
        "filing_condition": rule.filing_condition,
        "closing_condition": rule.closing_condition,
        "plan": rule.plan,
        "limits": sorted_limits(limit_entry(limit) for limit in limits),
    }


def _record_version(
    rule: HandlingRule, user: User | None = None
) -> tuple[HandlingRuleVersion, bool]:
    """Like `record_version`, also saying whether a new version was made."""
    with transaction.atomic():
        # Lock the rule so that two saves at once cannot both take the same number.
        HandlingRule.objects.select_for_update().filter(pk=rule.pk).first()
        snapshot = rule_snapshot(rule)
        latest = rule.versions.order_by("-number").first()
        if latest is not None and latest.snapshot == snapshot:
            return latest, False
        version = HandlingRuleVersion.objects.create(
            rule=rule,
            number=(latest.number + 1) if latest else 1,
            snapshot=snapshot,
            created_by=user if user is not None and user.is_authenticated else None,
        )
        return version, True


def record_version(rule: HandlingRule, user: User | None = None) -> HandlingRuleVersion:
    """Freeze the rule's current content into a new version if it changed.

    Call it after the rule's time limits and assisting units are saved. Returns the new
    version, or the latest one when the rule is unchanged since it was recorded.
    """
    return _record_version(rule, user)[0]


def current_versions(category_ids: Iterable[int]) -> dict[int, HandlingRuleVersion]:
    """`current_version` of several categories in one query, by category id (categories
    without a rule or a version are absent)."""
    latest = (
        HandlingRuleVersion.objects.filter(rule=OuterRef("rule"))
        .order_by("-number")
        .values("number")[:1]
    )
    versions = HandlingRuleVersion.objects.filter(
        rule__category_id__in=set(category_ids), number=Subquery(latest)
    ).select_related("rule__lead_unit")
    return {version.rule.category_id: version for version in versions}


def district_time_limits(clocks: Iterable[str] | None = None) -> list[tuple]:
    """The district-wide default time limits as (clock, type code, grade code, amount, unit),
    of the given clocks or all; read once by a caller resolving many at once and passed to
    `resolve_time_limits(..., defaults=)`."""
    limits = TimeLimit.objects.filter(rule__isnull=True)
    if clocks is not None:
        limits = limits.filter(clock__in=list(clocks))
    return list(limits.values_list("clock", "appeal_type__code", "grade__code", "amount", "unit"))


def current_version(category: Category) -> HandlingRuleVersion | None:
    """The latest version of the category's handling rule; None if it has no rule or version."""
    return (
        HandlingRuleVersion.objects.filter(rule__category=category)
        .select_related("rule__lead_unit")
        .order_by("-number")
        .first()
    )


def _snapshot_of(version: HandlingRuleVersion | Mapping | None) -> Mapping[str, Any] | None:
    if version is None:
        return None
    if isinstance(version, HandlingRuleVersion):
        return version.snapshot
    if isinstance(version, Mapping):
        return version
    raise TypeError("version must be a HandlingRuleVersion, a snapshot dict or None")


def _most_specific(entries, appeal_type_code, grade_code):
    """Pick from (appeal_type, grade, amount, unit) entries: type+grade > grade > type > any."""
    wanted = [
        (appeal_type_code, grade_code),
        (None, grade_code),
        (appeal_type_code, None),
        (None, None),
    ]
    by_key = {(t, g): (amount, unit) for t, g, amount, unit in entries}
    for key in wanted:
        if key in by_key:
            return by_key[key]
    return None


def resolve_time_limit(
    clock: str,
    appeal_type_code: str | None,
    grade_code: str | None,
    version: HandlingRuleVersion | Mapping | None = None,
    *,
    defaults: list[tuple] | None = None,
) -> tuple[int, str]:
    """The time limit for one clock as (amount, duration unit code), e.g. (3, "wd").

    The limits of the rule version (its snapshot, never the live rule) are searched first,
    then the district-wide defaults; in each, the most specific limit wins: type and grade,
    then grade, then type, then a limit for any type and grade. Raises `TimeLimitNotFound`
    when nothing applies.
    """
    return resolve_time_limits([clock], appeal_type_code, grade_code, version, defaults=defaults)[
        str(clock)
    ]


def resolve_time_limits(
    clocks: Iterable[str],
    appeal_type_code: str | None,
    grade_code: str | None,
    version: HandlingRuleVersion | Mapping | None = None,
    *,
    defaults: list[tuple] | None = None,
) -> dict[str, tuple[int, str]]:
    """`resolve_time_limit` for several clocks at once, by clock: the district defaults are
    read once (one query), and only when the version leaves a clock without a limit.
    `defaults`: `district_time_limits()` read before, when resolving many at once."""
    wanted = [str(clock) for clock in clocks]
    for clock in wanted:
        if clock not in Clock.values:
            raise ValueError(f"unknown clock {clock!r}; expected one of {', '.join(Clock.values)}")
    found: dict[str, tuple[int, str]] = {}
    snapshot = _snapshot_of(version)
    if snapshot is not None:
        for clock in wanted:
            entries = [
                (e["appeal_type"], e["grade"], e["amount"], e["unit"])
                for e in snapshot.get("limits", [])
                if e["clock"] == clock
            ]
            limit = _most_specific(entries, appeal_type_code, grade_code)
            if limit is not None:
                found[clock] = limit
    missing = [clock for clock in wanted if clock not in found]
    if missing:
        by_clock: dict[str, list] = {clock: [] for clock in missing}
        if defaults is None:
            defaults = district_time_limits(missing)
        for clock, *entry in defaults:
            if clock in by_clock:
                by_clock[clock].append(entry)
        for clock in missing:
            limit = _most_specific(by_clock[clock], appeal_type_code, grade_code)
            if limit is None:
                raise TimeLimitNotFound(
                    _(
                        "No time limit for the %(clock)s clock (type %(type)s, grade "
                        "%(grade)s): neither the rule nor the district defaults set one."
                    )
                    % {
                        "clock": Clock(clock).label,
                        "type": appeal_type_code or "-",
                        "grade": grade_code or "-",
                    }
                )
            found[clock] = limit
    return found


def _unit_for_region(region: Region, bound: list[Unit] | None = None) -> Unit | None:
    """The active unit bound to the region or, failing that, to its nearest ancestor.
    `bound`: every active unit bound to a region, by depth and code, when read before."""
    # The region's ancestors are named by its materialised path: no need to read them.
    chain = [region.pk, *reversed(region.ancestor_ids())]
    if bound is None:
        units = list(
            Unit.objects.filter(active=True, region_id__in=chain).order_by("depth", "code")
        )
    else:
        units = [unit for unit in bound if unit.region_id in chain]
    for area in chain:
        for unit in units:
            if unit.region_id == area:
                return unit
    return None


def lead_unit_for(
    category: Category,
    region: Region | None = None,
    *,
    rule: HandlingRule | None = None,
    memo: dict | None = None,
) -> Unit | None:
    """The unit that leads an appeal of this (leaf) category, optionally located in a region.

    Fixed mode: the rule's lead unit if it is active. Area mode (属地): the active unit bound
    to the region, else to its nearest ancestor region; when several units are bound to the
    same region, the one highest in the unit tree (then by code) leads. In every other case —
    no rule, no lead unit, an inactive one, no region, no bound unit — the district backstop
    unit leads (first-ask responsibility, 兜底). Returns None only if no backstop is configured.
    `rule`: the category's rule with its lead unit, when the caller has just read it (e.g. with
    `current_version`); read here otherwise. `memo`: a dict kept by a caller that asks for many
    appeals at once (a list of them): each region's unit and the backstop are then read once.
    """
    if rule is None or rule.category_id != category.pk:
        rule = HandlingRule.objects.filter(category=category).select_related("lead_unit").first()
    if rule is not None:
        if rule.lead_mode == HandlingRule.LeadMode.FIXED:
            if rule.lead_unit is not None and rule.lead_unit.active:
                return rule.lead_unit
        elif region is not None:
            bound = None if memo is None else _remembered(memo, "bound", _bound_units)
            unit = _remembered(memo, ("region", region.pk), lambda: _unit_for_region(region, bound))
            if unit is not None:
                return unit
    return _remembered(memo, "backstop", Unit.backstop)


def _bound_units() -> list[Unit]:
    return list(Unit.objects.filter(active=True, region__isnull=False).order_by("depth", "code"))


def _remembered(memo: dict | None, key: Hashable, read: Callable[[], Any]) -> Any:
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]
