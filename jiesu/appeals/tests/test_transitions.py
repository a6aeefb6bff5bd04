# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Every transition from every state by every role: the table of what is allowed and what is not.

The expected table below is written out by hand from DESIGN.md ("The appeal and its life",
"Who may do what") and is deliberately *not* derived from `workflow.TRANSITIONS`, so that a
change to the code's table or its checks makes this test fail until somebody decides which of
the two is right.

Each case brings an appeal into a state through the real workflow functions, calls one
transition with valid arguments as one actor, and checks the outcome:

* allowed: the state is the expected one, exactly one new event of that kind, version + 1, and
  the appeal's audit chain verifies;
* refused: the expected error (`NotAllowed`, `InvalidTransition` or, in two documented corners,
  `InvalidInput`) and nothing changed anywhere (appeal, events, clocks, assignments, requests,
  supervision notices, notifications).

Which refusal comes first follows the code's order of checks, made explicit here:

* district transitions (`ROLE_FIRST`) check the actor's role in `_begin` before the state, so a
  wrong role gets `NotAllowed` even in a wrong state;
* unit transitions (`STATE_FIRST`) refuse a role that may never take the action first
  (`NotAllowed`, issue 8: "not yours to do" before "not now"), then check the state, and only
  then look for an active assignment of the actor's unit, so a handler of another unit gets
  `InvalidTransition` in a wrong state.

The appeals for all states are built once per module inside an outer transaction; every test
runs in a savepoint of it (pytest-django's `db`), which is rolled back afterwards.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import override_settings

from jiesu.appeals import audit, timesource, workflow
from jiesu.appeals.errors import InvalidInput, InvalidTransition, NotAllowed
from jiesu.appeals.models import (
    Appeal,
    Assignment,
    Clock,
    Event,
    SupervisionNotice,
    UnitRequest,
)
from jiesu.appeals.states import Status
from jiesu.appeals.tests.conftest import MONDAY_10, build_world, new_appeal
from jiesu.notify.models import Notification

S = Status
OK = "ok"
BUILT_AT = MONDAY_10
ACT_AT = MONDAY_10 + timedelta(hours=1)  # well before every deadline of a grade C complaint

# -- the actors: one per role, unit roles for the lead unit (城市管理局) and for another unit ---

ACTORS = {
    "intake_operator": "intake",
    "dispatcher": "dispatcher",
    "lead_handler": "handler",  # unit handler of the lead unit
    "other_handler": "water_handler",  # unit handler of a unit not on the appeal
    "lead_leader": "leader",  # unit leader of the lead unit
    "supervisor": "supervisor",
    "visit_agent": "visitor",
    "analyst": "analyst",
    "administrator": "admin",
}

LEAD_UNIT = {"lead_handler", "lead_leader"}

# -- who may perform each transition (DESIGN.md, "Who may do what") ---------------------------

MAY = {
    "register": {"intake_operator"},
    "reject": {"intake_operator"},
    "merge": {"intake_operator"},
    "answer": {"intake_operator"},
    "dispatch": {"dispatcher"},
    "redispatch": {"dispatcher"},
    "approve_return": {"dispatcher"},
    "refuse_return": {"dispatcher"},
    "approve_extension": {"dispatcher"},
    "refuse_extension": {"dispatcher"},
    "sign": LEAD_UNIT,
    "contact": LEAD_UNIT,
    "request_return": LEAD_UNIT,
    "request_extension": LEAD_UNIT,
    "complete": LEAD_UNIT,
    "approve_completion": {"lead_leader"},
    "reject_completion": {"lead_leader"},
    "approve_review": {"supervisor"},
    "send_back": {"supervisor"},
    "record_visit": {"visit_agent"},
    "close": {"visit_agent"},
    "reopen": {"supervisor"},
    "supervise": {"supervisor"},
    "answer_supervision": LEAD_UNIT,
}

# -- which transitions can succeed from each state ----------------------------------------------

LEGAL = {
    S.RECEIVED: {"register", "reject", "merge", "answer"},
    S.REGISTERED: {"answer", "dispatch"},
    S.REJECTED: set(),
    S.MERGED: set(),
    S.ANSWERED: set(),
    S.DISPATCHED: {"sign", "request_return", "redispatch", "supervise", "answer_supervision"},
    S.IN_PROGRESS: {
        "contact",
        "request_return",
        "redispatch",
        "request_extension",
        "approve_extension",
        "refuse_extension",
        "complete",
        "approve_completion",
        "reject_completion",
        "supervise",
        "answer_supervision",
    },
    S.RETURN_REQUESTED: {
        "approve_return",
        "refuse_return",
        "approve_extension",
        "refuse_extension",
        "supervise",
        "answer_supervision",
    },
    S.COMPLETED: {"approve_review", "send_back", "supervise", "answer_supervision"},
    S.VISITING: {"record_visit", "close", "supervise", "answer_supervision"},
    S.CLOSED: {"reopen", "answer_supervision"},
}

# The state admits the transition, but what it needs cannot exist in that state, so even the
# right actor is refused (after the role check for ROLE_FIRST transitions, after the scope check
# for STATE_FIRST ones):
BLOCKED = {
    # a supervision notice goes to the lead unit; before dispatch there is none
    (S.RECEIVED, "supervise"): InvalidTransition,
    (S.REGISTERED, "supervise"): InvalidTransition,
    # an extension is asked for in progress; back in `dispatched` none is pending
    (S.DISPATCHED, "approve_extension"): InvalidTransition,
    (S.DISPATCHED, "refuse_extension"): InvalidTransition,
    # the lead unit signed on the way to `in_progress`; no other unit is on these appeals
    (S.IN_PROGRESS, "sign"): InvalidTransition,
}
# ... and two corners where the refusal comes before any role or scope check: the table admits
# answering a notice on any open appeal, but before dispatch no notice can exist, and the notice
# (here one of another appeal) is looked up before the actor's unit is compared with it.
BLOCKED_FOR_EVERYONE = {
    (S.RECEIVED, "answer_supervision"): InvalidInput,
    (S.REGISTERED, "answer_supervision"): InvalidInput,
}

ROLE_FIRST = {
    "register",
    "reject",
    "merge",
    "answer",
    "dispatch",
    "redispatch",
    "approve_return",
    "refuse_return",
    "approve_extension",
    "refuse_extension",
    "approve_review",
    "send_back",
    "record_visit",
    "close",
    "reopen",
    "supervise",
}
STATE_FIRST = {
    "sign",
    "contact",
    "request_return",
    "request_extension",
    "complete",
    "approve_completion",
    "reject_completion",
    "answer_supervision",
}

# The state after success (None: unchanged). Return requests here come from `in_progress`.
RESULT = {
    "register": S.REGISTERED,
    "reject": S.REJECTED,
    "merge": S.MERGED,
    "answer": S.ANSWERED,
    "dispatch": S.DISPATCHED,
    "redispatch": S.DISPATCHED,
    "approve_return": S.DISPATCHED,
    "refuse_return": S.IN_PROGRESS,
    "approve_extension": None,
    "refuse_extension": None,
    "sign": S.IN_PROGRESS,
    "contact": None,
    "request_return": S.RETURN_REQUESTED,
    "request_extension": None,
    "complete": S.COMPLETED,
    "approve_completion": S.COMPLETED,
    "reject_completion": None,
    "approve_review": S.VISITING,
    "send_back": S.IN_PROGRESS,
    "record_visit": S.CLOSED,
    "close": S.CLOSED,
    "reopen": S.IN_PROGRESS,
    "supervise": None,
    "answer_supervision": None,
}

CASE_TRANSITIONS = list(MAY)  # `receive` starts an appeal and has a test of its own


def role_may(actor, name) -> bool:
    """Does the actor's role allow the transition anywhere (whatever the unit)? The handler of
    another unit has the lead handler's role."""
    return actor in MAY[name] or (actor == "other_handler" and "lead_handler" in MAY[name])


def expected(state, name, actor):
    """OK or the error class the table predicts."""
    may = actor in MAY[name]
    state_admits = name in LEGAL[state] or (state, name) in BLOCKED
    state_admits = state_admits or (state, name) in BLOCKED_FOR_EVERYONE
    if name in ROLE_FIRST:
        if not may:
            return NotAllowed
        if not state_admits:
            return InvalidTransition
    else:
        if not role_may(actor, name):
            return NotAllowed
        if not state_admits:
            return InvalidTransition
        if (state, name) in BLOCKED_FOR_EVERYONE:
            return BLOCKED_FOR_EVERYONE[(state, name)]
        if not may:
            return NotAllowed
    return BLOCKED.get((state, name), OK)


# -- building the appeals, once per module ----------------------------------------------------

# Some transitions need more than the bare state: a pending extension request, or a handler's
# completion waiting for the unit leader. Those get an appeal prepared for them.
VARIANT = {
    "approve_extension": "extension_pending",
    "refuse_extension": "extension_pending",
    "approve_completion": "awaiting_leader",
    "reject_completion": "awaiting_leader",
}


@dataclass
class Scenario:
    appeal: int
    notice: int | None = None  # an unanswered supervision notice to the lead unit
    merge_target: int | None = None  # an earlier open appeal to merge into


@dataclass
class Cases:
    world: object
    scenarios: dict = field(default_factory=dict)
    foreign_notice: int | None = None

    before: dict = field(default_factory=dict)  # appeal pk -> snapshot, see `snapshot_before`

    def scenario(self, state, name) -> Scenario:
        return self.scenarios.get((state, VARIANT.get(name))) or self.scenarios[(state, None)]

    def snapshot_before(self, appeal_pk):
        """The snapshot of a scenario's appeal before any test acts on it. Every test starts
        from the same rolled-back state, so it is taken once (this halves the queries)."""
        if appeal_pk not in self.before:
            self.before[appeal_pk] = snapshot(appeal_pk)
        return self.before[appeal_pk]


def _registered(w):
    appeal = new_appeal(w)
    return workflow.register(
        appeal, w.u("intake"), appeal_type=w.complaint, category=w.leaf, grade=w.grade_c
    )


def _dispatched(w):
    """Dispatched to 城市管理局 alone (no assisting unit), with a supervision notice issued."""
    appeal = workflow.dispatch(
        _registered(w), w.u("dispatcher"), lead_unit=w.urban, assisting_units=[]
    )
    notice = workflow.supervise(appeal, w.u("supervisor"), reason="请尽快处理")
    return appeal, notice


def _in_progress(w):
    appeal, notice = _dispatched(w)
    return workflow.sign(appeal, w.u("handler")), notice


def _extension_pending(w):
    appeal, notice = _in_progress(w)
    workflow.request_extension(appeal, w.u("handler"), working_days=3, reason="需协调多部门")
    return appeal, notice


def _awaiting_leader(w):
    w.urban.requires_leader_approval = True
    w.urban.save(update_fields=["requires_leader_approval"])
    appeal, notice = _in_progress(w)
    appeal = workflow.complete(appeal, w.u("handler"), result="已清理", evidence="现场照片")
    w.urban.requires_leader_approval = False
    w.urban.save(update_fields=["requires_leader_approval"])
    assert appeal.lead_assignment.state == Assignment.State.AWAITING_APPROVAL
    return appeal, notice


def _return_requested(w, prepare=_in_progress):
    appeal, notice = prepare(w)
    return workflow.request_return(appeal, w.u("handler"), reason="不属于本单位职责"), notice


def _completed(w):
    appeal, notice = _in_progress(w)
    appeal = workflow.complete(appeal, w.u("handler"), result="已清理完毕", evidence="照片两张")
    return appeal, notice


def _visiting(w):
    appeal, notice = _completed(w)
    return workflow.approve_review(appeal, w.u("supervisor")), notice


def _closed(w):
    appeal, notice = _visiting(w)
    return workflow.record_visit(appeal, w.u("visitor"), outcome="satisfied"), notice


def _build(w) -> Cases:
    cases = Cases(world=w)
    intake = w.u("intake")

    def add(state, appeal, notice=None, variant=None, **extra):
        appeal.refresh_from_db()
        assert appeal.status == state, (state, variant, appeal.status)
        cases.scenarios[(state, variant)] = Scenario(
            appeal.pk, notice.pk if notice else None, **extra
        )

    target = new_appeal(w, reporter_phone="13900000001")
    add(S.RECEIVED, new_appeal(w), merge_target=target.pk)
    add(S.REGISTERED, _registered(w))
    add(S.REJECTED, workflow.reject(new_appeal(w), intake, reason="不属于受理范围"))
    merge_into = new_appeal(w, reporter_phone="13900000002")
    add(S.MERGED, workflow.merge(new_appeal(w), intake, into=merge_into))
    add(S.ANSWERED, workflow.answer(new_appeal(w), intake, reply="请拨打物业电话"))
    for state, build in [
        (S.DISPATCHED, _dispatched),
        (S.IN_PROGRESS, _in_progress),
        (S.RETURN_REQUESTED, _return_requested),
        (S.COMPLETED, _completed),
        (S.VISITING, _visiting),
        (S.CLOSED, _closed),
    ]:
        add(state, *build(w))
    add(S.IN_PROGRESS, *_extension_pending(w), variant="extension_pending")
    add(S.IN_PROGRESS, *_awaiting_leader(w), variant="awaiting_leader")
    add(
        S.RETURN_REQUESTED,
        *_return_requested(w, prepare=_extension_pending),
        variant="extension_pending",
    )
    cases.foreign_notice = cases.scenarios[(S.DISPATCHED, None)].notice
    return cases


@pytest.fixture(scope="module")
def cases(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
            world = build_world()
        with timesource.frozen_at(BUILT_AT):
            built = _build(world)
        yield built
        transaction.set_rollback(True)


# -- calling a transition with valid arguments ---------------------------------------------------


def call(cases: Cases, scenario: Scenario, name, actor, **overrides):
    w = cases.world
    notice = scenario.notice or cases.foreign_notice
    kwargs = {
        "register": lambda: {
            "appeal_type": w.complaint,
            "category": w.leaf,
            "grade": w.grade_c,
        },
        "reject": lambda: {"reason": "不属于受理范围"},
        "merge": lambda: {
            "into": scenario.merge_target or cases.scenarios[(S.RECEIVED, None)].merge_target
        },
        "answer": lambda: {"reply": "已答复：请联系物业"},
        "dispatch": lambda: {"lead_unit": w.urban, "assisting_units": []},
        "redispatch": lambda: {"lead_unit": w.water, "reason": "属于水务职责"},
        "approve_return": lambda: {"lead_unit": w.water, "note": "改派水务局"},
        "refuse_return": lambda: {"reason": "属于城管职责"},
        "approve_extension": lambda: {"note": "同意"},
        "refuse_extension": lambda: {"reason": "不符合延期条件"},
        "sign": dict,
        "contact": lambda: {"method": "电话"},
        "request_return": lambda: {"reason": "不属于本单位职责"},
        "request_extension": lambda: {"working_days": 3, "reason": "需协调多部门"},
        "complete": lambda: {"result": "已清理完毕", "evidence": "清理前后照片"},
        "approve_completion": lambda: {"note": "同意办结"},
        "reject_completion": lambda: {"reason": "照片不清楚"},
        "approve_review": lambda: {"note": "办理到位"},
        "send_back": lambda: {"reason": "未见整改照片"},
        "record_visit": lambda: {"outcome": "satisfied"},
        "close": lambda: {"reason": "匿名诉求，无法回访"},
        "reopen": lambda: {"reason": "群众再次反映"},
        "supervise": lambda: {"reason": "请加快处理"},
        "answer_supervision": lambda: {"notice": notice, "answer": "已加派人手"},
    }[name]()
    kwargs.update(overrides)
    user = w.u(ACTORS[actor]) if actor in ACTORS else w.u(actor)
    with timesource.frozen_at(ACT_AT):
        return getattr(workflow, name)(scenario.appeal, user, **kwargs)


def snapshot(appeal_pk):
    """Everything a refused transition must leave as it was."""
    appeal = Appeal.objects.get(pk=appeal_pk)
    return {
        "appeal": (
            appeal.status,
            appeal.version,
            appeal.audit_count,
            appeal.audit_head,
            appeal.reopen_count,
            appeal.closed_at,
            appeal.completed_at,
            appeal.merged_into_id,
            appeal.status_before_return,
        ),
        "counts": _counts(),  # events, clocks, notifications
        "clock_rows": list(
            Clock.objects.filter(appeal_id=appeal_pk)
            .order_by("id")
            .values_list("id", "due_at", "warn_at", "stopped_at", "cancelled")
        ),
        "assignments": list(
            Assignment.objects.filter(appeal_id=appeal_pk)
            .order_by("id")
            .values_list("id", "unit_id", "active", "state", "contacted_at")
        ),
        "requests": list(UnitRequest.objects.order_by("id").values_list("id", "decision")),
        "notices": list(SupervisionNotice.objects.order_by("id").values_list("id", "answered_at")),
    }


def _counts():
    """Rows of events, clocks and notifications, in one query (this runs in every case)."""
    tables = [connection.ops.quote_name(m._meta.db_table) for m in (Event, Clock, Notification)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {t})" for t in tables))
        return tuple(cursor.fetchone())


# -- the table ------------------------------------------------------------------------------------

STATES = list(LEGAL)
CASES = [(state, name, actor) for state in STATES for name in CASE_TRANSITIONS for actor in ACTORS]


def test_table_covers_the_code():
    """Every state and every transition of the code is in the table, and nothing else."""
    assert set(LEGAL) == set(Status)
    assert set(MAY) | {"receive"} == set(workflow.TRANSITIONS)
    assert set(MAY) == set(RESULT) == ROLE_FIRST | STATE_FIRST
    assert not ROLE_FIRST & STATE_FIRST
    for state, names in LEGAL.items():
        assert names <= set(MAY), state
        for name in names:
            assert MAY[name], name


@pytest.mark.parametrize(
    ("state", "name", "actor"), CASES, ids=[f"{s}-{n}-{a}" for s, n, a in CASES]
)
def test_transition(cases, db, state, name, actor):
    outcome = expected(state, name, actor)
    scenario = cases.scenario(state, name)
    before = cases.snapshot_before(scenario.appeal)
    assert before["appeal"][0] == state

    if outcome is not OK:
        with pytest.raises(outcome) as refused:
            call(cases, scenario, name, actor)
        assert str(refused.value)  # a message the user can read
        assert snapshot(scenario.appeal) == before, "a refused transition changed something"
        return

    call(cases, scenario, name, actor)
    appeal = Appeal.objects.get(pk=scenario.appeal)
    assert appeal.status == (RESULT[name] or state)
    assert appeal.version == before["appeal"][1] + 1
    new_events = list(appeal.events.filter(seq__gt=before["appeal"][2]))
    assert [e.kind for e in new_events] == [name]
    assert _counts()[0] == before["counts"][0] + 1
    event = new_events[0]
    assert (event.from_status, event.to_status) == (state, appeal.status)
    assert event.actor == cases.world.u(ACTORS[actor])
    assert audit.verify_appeal(appeal) is None
    assert appeal.is_open == (appeal.closed_at is None)
    if name in {"dispatch", "redispatch", "approve_return"}:
        expected_lead = cases.world.urban if name == "dispatch" else cases.world.water
        assert appeal.lead_assignment.unit == expected_lead
        assert appeal.assignments.filter(role="lead", active=True).count() == 1


# -- receive: the one transition without an appeal ----------------------------------------------


@pytest.mark.parametrize("actor", [*ACTORS, None], ids=[*ACTORS, "machine_channel"])
def test_receive(cases, db, actor):
    w = cases.world
    before_events, before_appeals = Event.objects.count(), Appeal.objects.count()
    user = w.u(ACTORS[actor]) if actor else None
    with timesource.frozen_at(ACT_AT):
        if actor not in {"intake_operator", None}:
            with pytest.raises(NotAllowed):
                new_appeal(w, actor=user)
            assert (Event.objects.count(), Appeal.objects.count()) == (
                before_events,
                before_appeals,
            )
            return
        appeal = new_appeal(w, actor=user)
    assert appeal.status == S.RECEIVED and appeal.version == 1
    assert list(appeal.events.values_list("kind", flat=True)) == ["receive"]
    assert audit.verify_appeal(appeal) is None


# -- required fields ------------------------------------------------------------------------------

REQUIRED = [
    # (state, transition, actor, the field left out or blank, the field named in the error)
    (S.RECEIVED, "reject", "intake_operator", {"reason": ""}, "reason"),
    (S.RECEIVED, "answer", "intake_operator", {"reply": "  "}, "reply"),
    (S.DISPATCHED, "request_return", "lead_handler", {"reason": ""}, "reason"),
    (S.IN_PROGRESS, "request_return", "lead_handler", {"reason": " \n"}, "reason"),
    (S.RETURN_REQUESTED, "refuse_return", "dispatcher", {"reason": ""}, "reason"),
    (S.IN_PROGRESS, "redispatch", "dispatcher", {"reason": ""}, "reason"),
    (S.IN_PROGRESS, "request_extension", "lead_handler", {"reason": ""}, "reason"),
    (S.IN_PROGRESS, "request_extension", "lead_handler", {"working_days": 0}, "working_days"),
    (S.IN_PROGRESS, "request_extension", "lead_handler", {"working_days": 99}, "working_days"),
    (S.IN_PROGRESS, "refuse_extension", "dispatcher", {"reason": ""}, "reason"),
    (S.IN_PROGRESS, "reject_completion", "lead_leader", {"reason": ""}, "reason"),
    (S.IN_PROGRESS, "contact", "lead_handler", {"method": ""}, "method"),
    (S.IN_PROGRESS, "complete", "lead_handler", {"evidence": ""}, "evidence"),
    (S.IN_PROGRESS, "complete", "lead_handler", {"evidence": "   "}, "evidence"),
    (S.IN_PROGRESS, "complete", "lead_handler", {"result": ""}, "result"),
    (S.COMPLETED, "send_back", "supervisor", {"reason": ""}, "reason"),
    (S.VISITING, "close", "visit_agent", {"reason": ""}, "reason"),
    (S.VISITING, "record_visit", "visit_agent", {"outcome": "unsatisfied", "note": ""}, "note"),
    (S.VISITING, "record_visit", "visit_agent", {"outcome": "delighted"}, "outcome"),
    (S.CLOSED, "reopen", "supervisor", {"reason": ""}, "reason"),
    (S.IN_PROGRESS, "supervise", "supervisor", {"reason": ""}, "reason"),
    (S.IN_PROGRESS, "answer_supervision", "lead_handler", {"answer": ""}, "answer"),
]


@pytest.mark.parametrize(
    ("state", "name", "actor", "overrides", "field_name"),
    REQUIRED,
    ids=[f"{s}-{n}-{f}-{next(iter(o.values()))!r}" for s, n, _, o, f in REQUIRED],
)
def test_required_fields(cases, db, state, name, actor, overrides, field_name):
    scenario = cases.scenario(state, name)
    before = snapshot(scenario.appeal)
    with pytest.raises(InvalidInput) as refused:
        call(cases, scenario, name, actor, **overrides)
    assert field_name in refused.value.field_errors
    assert snapshot(scenario.appeal) == before


# -- preconditions beyond the state --------------------------------------------------------------

PRECONDITIONS = [
    # (state, variant, transition, actor, overrides, error): the state admits the transition,
    # something else about the appeal does not
    (S.IN_PROGRESS, None, "approve_completion", "lead_leader", {}, InvalidTransition),
    (S.IN_PROGRESS, None, "reject_completion", "lead_leader", {}, InvalidTransition),
    (S.IN_PROGRESS, None, "approve_extension", "dispatcher", {}, InvalidTransition),
    (S.IN_PROGRESS, None, "refuse_extension", "dispatcher", {}, InvalidTransition),
    (S.RETURN_REQUESTED, None, "approve_extension", "dispatcher", {}, InvalidTransition),
    (
        S.IN_PROGRESS,
        "extension_pending",
        "request_extension",
        "lead_handler",
        {},
        InvalidTransition,
    ),
    (S.IN_PROGRESS, "awaiting_leader", "complete", "lead_handler", {}, InvalidTransition),
    (S.IN_PROGRESS, None, "redispatch", "dispatcher", {"lead_unit": "urban"}, InvalidInput),
    (
        S.RETURN_REQUESTED,
        None,
        "approve_return",
        "dispatcher",
        {"lead_unit": "urban"},
        InvalidInput,
    ),
    (S.RECEIVED, None, "merge", "intake_operator", {"into": "self"}, InvalidInput),
    (S.RECEIVED, None, "merge", "intake_operator", {"into": "rejected"}, InvalidInput),
]


@pytest.mark.parametrize(
    ("state", "variant", "name", "actor", "overrides", "error"),
    PRECONDITIONS,
    ids=[f"{s}-{v or 'base'}-{n}-{list(o.values())}" for s, v, n, _, o, _e in PRECONDITIONS],
)
def test_preconditions(cases, db, state, variant, name, actor, overrides, error):
    scenario = cases.scenarios[(state, variant)]
    w = cases.world
    resolve = {
        "urban": w.urban,
        "self": scenario.appeal,
        "rejected": cases.scenarios[(S.REJECTED, None)].appeal,
    }
    overrides = {k: resolve.get(v, v) for k, v in overrides.items()}
    before = snapshot(scenario.appeal)
    with pytest.raises(error):
        call(cases, scenario, name, actor, **overrides)
    assert snapshot(scenario.appeal) == before


def test_answering_a_notice_twice_is_refused(cases, db):
    scenario = cases.scenarios[(S.IN_PROGRESS, None)]
    call(cases, scenario, "answer_supervision", "lead_handler")
    before = snapshot(scenario.appeal)
    with pytest.raises(InvalidTransition):
        call(cases, scenario, "answer_supervision", "lead_leader")
    assert snapshot(scenario.appeal) == before


def test_refused_return_goes_back_to_dispatched(cases, db):
    """A return asked for before signing goes back to `dispatched`, not `in_progress`."""
    w = cases.world
    with timesource.frozen_at(ACT_AT):
        appeal, _ = _dispatched(w)
        workflow.request_return(appeal, w.u("leader"), reason="不属于本单位职责")
        appeal = workflow.refuse_return(appeal, w.u("dispatcher"), reason="属于城管职责")
    assert appeal.status == S.DISPATCHED
    assert appeal.status_before_return == ""


# -- assisting units ------------------------------------------------------------------------------

ASSISTING = [
    # (transition, actor, outcome) on an appeal led by 城市管理局 with 水务局 assisting
    ("sign", "water_handler", OK),  # the assisting unit signs; the state stays `dispatched`
    ("sign", "water_leader", OK),
    ("contact", "water_handler", InvalidTransition),  # not in `dispatched`
    ("request_return", "water_handler", NotAllowed),  # only the lead unit returns it
    ("request_return", "water_leader", NotAllowed),
    ("sign", "team_handler", NotAllowed),  # a sub-unit does not act for its parent
]


@pytest.mark.parametrize(
    ("name", "actor", "outcome"), ASSISTING, ids=[f"{n}-{a}" for n, a, _ in ASSISTING]
)
def test_assisting_unit(cases, db, name, actor, outcome):
    w = cases.world
    with timesource.frozen_at(BUILT_AT):
        appeal = workflow.dispatch(_registered(w), w.u("dispatcher"))  # the rule adds 水务局
    assert appeal.assignments.filter(role="assist", unit=w.water, active=True).exists()
    scenario = Scenario(appeal.pk)
    before = snapshot(appeal.pk)
    if outcome is not OK:
        with pytest.raises(outcome):
            call(cases, scenario, name, actor)
        assert snapshot(appeal.pk) == before
        return
    call(cases, scenario, name, actor)
    appeal.refresh_from_db()
    assert appeal.status == S.DISPATCHED and appeal.version == before["appeal"][1] + 1
    assisting = appeal.assignments.get(unit=w.water)
    assert assisting.state == Assignment.State.SIGNED
    assert appeal.lead_assignment.state == Assignment.State.PENDING


def test_assisting_unit_in_progress(cases, db):
    """After the lead signed, the assisting unit may still sign, but may not complete or
    contact for the lead."""
    w = cases.world
    with timesource.frozen_at(BUILT_AT):
        appeal = workflow.dispatch(_registered(w), w.u("dispatcher"))
        appeal = workflow.sign(appeal, w.u("handler"))
    scenario = Scenario(appeal.pk)
    for name in ("complete", "contact", "request_extension", "request_return"):
        before = snapshot(appeal.pk)
        with pytest.raises(NotAllowed):
            call(cases, scenario, name, "water_handler")
        assert snapshot(appeal.pk) == before
    call(cases, scenario, "sign", "water_handler")
    with pytest.raises(InvalidTransition):
        call(cases, scenario, "sign", "water_handler")
    appeal.refresh_from_db()
    assert appeal.status == S.IN_PROGRESS
    assert audit.verify_appeal(appeal) is None


# -- a unit's pending request lapses with its assignment ------------------------------------------


@pytest.mark.parametrize("how", ["redispatch", "approve_return"])
def test_pending_extension_lapses_when_the_unit_is_taken_off(cases, db, how):
    """Re-dispatched (or returned) with an extension still pending: the request lapses with the
    withdrawn assignment instead of lingering for a dispatcher to decide, and the new lead's
    own request is the one that gets decided."""
    w = cases.world
    scenario = cases.scenario(
        S.IN_PROGRESS if how == "redispatch" else S.RETURN_REQUESTED, "approve_extension"
    )
    old_request = UnitRequest.objects.get(
        appeal_id=scenario.appeal, kind=UnitRequest.Kind.EXTENSION
    )
    call(cases, scenario, how, "dispatcher")  # to 水务局
    old_request.refresh_from_db()
    assert old_request.decision != UnitRequest.Decision.PENDING
    assert old_request.decided_at == ACT_AT
    assert not UnitRequest.objects.filter(
        appeal_id=scenario.appeal, decision=UnitRequest.Decision.PENDING
    ).exists()
    for name in ("approve_extension", "refuse_extension"):
        with pytest.raises(InvalidTransition):
            call(cases, scenario, name, "dispatcher")

    call(cases, scenario, "sign", "water_handler")
    call(cases, scenario, "request_extension", "water_handler", working_days=2)
    call(cases, scenario, "approve_extension", "dispatcher")
    new_lead = Appeal.objects.get(pk=scenario.appeal).lead_assignment
    assert new_lead.unit == w.water
    handle = new_lead.clocks.get(kind=Clock.Kind.HANDLE)
    assert handle.due_at > handle.original_due_at
    assert not Notification.objects.filter(
        event="unit.extension_refused", recipient_unit=w.urban
    ).exists()


def test_pending_extension_lapses_when_the_unit_completes(cases, db):
    """Completed with an extension still pending: the request lapses (a completed or closed
    appeal must not wait in the dispatcher's extension queue for a decision nobody can take)."""
    scenario = cases.scenario(S.IN_PROGRESS, "approve_extension")
    call(cases, scenario, "complete", "lead_handler")
    request = UnitRequest.objects.get(appeal_id=scenario.appeal, kind=UnitRequest.Kind.EXTENSION)
    assert request.decision != UnitRequest.Decision.PENDING
    assert request.decided_at == ACT_AT
    # Sent back, the unit may ask again.
    call(cases, scenario, "send_back", "supervisor")
    call(cases, scenario, "request_extension", "lead_handler")
    call(cases, scenario, "approve_extension", "dispatcher")
    assert audit.verify_appeal(Appeal.objects.get(pk=scenario.appeal)) is None
