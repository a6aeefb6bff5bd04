# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Open311 services from the dispatch catalogue.

A service is an active leaf category 小类 whose middle and major categories are active too.
Leaves without a handling rule are offered as well: their appeals are led by the district
backstop unit under first-ask responsibility (首问负责), so a citizen may always report them.

Every service has attributes (so `metadata` is true): the appeal type (a singlevaluelist of
the active appeal types), a grade hint (a singlevaluelist of the grades), an enterprise
reporter's unified social credit code, the coordinate system of lat/long (WGS84 unless
`coord_system` says gcj02 or bd09: Chinese map SDKs), and, when the leaf's rule sets a filing condition
(立案条件), that condition as an informational attribute (`variable` false) for the client to
show. None is required: the intake desk confirms type and grade when it registers the appeal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.http import QueryDict
from django.utils.translation import gettext as _

from jiesu.catalog import services as catalog
from jiesu.catalog.models import AppealType, Category, Grade, HandlingRule
from jiesu.credit_code import credit_code_valid
from jiesu.org import coords
from jiesu.versions import ProcessCopy
from jiesu.workdays.units import duration_text

SERVICE_TYPE = "realtime"
# GB 32100-2015: 18 characters, digits and upper-case letters without I, O, S, V, Z.
ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


def offered_leaves():
    """The catalogue leaves offered as Open311 services, in catalogue order."""
    return (
        Category.objects.filter(
            level=Category.Level.LEAF,
            active=True,
            parent__active=True,
            parent__parent__active=True,
        )
        .select_related("parent__parent")
        .order_by(
            "parent__parent__sort_order",
            "parent__parent__code",
            "parent__sort_order",
            "parent__code",
            "sort_order",
            "code",
        )
    )


def _load() -> dict:
    leaves = list(offered_leaves())
    return {
        "leaves": {leaf.code: leaf for leaf in leaves},
        "rules": {r.category_id: r for r in HandlingRule.objects.filter(category__in=leaves)},
        "types": list(AppealType.objects.filter(active=True)),
        "grades": list(Grade.objects.all()),
    }


def _fingerprint():
    # Every row of the four tables (a few hundred): edits made anywhere, also by raw SQL,
    # show within CACHE_SECONDS.
    return tuple(
        tuple(model.objects.order_by("pk").values_list())
        for model in (Category, HandlingRule, AppealType, Grade)
    )


# Every Open311 request reads the service it names, its rule, the appeal types and the grades:
# each process keeps them (ADR 0010's ProcessCopy), checked against the database at most every
# CACHE_SECONDS, and drops them at once when one is saved or deleted here (intake.apps).
CACHE_SECONDS = 2.0
_catalogue: ProcessCopy[dict] = ProcessCopy(_load, _fingerprint, max_age=CACHE_SECONDS)


def catalogue_changed(**kwargs) -> None:
    _catalogue.forget()


def find_leaf(code: str) -> Category | None:
    return _catalogue.get()["leaves"].get(code) if code else None


def rule_of(leaf: Category) -> HandlingRule | None:
    return _catalogue.get()["rules"].get(leaf.pk)


def summary(text: str, limit: int = 120) -> str:
    """The first paragraph of a text, cut at a sentence end near `limit` characters."""
    first = (text or "").strip().split("\n", 1)[0].strip()
    if len(first) <= limit:
        return first
    cut = first[:limit]
    ends = [cut.rfind(mark) for mark in "。！？；.!?;"]
    end = max(ends)
    return cut[: end + 1] if end >= limit // 3 else cut.rstrip() + "…"


def service_entry(leaf: Category, rule: HandlingRule | None, *, types=None, grades=None) -> dict:
    description = leaf.full_name
    plan = summary(rule.plan) if rule is not None else ""
    if plan:
        description = f"{description}：{plan}"
    keywords = ", ".join(leaf.keyword_list())
    return {
        "service_code": leaf.code,
        "service_name": leaf.name,
        "description": description,
        "metadata": bool(attributes_for(leaf, rule, types=types, grades=grades)),
        "type": SERVICE_TYPE,
        "keywords": keywords or None,
        "group": leaf.parent.parent.name,
    }


def service_list() -> list[dict]:
    copy = _catalogue.get()
    rules, types, grades = copy["rules"], copy["types"], copy["grades"]
    return [
        service_entry(leaf, rules.get(leaf.pk), types=types, grades=grades)
        for leaf in copy["leaves"].values()
    ]


# -- attributes ----------------------------------------------------------------------------


@dataclass
class Attribute:
    code: str
    datatype: str
    description: str
    required: bool = False
    variable: bool = True
    datatype_description: str | None = None
    values: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self, order: int) -> dict:
        entry = {
            "variable": self.variable,
            "code": self.code,
            "datatype": self.datatype,
            "required": self.required,
            "datatype_description": self.datatype_description,
            "order": order,
            "description": self.description,
        }
        if self.datatype in ("singlevaluelist", "multivaluelist"):
            entry["values"] = [{"key": key, "name": name} for key, name in self.values]
        return entry


def _types():
    return _catalogue.get()["types"]


def _grades():
    return _catalogue.get()["grades"]


def attributes_for(leaf: Category, rule: HandlingRule | None, *, types=None, grades=None):
    types = _types() if types is None else types
    grades = _grades() if grades is None else grades
    attributes = []
    if types:
        attributes.append(
            Attribute(
                code="appeal_type",
                datatype="singlevaluelist",
                description=_("What kind of appeal is this?"),
                datatype_description=_(
                    "One of the listed keys. The intake desk confirms it when it registers "
                    "the appeal."
                ),
                values=[(t.code, t.name) for t in types],
            )
        )
    if grades:
        attributes.append(
            Attribute(
                code="grade",
                datatype="singlevaluelist",
                description=_("How important and urgent is it?"),
                datatype_description=_(
                    "A hint: the intake desk sets the grade when it registers the appeal."
                ),
                values=[(g.code, f"{g.code} {g.name}") for g in grades],
            )
        )
    attributes.append(
        Attribute(
            code="credit_code",
            datatype="string",
            description=_(
                "If you report for an enterprise: its unified social credit code "
                "(统一社会信用代码)."
            ),
            datatype_description=_("18 characters: digits and capital letters."),
        )
    )
    attributes.append(
        Attribute(
            code="coord_system",
            datatype="singlevaluelist",
            description=_("Coordinate system of lat and long"),
            datatype_description=_(
                "wgs84 (GPS and browsers, the default), gcj02 (WeChat, AMap, Tencent maps) or "
                "bd09 (Baidu maps). The position is converted to WGS84 and returned as WGS84."
            ),
            values=[
                (coords.WGS84, "WGS84"),
                (coords.GCJ02, _("GCJ-02 (WeChat, AMap, Tencent)")),
                (coords.BD09, _("BD-09 (Baidu)")),
            ],
        )
    )
    if rule is not None and rule.filing_condition.strip():
        attributes.append(
            Attribute(
                code="filing_condition",
                datatype="text",
                variable=False,
                description=rule.filing_condition.strip(),
                datatype_description=_(
                    "Information only: an appeal of this kind is accepted when this holds."
                ),
            )
        )
    return attributes


def definition(leaf: Category) -> dict:
    rule = rule_of(leaf)
    attributes = attributes_for(leaf, rule)
    return {
        "service_code": leaf.code,
        "attributes": [a.as_dict(order) for order, a in enumerate(attributes, start=1)],
    }


@dataclass
class Answers:
    """The attribute answers of a POST: as submitted, and as `workflow.receive` arguments."""

    submitted: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)


def read_attributes(data: QueryDict, leaf: Category) -> Answers:
    """Parse `attribute[code]=value` (and `attribute[code][]=value` for lists) against the
    service definition. Unknown codes, values outside a list and malformed keys are errors;
    informational attributes (`variable` false) are ignored."""
    answers = Answers()
    by_code = {a.code: a for a in attributes_for(leaf, rule_of(leaf))}
    given: dict[str, list[str]] = {}
    for key in data:
        if not key.startswith("attribute"):
            continue
        match = ATTRIBUTE_KEY.match(key)
        if match is None:
            answers.errors.append(
                _("“%(key)s” is not a valid attribute parameter; use attribute[code]=value.")
                % {"key": key}
            )
            continue
        values = [v.strip() for v in data.getlist(key) if v.strip()]
        given.setdefault(match.group(1), []).extend(values)
    for code, values in given.items():
        attribute = by_code.get(code)
        if attribute is None:
            answers.errors.append(
                _("Service %(service)s has no attribute “%(code)s”.")
                % {"service": leaf.code, "code": code}
            )
            continue
        if not attribute.variable or not values:
            continue
        if attribute.datatype != "multivaluelist" and len(values) > 1:
            answers.errors.append(_("Attribute “%(code)s” takes one value.") % {"code": code})
            continue
        keys = {k for k, _name in attribute.values}
        if attribute.values and any(v not in keys for v in values):
            answers.errors.append(
                _("“%(value)s” is not a value of attribute “%(code)s”; choose one of: %(keys)s.")
                % {"value": values[0], "code": code, "keys": ", ".join(sorted(keys))}
            )
            continue
        answers.submitted[code] = values if attribute.datatype == "multivaluelist" else values[0]
    for attribute in by_code.values():
        if attribute.required and attribute.variable and attribute.code not in answers.submitted:
            answers.errors.append(
                _("Attribute “%(code)s” is required for this service.") % {"code": attribute.code}
            )
    _to_fields(answers)
    return answers


def _to_fields(answers: Answers) -> None:
    submitted = answers.submitted
    # The values were checked against the same lists (read_attributes).
    if "appeal_type" in submitted:
        types = {t.code: t for t in _types()}
        answers.fields["appeal_type"] = types[submitted["appeal_type"]]
    if "grade" in submitted:
        grades = {g.code: g for g in _grades()}
        answers.fields["grade"] = grades[submitted["grade"]]
    if "credit_code" in submitted:
        code = submitted["credit_code"].strip().upper()
        if not credit_code_valid(code):
            answers.errors.append(
                _("Not a valid unified social credit code (18 characters, check digit).")
            )
        else:
            submitted["credit_code"] = code
            answers.fields["reporter_is_enterprise"] = True
            answers.fields["reporter_credit_code"] = code


# -- what the citizen may expect -------------------------------------------------------------


def notice(
    *,
    snapshot: dict | None,
    appeal_type_code: str | None,
    grade_code: str | None,
    lead,
    defaults: list[tuple] | None = None,
) -> str | None:
    """`service_notice`: who handles it and within what time, from the rule (version).
    `defaults`: the district's time limits read before (`catalog.district_time_limits`)."""
    grade_code = grade_code or (snapshot or {}).get("default_grade")
    try:
        amount, unit = catalog.resolve_time_limit(
            "handle", appeal_type_code, grade_code, snapshot, defaults=defaults
        )
    except catalog.TimeLimitNotFound:
        amount = unit = None
    parts = []
    if lead is not None and amount is not None:
        parts.append(
            _("%(unit)s handles it within %(limit)s.")
            % {"unit": lead.name, "limit": duration_text(amount, unit)}
        )
    elif lead is not None:
        parts.append(_("%(unit)s handles it.") % {"unit": lead.name})
    elif amount is not None:
        parts.append(_("Handled within %(limit)s.") % {"limit": duration_text(amount, unit)})
    if amount is not None and (snapshot or {}).get("count_from") == "next_day":
        parts.append(_("The time limit counts from the next working day."))
    return " ".join(parts) or None
