# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The dispatch room's suggestions as pages show them (`console.suggestions` adds them to its
result): stored `Triage` rows resolved to categories, types, grades and units, with each
reason as a sentence in the current language."""

from __future__ import annotations

from jiesu.catalog.models import AppealType, Category, Grade
from jiesu.dispatch import auto, rules
from jiesu.dispatch.models import Triage
from jiesu.org.models import Unit


def suggestions_for(appeals) -> dict[int, dict]:
    """By appeal primary key: ``category`` (up to three, most likely first), ``appeal_type``,
    ``grade``, ``lead_unit`` (up to three) and ``triage`` (the stored row: outcome and why).
    Appeals without a triage are absent. A fixed number of queries for any number of appeals."""
    by_pk = {a.pk: a for a in appeals}
    ids = list(by_pk)
    if not ids:
        return {}
    triages = list(Triage.objects.filter(appeal_id__in=ids))
    if not triages:
        return {}
    cat_ids, unit_ids, type_ids, grade_ids = set(), set(), set(), set()
    for t in triages:
        s = t.suggestions or {}
        cat_ids.update(c["id"] for c in s.get("category") or [])
        unit_ids.update(u["id"] for u in s.get("lead_unit") or [])
        if s.get("type"):
            type_ids.add(s["type"]["id"])
        if s.get("grade"):
            grade_ids.add(s["grade"]["id"])
    categories = Category.objects.select_related("parent__parent").in_bulk(cat_ids)
    units = Unit.objects.in_bulk(unit_ids)
    types = AppealType.objects.in_bulk(type_ids)
    grades = Grade.objects.in_bulk(grade_ids)
    out = {}
    for t in triages:
        s = t.suggestions or {}
        entry = {"triage": t, "why": auto.why_text(t)}
        cats = [
            {
                "category": categories[c["id"]],
                "confidence": c.get("confidence"),
                "reasons": [auto.describe(c.get("reason") or {})],
            }
            for c in s.get("category") or []
            if c["id"] in categories
        ]
        if cats:
            entry["category"] = cats
        leads = [
            {
                "unit": units[u["id"]],
                "confidence": u.get("confidence"),
                "reasons": [auto.describe(r) for r in u.get("reasons") or []],
                "suggested": t.unit_id == u["id"],
            }
            for u in s.get("lead_unit") or []
            if u["id"] in units
        ]
        appeal = by_pk[t.appeal_id]
        if _category_changed(appeal, t):
            # Registered under another category than proposed: route what was registered.
            decision = rules.route(rules.Facts.of(appeal))
            leads = (
                [
                    {
                        "unit": decision.lead,
                        "confidence": None,
                        "reasons": [rules.describe_reason(decision.reason())],
                        "suggested": True,
                    }
                ]
                if decision.lead is not None
                else []
            )
        if leads:
            entry["lead_unit"] = leads
        kind = s.get("type")
        if kind and kind["id"] in types:
            entry["appeal_type"] = {
                "type": types[kind["id"]],
                "confidence": kind.get("confidence"),
                "reasons": [auto.describe(kind.get("reason") or {})],
            }
        grade = s.get("grade")
        if grade and grade["id"] in grades:
            entry["grade"] = {
                "grade": grades[grade["id"]],
                "reasons": [auto.describe(grade.get("reason") or {})],
            }
        out[t.appeal_id] = entry
    return out


def _category_changed(appeal, triage: Triage) -> bool:
    return bool(appeal.category_id) and appeal.category_id != triage.category_id


def suggested_unit(appeal) -> Unit | None:
    """The lead unit suggested for `appeal`: the triage's, or, when the appeal was registered
    under another category than proposed, the routing of that category (None without a
    triage)."""
    t = Triage.objects.filter(appeal_id=appeal.pk).select_related("unit").first()
    if t is None:
        return None
    if _category_changed(appeal, t):
        return rules.route(rules.Facts.of(appeal)).lead
    return t.unit
