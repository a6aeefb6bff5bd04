# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Every transition of an appeal, in one place.

Each public function here is one transition of DESIGN.md. It runs in one database transaction:
it locks the appeal row, checks the actor's role and scope (`org.permissions`), the appeal's
state (the `TRANSITIONS` table) and the required fields, then changes the state, starts or stops
SLA clocks, writes exactly one audit event, queues notifications in the outbox and tells the
rooms below through `hooks.appeal_event`. Anything refused raises a `WorkflowError` and changes
nothing.

Callers may pass `expected_version` (the `Appeal.version` they showed the user); when somebody
else acted in between, the call fails with `Conflict` instead of acting on a changed appeal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu import rowinsert, textcheck
from jiesu.appeals import audit, clocks, hooks, numbering, timesource, tracking
from jiesu.appeals.errors import Conflict, InvalidInput, InvalidTransition, NotAllowed
from jiesu.appeals.models import (
    Appeal,
    Assignment,
    Attachment,
    Clock,
    ReturnVisit,
    SupervisionNotice,
    UnitRequest,
)
from jiesu.appeals.states import FINAL_STATES, OPEN_STATUS_LIST, Status
from jiesu.catalog import services as catalog
from jiesu.catalog.models import AppealType, Category, Grade
from jiesu.conf import setting
from jiesu.credit_code import credit_code_valid
from jiesu.notify import outbox
from jiesu.notify.models import Notification
from jiesu.org import geo, permissions
from jiesu.org.models import Region, Unit, User
from jiesu.org.permissions import Action
from jiesu.org.roles import Role

S = Status


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    targets: tuple[str, ...]  # possible resulting states; empty = the state does not change
    action: str
    note: str = ""

    @property
    def keeps_state(self) -> bool:
        return not self.targets


def _t(name, label, sources, targets, action, note=""):
    return Transition(
        name,
        label,
        frozenset(str(s) for s in sources),
        tuple(str(t) for t in targets),
        str(action),
        note,
    )


WITH_UNIT = (S.DISPATCHED, S.IN_PROGRESS, S.RETURN_REQUESTED)
OPEN = tuple(OPEN_STATUS_LIST)

# The transition table: the single source of truth for what may happen in which state.
# docs/workflow.md is generated from it (`manage.py workflow_doc`), and a test keeps them equal.
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t(
            "receive",
            gettext_lazy("Receive"),
            [],
            [S.RECEIVED],
            Action.FILE_APPEAL,
            "a new appeal from any channel",
        ),
        _t(
            "register",
            gettext_lazy("Register"),
            [S.RECEIVED],
            [S.REGISTERED],
            Action.REGISTER,
            "type, category, grade and location checked; the citizen is told (受理告知)",
        ),
        _t(
            "reject",
            gettext_lazy("Reject"),
            [S.RECEIVED],
            [S.REJECTED],
            Action.REJECT,
            "reason required; the citizen is told",
        ),
        _t(
            "merge",
            gettext_lazy("Merge"),
            [S.RECEIVED],
            [S.MERGED],
            Action.MERGE,
            "into an earlier open appeal about the same matter",
        ),
        _t(
            "answer",
            gettext_lazy("Answer directly"),
            [S.RECEIVED, S.REGISTERED],
            [S.ANSWERED],
            Action.ANSWER_DIRECTLY,
            "consultations answered from the knowledge base",
        ),
        _t(
            "dispatch",
            gettext_lazy("Dispatch"),
            [S.REGISTERED],
            [S.DISPATCHED],
            Action.DISPATCH,
            "one lead unit, optional assisting units; clocks start",
        ),
        _t(
            "sign",
            gettext_lazy("Sign for"),
            [S.DISPATCHED, S.IN_PROGRESS],
            [S.IN_PROGRESS],
            Action.SIGN,
            "the lead's sign-for starts handling; assisting units sign too",
        ),
        _t(
            "contact",
            gettext_lazy("Record first contact"),
            [S.IN_PROGRESS],
            [],
            Action.CONTACT,
            "the lead unit contacts the citizen first; once, before the completion is submitted",
        ),
        _t(
            "request_return",
            gettext_lazy("Request return"),
            [S.DISPATCHED, S.IN_PROGRESS],
            [S.RETURN_REQUESTED],
            Action.REQUEST_RETURN,
            "reason required",
        ),
        _t(
            "approve_return",
            gettext_lazy("Approve return"),
            [S.RETURN_REQUESTED],
            [S.DISPATCHED],
            Action.DECIDE_RETURN,
            "re-dispatched to another unit, or the backstop unit leads",
        ),
        _t(
            "refuse_return",
            gettext_lazy("Refuse return"),
            [S.RETURN_REQUESTED],
            [S.DISPATCHED, S.IN_PROGRESS],
            Action.DECIDE_RETURN,
            "back to where it was; reason required",
        ),
        _t(
            "redispatch",
            gettext_lazy("Re-dispatch"),
            [S.DISPATCHED, S.IN_PROGRESS],
            [S.DISPATCHED],
            Action.REDISPATCH,
            "to another lead unit; fresh clocks",
        ),
        _t(
            "request_extension",
            gettext_lazy("Request extension"),
            [S.IN_PROGRESS],
            [],
            Action.REQUEST_EXTENSION,
            "before the handling deadline; reason required",
        ),
        _t(
            "approve_extension",
            gettext_lazy("Approve extension"),
            WITH_UNIT,
            [],
            Action.DECIDE_EXTENSION,
            "moves the handling deadline; the citizen is told",
        ),
        _t(
            "refuse_extension",
            gettext_lazy("Refuse extension"),
            WITH_UNIT,
            [],
            Action.DECIDE_EXTENSION,
            "reason required",
        ),
        _t(
            "complete",
            gettext_lazy("Complete"),
            [S.IN_PROGRESS],
            [S.COMPLETED],
            Action.COMPLETE,
            "result and evidence; waits for the unit leader when the unit requires it",
        ),
        _t(
            "approve_completion",
            gettext_lazy("Approve unit completion"),
            [S.IN_PROGRESS],
            [S.COMPLETED],
            Action.APPROVE_UNIT_COMPLETION,
            "the unit leader lets it leave",
        ),
        _t(
            "reject_completion",
            gettext_lazy("Send back within the unit"),
            [S.IN_PROGRESS],
            [],
            Action.APPROVE_UNIT_COMPLETION,
            "reason required",
        ),
        _t(
            "approve_review",
            gettext_lazy("Accept result"),
            [S.COMPLETED],
            [S.VISITING],
            Action.REVIEW,
            "handling feedback goes to the citizen; the visit clock starts",
        ),
        _t(
            "send_back",
            gettext_lazy("Send back"),
            [S.COMPLETED],
            [S.IN_PROGRESS],
            Action.REVIEW,
            "reason required; the handling clock runs on",
        ),
        _t(
            "record_visit",
            gettext_lazy("Record return visit"),
            [S.VISITING],
            [S.CLOSED, S.IN_PROGRESS],
            Action.RECORD_VISIT,
            "satisfied or basically: closed; not satisfied through the unit: reopened; "
            "unreachable three times: closed",
        ),
        _t(
            "close",
            gettext_lazy("Close without visit"),
            [S.VISITING],
            [S.CLOSED],
            Action.RECORD_VISIT,
            "e.g. anonymous reporter; reason required",
        ),
        _t(
            "reopen",
            gettext_lazy("Reopen"),
            [S.CLOSED],
            [S.IN_PROGRESS],
            Action.REOPEN,
            "by a supervisor, reason required; fresh handling clock",
        ),
        _t(
            "supervise",
            gettext_lazy("Issue supervision notice"),
            OPEN,
            [],
            Action.SUPERVISE,
            "the lead unit must answer",
        ),
        _t(
            "answer_supervision",
            gettext_lazy("Answer supervision notice"),
            OPEN + (S.CLOSED,),
            [],
            Action.ANSWER_SUPERVISION,
            "by the supervised unit",
        ),
    ]
}


def max_extension_days() -> int:
    """The most working days one extension may ask for (the JIESU MAX_EXTENSION_DAYS rule)."""
    return int(setting("MAX_EXTENSION_DAYS", 15))


# --------------------------------------------------------------------------------------------
# Plumbing shared by every transition


@dataclass
class _Step:
    appeal: Appeal
    transition: Transition
    actor: User | None
    now: datetime
    from_status: str
    notes: list = field(default_factory=list)


def _require_text(value: str | None, field_name: str, message) -> str:
    value = _safe_text(value, field_name)
    if not value:
        raise InvalidInput(message, field_errors={field_name: [str(message)]})
    return value


def _safe_text(value: str | None, field_name: str, *, multiline: bool = True) -> str:
    """The text stripped; InvalidInput when it holds control or bidirectional-override
    characters (jiesu.textcheck), whichever door it came through."""
    value = (value or "").strip()
    if textcheck.unsafe(value, multiline=multiline):
        message = _("Remove the control or text-direction characters from this text.")
        raise InvalidInput(message, field_errors={field_name: [str(message)]})
    return value


def _lock(appeal, expected_version: int | None) -> Appeal:
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    try:
        # Only the appeal's row is locked; the reference data the transitions read (type,
        # category, grade, region, rule version) comes along in the same statement.
        locked = (
            Appeal.objects.select_for_update(of=("self",))
            .select_related("appeal_type", "category", "grade", "region", "rule_version")
            .defer("region__boundary")
            .get(pk=pk)
        )
    except Appeal.DoesNotExist:
        raise InvalidInput(_("No such appeal.")) from None
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    return locked


def _check_state(appeal: Appeal, transition: Transition):
    if appeal.status not in transition.sources:
        raise InvalidTransition(
            _("“%(action)s” is not possible while the appeal is “%(status)s”.")
            % {"action": transition.label, "status": appeal.get_status_display()}
        )


def _check_permission(actor, transition: Transition, unit=None):
    if actor is None:
        raise NotAllowed(_("This action needs a signed-in staff member."))
    try:
        permissions.require(actor, transition.action, unit=unit)
    except permissions.PermissionDenied as exc:
        raise NotAllowed(str(exc) or _("Your role does not allow this action.")) from None


def _begin(appeal, name: str, actor, expected_version, unit=None, check_permission=True) -> _Step:
    transition = TRANSITIONS[name]
    locked = _lock(appeal, expected_version)
    if check_permission:
        _check_permission(actor, transition, unit)
    elif actor is None or permissions.scope_of(actor, transition.action) is None:
        # The unit is settled later (from the actor's assignment), but a role that may never
        # take this action is refused first: 403 for "not yours to do", not 409 "not now".
        _check_permission(actor, transition)
    _check_state(locked, transition)
    return _Step(locked, transition, actor, timesource.now(), locked.status)


def _finish(step: _Step, *, to_status: str | None = None, payload=None, unit=None, kind=None):
    appeal = step.appeal
    if to_status is not None:
        appeal.status = to_status
    appeal.version += 1
    event = audit.save_with_event(
        appeal,
        kind or step.transition.name,
        actor=step.actor,
        at=step.now,
        from_status=step.from_status,
        to_status=appeal.status,
        payload=payload,
        unit=unit,
    )
    hooks.appeal_event.send(sender=Appeal, appeal=appeal, event=event)
    return appeal


def _lead(appeal: Appeal) -> Assignment | None:
    return (
        appeal.assignments.select_for_update(of=("self",))
        .filter(role=Assignment.Role.LEAD, active=True)
        .select_related("unit")
        .first()
    )


def _require_lead(appeal: Appeal) -> Assignment:
    """The active lead assignment of an appeal that must have one (dispatched and not closed)."""
    lead = _lead(appeal)
    if lead is None:
        raise InvalidTransition(_("The appeal has no active lead unit."))
    return lead


def _actor_assignment(appeal: Appeal, actor, action, *, lead_only=False) -> Assignment:
    """The active assignment of this appeal that the actor acts for (lead first)."""
    assignments = list(
        appeal.assignments.filter(active=True).select_related("unit").order_by("-role", "id")
    )
    if lead_only:
        assignments = [a for a in assignments if a.role == Assignment.Role.LEAD]
    for assignment in assignments:
        if permissions.can(actor, action, unit=assignment.unit):
            return assignment
    raise NotAllowed(
        _("You may not do this for this appeal: it is not assigned to your unit.")
        if actor is not None and permissions.roles_allowed(action) & actor.role_set
        else _("Your role does not allow this action.")
    )


def _citizen_recipients(appeal: Appeal) -> list[Appeal]:
    """The appeal and the appeals merged into it: their reporters hear the same progress."""
    return [appeal, *appeal.merged_appeals.all()]


def _in_message_language(label) -> str:
    """A label rendered in the language outbox messages are written in (the site's)."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(label)


def _tell_citizen(step: _Step, event: str, context: dict | None = None):
    # One insert for every reporter told (a key already in the outbox is skipped).
    outbox.enqueue_many(
        [
            {
                "event": f"citizen.{event}",
                "channel": Notification.Channel.SMS,
                "address": target.reporter_phone,
                "context": {
                    "number": target.number,
                    "title": target.title,
                    # Labels in the message's language, whatever language the actor's page uses.
                    "status": _in_message_language(Status(step.appeal.status).label),
                    **(context or {}),
                },
                "subject_ref": target.number,
                "idempotency_key": (
                    f"{target.number}:{step.appeal.audit_count + 1}:citizen.{event}"
                ),
                "now": step.now,
            }
            for target in _citizen_recipients(step.appeal)
            if not target.anonymous and target.reporter_phone
        ]
    )


def _tell_unit(step: _Step, unit: Unit, event: str, context: dict | None = None, key=""):
    outbox.add(
        f"unit.{event}",
        unit=unit,
        context={"number": step.appeal.number, "title": step.appeal.title, **(context or {})},
        subject_ref=step.appeal.number,
        idempotency_key=(
            f"{step.appeal.number}:{step.appeal.audit_count + 1}:unit.{event}:{unit.pk}{key}"
        ),
        now=step.now,
    )


def supervisors():
    return User.objects.filter(is_active=True, roles__role=Role.SUPERVISOR).distinct()


def _supervisor_messages(
    staff, appeal: Appeal, event: str, now, context: dict | None, *, count: int, key=""
) -> list[dict]:
    """The outbox items telling each supervisor; `count` is the appeal's event count then."""
    return [
        {
            "event": f"supervisor.{event}",
            "user": user,
            "context": {"number": appeal.number, "title": appeal.title, **(context or {})},
            "subject_ref": appeal.number,
            "idempotency_key": f"{appeal.number}:{count + 1}:sup.{event}:{user.pk}{key}",
            "now": now,
        }
        for user in staff
    ]


def _tell_supervisors(appeal: Appeal, event: str, now, context: dict | None = None, key=""):
    for message in _supervisor_messages(
        supervisors(), appeal, event, now, context, count=appeal.audit_count, key=key
    ):
        outbox.enqueue(**message)


# --------------------------------------------------------------------------------------------
# Intake desk


def _valid_coordinates(lat, lng):
    if lat is None and lng is None:
        return None
    try:
        lat_f, lng_f = float(lat), float(lng)
    except (TypeError, ValueError):
        raise InvalidInput(
            _("Latitude and longitude must both be numbers."),
            field_errors={"location": [_("Latitude and longitude must both be numbers.")]},
        ) from None
    if not (-90 <= lat_f <= 90 and -180 <= lng_f <= 180):
        raise InvalidInput(
            _("The coordinates are out of range."),
            field_errors={"location": [_("The coordinates are out of range.")]},
        )
    return lat_f, lng_f


@transaction.atomic
def receive(
    *,
    channel: str,
    title: str,
    description: str,
    actor: User | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_is_enterprise: bool = False,
    reporter_credit_code: str = "",
    anonymous: bool = False,
    confidential: bool = False,
    address: str = "",
    lat=None,
    lng=None,
    appeal_type: AppealType | None = None,
    category: Category | None = None,
    grade: Grade | None = None,
    external_ref: str = "",
) -> Appeal:
    """File a new appeal (待受理). `actor` is the operator; None for a machine channel."""
    transition = TRANSITIONS["receive"]
    if actor is not None:
        _check_permission(actor, transition)
    reporter_name = _safe_text(reporter_name, "reporter_name", multiline=False)
    reporter_phone = _safe_text(reporter_phone, "reporter_phone", multiline=False)
    reporter_credit_code = _safe_text(
        reporter_credit_code, "reporter_credit_code", multiline=False
    ).strip()
    if reporter_credit_code:
        reporter_credit_code = reporter_credit_code.upper()
        if not credit_code_valid(reporter_credit_code):
            message = _("Not a valid unified social credit code (18 characters, check digit).")
            raise InvalidInput(message, field_errors={"reporter_credit_code": [message]})
    address = _safe_text(address, "address")
    external_ref = _safe_text(external_ref, "external_ref", multiline=False)
    channel = _require_text(channel, "channel", _("The channel is required."))
    title = _require_text(title, "title", _("A title is required."))[:200]
    description = _require_text(description, "description", _("A description is required."))
    if not anonymous and not (reporter_phone or "").strip():
        raise InvalidInput(
            _("A contact phone is required unless the appeal is anonymous."),
            field_errors={"reporter_phone": [_("Required unless anonymous.")]},
        )
    coords = _valid_coordinates(lat, lng)
    if category is not None and not category.is_leaf:
        raise InvalidInput(
            _("Choose a leaf category (third level)."),
            field_errors={"category": [_("Choose a leaf category (third level).")]},
        )
    region = geo.resolve_point(*coords) if coords else None
    if coords and region is None and geo.outside_district(*coords):
        raise InvalidInput(
            _("The location lies outside the district."),
            field_errors={"location": [_("The location lies outside the district.")]},
        )
    now = timesource.now()
    query_code = tracking.new_code()
    appeal = Appeal(
        number="",
        channel=channel,
        external_ref=external_ref,
        reporter_name="" if anonymous else reporter_name.strip(),
        reporter_phone="" if anonymous else reporter_phone.strip(),
        reporter_is_enterprise=reporter_is_enterprise,
        reporter_credit_code=reporter_credit_code,
        anonymous=anonymous,
        confidential=confidential,
        title=title,
        description=description,
        address=address.strip(),
        lat=coords[0] if coords else None,
        lng=coords[1] if coords else None,
        region=region,
        appeal_type=appeal_type,
        category=category,
        grade=grade,
        status=Status.RECEIVED,
        received_at=now,
        created_by=actor,
        version=1,
    )
    first = {
        "actor": actor,
        "at": now,
        "from_status": "",
        "to_status": Status.RECEIVED,
        "payload": {"channel": channel, "external_ref": external_ref},
        "label": None if actor else f"channel:{channel}",
    }
    if not numbering.numbers_in_the_insert():
        appeal.number = numbering.take(now)  # held until the commit
        appeal.query_code_hash = tracking.code_hash(appeal.number, query_code)
        event = audit.insert_with_first_event(appeal, "receive", **first)
        hooks.appeal_event.send(sender=Appeal, appeal=appeal, event=event)
    else:
        # The ids first (no lock), then everything prepared and held; the day's number is drawn
        # by the last statement of the one round trip that writes it all, so the day's counter
        # is held for that statement and the commit only (ADR 0032). The receivers of this
        # `receive` event run before the number exists (hooks.py).
        appeal.id, event_id = numbering.ids()
        appeal.query_code_hash = tracking.code_hash_by_id(appeal.id, query_code)
        with rowinsert.batched():
            event = audit.first_event(appeal, "receive", event_id, **first)
            hooks.appeal_event.send(sender=Appeal, appeal=appeal, event=event)
            numbering.insert_numbered(appeal, now)
    # Shown to the citizen once (receipt page, acceptance SMS); only its hash is stored.
    appeal.query_code = query_code
    return appeal


@transaction.atomic
def register(
    appeal,
    actor,
    *,
    appeal_type: AppealType,
    category: Category,
    grade: Grade,
    address: str | None = None,
    lat=None,
    lng=None,
    region: Region | None = None,
    expected_version=None,
    decision: dict | None = None,
) -> Appeal:
    """立案: the intake desk confirms type, category, grade and location. `decision` records,
    in the event, why an automatic actor chose these values (model version, scores)."""
    step = _begin(appeal, "register", actor, expected_version)
    a = step.appeal
    errors = {}
    if appeal_type is None or not appeal_type.active:
        errors["appeal_type"] = [_("Choose an active appeal type.")]
    if category is None or not category.is_leaf or not category.active:
        errors["category"] = [_("Choose an active leaf category (third level).")]
    if grade is None:
        errors["grade"] = [_("Choose a grade.")]
    if address is not None:
        a.address = _safe_text(address, "address")
    if lat is not None or lng is not None:
        coords = _valid_coordinates(lat, lng)
        a.lat, a.lng = coords
        a.region = geo.resolve_point(*coords)
    elif a.lat is not None and a.region_id is None:
        a.region = geo.resolve_point(a.lat, a.lng)
    if region is not None:
        a.region = region
    if a.lat is not None and a.region_id is None:
        errors["location"] = [_("The location lies outside the district.")]
    if a.lat is None and not a.address:
        errors["location"] = [_("Give the place: a map point or an address.")]
    if errors:
        raise InvalidInput(_("The appeal cannot be registered yet."), field_errors=errors)
    a.appeal_type, a.category, a.grade = appeal_type, category, grade
    a.registered_at = step.now
    _finish(
        step,
        to_status=Status.REGISTERED,
        payload={
            "type": appeal_type.code,
            "category": category.code,
            "grade": grade.code,
            "region": a.region.code if a.region is not None else None,
            **({"decision": decision} if decision else {}),
        },
    )
    _tell_citizen(step, "accepted")
    return a


@transaction.atomic
def reject(appeal, actor, *, reason: str, expected_version=None) -> Appeal:
    """不予受理, with the reason the citizen is told."""
    reason = _require_text(reason, "reason", _("Give the reason for rejecting."))
    step = _begin(appeal, "reject", actor, expected_version)
    step.appeal.reply = reason
    step.appeal.closed_at = step.now
    _finish(step, to_status=Status.REJECTED, payload={"reason": reason})
    _tell_citizen(step, "rejected", {"reason": reason})
    return step.appeal


@transaction.atomic
def merge(appeal, actor, *, into, expected_version=None) -> Appeal:
    """并单: fold a later appeal into an earlier open one about the same matter."""
    step = _begin(appeal, "merge", actor, expected_version)
    a = step.appeal
    target_pk = into.pk if isinstance(into, Appeal) else into
    try:
        target = Appeal.objects.select_for_update(of=("self",)).get(pk=target_pk)
    except Appeal.DoesNotExist:
        raise InvalidInput(_("The appeal to merge into does not exist.")) from None
    if target.pk == a.pk:
        raise InvalidInput(_("An appeal cannot be merged into itself."))
    if target.merged_into_id is not None:
        # Merged appeals point at the appeal that carries the matter on.
        target = Appeal.objects.select_for_update(of=("self",)).get(pk=target.merged_into_id)
    if target.status in FINAL_STATES:
        raise InvalidInput(_("Merge only into an appeal that is still open."))
    if target.received_at > a.received_at:
        raise InvalidInput(_("Merge a later appeal into an earlier one."))
    a.merged_into = target
    a.closed_at = step.now
    _finish(step, to_status=Status.MERGED, payload={"into": target.number})
    _tell_citizen(step, "merged", {"into": target.number})
    return a


@transaction.atomic
def answer(appeal, actor, *, reply: str, expected_version=None) -> Appeal:
    """已直接答复: a consultation answered at once (from the knowledge base)."""
    reply = _require_text(reply, "reply", _("Write the answer the citizen will read."))
    step = _begin(appeal, "answer", actor, expected_version)
    step.appeal.reply = reply
    step.appeal.closed_at = step.now
    _finish(step, to_status=Status.ANSWERED, payload={"reply": reply})
    _tell_citizen(step, "answered", {"reply": reply})
    return step.appeal


# --------------------------------------------------------------------------------------------
# Dispatch


def _start_assignment(step: _Step, unit: Unit, role: str, *, first_asked=False) -> Assignment:
    if not unit.active:
        raise InvalidInput(_("%(unit)s is not an active unit.") % {"unit": unit})
    a = step.appeal
    assignment = Assignment.objects.create(
        appeal=a,
        unit=unit,
        role=role,
        first_asked=first_asked,
        dispatched_at=step.now,
        dispatched_by=step.actor,
    )
    kinds = [Clock.Kind.SIGN]
    if role == Assignment.Role.LEAD:
        kinds += [Clock.Kind.CONTACT, Clock.Kind.HANDLE]
    clocks.start_clocks(a, kinds, step.now, assignment=assignment)
    _tell_unit(step, unit, "new_work", {"role": role})
    return assignment


def _lapse_requests(assignment: Assignment, now, note) -> int:
    """A unit's pending requests lapse when its handling ends (withdrawn, or completed): the
    deadline they are about no longer runs, and nobody could decide them any more."""
    return assignment.requests.filter(decision=UnitRequest.Decision.PENDING).update(
        decision=UnitRequest.Decision.REFUSED, decision_note=note, decided_at=now
    )


def _withdraw(assignment: Assignment, now):
    clocks.cancel_for_assignment(assignment)
    _lapse_requests(assignment, now, _("Lapsed: the appeal was taken from this unit."))
    assignment.active = False
    assignment.state = Assignment.State.WITHDRAWN
    assignment.withdrawn_at = now
    assignment.save(update_fields=["active", "state", "withdrawn_at"])


def _resolve_lead(appeal: Appeal, lead_unit: Unit | None) -> tuple[Unit, bool]:
    """The lead unit asked for, else the catalogue's, else the backstop (first-ask)."""
    if lead_unit is not None:
        return lead_unit, False
    category = appeal.category
    version = appeal.rule_version
    unit = (
        catalog.lead_unit_for(
            category, appeal.region, rule=version.rule if version is not None else None
        )
        if category is not None
        else None
    )
    if unit is None:
        unit = Unit.backstop()
    if unit is None:
        raise InvalidInput(
            _("No lead unit: the catalogue names none and no backstop unit is configured.")
        )
    # The units given are active, and one unit at most is the backstop (a constraint).
    return unit, unit.is_backstop


def _assisting_from_rule(appeal: Appeal) -> list[Unit]:
    version = appeal.rule_version
    if version is None:
        return []
    codes = version.snapshot.get("assisting_units") or []
    return list(Unit.objects.filter(code__in=codes, active=True))


@transaction.atomic
def dispatch(
    appeal,
    actor,
    *,
    lead_unit: Unit | None = None,
    assisting_units=None,
    expected_version=None,
    decision: dict | None = None,
) -> Appeal:
    """派单 to one lead unit and optional assisting units. Without a lead unit given, the
    catalogue's rule decides, and when ownership is unclear the backstop unit leads. `decision`
    records, in the event, why an automatic actor chose this unit (rule, model, scores)."""
    step = _begin(appeal, "dispatch", actor, expected_version)
    a = step.appeal
    category = a.category
    if category is not None:
        version = catalog.current_version(category)
        if version is None and hasattr(category, "rule"):
            version = catalog.record_version(category.rule)
        a.rule_version = version
    lead, first_asked = _resolve_lead(a, lead_unit)
    if assisting_units is None:
        assisting_units = _assisting_from_rule(a)
    assisting = [u for u in dict.fromkeys(assisting_units) if u.pk != lead.pk]
    a.dispatched_at = step.now
    _start_assignment(step, lead, Assignment.Role.LEAD, first_asked=first_asked)
    for unit in assisting:
        _start_assignment(step, unit, Assignment.Role.ASSIST)
    _finish(
        step,
        to_status=Status.DISPATCHED,
        unit=lead,
        payload={
            "lead": lead.code,
            "assisting": [u.code for u in assisting],
            "first_ask": first_asked,
            "rule_version": a.rule_version.number if a.rule_version is not None else None,
            **({"decision": decision} if decision else {}),
        },
    )
    _tell_citizen(step, "dispatched", {"unit": lead.name})
    return a


@transaction.atomic
def redispatch(appeal, actor, *, lead_unit: Unit, reason: str, expected_version=None) -> Appeal:
    """改派: move the lead to another unit; the old lead's clocks are cancelled."""
    reason = _require_text(reason, "reason", _("Give the reason for re-dispatching."))
    step = _begin(appeal, "redispatch", actor, expected_version)
    old = _lead(step.appeal)
    if old is not None and old.unit_id == lead_unit.pk:
        raise InvalidInput(_("The appeal is already with this unit."))
    if old is not None:
        _withdraw(old, step.now)
    _start_assignment(step, lead_unit, Assignment.Role.LEAD)
    _finish(
        step,
        to_status=Status.DISPATCHED,
        unit=lead_unit,
        payload={"from": old.unit.code if old else None, "to": lead_unit.code, "reason": reason},
    )
    return step.appeal


# --------------------------------------------------------------------------------------------
# Unit


@transaction.atomic
def sign(appeal, actor, *, expected_version=None) -> Appeal:
    """签收: the unit takes the appeal on; the lead's sign-for starts handling."""
    step = _begin(appeal, "sign", actor, expected_version, check_permission=False)
    a = step.appeal
    pending = [
        x
        for x in a.assignments.filter(active=True, state=Assignment.State.PENDING)
        .select_related("unit")
        .order_by("-role", "id")
        if permissions.can(actor, Action.SIGN, unit=x.unit)
    ]
    if not pending:
        _actor_assignment(a, actor, Action.SIGN)  # raises the right NotAllowed
        raise InvalidTransition(_("Your unit has already signed for this appeal."))
    assignment = pending[0]
    if assignment.role == Assignment.Role.ASSIST and a.status == Status.RETURN_REQUESTED:
        raise InvalidTransition(_("The appeal is awaiting a decision on its return."))
    assignment.state = Assignment.State.SIGNED
    assignment.signed_at = step.now
    assignment.signed_by = actor
    assignment.save(update_fields=["state", "signed_at", "signed_by"])
    clocks.stop(a, Clock.Kind.SIGN, step.now, assignment=assignment)
    to = Status.IN_PROGRESS if assignment.role == Assignment.Role.LEAD else a.status
    _finish(step, to_status=to, unit=assignment.unit, payload={"role": assignment.role})
    return a


@transaction.atomic
def contact(appeal, actor, *, method: str, note: str = "", expected_version=None) -> Appeal:
    """先行联系: the lead unit records its first contact with the citizen."""
    method = _require_text(method, "method", _("Say how the citizen was contacted."))
    step = _begin(appeal, "contact", actor, expected_version, check_permission=False)
    lead = _actor_assignment(step.appeal, actor, Action.CONTACT, lead_only=True)
    if lead.contacted_at is not None:
        raise InvalidTransition(_("The first contact has already been recorded."))
    if lead.state in (Assignment.State.AWAITING_APPROVAL, Assignment.State.COMPLETED):
        # The completion said what was done; a contact recorded after it would be back-dated
        # work, and the first-contact clock has already stopped as missed.
        raise InvalidTransition(
            _("The completion has been submitted: the first contact can no longer be recorded.")
        )
    lead.contacted_at = step.now
    lead.save(update_fields=["contacted_at"])
    clocks.stop(step.appeal, Clock.Kind.CONTACT, step.now, assignment=lead)
    _finish(step, unit=lead.unit, payload={"method": method, "note": note})
    return step.appeal


@transaction.atomic
def request_return(appeal, actor, *, reason: str, expected_version=None) -> Appeal:
    """退单: the lead unit asks to give the appeal back (not its remit)."""
    reason = _require_text(reason, "reason", _("Give the reason for returning the appeal."))
    step = _begin(appeal, "request_return", actor, expected_version, check_permission=False)
    lead = _actor_assignment(step.appeal, actor, Action.REQUEST_RETURN, lead_only=True)
    UnitRequest.objects.create(
        appeal=step.appeal,
        assignment=lead,
        kind=UnitRequest.Kind.RETURN,
        reason=reason,
        requested_at=step.now,
        requested_by=actor,
    )
    step.appeal.status_before_return = step.appeal.status
    _finish(step, to_status=Status.RETURN_REQUESTED, unit=lead.unit, payload={"reason": reason})
    return step.appeal


def _pending_request(appeal: Appeal, kind: str) -> UnitRequest:
    req = (
        UnitRequest.objects.select_for_update(of=("self",))
        .filter(appeal=appeal, kind=kind, decision=UnitRequest.Decision.PENDING)
        .select_related("assignment__unit")
        .first()
    )
    if req is None:
        raise InvalidTransition(_("There is no pending request to decide."))
    return req


def _decide(req: UnitRequest, step: _Step, decision: str, note: str):
    req.decision = decision
    req.decision_note = note
    req.decided_at = step.now
    req.decided_by = step.actor
    req.save(update_fields=["decision", "decision_note", "decided_at", "decided_by"])


@transaction.atomic
def approve_return(
    appeal, actor, *, lead_unit: Unit | None = None, note: str = "", expected_version=None
) -> Appeal:
    """Approve a return and re-dispatch 改派: to `lead_unit`, or when no other owner is named,
    to the backstop unit under first-ask responsibility."""
    step = _begin(appeal, "approve_return", actor, expected_version)
    a = step.appeal
    req = _pending_request(a, UnitRequest.Kind.RETURN)
    old = req.assignment
    first_asked = False
    if lead_unit is None:
        lead_unit = Unit.backstop()
        first_asked = True
        if lead_unit is None:
            raise InvalidInput(_("Name the new lead unit: no backstop unit is configured."))
    if lead_unit.pk == old.unit_id:
        raise InvalidInput(_("Choose a unit other than the one returning the appeal."))
    _decide(req, step, UnitRequest.Decision.APPROVED, note)
    _withdraw(old, step.now)
    _start_assignment(step, lead_unit, Assignment.Role.LEAD, first_asked=first_asked)
    a.status_before_return = ""
    _finish(
        step,
        to_status=Status.DISPATCHED,
        unit=lead_unit,
        payload={"from": old.unit.code, "to": lead_unit.code, "first_ask": first_asked},
    )
    return a


@transaction.atomic
def refuse_return(appeal, actor, *, reason: str, expected_version=None) -> Appeal:
    """Refuse a return: the unit keeps the appeal, in the state it was in."""
    reason = _require_text(reason, "reason", _("Give the reason for refusing the return."))
    step = _begin(appeal, "refuse_return", actor, expected_version)
    a = step.appeal
    req = _pending_request(a, UnitRequest.Kind.RETURN)
    _decide(req, step, UnitRequest.Decision.REFUSED, reason)
    back = a.status_before_return or Status.DISPATCHED
    a.status_before_return = ""
    _finish(step, to_status=back, unit=req.assignment.unit, payload={"reason": reason})
    _tell_unit(step, req.assignment.unit, "return_refused", {"reason": reason})
    return a


def _handle_clock(appeal: Appeal, lead: Assignment) -> Clock | None:
    return clocks.running(appeal, Clock.Kind.HANDLE, lead).select_for_update(of=("self",)).first()


@transaction.atomic
def request_extension(
    appeal, actor, *, working_days: int, reason: str, expected_version=None
) -> Appeal:
    """延期: asked before the handling deadline, for up to the configured working days."""
    reason = _require_text(reason, "reason", _("Give the reason for the extension."))
    max_days = max_extension_days()
    try:
        working_days = int(working_days)
    except (TypeError, ValueError):
        working_days = 0
    if not 1 <= working_days <= max_days:
        msg = _("An extension is 1 to %(max)d working days.") % {"max": max_days}
        raise InvalidInput(msg, field_errors={"working_days": [msg]})
    step = _begin(appeal, "request_extension", actor, expected_version, check_permission=False)
    lead = _actor_assignment(step.appeal, actor, Action.REQUEST_EXTENSION, lead_only=True)
    handle = _handle_clock(step.appeal, lead)
    if handle is None:
        raise InvalidTransition(_("There is no running handling deadline to extend."))
    if step.now >= handle.due_at:
        raise InvalidTransition(
            _("An extension must be requested before the handling deadline (%(due)s).")
            % {"due": handle.due_at.strftime("%Y-%m-%d %H:%M")}
        )
    if UnitRequest.objects.filter(
        assignment=lead, kind=UnitRequest.Kind.EXTENSION, decision=UnitRequest.Decision.PENDING
    ).exists():
        raise InvalidTransition(_("An extension request is already waiting for a decision."))
    UnitRequest.objects.create(
        appeal=step.appeal,
        assignment=lead,
        kind=UnitRequest.Kind.EXTENSION,
        reason=reason,
        extension_days=working_days,
        requested_at=step.now,
        requested_by=actor,
    )
    _finish(step, unit=lead.unit, payload={"working_days": working_days, "reason": reason})
    return step.appeal


@transaction.atomic
def approve_extension(appeal, actor, *, note: str = "", expected_version=None) -> Appeal:
    """Approve an extension: the handling deadline moves; the original stays on record."""
    step = _begin(appeal, "approve_extension", actor, expected_version)
    req = _pending_request(step.appeal, UnitRequest.Kind.EXTENSION)
    handle = _handle_clock(step.appeal, req.assignment)
    if handle is None:
        raise InvalidTransition(_("There is no running handling deadline to extend."))
    if req.extension_days is None:
        raise InvalidTransition(_("The extension request names no number of working days."))
    _decide(req, step, UnitRequest.Decision.APPROVED, note)
    before = handle.due_at
    clocks.extend(handle, req.extension_days)
    _finish(
        step,
        unit=req.assignment.unit,
        payload={
            "working_days": req.extension_days,
            "due_before": before,
            "due_after": handle.due_at,
            "original_due": handle.original_due_at,
        },
    )
    # A deadline through a year whose holidays are not yet announced says so (ADR 0009).
    _tell_citizen(
        step,
        "extended",
        {"due": handle.due_at.strftime("%Y-%m-%d %H:%M"), "provisional": handle.provisional},
    )
    _tell_unit(step, req.assignment.unit, "extension_approved")
    return step.appeal


@transaction.atomic
def refuse_extension(appeal, actor, *, reason: str, expected_version=None) -> Appeal:
    reason = _require_text(reason, "reason", _("Give the reason for refusing the extension."))
    step = _begin(appeal, "refuse_extension", actor, expected_version)
    req = _pending_request(step.appeal, UnitRequest.Kind.EXTENSION)
    _decide(req, step, UnitRequest.Decision.REFUSED, reason)
    _finish(step, unit=req.assignment.unit, payload={"reason": reason})
    _tell_unit(step, req.assignment.unit, "extension_refused", {"reason": reason})
    return step.appeal


def _link_evidence(appeal: Appeal, lead: Assignment, actor, attachments) -> list[int]:
    """Attach evidence files to this completion. A file may be linked only by the person who
    uploaded it, only once, and only while it is pending (linked to no appeal yet): file ids
    are sequential, so naming someone else's upload must not make it this unit's."""
    ids = [a.pk if isinstance(a, Attachment) else int(a) for a in attachments or ()]
    if not ids:
        return []
    files = list(Attachment.objects.select_for_update(of=("self",)).filter(pk__in=ids))
    if len(files) != len(set(ids)) or any(
        f.appeal_id is not None
        or f.purpose != Attachment.Purpose.EVIDENCE
        or f.uploaded_by_id is None
        or f.uploaded_by_id != getattr(actor, "pk", None)
        for f in files
    ):
        raise InvalidInput(
            _(
                "An evidence file is unknown, already attached, or was not uploaded by you: "
                "upload the file again."
            ),
            field_errors={"attachments": [_("Unknown evidence file.")]},
        )
    Attachment.objects.filter(pk__in=ids).update(appeal=appeal, assignment=lead)
    return sorted(set(ids))


def _publish_evidence(attachment_ids: list[int], public) -> list[int]:
    """Mark the evidence files the unit chose to show the citizen; only files of this very
    completion may be chosen."""
    ids = {a.pk if isinstance(a, Attachment) else int(a) for a in public or ()}
    if not ids:
        return []
    if not ids <= set(attachment_ids):
        raise InvalidInput(
            _("Only evidence files of this completion can be shown to the citizen."),
            field_errors={"public_attachments": [_("Not an evidence file of this completion.")]},
        )
    Attachment.objects.filter(pk__in=ids).update(public=True)
    return sorted(ids)


def _complete_now(step: _Step, lead: Assignment):
    a = step.appeal
    lead.state = Assignment.State.COMPLETED
    lead.save(update_fields=["state"])
    clocks.stop(a, Clock.Kind.HANDLE, step.now, assignment=lead)
    _lapse_requests(lead, step.now, _("Lapsed: the unit completed the appeal."))
    # Whatever was still counting for this round of handling is over, and its step was not
    # done: an assisting unit's sign-for and a first contact never recorded are missed (not
    # applicable for the contact when there is nobody to contact).
    clocks.stop_unmet(a, Clock.Kind.SIGN, step.now)
    clocks.stop_unmet(a, Clock.Kind.CONTACT, step.now, applicable=citizen_reachable(a))
    a.completed_at = step.now
    a.reply = lead.result


@transaction.atomic
def complete(
    appeal,
    actor,
    *,
    result: str,
    evidence: str,
    attachments=(),
    public_attachments=(),
    expected_version=None,
) -> Appeal:
    """办结反馈: the lead unit reports the result with evidence, for all units involved.
    In a unit that requires it, a handler's completion waits for the unit leader.
    `public_attachments` (a subset of `attachments`) are the evidence photos the citizen may
    see on the tracking page once the result is public."""
    result = _require_text(result, "result", _("Write the result the citizen will read."))
    evidence = _require_text(
        evidence, "evidence", _("Describe the evidence: what was done, photos, documents.")
    )
    step = _begin(appeal, "complete", actor, expected_version, check_permission=False)
    a = step.appeal
    lead = _actor_assignment(a, actor, Action.COMPLETE, lead_only=True)
    if lead.state == Assignment.State.PENDING:
        raise InvalidTransition(_("Sign for the appeal before completing it."))
    if lead.state == Assignment.State.AWAITING_APPROVAL:
        raise InvalidTransition(_("The completion is already waiting for the unit leader."))
    lead.result, lead.evidence = result, evidence
    lead.completed_at, lead.completed_by = step.now, actor
    lead.save(update_fields=["result", "evidence", "completed_at", "completed_by"])
    attachment_ids = _link_evidence(a, lead, actor, attachments)
    public_ids = _publish_evidence(attachment_ids, public_attachments)
    needs_leader = lead.unit.requires_leader_approval and not permissions.can(
        actor, Action.APPROVE_UNIT_COMPLETION, unit=lead.unit
    )
    if needs_leader:
        lead.state = Assignment.State.AWAITING_APPROVAL
        lead.save(update_fields=["state"])
        _finish(
            step,
            unit=lead.unit,
            payload={
                "result": result,
                "awaiting_leader": True,
                "attachments": attachment_ids,
                "public_attachments": public_ids,
            },
            kind="complete",
        )
        _tell_unit(step, lead.unit, "completion_awaiting_approval")
        return a
    _complete_now(step, lead)
    _finish(
        step,
        to_status=Status.COMPLETED,
        unit=lead.unit,
        payload={
            "result": result,
            "attachments": attachment_ids,
            "public_attachments": public_ids,
        },
    )
    return a


@transaction.atomic
def approve_completion(appeal, actor, *, note: str = "", expected_version=None) -> Appeal:
    """The unit leader lets a handler's completion leave the unit."""
    step = _begin(appeal, "approve_completion", actor, expected_version, check_permission=False)
    lead = _actor_assignment(step.appeal, actor, Action.APPROVE_UNIT_COMPLETION, lead_only=True)
    if lead.state != Assignment.State.AWAITING_APPROVAL:
        raise InvalidTransition(_("No completion is waiting for approval."))
    _complete_now(step, lead)
    _finish(step, to_status=Status.COMPLETED, unit=lead.unit, payload={"note": note})
    return step.appeal


@transaction.atomic
def reject_completion(appeal, actor, *, reason: str, expected_version=None) -> Appeal:
    reason = _require_text(reason, "reason", _("Give the reason for sending it back."))
    step = _begin(appeal, "reject_completion", actor, expected_version, check_permission=False)
    lead = _actor_assignment(step.appeal, actor, Action.APPROVE_UNIT_COMPLETION, lead_only=True)
    if lead.state != Assignment.State.AWAITING_APPROVAL:
        raise InvalidTransition(_("No completion is waiting for approval."))
    lead.state = Assignment.State.SIGNED
    lead.save(update_fields=["state"])
    _finish(step, unit=lead.unit, payload={"reason": reason})
    return step.appeal


# --------------------------------------------------------------------------------------------
# Centre: review, return visit, close, reopen


@transaction.atomic
def approve_review(appeal, actor, *, note: str = "", expected_version=None) -> Appeal:
    """审核通过: the result goes to the citizen (办理反馈) and the return visit is due."""
    step = _begin(appeal, "approve_review", actor, expected_version)
    a = step.appeal
    clocks.start_clock(a, Clock.Kind.VISIT, step.now, limit=clocks.visit_limit())
    _finish(step, to_status=Status.VISITING, payload={"note": note})
    _tell_citizen(step, "feedback", {"reply": a.reply})
    return a


@transaction.atomic
def send_back(appeal, actor, *, reason: str, expected_version=None) -> Appeal:
    """审核退回: the result is not good enough; the lead unit works on, same deadline."""
    reason = _require_text(reason, "reason", _("Give the reason for sending it back."))
    step = _begin(appeal, "send_back", actor, expected_version)
    a = step.appeal
    lead = _require_lead(a)
    lead.state = Assignment.State.SIGNED
    lead.save(update_fields=["state"])
    # The handling clock runs on from its original start and deadline.
    handle = (
        a.clocks.filter(kind=Clock.Kind.HANDLE, assignment=lead, cancelled=False)
        .order_by("-started_at", "-id")
        .first()
    )
    if handle is not None:
        handle.stopped_at, handle.outcome = None, ""
        handle.save(update_fields=["stopped_at", "outcome"])
    a.completed_at = None
    _finish(step, to_status=Status.IN_PROGRESS, unit=lead.unit, payload={"reason": reason})
    _tell_unit(step, lead.unit, "sent_back", {"reason": reason})
    return a


def citizen_reachable(appeal: Appeal) -> bool:
    """Whether anybody can be contacted or visited for this appeal: a reporter who left a
    phone and is not anonymous. Otherwise the first-contact and return-visit steps are not
    applicable: their clocks stop as such, counted neither on time nor late."""
    return not appeal.anonymous and bool(appeal.reporter_phone)


def _close(step: _Step, reason: str = "", *, visited: bool = True):
    a = step.appeal
    if visited:
        clocks.stop(a, Clock.Kind.VISIT, step.now)
    else:
        clocks.stop_unmet(a, Clock.Kind.VISIT, step.now, applicable=citizen_reachable(a))
    a.closed_at = step.now
    a.closing_reason = reason


def _reopen(step: _Step) -> Assignment:
    a = step.appeal
    lead = _require_lead(a)
    a.reopen_count += 1
    a.completed_at = None
    a.closed_at = None
    a.satisfaction = ""
    a.visit_attempts = 0
    clocks.stop(a, Clock.Kind.VISIT, step.now)
    lead.state = Assignment.State.SIGNED
    lead.save(update_fields=["state"])
    clocks.start_clock(a, Clock.Kind.HANDLE, step.now, assignment=lead)
    return lead


def _escalation_messages(notice: SupervisionNotice, staff, *, count: int) -> list[dict]:
    """The outbox items of an automatic supervision notice: the unit and every supervisor."""
    appeal, now = notice.appeal, notice.issued_at
    context = {"number": appeal.number, "title": appeal.title, "reason": notice.reason}
    unit_message = {
        "event": "unit.supervision",
        "unit": notice.unit,
        "context": context,
        "subject_ref": appeal.number,
        "idempotency_key": f"{appeal.number}:supervision:{notice.pk}",
        "now": now,
    }
    return [
        unit_message,
        *_supervisor_messages(
            staff,
            appeal,
            "supervision",
            now,
            {"reason": notice.reason},
            count=count,
            key=f":{notice.pk}",
        ),
    ]


def _escalate(appeal: Appeal, unit: Unit, reason: str, now) -> SupervisionNotice:
    notice = SupervisionNotice.objects.create(
        appeal=appeal, unit=unit, reason=reason, automatic=True, issued_at=now
    )
    for message in _escalation_messages(notice, supervisors(), count=appeal.audit_count):
        outbox.enqueue(**message)
    return notice


@transaction.atomic
def record_visit(
    appeal,
    actor,
    *,
    outcome: str,
    unit_at_fault: bool = False,
    note: str = "",
    expected_version=None,
) -> Appeal:
    """回访: satisfied or basically satisfied closes; not satisfied for reasons on the unit's
    side reopens (重办) to the same unit, and a second such failure escalates to supervision;
    unreachable is retried up to the configured number of attempts, then closes."""
    valid = {c.value for c in Appeal.Satisfaction}
    if outcome not in valid:
        raise InvalidInput(
            _("Choose the visit outcome."), field_errors={"outcome": [_("Unknown outcome.")]}
        )
    if outcome == Appeal.Satisfaction.UNSATISFIED:
        _require_text(note, "note", _("Record why the citizen is not satisfied."))
    step = _begin(appeal, "record_visit", actor, expected_version)
    a = step.appeal
    ReturnVisit.objects.create(
        appeal=a,
        outcome=outcome,
        unit_at_fault=unit_at_fault and outcome == Appeal.Satisfaction.UNSATISFIED,
        note=note,
        visited_at=step.now,
        agent=actor,
    )
    a.visit_attempts += 1
    payload = {"outcome": outcome, "unit_at_fault": unit_at_fault, "note": note}
    max_attempts = int(setting("VISIT_MAX_ATTEMPTS", 3))
    if outcome in (Appeal.Satisfaction.SATISFIED, Appeal.Satisfaction.BASIC):
        a.satisfaction = outcome
        _close(step)
        _finish(step, to_status=Status.CLOSED, payload=payload)
        _tell_citizen(step, "closed")
    elif outcome == Appeal.Satisfaction.UNSATISFIED and unit_at_fault:
        lead = _reopen(step)
        payload["reopen_count"] = a.reopen_count
        _finish(step, to_status=Status.IN_PROGRESS, unit=lead.unit, payload=payload)
        _tell_unit(step, lead.unit, "reopened", {"reason": note})
        if a.reopen_count >= 2:
            _escalate(
                a,
                lead.unit,
                _("Reopened a second time after an unsatisfied return visit: %(note)s")
                % {"note": note},
                step.now,
            )
    elif outcome == Appeal.Satisfaction.UNSATISFIED:
        a.satisfaction = outcome
        _close(step, note)
        _finish(step, to_status=Status.CLOSED, payload=payload)
        _tell_citizen(step, "closed")
    elif a.visit_attempts >= max_attempts:
        a.satisfaction = Appeal.Satisfaction.UNREACHABLE
        _close(step, _("Citizen unreachable after %(n)d attempts.") % {"n": a.visit_attempts})
        payload["attempts"] = a.visit_attempts
        _finish(step, to_status=Status.CLOSED, payload=payload)
    else:
        payload["attempts"] = a.visit_attempts
        _finish(step, payload=payload)
    return a


@transaction.atomic
def close(appeal, actor, *, reason: str, expected_version=None) -> Appeal:
    """结案 without a visit, when no visit is possible (e.g. an anonymous reporter)."""
    reason = _require_text(reason, "reason", _("Give the reason for closing without a visit."))
    step = _begin(appeal, "close", actor, expected_version)
    _close(step, reason, visited=False)
    _finish(step, to_status=Status.CLOSED, payload={"reason": reason})
    _tell_citizen(step, "closed")
    return step.appeal


@transaction.atomic
def reopen(appeal, actor, *, reason: str, expected_version=None) -> Appeal:
    """重办 by a supervisor: a closed appeal goes back to its lead unit with a fresh clock."""
    reason = _require_text(reason, "reason", _("Give the reason for reopening."))
    step = _begin(appeal, "reopen", actor, expected_version)
    if _lead(step.appeal) is None:
        raise InvalidTransition(_("This appeal was never with a unit; it cannot be reopened."))
    lead = _reopen(step)
    _finish(
        step,
        to_status=Status.IN_PROGRESS,
        unit=lead.unit,
        payload={"reason": reason, "reopen_count": step.appeal.reopen_count},
    )
    _tell_unit(step, lead.unit, "reopened", {"reason": reason})
    return step.appeal


# --------------------------------------------------------------------------------------------
# The citizen's own rating


def citizen_unsatisfied_reopens() -> bool:
    """The rule (JIESU CITIZEN_UNSATISFIED_REOPENS, off by default): whether a citizen's
    "not satisfied" on a closed appeal reopens it at once, or only goes to supervision."""
    return bool(setting("CITIZEN_UNSATISFIED_REOPENS", False))


def citizen_may_rate(appeal) -> bool:
    """Whether the citizen may rate the appeal's result now: once a result has been given, once
    per result (an appeal reopened and completed again can be rated again)."""
    return (
        appeal.status in (Status.COMPLETED, Status.VISITING, Status.CLOSED)
        and appeal.completed_at is not None
        and (appeal.citizen_rated_at is None or appeal.citizen_rated_at < appeal.completed_at)
    )


@transaction.atomic
def citizen_rate(appeal, *, rating: str, comment: str = "") -> Appeal:
    """The citizen rates the result (satisfied / basically / not) after completion. It is
    recorded in the history and shown beside the return visit's outcome.

    "Not satisfied" always reaches supervision: an automatic supervision notice to the lead
    unit (which must answer it; supervisors are told), and the appeal is listed on the
    supervision desk while it stays closed. When the rule says so
    (`citizen_unsatisfied_reopens`), a closed appeal is also reopened (重办) to its lead unit,
    as after an unsatisfied return visit; otherwise the supervisor decides (`reopen`)."""
    valid = {"satisfied", "basic", "unsatisfied"}
    if rating not in valid:
        raise InvalidInput(
            _("Choose satisfied, basically satisfied or not satisfied."),
            field_errors={"rating": [_("Unknown rating.")]},
        )
    comment = _safe_text(comment, "comment")[:1000]
    a = _lock(appeal, None)
    if a.status not in (Status.COMPLETED, Status.VISITING, Status.CLOSED) or a.completed_at is None:
        raise InvalidTransition(_("The appeal can be rated once its result has been given."))
    if not citizen_may_rate(a):
        raise InvalidTransition(_("This appeal has already been rated."))
    now = timesource.now()
    from_status = a.status
    a.citizen_rating, a.citizen_comment, a.citizen_rated_at = rating, comment, now
    payload: dict[str, object] = {"rating": rating, "comment": comment}
    lead = _lead(a) if rating == "unsatisfied" else None
    step = _Step(a, TRANSITIONS["reopen"], None, now, from_status)
    reopened = lead is not None and from_status == Status.CLOSED and citizen_unsatisfied_reopens()
    if reopened:
        lead = _reopen(step)
        a.status = Status.IN_PROGRESS
        a.version += 1
        payload["reopen_count"] = a.reopen_count
        a.save()
    else:
        a.save(update_fields=["citizen_rating", "citizen_comment", "citizen_rated_at"])
    if lead is not None:
        reason = (
            _("The citizen rated the result “not satisfied”: %(comment)s") % {"comment": comment}
            if comment
            else _("The citizen rated the result “not satisfied” (no comment).")
        )
        payload["notice"] = _escalate(a, lead.unit, reason, now).pk
    event = audit.append(
        a,
        "citizen_rating",
        at=now,
        from_status=from_status,
        to_status=a.status,
        unit=lead.unit if lead is not None else None,
        payload=payload,
        label="citizen",
    )
    if reopened and lead is not None:
        _tell_unit(step, lead.unit, "reopened", {"reason": comment or _("Citizen not satisfied")})
    hooks.appeal_event.send(sender=Appeal, appeal=a, event=event)
    return a


# --------------------------------------------------------------------------------------------
# Supervision


@transaction.atomic
def supervise(appeal, actor, *, reason: str, expected_version=None) -> SupervisionNotice:
    """督办: a supervisor issues a notice the lead unit must answer."""
    reason = _require_text(reason, "reason", _("Write what the supervision notice demands."))
    step = _begin(appeal, "supervise", actor, expected_version)
    lead = _lead(step.appeal)
    if lead is None:
        raise InvalidTransition(_("The appeal is not with a unit yet; dispatch it first."))
    notice = SupervisionNotice.objects.create(
        appeal=step.appeal, unit=lead.unit, reason=reason, issued_at=step.now, issued_by=actor
    )
    _finish(step, unit=lead.unit, payload={"reason": reason, "notice": notice.pk})
    _tell_unit(step, lead.unit, "supervision", {"reason": reason})
    return notice


@transaction.atomic
def answer_supervision(appeal, actor, *, notice, answer: str, expected_version=None):
    answer = _require_text(answer, "answer", _("Write the answer to the supervision notice."))
    step = _begin(appeal, "answer_supervision", actor, expected_version, check_permission=False)
    notice_pk = notice.pk if isinstance(notice, SupervisionNotice) else notice
    notice = (
        SupervisionNotice.objects.select_for_update(of=("self",))
        .filter(pk=notice_pk, appeal=step.appeal)
        .first()
    )
    if notice is None:
        raise InvalidInput(_("No such supervision notice on this appeal."))
    if not permissions.can(actor, Action.ANSWER_SUPERVISION, unit=notice.unit):
        raise NotAllowed(_("Only the supervised unit may answer this notice."))
    if notice.answered_at is not None:
        raise InvalidTransition(_("This notice has already been answered."))
    notice.answer, notice.answered_at, notice.answered_by = answer, step.now, actor
    notice.save(update_fields=["answer", "answered_at", "answered_by"])
    _finish(step, unit=notice.unit, payload={"notice": notice.pk, "answer": answer})
    _tell_supervisors(step.appeal, "supervision_answered", step.now, key=f":{notice.pk}")
    return notice


# --------------------------------------------------------------------------------------------
# SLA sweep (called by the periodic task)


def sweep_clocks(now=None, batch_size: int = 200) -> dict:
    """Raise yellow and red lights that are due; open a supervision notice on each handling
    breach. Idempotent: a clock is warned and breached at most once.

    Clocks are swept in batches, each in one transaction and in a fixed number of queries
    whatever its size (`_sweep_batch`)."""
    now = now or timesource.now()
    counts = {"warned": 0, "breached": 0, "supervised": 0}
    base = Clock.objects.filter(stopped_at__isnull=True, cancelled=False)
    for field_name, due_field in (("warned_at", "warn_at"), ("breached_at", "due_at")):
        while True:
            ids = list(
                base.filter(**{f"{field_name}__isnull": True, f"{due_field}__lte": now})
                .values_list("id", flat=True)
                .order_by("id")[:batch_size]
            )
            if not ids:
                break
            for k, v in _sweep_batch(ids, field_name, now).items():
                counts[k] += v
    return counts


@transaction.atomic
def _sweep_batch(clock_ids: list[int], field_name: str, now) -> dict:
    """Warn (field_name warned_at) or breach (breached_at) these clocks, in one transaction.

    Queries, whatever the number of clocks: lock the appeals (in id order, as every
    transition locks an appeal before its clocks), lock and re-read the clocks, mark them,
    insert the history events, move the appeals' chain heads, read the supervisors, insert
    the supervision notices, insert the notifications. (The database may cut a very large
    insert into several statements: SQLite takes at most 999 parameters per statement.)
    """
    appeals = {
        a.pk: a
        for a in Appeal.objects.select_for_update()
        .filter(pk__in=Clock.objects.filter(pk__in=clock_ids).values("appeal_id"))
        .order_by("pk")
    }
    # of=self: PostgreSQL cannot lock the nullable side of the outer join to the assignment.
    swept = [
        clock
        for clock in Clock.objects.select_for_update(of=("self",))
        .select_related("assignment__unit")
        .filter(pk__in=clock_ids, **{f"{field_name}__isnull": True})
        .order_by("pk")
        if clock.running and clock.appeal_id in appeals
    ]
    if not swept:
        return {}
    Clock.objects.filter(pk__in=[c.pk for c in swept]).update(**{field_name: now})
    breach = field_name == "breached_at"
    kind = "clock_breach" if breach else "clock_warning"
    entries = []
    for clock in swept:
        appeal = appeals[clock.appeal_id]
        unit = clock.assignment.unit if clock.assignment is not None else None
        entries.append(
            (
                appeal,
                kind,
                {
                    "at": now,
                    "from_status": appeal.status,
                    "to_status": appeal.status,
                    "unit": unit,
                    "payload": {"clock": clock.kind, "due": clock.due_at},
                    "label": "system",
                },
            )
        )
    # The appeal's event count just after each clock's event (for the notification keys).
    after = [event.seq for event in audit.append_many(entries)]
    staff = list(supervisors())
    clock_label = {k: _in_message_language(Clock.Kind(k).label) for k in Clock.Kind.values}
    messages, escalations = [], []
    for clock, count in zip(swept, after, strict=True):
        appeal = appeals[clock.appeal_id]
        unit = clock.assignment.unit if clock.assignment is not None else None
        due = clock.due_at.strftime("%Y-%m-%d %H:%M")
        context = {
            "number": appeal.number,
            "title": appeal.title,
            "clock": clock_label[clock.kind],
            "due": due,
        }
        if unit is not None:
            messages.append(
                {
                    "event": f"unit.{kind}",
                    "unit": unit,
                    "context": context,
                    "subject_ref": appeal.number,
                    "idempotency_key": f"{appeal.number}:{kind}:{clock.pk}",
                    "now": now,
                }
            )
        messages += _supervisor_messages(
            staff, appeal, kind, now, context, count=count, key=f":{clock.pk}"
        )
        if breach and clock.kind == Clock.Kind.HANDLE and unit is not None:
            reason = _("The handling deadline %(due)s has passed.") % {"due": due}
            notice = SupervisionNotice(
                appeal=appeal, unit=unit, reason=reason, automatic=True, issued_at=now
            )
            escalations.append((notice, count))
    SupervisionNotice.objects.bulk_create([notice for notice, _count in escalations])
    for notice, count in escalations:
        messages += _escalation_messages(notice, staff, count=count)
    outbox.enqueue_many(messages)
    result = {"breached" if breach else "warned": len(swept)}
    if escalations:
        result["supervised"] = len(escalations)
    return result


def allowed_transitions(appeal: Appeal, user) -> list[str]:
    """The transitions this user may attempt now (for offering actions in pages and the API)."""
    names = []
    if hasattr(appeal, "active_assignments"):
        # Prefetched by the caller: Prefetch("assignments", active only, to_attr=...).
        units = [a.unit for a in appeal.active_assignments]
    elif "assignments" in getattr(appeal, "_prefetched_objects_cache", {}):
        units = [a.unit for a in appeal.assignments.all() if a.active]
    else:
        units = [a.unit for a in appeal.assignments.filter(active=True).select_related("unit")]
    for name, t in TRANSITIONS.items():
        if name == "receive" or appeal.status not in t.sources:
            continue
        if permissions.can(user, t.action) or any(
            permissions.can(user, t.action, unit=u) for u in units
        ):
            names.append(name)
    return names


__all__ = [
    "TRANSITIONS",
    "allowed_transitions",
    "answer",
    "answer_supervision",
    "approve_completion",
    "approve_extension",
    "approve_return",
    "approve_review",
    "citizen_rate",
    "citizen_reachable",
    "citizen_unsatisfied_reopens",
    "close",
    "complete",
    "contact",
    "dispatch",
    "merge",
    "receive",
    "record_visit",
    "redispatch",
    "refuse_extension",
    "refuse_return",
    "register",
    "reject",
    "reject_completion",
    "reopen",
    "request_extension",
    "request_return",
    "send_back",
    "sign",
    "supervise",
    "sweep_clocks",
]
