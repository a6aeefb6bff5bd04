# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Handling-rule proposals from the routing learned from history (public module).

`propose(table)` turns a `history.RoutingTable` into `RoutingProposal` rows, one per leaf
category of the catalogue that the history names and whose past dispatches point clearly one
way: by area (属地) when the area's own units (subdistrict teams, community workstations)
handled at least half of them, a fixed lead unit when one unit of the organisation handled at
least half. Nothing is proposed when the leaf's rule already says the same, when the history
is too thin (fewer than `MIN_SUPPORT` appeals) or when the learned unit matches no unit of the
organisation. `accept` writes the rule and records a new rule version through
`catalog.services`, like any edit; `dismiss` sets proposals aside.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.catalog import services as catalog
from jiesu.catalog.models import Category, HandlingRule
from jiesu.dispatch import history
from jiesu.dispatch.models import RoutingProposal
from jiesu.org.models import Unit

MIN_SUPPORT = 5
MIN_SHARE = 0.5


def read_unit_map(path: str) -> dict:
    """Unit names of the history -> unit codes of the organisation, from a CSV with columns
    raw_name and unit_code, and optionally main_type_ids: ids of the export's middle categories
    (separated by ";") for which that row overrides the unit's plain mapping. Keys are raw
    names, or (raw name, middle-category id) pairs for the overrides."""
    try:
        fh = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise history.DataError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": exc.strerror or exc}
        ) from None
    with fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("raw_name", "unit_code") if c not in (reader.fieldnames or [])]
        if missing:
            raise history.DataError(
                _("%(path)s has no column %(missing)s (it has: %(columns)s).")
                % {
                    "path": path,
                    "missing": ", ".join(missing),
                    "columns": ", ".join(reader.fieldnames or []) or "-",
                }
            )
        out = {}
        for row in reader:
            raw, code = row["raw_name"].strip(), row["unit_code"].strip()
            if not raw or not code:
                continue
            ids = [i.strip() for i in (row.get("main_type_ids") or "").split(";") if i.strip()]
            for key in [(raw, i) for i in ids] or [raw]:
                out.setdefault(key, code)
        return out


class _Units:
    def __init__(self, table: history.RoutingTable, unit_map: dict[str, str] | None):
        self.by_code = {
            u.code: u for u in Unit.objects.filter(active=True).select_related("region")
        }
        self.by_name = {}
        for unit in self.by_code.values():
            for name in (unit.name, unit.short_name):
                if name:
                    self.by_name.setdefault(history.spelling(name), unit)
        self.mapped = {}
        for raw, code in (unit_map or {}).items():
            if code in self.by_code:
                key = (
                    (table.merge_name(raw[0]), raw[1])
                    if isinstance(raw, tuple)
                    else table.merge_name(raw)
                )
                self.mapped.setdefault(key, self.by_code[code])

    def __call__(self, name: str, l2_ids=()) -> Unit | None:
        for l2_id in l2_ids:
            if (name, l2_id) in self.mapped:
                return self.mapped[(name, l2_id)]
        return self.mapped.get(name) or self.by_name.get(history.spelling(name))


def _leaves() -> dict:
    leaves = Category.objects.filter(level=Category.Level.LEAF, active=True).select_related(
        "parent__parent"
    )
    by_path, by_name = {}, {}
    for leaf in leaves:
        l2 = leaf.parent
        l1 = l2.parent if l2 else None
        by_path[(l1.name if l1 else "", l2.name if l2 else "", leaf.name)] = leaf
        by_name.setdefault(leaf.name, []).append(leaf)
    return by_path, by_name


@transaction.atomic
def propose(
    table: history.RoutingTable, *, unit_map=None, model=None, source: str = ""
) -> dict[str, int]:
    """Replace the pending proposals with new ones from `table`; counts of what happened."""
    units = _Units(table, unit_map)
    by_path, by_name = _leaves()
    rules = {r.category_id: r for r in HandlingRule.objects.all()}
    RoutingProposal.objects.filter(status=RoutingProposal.Status.PENDING).delete()
    counts = {"proposed": 0, "unknown_leaf": 0, "thin": 0, "mixed": 0, "unmatched": 0, "same": 0}
    seen = set()
    for s in history.leaf_summary(table):
        leaf = by_path.get((s["l1"], s["l2"], s["l3"]))
        if leaf is None and len(by_name.get(s["l3"], [])) == 1:
            leaf = by_name[s["l3"]][0]
        if leaf is None or leaf.pk in seen:
            counts["unknown_leaf"] += 1
            continue
        seen.add(leaf.pk)
        if s["support"] < MIN_SUPPORT:
            counts["thin"] += 1
            continue
        unit = None
        if s["area_share"] >= MIN_SHARE:
            mode, share = RoutingProposal.Mode.AREA, s["area_share"]
        elif s["top_unit"] and s["top_share"] >= MIN_SHARE:
            mode, share = RoutingProposal.Mode.FIXED, s["top_share"]
            unit = units(s["top_unit"], s["l2_ids"])
            if unit is None:
                counts["unmatched"] += 1
                continue
            if unit.region_id is not None and unit.region.parent_id is not None:
                # The organisation binds that unit to an area (a subdistrict office, a
                # community workstation): its appeals follow the area, not the unit.
                mode, unit = RoutingProposal.Mode.AREA, None
        else:
            counts["mixed"] += 1
            continue
        rule = rules.get(leaf.pk)
        if (
            rule is not None
            and rule.lead_mode == mode
            and (mode == RoutingProposal.Mode.AREA or rule.lead_unit_id == unit.pk)
        ):
            counts["same"] += 1
            continue
        evidence = {
            "learned_unit": s["top_unit"],
            "area_share": round(s["area_share"], 4),
            "units": [
                {**u, "matched": getattr(units(u["unit"], s["l2_ids"]), "code", None)}
                for u in s["units"]
            ],
            "areas": s["area_examples"],
            "current": {
                "mode": rule.lead_mode if rule else None,
                "unit": str(rule.lead_unit) if rule and rule.lead_unit_id else None,
            },
        }
        RoutingProposal.objects.create(
            category=leaf,
            mode=mode,
            unit=unit,
            support=s["support"],
            share=round(share, 4),
            evidence=evidence,
            model=model,
            source=source[:200],
        )
        counts["proposed"] += 1
    return counts


def _pending(ids: Iterable[int]):
    return (
        RoutingProposal.objects.select_for_update(of=("self",))
        .filter(pk__in=list(ids), status=RoutingProposal.Status.PENDING)
        .select_related("category", "unit")
    )


@transaction.atomic
def accept(ids: Iterable[int], user) -> list:
    """Write each pending proposal into its leaf's handling rule and record a new rule
    version (through catalog.services). Returns the versions made."""
    versions = []
    now = timezone.now()
    for proposal in _pending(ids):
        rule = HandlingRule.objects.filter(category=proposal.category).first() or HandlingRule(
            category=proposal.category
        )
        rule.lead_mode = proposal.mode
        rule.lead_unit = proposal.unit if proposal.mode == RoutingProposal.Mode.FIXED else None
        rule.full_clean()
        rule.save()
        versions.append(catalog.record_version(rule, user))
        proposal.status = RoutingProposal.Status.ACCEPTED
        proposal.decided_at = now
        proposal.decided_by = user
        proposal.save(update_fields=["status", "decided_at", "decided_by"])
    return versions


@transaction.atomic
def dismiss(ids: Iterable[int], user) -> int:
    return _pending(ids).update(
        status=RoutingProposal.Status.DISMISSED, decided_at=timezone.now(), decided_by=user
    )


def rows_from_database() -> list[dict]:
    """History rows from the platform's own dispatches: each appeal's current lead unit (not a
    first-ask backstop lead), its leaf category and region. A lead bound to the appeal's
    region (or one above it) counts as area-bound."""
    from jiesu.appeals.models import Assignment

    leads = (
        Assignment.objects.filter(role=Assignment.Role.LEAD, active=True, first_asked=False)
        .filter(Q(appeal__category__level=Category.Level.LEAF))
        .select_related(
            "unit__region",
            "appeal__category__parent__parent",
            "appeal__region__parent__parent",
        )
    )
    rows = []
    for a in leads.iterator(chunk_size=2000):
        appeal = a.appeal
        leaf = appeal.category
        l2 = leaf.parent
        l1 = l2.parent if l2 else None
        chain, node = [], appeal.region
        while node is not None:
            chain.append(node)
            node = node.parent
        by_level = {r.level: r.name for r in chain}
        bound = a.unit.region_id is not None and any(r.pk == a.unit.region_id for r in chain)
        rows.append(
            {
                "channel": appeal.channel,
                "nature": "",
                "l1": l1.name if l1 else "",
                "l2": l2.name if l2 else "",
                "l3": leaf.name,
                "subdistrict": by_level.get("subdistrict", ""),
                "community": by_level.get("community", ""),
                "place": "",
                "unit": a.unit.name,
                "area_bound": bound,
                "time": appeal.received_at.isoformat() if appeal.received_at else "",
            }
        )
    return rows
