# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Selective auto-dispatch: each new appeal is classified, graded and routed at once; the
confident ones are registered and dispatched by the system actor, the rest wait at the intake
desk with the top three suggestions and the reason for each.

Flow: the `receive` event (`appeals.hooks.appeal_event`) enqueues `tasks.triage_appeal` after
the commit, so intake stays fast. `triage(appeal_id)`:

1. proposes (`propose`): the active category model's top-3 leaves with their confidences;
   the type (type model, else the appeal's own, else the district default) and the grade (the
   category's default grade, else the district default); the lead unit per proposed category
   from the routing rules (`dispatch.rules`) with the units past appeals of the same leaf and
   area went to (history);
2. decides: automatic when the global setting, the channel's and the category's switches allow
   it and the confidence of what the rules need (the category; the type too when the matching
   rule looks at it) reaches the category's threshold (`CategoryPolicy`, most specific level
   first, else the setting `AUTO_DISPATCH_THRESHOLD`; none set: never automatic);
3. acts: registers and dispatches through `appeals.workflow` as the system actor, with the
   decision (model version, scores, rule) in each event; otherwise stores the `Triage` with
   outcome "queued" and its reasons.

Idempotent and safe under concurrency: one `Triage` per appeal (a unique row), the workflow
steps run with the appeal's version read at the start, so an operator who acted first wins and
the automatic attempt ends as "failed" with the workflow's message, never a second dispatch.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.appeals import timesource, workflow
from jiesu.appeals.errors import WorkflowError
from jiesu.appeals.models import Appeal, Assignment, Event
from jiesu.appeals.states import Status
from jiesu.catalog.models import AppealType, Category, Grade, HandlingRule
from jiesu.conf import setting
from jiesu.dispatch import bounds, classifier, duplicates, registry, rules
from jiesu.dispatch.models import CategoryPolicy, ChannelPolicy, ModelVersion, Triage
from jiesu.dispatch.textmodel import join_text
from jiesu.org.models import Unit, User, UserRole
from jiesu.org.roles import Role

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "auto-dispatch"
TOP = 3
# Event kinds after an automatic dispatch that count it as wrong (the real precision).
UNDONE_KINDS = ("redispatch", "approve_return")


# -- settings and switches -------------------------------------------------------------------


def enabled() -> bool:
    """The district-wide switch (setting AUTO_DISPATCH, on by default)."""
    return bool(setting("AUTO_DISPATCH", True))


def default_threshold() -> float | None:
    value = setting("AUTO_DISPATCH_THRESHOLD", None)
    return float(value) if value not in (None, "") else None


def _chain(category: Category | None) -> list[Category]:
    out = []
    node = category
    while node is not None:
        out.append(node)
        node = node.parent if node.parent_id else None
    return out


def category_policy(category: Category | None) -> CategoryPolicy | None:
    """The most specific policy among the category and the categories above it."""
    chain = _chain(category)
    if not chain:
        return None
    found = {p.category_id: p for p in CategoryPolicy.objects.filter(category__in=chain)}
    for node in chain:
        if node.pk in found:
            return found[node.pk]
    return None


def threshold_for(category: Category | None, policies: dict | None = None) -> float | None:
    """The confidence an appeal of `category` needs to be dispatched automatically (the most
    specific policy's threshold, else the district default); None: never automatic.
    `policies` (category id -> policy), when given, is read instead of the database (a page
    listing many categories loads them once)."""
    chain = _chain(category)
    if policies is None:
        policies = {p.category_id: p for p in CategoryPolicy.objects.filter(category__in=chain)}
    for node in chain:
        policy = policies.get(node.pk)
        if policy is not None and policy.threshold is not None:
            return policy.threshold
    return default_threshold()


def category_switched_off(category: Category | None) -> bool:
    policy = category_policy(category)
    return policy is not None and not policy.auto_dispatch


def channel_switched_off(channel: str) -> bool:
    return ChannelPolicy.objects.filter(channel=channel, auto_dispatch=False).exists()


# -- the system actor ------------------------------------------------------------------------


def system_actor() -> User:
    """The staff account automatic decisions are recorded under (created on first use; it
    cannot sign in: no usable password). It holds the intake operator's and the dispatcher's
    roles, so the workflow checks it like anyone else."""
    username = setting("AUTO_DISPATCH_USERNAME", SYSTEM_USERNAME)
    user = User.objects.filter(username=username).first()
    if user is None:
        try:
            with transaction.atomic():
                # Named in the district's language (the name is stored, as any staff name).
                with translation.override(settings.LANGUAGE_CODE):
                    name = _("Automatic dispatch")
                user = User(
                    username=username,
                    full_name=name,
                    unit=Unit.backstop(),
                    is_active=True,
                )
                user.set_unusable_password()
                user.save()
        except IntegrityError:
            user = User.objects.get(username=username)
    for role in (Role.INTAKE_OPERATOR, Role.DISPATCHER):
        UserRole.objects.get_or_create(user=user, role=role)
    user.forget_roles()
    return user


# -- proposing -------------------------------------------------------------------------------


def _path(category: Category) -> str:
    return " / ".join(c.name for c in reversed(_chain(category)))


def _history(leaf: Category | None, region) -> dict[int, tuple[int, int]]:
    """Past lead units of appeals of the same leaf in the same region: unit id -> (count,
    total)."""
    if leaf is None or region is None:
        return {}
    rows = (
        Assignment.objects.filter(
            role=Assignment.Role.LEAD, appeal__category=leaf, appeal__region=region
        )
        .values("unit_id")
        .annotate(n=Count("id"))
        .order_by("-n")[:10]
    )
    counts = {r["unit_id"]: r["n"] for r in rows}
    total = sum(counts.values())
    return {unit_id: (n, total) for unit_id, n in counts.items()}


def _type_for(appeal) -> tuple[AppealType | None, float | None, str]:
    found = classifier.type_suggestion(appeal)
    if found is not None:
        t = AppealType.objects.filter(code=found["code"], active=True).first()
        if t is not None:
            return t, round(found["confidence"], 4), "model"
    if appeal.appeal_type_id:
        return appeal.appeal_type, None, "given"
    code = setting("AUTO_DISPATCH_DEFAULT_TYPE", "complaint")
    return AppealType.objects.filter(code=code, active=True).first(), None, "default"


def _grade_for(appeal, leaf: Category | None) -> tuple[Grade | None, str]:
    if leaf is not None:
        rule = HandlingRule.objects.filter(category=leaf).select_related("default_grade").first()
        if rule is not None and rule.default_grade_id:
            return rule.default_grade, "category"
    if appeal.grade_id:
        return appeal.grade, "given"
    code = setting("AUTO_DISPATCH_DEFAULT_GRADE", "C")
    grade = Grade.objects.filter(code=code).first() or Grade.objects.order_by("-sort_order").first()
    return grade, "default"


def _leaves_for(labels: list[str]) -> dict[str, Category]:
    """The active leaf categories the model's labels name, in one query for the labels asked."""
    resolver = classifier.Resolver(labels, leaves_only=True)
    return {label: c for label in labels if (c := resolver.category(label)) is not None}


def _learned(appeal, leaf: Category | None) -> list[tuple[Unit, float, str]]:
    """The active routing model learned from history (`dispatch.history`, ADR 0017): up to three
    units with their probabilities for this leaf, channel and place, mapped to the
    organisation's units by name; empty without an active model."""
    if leaf is None:
        return []
    model_id, table = registry.load(ModelVersion.Kind.ROUTING)
    if table is None:
        return []
    from jiesu.dispatch.history import spelling

    chain = _chain(leaf)  # the leaf, its middle category, its major category
    names = [c.name for c in reversed(chain)]
    names = [""] * (3 - len(names)) + names
    places, node = {}, appeal.region
    while node is not None:
        places.setdefault(node.level, node.name)
        node = node.parent
    row = {
        "channel": appeal.channel,
        "nature": "",
        "l1": names[0],
        "l2": names[1],
        "l3": names[2],
        "subdistrict": places.get("subdistrict", ""),
        "community": places.get("community", ""),
        "place": "",
    }
    predicted = table.predict_one(row, k=TOP)
    if not predicted:
        return []
    wanted = {spelling(name) for name, _p in predicted}
    by_name = {}
    for unit in Unit.objects.filter(active=True).only("id", "code", "name", "short_name"):
        for name in (unit.name, unit.short_name):
            if name and spelling(name) in wanted:
                by_name.setdefault(spelling(name), unit)
    version = ModelVersion.objects.filter(pk=model_id).only("kind", "number").first()
    label = version.label if version else "?"
    return [
        (by_name[spelling(name)], p, label) for name, p in predicted if spelling(name) in by_name
    ]


def propose(appeal) -> dict:
    """What the dispatch room would do with `appeal` (JSON-able: stored in `Triage`)."""
    model_id, model = registry.load(ModelVersion.Kind.CATEGORY)
    categories = []
    model_label = None
    if model is not None:
        version = ModelVersion.objects.filter(pk=model_id).only("kind", "number").first()
        model_label = version.label if version else None
        top = model.predict([join_text(appeal.title, appeal.description)], k=TOP)[0]
        leaves = _leaves_for([label for label, _p in top])
        for label, p in top:
            if label in leaves:
                categories.append({"leaf": leaves[label], "confidence": round(p, 4)})
    elif appeal.category_id:
        categories.append({"leaf": appeal.category, "confidence": None})
    appeal_type, type_confidence, type_source = _type_for(appeal)
    top_leaf = categories[0]["leaf"] if categories else None
    grade, grade_source = _grade_for(appeal, top_leaf)

    units: dict[int, dict] = {}
    decisions = []
    active = rules.active_rules()
    for entry in categories:
        facts = rules.Facts.of(appeal, category=entry["leaf"], appeal_type=appeal_type, grade=grade)
        decision = rules.route(facts, active)
        decisions.append(decision)
        if decision.lead is None:
            continue
        slot = units.setdefault(
            decision.lead.pk,
            {"unit": decision.lead, "confidence": 0.0, "reasons": []},
        )
        if entry["confidence"] is not None:
            slot["confidence"] += entry["confidence"]
        reason = decision.reason()
        reason["category"] = entry["leaf"].name
        slot["reasons"].append(reason)
    history = _history(top_leaf, appeal.region)
    for unit_id, (n, total) in history.items():
        if unit_id not in units and len(units) >= TOP:
            continue
        unit = units.get(unit_id, {}).get("unit") or Unit.objects.filter(pk=unit_id).first()
        if unit is None:
            continue
        slot = units.setdefault(unit_id, {"unit": unit, "confidence": None, "reasons": []})
        slot["reasons"].append({"kind": "history", "n": n, "total": total})
    for unit, p, label in _learned(appeal, top_leaf):
        if unit.pk not in units and len(units) >= TOP:
            continue
        slot = units.setdefault(unit.pk, {"unit": unit, "confidence": None, "reasons": []})
        slot["reasons"].append({"kind": "learned", "model": label, "p": round(p, 4)})
    ranked = sorted(
        units.values(), key=lambda s: (s["confidence"] is None, -(s["confidence"] or 0))
    )[:TOP]
    first = decisions[0] if decisions else None
    return {
        "model": model_label,
        "model_id": model_id,
        "category": [
            {
                "id": e["leaf"].pk,
                "code": e["leaf"].code,
                "name": e["leaf"].name,
                "path": _path(e["leaf"]),
                "confidence": e["confidence"],
                "reason": {"kind": "model", "model": model_label}
                if e["confidence"] is not None
                else {"kind": "given"},
            }
            for e in categories
        ],
        "type": (
            {
                "id": appeal_type.pk,
                "code": appeal_type.code,
                "name": appeal_type.name,
                "confidence": type_confidence,
                "reason": {"kind": type_source},
            }
            if appeal_type
            else None
        ),
        "grade": (
            {
                "id": grade.pk,
                "code": grade.code,
                "name": str(grade),
                "reason": {"kind": grade_source},
            }
            if grade
            else None
        ),
        "lead_unit": [
            {
                "id": s["unit"].pk,
                "code": s["unit"].code,
                "name": s["unit"].name,
                "confidence": round(min(s["confidence"], 1.0), 4)
                if s["confidence"] is not None
                else None,
                "reasons": s["reasons"],
            }
            for s in ranked
        ],
        "assisting": [u.pk for u in first.assisting] if first else [],
        "rule": (
            {
                "id": first.rule.pk,
                "name": first.rule.name,
                "type_condition": bool(first.rule.appeal_type_id),
            }
            if first and first.rule
            else None
        ),
        "route": first.source if first else None,
    }


def describe(reason: dict) -> str:
    """Any reason stored in a proposal, as a sentence in the current language."""
    kind = reason.get("kind")
    if kind == "model":
        return _("Text classifier %(model)s.") % {"model": reason.get("model") or "?"}
    if kind == "history":
        return _(
            "History: %(n)d of %(total)d past appeals of this category in this area went here."
        ) % {"n": reason.get("n", 0), "total": reason.get("total", 0)}
    if kind == "learned":
        return _(
            "Routing learned from history (%(model)s): %(percent)d%% of such appeals went here."
        ) % {"model": reason.get("model") or "?", "percent": round(100 * reason.get("p", 0))}
    if kind == "given":
        return _("As given at intake.")
    if kind == "category":
        return _("The category's default grade.")
    if kind == "default":
        return _("The district default.")
    if kind in (
        rules.Source.RULE,
        rules.Source.CATALOGUE,
        rules.Source.AREA,
        rules.Source.BACKSTOP,
    ):
        text = rules.describe_reason(reason)
        if reason.get("category"):
            return _("%(reason)s (if the category is %(category)s)") % {
                "reason": text,
                "category": reason["category"],
            }
        return text
    return ""


# -- deciding --------------------------------------------------------------------------------


def needed_confidence(proposal: dict) -> float | None:
    """The confidence of what the routing needs: the category's, and the type's as well when
    the deciding rule looks at the type (the lower of the two)."""
    if not proposal["category"] or proposal["category"][0]["confidence"] is None:
        return None
    value = proposal["category"][0]["confidence"]
    rule = proposal.get("rule") or {}
    kind = proposal.get("type") or {}
    if rule.get("type_condition") and kind.get("confidence") is not None:
        value = min(value, kind["confidence"])
    return value


# Why an appeal was not dispatched automatically: stored as a code (Triage.reason), shown in the
# reader's language by `why_text` (a worker's language is nobody's choice).
WHY = {
    "district_off": gettext_lazy("Automatic dispatch is switched off for the district."),
    "no_model": gettext_lazy("No category model is active."),
    "no_leaf": gettext_lazy("The model names no leaf category of the catalogue."),
    "channel_off": gettext_lazy("Automatic dispatch is switched off for this channel."),
    "category_off": gettext_lazy("Automatic dispatch is switched off for this category."),
    "no_threshold": gettext_lazy("No threshold is set for this category."),
    "too_short": gettext_lazy("The text is too short to classify with confidence."),
    "below_threshold": gettext_lazy(
        "Confidence %(confidence).2f is below the threshold %(threshold).2f."
    ),
    "incomplete": gettext_lazy("No lead unit, type or grade could be proposed."),
    "consultation": gettext_lazy("Consultations are answered at the desk."),
    "no_place": gettext_lazy("The appeal has no place yet."),
    "refused": gettext_lazy("Automatic dispatch refused: %(error)s"),
}


def why_text(triage: Triage) -> str:
    """The triage's reason as a sentence in the current language (rows written before reasons
    were codes keep their stored sentence)."""
    code, _sep, detail = (triage.reason or "").partition(":")
    message = WHY.get(code)
    if message is None:
        return triage.reason
    if code == "below_threshold":
        return str(message) % {
            "confidence": triage.confidence or 0,
            "threshold": triage.threshold or 0,
        }
    if code == "refused":
        return str(message) % {"error": detail.strip() or "?"}
    return str(message)


def text_length(appeal) -> int:
    """Letters, digits and ideographs in the appeal's title and text together (no spaces, no
    punctuation): "测试" twice is 4, however confident the model is about it."""
    return sum(ch.isalnum() for ch in f"{appeal.title}{appeal.description}")


def decide(appeal, proposal: dict) -> tuple[bool, str, float | None, float | None]:
    """(automatic?, why not (a code of WHY), confidence, threshold)."""
    confidence = needed_confidence(proposal)
    leaf = None
    if proposal["category"]:
        leaf = Category.objects.filter(pk=proposal["category"][0]["id"]).first()
    threshold = threshold_for(leaf) if leaf is not None else default_threshold()

    def no(code: str):
        return False, code, confidence, threshold

    if not enabled():
        return no("district_off")
    if proposal["model"] is None:
        return no("no_model")
    if leaf is None:
        return no("no_leaf")
    if channel_switched_off(appeal.channel):
        return no("channel_off")
    if category_switched_off(leaf):
        return no("category_off")
    if threshold is None:
        return no("no_threshold")
    if text_length(appeal) < int(setting("AUTO_DISPATCH_MIN_CHARS", 8)):
        return no("too_short")
    if confidence is None or confidence < threshold:
        return no("below_threshold")
    if not proposal["lead_unit"] or proposal["type"] is None or proposal["grade"] is None:
        return no("incomplete")
    if proposal["type"]["code"] in setting("AUTO_DISPATCH_SKIP_TYPES", ["consultation"]):
        return no("consultation")
    if appeal.lat is None and not appeal.address:
        return no("no_place")
    return True, "", confidence, threshold


def _lead_for_dispatch(proposal: dict) -> Unit | None:
    """The unit the deciding route named (the top category's), never a guess from history
    (past dispatches or the routing model learned from them: ADR 0017, not precise enough to
    dispatch alone)."""
    for slot in proposal["lead_unit"]:
        if any(r.get("kind") not in ("history", "learned") for r in slot["reasons"]):
            return Unit.objects.filter(pk=slot["id"], active=True).first()
    return None


def _save_triage(appeal, proposal, outcome, reason, confidence, threshold, now) -> Triage | None:
    lead = proposal["lead_unit"][0]["id"] if proposal["lead_unit"] else None
    try:
        with transaction.atomic():
            return Triage.objects.create(
                appeal=appeal,
                created_at=now,
                model_id=proposal.get("model_id"),
                suggestions=proposal,
                confidence=confidence,
                threshold=threshold,
                outcome=outcome,
                reason=reason[:300],
                unit_id=lead,
                category_id=proposal["category"][0]["id"] if proposal["category"] else None,
            )
    except IntegrityError:  # another worker triaged it first
        return None


def _prepare_desk(appeal) -> None:
    """Search the likely duplicates of an appeal left for the intake desk now, in the worker,
    so that the desk's first view of it reuses the shortlist instead of searching the open
    appeals (ADR 0036). A shortlist is a convenience: when the search fails the desk searches
    itself, and the triage stands."""
    if not duplicates.shortlist_seconds():
        return
    try:
        duplicates.find_many([appeal])
    except DatabaseError:
        logger.warning("duplicate shortlist of appeal %s not prepared", appeal.pk, exc_info=True)


def triage(appeal_id: int) -> Triage | None:
    """Classify, grade and route one received appeal, and dispatch it when confident. Returns
    the Triage (None when the appeal is gone, no longer received, or triaged already)."""
    appeal = (
        Appeal.objects.select_related("category", "appeal_type", "grade", "region")
        .filter(pk=appeal_id)
        .first()
    )
    if appeal is None or appeal.status != Status.RECEIVED:
        return None
    existing = Triage.objects.filter(appeal=appeal).first()
    if existing is not None:
        return existing
    proposal = propose(appeal)
    automatic, why, confidence, threshold = decide(appeal, proposal)
    now = timesource.now()
    if not automatic:
        queued = _save_triage(
            appeal, proposal, Triage.Outcome.QUEUED, why, confidence, threshold, now
        )
        if queued is not None:
            _prepare_desk(appeal)
        return queued
    lead = _lead_for_dispatch(proposal)
    decision = {
        "auto": True,
        "model": proposal["model"],
        "confidence": confidence,
        "threshold": threshold,
        "scores": [
            {"category": c["code"], "confidence": c["confidence"]} for c in proposal["category"]
        ],
        "type_confidence": (proposal["type"] or {}).get("confidence"),
        "rule": (proposal.get("rule") or {}).get("name"),
        "route": proposal.get("route"),
    }
    actor = system_actor()
    try:
        with transaction.atomic():
            triage_row = Triage.objects.create(
                appeal=appeal,
                created_at=now,
                model_id=proposal.get("model_id"),
                suggestions=proposal,
                confidence=confidence,
                threshold=threshold,
                outcome=Triage.Outcome.AUTO,
                reason="",
                unit=lead,
                category_id=proposal["category"][0]["id"],
            )
            registered = workflow.register(
                appeal.pk,
                actor,
                appeal_type=AppealType.objects.get(pk=proposal["type"]["id"]),
                category=Category.objects.get(pk=proposal["category"][0]["id"]),
                grade=Grade.objects.get(pk=proposal["grade"]["id"]),
                expected_version=appeal.version,
                decision=decision,
            )
            workflow.dispatch(
                appeal.pk,
                actor,
                lead_unit=lead,
                assisting_units=list(
                    Unit.objects.filter(pk__in=proposal["assisting"], active=True)
                ),
                expected_version=registered.version,
                decision=decision,
            )
        return triage_row
    except IntegrityError:
        return Triage.objects.filter(appeal=appeal).first()
    except WorkflowError as exc:
        # An operator acted first (version changed or state moved on), or the workflow refused:
        # nothing was written; the desk keeps the suggestions and the reason.
        return _save_triage(
            appeal,
            proposal,
            Triage.Outcome.FAILED,
            # The workflow's message names what happened (in the worker's language: it is
            # the one detail that is not a code).
            f"refused: {exc}",
            confidence,
            threshold,
            now,
        )


def retriage(appeal_id: int) -> Triage | None:
    """Recompute the suggestions of a received appeal (e.g. a model was activated since)."""
    Triage.objects.filter(
        appeal_id=appeal_id, outcome__in=[Triage.Outcome.QUEUED, Triage.Outcome.FAILED]
    ).delete()
    return triage(appeal_id)


def triage_waiting(limit: int | None = None) -> Counter:
    """Triage the received appeals that have none yet (e.g. they arrived before the first model
    was activated), oldest first. Returns the count per outcome."""
    ids = (
        Appeal.objects.filter(status=Status.RECEIVED, triage__isnull=True)
        .order_by("received_at", "id")
        .values_list("id", flat=True)
    )
    done: Counter = Counter()
    for appeal_id in list(ids[:limit] if limit else ids):
        found = triage(appeal_id)
        if found is not None:
            done[found.outcome] += 1
    return done


def retriage_waiting(limit: int | None = None) -> Counter:
    """After another category model was activated: the received appeals still waiting with
    suggestions of another version are triaged again with the active one (fresh suggestions at
    the desk; dispatched when the new model is confident enough), then those with none.
    Returns the count per outcome."""
    active = registry.active_row(ModelVersion.Kind.CATEGORY)
    if active is None:
        return Counter()
    stale = Triage.objects.filter(
        appeal__status=Status.RECEIVED, outcome=Triage.Outcome.QUEUED
    ).exclude(model_id=active[0])
    ids = list(
        stale.order_by("appeal__received_at", "appeal_id").values_list("appeal_id", flat=True)
    )
    done: Counter = Counter()
    for appeal_id in ids[:limit] if limit else ids:
        found = retriage(appeal_id)
        if found is not None:
            done[found.outcome] += 1
    done.update(triage_waiting(limit))
    return done


# -- the receiver ----------------------------------------------------------------------------


def on_appeal_event(sender, appeal, event, **kwargs):
    """A new appeal: triage it in a task after the commit (intake stays fast)."""
    if event.kind != "receive" or not enabled_for_intake():
        return
    appeal_id = appeal.pk

    def enqueue():
        from jiesu.dispatch import tasks

        try:
            # Without an active category model there is nothing to propose: no task at all.
            if not registry.has_active(ModelVersion.Kind.CATEGORY):
                return
            tasks.triage_appeal.enqueue(appeal_id)
        except Exception:  # the appeal is received; it waits at the desk without suggestions
            logger.exception("Could not enqueue the triage of appeal %s", appeal_id)

    transaction.on_commit(enqueue)


def enabled_for_intake() -> bool:
    """Triage runs whenever suggestions are wanted (setting AUTO_TRIAGE, on by default), even
    with automatic dispatch switched off: the desk still gets suggestions."""
    return bool(setting("AUTO_TRIAGE", True))


# -- measuring -------------------------------------------------------------------------------


def real_precision_by_week(weeks: int = 12, now=None) -> list[dict]:
    """Per week (Monday, Asia/Shanghai) of the automatic dispatches: how many, how many were
    later returned or re-dispatched, and the share that stayed (the real precision)."""
    now = now or timezone.now()
    since = now - timedelta(weeks=weeks)
    rows = list(
        Triage.objects.filter(outcome=Triage.Outcome.AUTO, created_at__gte=since).values_list(
            "appeal_id", "created_at"
        )
    )
    undone = set(
        Event.objects.filter(appeal_id__in=[r[0] for r in rows], kind__in=UNDONE_KINDS)
        .values_list("appeal_id", flat=True)
        .distinct()
    )
    weeks_found: dict = defaultdict(Counter)
    for appeal_id, created in rows:
        local = timezone.localtime(created, rules.SHANGHAI).date()
        monday = local - timedelta(days=local.weekday())
        weeks_found[monday]["auto"] += 1
        if appeal_id in undone:
            weeks_found[monday]["undone"] += 1
    out = []
    for monday in sorted(weeks_found, reverse=True):
        c = weeks_found[monday]
        out.append(
            {
                "week": monday,
                "auto": c["auto"],
                "undone": c["undone"],
                "precision": round((c["auto"] - c["undone"]) / c["auto"], 4) if c["auto"] else None,
            }
        )
    return out


# -- thresholds from the measured table ------------------------------------------------------


def precision_table(version: ModelVersion | None, label: str = "*") -> list[dict]:
    """The out-of-fold precision-by-threshold rows of a model version for one label (or all:
    "*"), each with `precision_low`, the precision its number of predictions shows with 95%
    confidence (`bounds.share_low`; computed here, so older versions get it too)."""
    if version is None:
        return []
    table = (version.meta or {}).get("out_of_fold", {}).get("thresholds", {})
    rows = []
    for row in table.get(label) or []:
        n = int(row.get("predictions") or 0)
        measured = row.get("precision")
        correct = round(measured * n) if measured is not None else 0
        rows.append({**row, "precision_low": bounds.share_low(correct, n)})
    return rows


def label_of(category: Category, version: ModelVersion | None) -> str | None:
    """The model's label for a leaf category (its code, else its name), if the model has it."""
    if version is None:
        return None
    labels = set((version.meta or {}).get("label_counts", {}))
    for candidate in (category.code, category.name):
        if candidate in labels:
            return candidate
    return None


def target_precision() -> float:
    """The precision suggested thresholds aim for (setting AUTO_DISPATCH_TARGET_PRECISION)."""
    return float(setting("AUTO_DISPATCH_TARGET_PRECISION", 0.95))


def lowest_threshold_for(rows: list[dict], precision: float) -> float | None:
    """The lowest threshold whose precision is shown to reach `precision`: the lower end of
    its 95% interval (`precision_low`), not the measured share, reaches it, so a threshold
    measured on a handful of predictions is not taken for a proven one (None if none)."""
    for row in sorted(rows, key=lambda r: r["threshold"]):
        if row.get("precision_low") is not None and row["precision_low"] >= precision:
            return row["threshold"]
    return None


def suggested_threshold(
    rows: list[dict], overall: list[dict], precision: float | None = None
) -> float | None:
    """The threshold to suggest for one category from its own measured rows and the model's
    overall ones.

    1. The category's own evidence when it is enough: the lowest threshold whose precision is
       shown (95% confidence) to reach the target.
    2. Otherwise the overall suggestion, raised to the lowest threshold at or above it where
       the category's own measured precision (however few its predictions) is not below the
       target: a category that measured worse than the rest does not inherit their threshold.
    3. None when neither holds: the measurements do not support dispatching this category
       automatically at any threshold."""
    precision = target_precision() if precision is None else precision
    own = lowest_threshold_for(rows, precision)
    if own is not None:
        return own
    floor = lowest_threshold_for(overall, precision)
    if floor is None:
        return None
    measured = {r["threshold"]: r.get("precision") for r in rows}
    candidates = sorted({r["threshold"] for r in overall} | set(measured))
    for threshold in candidates:
        if threshold < floor:
            continue
        value = measured.get(threshold)
        if value is None or value >= precision:
            return threshold
    return None


def apply_suggested_thresholds(target: float | None = None) -> list[CategoryPolicy]:
    """Per leaf category the active model knows: its suggested threshold
    (`suggested_threshold` at the target precision). For the demo's bootstrap, after training;
    does nothing without an active model. Categories without a suggestion get no policy (the
    district default applies: none, never automatic). Returns the policies written."""
    version = ModelVersion.objects.filter(kind=ModelVersion.Kind.CATEGORY, active=True).first()
    if version is None:
        return []
    overall = precision_table(version)
    written = []
    for leaf in Category.objects.filter(level=Category.Level.LEAF, active=True):
        label = label_of(leaf, version)
        if label is None:
            continue
        value = suggested_threshold(precision_table(version, label), overall, target)
        if value is None:
            continue
        policy, _created = CategoryPolicy.objects.update_or_create(
            category=leaf, defaults={"threshold": value, "auto_dispatch": True}
        )
        written.append(policy)
    return written
