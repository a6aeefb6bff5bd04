# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Random lifecycles: a hypothesis state machine drives a few appeals through random sequences of
transitions by random actors (often the right one, sometimes anybody), with random arguments
(sometimes a blank required field), while a virtual clock moves on and the SLA sweep runs now and
then. Refusals (`WorkflowError`) are expected and counted; anything else is a failure. After
every step the invariants of the appeal's life must hold.

Each example runs in a savepoint that is rolled back at its end (`teardown`), so examples start
from the same world, which the `world` fixture builds once for the test.
"""

import random
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import F
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from jiesu.appeals import audit, timesource, workflow
from jiesu.appeals.errors import WorkflowError
from jiesu.appeals.models import (
    Appeal,
    Assignment,
    Clock,
    Event,
    SupervisionNotice,
    UnitRequest,
)
from jiesu.appeals.states import FINAL_STATES, WITH_UNIT_STATES, Status
from jiesu.appeals.tests.conftest import MONDAY_10, new_appeal
from jiesu.org import permissions
from jiesu.org.models import Unit

S = Status
TRANSITION_NAMES = sorted(name for name in workflow.TRANSITIONS if name != "receive")
# States in which the appeal must have exactly one active lead assignment.
LEAD_STATES = frozenset(WITH_UNIT_STATES | {S.COMPLETED, S.VISITING})
CENTRE_ACTORS = {
    "register": "intake",
    "reject": "intake",
    "merge": "intake",
    "answer": "intake",
    "dispatch": "dispatcher",
    "redispatch": "dispatcher",
    "approve_return": "dispatcher",
    "refuse_return": "dispatcher",
    "approve_extension": "dispatcher",
    "refuse_extension": "dispatcher",
    "approve_review": "supervisor",
    "send_back": "supervisor",
    "reopen": "supervisor",
    "supervise": "supervisor",
    "record_visit": "visitor",
    "close": "visitor",
}
MAX_APPEALS = 4
# Per state, the transitions that move an appeal on towards closure; favoured so that examples
# get far into the life of an appeal.
FORWARD = {
    S.RECEIVED: ["register"] * 4 + ["reject", "merge", "answer"],
    S.REGISTERED: ["dispatch"],
    S.DISPATCHED: ["sign", "sign", "request_return"],
    S.IN_PROGRESS: [
        "contact",
        "complete",
        "complete",
        "approve_completion",
        "request_extension",
        "approve_extension",
        "request_return",
    ],
    S.RETURN_REQUESTED: ["approve_return", "refuse_return"],
    S.COMPLETED: ["approve_review", "approve_review", "send_back"],
    S.VISITING: ["record_visit"],
    S.CLOSED: ["reopen"],
}
# Favoured too while a unit request is pending.
WHILE_PENDING = [
    "approve_extension",
    "refuse_extension",
    "approve_return",
    "refuse_return",
    "request_return",
    "redispatch",
]
# Unit transitions that only the lead unit may take.
LEAD_ONLY = {
    "contact",
    "request_return",
    "request_extension",
    "complete",
    "approve_completion",
    "reject_completion",
}
START = MONDAY_10
# Stay well inside the years the working calendar covers (extensions reach weeks ahead).
END = START + timedelta(days=21)

SETTINGS = settings(
    max_examples=30,
    stateful_step_count=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class AppealLifecycles(RuleBasedStateMachine):
    world = None  # set by the test: the `world` fixture's world
    stats: Counter = Counter()  # over all examples: what succeeded, what was refused, states seen

    def __init__(self):
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.now = START
        self.step = 0
        self.stats["examples"] += 1
        self.appeals: list[int] = []
        self.successes: Counter = Counter()  # appeal pk -> successful transition calls
        self.refusals: Counter = Counter()
        self.reopen_counts: dict[int, int] = {}
        w = self.world
        self.users = sorted(w.users)
        self.units = [w.centre, w.urban, w.urban_team, w.water]

    def teardown(self):
        try:
            transaction.set_rollback(True)
        finally:
            self._atomic.__exit__(None, None, None)

    # -- helpers ---------------------------------------------------------------------------------

    def _run(self, appeal_pk, name, fn, actor=None, kwargs=None):
        """Call one transition; count it when it succeeds, count the refusal when it does not."""
        what = f"{self.now:%m-%d %H:%M} {name} on {appeal_pk} by {actor}: {kwargs or {}}"
        try:
            with timesource.frozen_at(self.now):
                result = fn()
        except WorkflowError as exc:
            note(f"{what} -> {type(exc).__name__}: {exc}")
            self.refusals[type(exc).__name__] += 1
            self.stats[f"refused:{type(exc).__name__}"] += 1
            return None
        if appeal_pk is None:
            appeal_pk = result.pk
            self.appeals.append(appeal_pk)
        note(f"{what} -> ok ({appeal_pk})")
        self.successes[appeal_pk] += 1
        self.stats[f"ok:{name}"] += 1
        return result

    def _natural_actors(self, appeal: Appeal, name: str) -> list[str]:
        """The users who would normally do this: the centre role, or somebody of a unit on it."""
        if name in CENTRE_ACTORS:
            return [CENTRE_ACTORS[name]]
        action = workflow.TRANSITIONS[name].action
        assignments = appeal.assignments.filter(active=True).order_by("id")
        if name in LEAD_ONLY:
            assignments = assignments.filter(role=Assignment.Role.LEAD)
        elif name == "sign":
            assignments = assignments.filter(state=Assignment.State.PENDING)
        units = [a.unit for a in assignments]
        if name == "answer_supervision":
            units = [n.unit for n in appeal.supervisions.order_by("id")]
        return [
            u
            for u in self.users
            if any(permissions.can(self.world.u(u), action, unit=unit) for unit in units)
        ]

    @staticmethod
    def _text(rnd, label):
        """Mostly a real text, sometimes a blank one (a refused required field)."""
        return rnd.choice([label] * 14 + ["", "  "])

    def _arguments(self, rnd, appeal: Appeal, name: str) -> dict:
        w = self.world
        text = self._text
        if name == "register":
            return {
                "appeal_type": rnd.choice([w.complaint, w.consultation]),
                "category": rnd.choice([w.leaf, w.leaf, w.other_leaf, w.leaf.parent]),
                "grade": rnd.choice([w.grade_a, w.grade_b, w.grade_c]),
            }
        if name == "merge":
            # Mostly into an earlier appeal (as it must be), sometimes into itself or a later one.
            earlier = self.appeals[: self.appeals.index(appeal.pk)]
            if earlier and rnd.random() < 0.8:
                return {"into": rnd.choice(earlier)}
            return {"into": rnd.choice(self.appeals)}
        if name == "answer":
            return {"reply": text(rnd, "已答复")}
        if name == "dispatch":
            return {
                "lead_unit": rnd.choice([None, None, *self.units]),
                "assisting_units": rnd.choice([None, [], [w.water]]),
            }
        if name == "redispatch":
            return {"lead_unit": rnd.choice(self.units), "reason": text(rnd, "改派")}
        if name == "approve_return":
            return {"lead_unit": rnd.choice([None, *self.units])}
        if name == "request_extension":
            return {"working_days": rnd.randint(0, 16), "reason": text(rnd, "需协调")}
        if name == "contact":
            return {"method": text(rnd, "电话")}
        if name == "complete":
            return {"result": text(rnd, "已处理"), "evidence": text(rnd, "照片")}
        if name == "record_visit":
            return {
                "outcome": rnd.choice(Appeal.Satisfaction.values),
                "unit_at_fault": rnd.random() < 0.5,
                "note": text(rnd, "回访记录"),
            }
        if name == "answer_supervision":
            notices = list(
                SupervisionNotice.objects.filter(appeal=appeal)
                # answered ones first, unanswered ones last (the likeliest to answer)
                .order_by(F("answered_at").desc(nulls_last=True), "id")
                .values_list("pk", flat=True)
            )
            return {
                "notice": notices[-1]
                if notices and rnd.random() < 0.8
                else rnd.choice([*notices, None]),
                "answer": text(rnd, "已答复督办"),
            }
        if name in {
            "reject",
            "refuse_return",
            "refuse_extension",
            "reject_completion",
            "request_return",
            "send_back",
            "close",
            "reopen",
            "supervise",
        }:
            return {"reason": text(rnd, "理由")}
        return {}  # sign, approve_extension, approve_completion, approve_review

    # -- rules -------------------------------------------------------------------------------------

    @initialize()
    def two_appeals(self):
        for phone in ("13800000001", "13800000002"):
            self._run(None, "receive", lambda p=phone: new_appeal(self.world, reporter_phone=p))

    def _act(self, data):
        self.stats["acts"] += 1
        # Choices within a step come from a Random seeded by hypothesis (so replayed exactly):
        # hypothesis's own draws lean towards their first and smallest values, which would make
        # wrong actors and wrong transitions far more frequent than intended.
        # The step number goes into the seed too: hypothesis likes to draw the same few seeds.
        self.step += 1
        seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
        rnd = random.Random(f"{seed}:{self.step}")
        if len(self.appeals) < MAX_APPEALS and rnd.random() < 0.05:
            actor = rnd.choice(["intake", "intake", None, "handler"])
            anonymous = rnd.random() < 0.3
            user = self.world.u(actor) if actor else None
            self._run(
                None, "receive", lambda: new_appeal(self.world, actor=user, anonymous=anonymous)
            )
            return
        # Mostly an open appeal, the oldest one most often, so that some get far.
        statuses = dict(Appeal.objects.filter(pk__in=self.appeals).values_list("pk", "status"))
        open_ = [pk for pk in self.appeals if statuses[pk] not in FINAL_STATES]
        if open_ and rnd.random() < 0.9:
            pk = rnd.choice([open_[0], open_[0], *open_])
        else:
            pk = rnd.choice(self.appeals)
        appeal = Appeal.objects.get(pk=pk)
        fitting = [n for n in TRANSITION_NAMES if appeal.status in workflow.TRANSITIONS[n].sources]
        forward = FORWARD.get(appeal.status, [])
        if appeal.unit_requests.filter(decision=UnitRequest.Decision.PENDING).exists():
            # Decide it, or let the appeal move on under it (a pending extension and a return,
            # a re-dispatch or a completion meet).
            forward = [*WHILE_PENDING, *forward]
        dice = rnd.random()
        if dice < 0.08 or not fitting:
            name = rnd.choice(TRANSITION_NAMES)  # most likely wrong in this state
        elif dice < 0.7 and forward:
            name = rnd.choice(forward)
        else:
            name = rnd.choice(fitting)
        natural = self._natural_actors(appeal, name)
        if natural and rnd.random() < 0.88:
            actor = rnd.choice(natural)
        else:
            actor = rnd.choice([*self.users, None])  # anybody, also nobody
        kwargs = self._arguments(rnd, appeal, name)
        user = self.world.u(actor) if actor else None
        self._run(pk, name, lambda: getattr(workflow, name)(pk, user, **kwargs), actor, kwargs)

    # Acting is what matters; three rules make it three times as likely as time passing.
    @rule(data=st.data())
    def act(self, data):
        self._act(data)

    @rule(data=st.data())
    def act_again(self, data):
        self._act(data)

    @rule(data=st.data())
    def act_once_more(self, data):
        self._act(data)

    @rule(
        minutes=st.one_of(st.integers(0, 240), st.integers(240, 3 * 24 * 60)),
        sweep=st.booleans(),
        leader_approval=st.sampled_from([None, True, False]),
    )
    def tick(self, minutes, sweep, leader_approval):
        """Time passes (up to END); maybe the SLA sweep runs; maybe 城市管理局 changes whether
        its leader must approve completions."""
        self.now = min(self.now + timedelta(minutes=minutes), END)
        if sweep:
            workflow.sweep_clocks(self.now)
            self.stats["sweeps"] += 1
        if leader_approval is not None:
            Unit.objects.filter(pk=self.world.urban.pk).update(
                requires_leader_approval=leader_approval
            )

    # -- invariants --------------------------------------------------------------------------------

    @invariant()
    def lifecycles_hold(self):
        # A few queries for all the machine's appeals at once: this runs after every step.
        appeals = {a.pk: a for a in Appeal.objects.filter(pk__in=self.appeals)}
        leads = Counter(
            Assignment.objects.filter(
                appeal_id__in=self.appeals, role=Assignment.Role.LEAD, active=True
            ).values_list("appeal_id", flat=True)
        )
        assigned = set(
            Assignment.objects.filter(appeal_id__in=self.appeals).values_list(
                "appeal_id", flat=True
            )
        )
        clocks = defaultdict(list)
        for clock in Clock.objects.filter(appeal_id__in=self.appeals).select_related("assignment"):
            clocks[clock.appeal_id].append(clock)
        events = defaultdict(list)
        for event in Event.objects.filter(appeal_id__in=self.appeals).order_by(
            "appeal_id", "seq", "id"
        ):
            events[event.appeal_id].append(event)
        # A unit's request waits for a decision only while that unit holds the appeal: it
        # lapses when the unit is taken off or completes (nobody could decide it any more).
        pending = Counter(
            UnitRequest.objects.filter(
                appeal_id__in=self.appeals, decision=UnitRequest.Decision.PENDING
            ).values_list("appeal_id", "assignment__active")
        )
        assert not any(not active for _, active in pending), "a withdrawn unit's request pends"

        for pk in self.appeals:
            appeal = appeals[pk]
            status = appeal.status
            self.stats[f"seen:{status}"] += 1
            assert status in Status.values

            assert leads[pk] <= 1
            if status in LEAD_STATES or (status == S.CLOSED and appeal.dispatched_at):
                assert leads[pk] == 1, f"{status} with {leads[pk]} active leads"
            if status in {S.RECEIVED, S.REGISTERED}:
                assert pk not in assigned

            running = Counter()
            for clock in clocks[pk]:
                assert clock.due_at >= clock.started_at, clock
                assert clock.warn_at <= clock.due_at, clock
                assert clock.original_due_at <= clock.due_at, clock
                if clock.running:
                    running[clock.kind] += 1
                    if clock.assignment_id:
                        assert clock.assignment.active, f"{clock} runs for a withdrawn unit"
            assert running[Clock.Kind.HANDLE] == (1 if status in WITH_UNIT_STATES else 0), status
            assert running[Clock.Kind.VISIT] == (1 if status == S.VISITING else 0), status
            assert bool(appeal.status_before_return) == (status == S.RETURN_REQUESTED)
            if status not in WITH_UNIT_STATES:
                assert not pending[(pk, True)], f"a request pends while {status}"

            assert audit.verify_appeal(appeal, events[pk]) is None
            transition_events = [e for e in events[pk] if e.kind in workflow.TRANSITIONS]
            assert len(transition_events) == self.successes[pk]
            assert appeal.version == self.successes[pk]

            assert appeal.reopen_count >= self.reopen_counts.get(pk, 0)
            self.reopen_counts[pk] = appeal.reopen_count
            if status in FINAL_STATES:
                assert appeal.closed_at is not None, status
            else:
                assert appeal.closed_at is None, status
            assert (appeal.merged_into_id is not None) == (status == S.MERGED)


@pytest.mark.django_db(transaction=False)
def test_random_lifecycles(world):
    AppealLifecycles.world = world
    AppealLifecycles.stats = Counter()
    run_state_machine_as_test(AppealLifecycles, settings=SETTINGS)
    stats = AppealLifecycles.stats
    print(sorted(stats.items()))
    # The machine must reach deep into the life of an appeal, or it tests little.
    for status in Status:
        assert stats[f"seen:{status}"], f"no example reached {status}"
    succeeded = {key[3:] for key in stats if key.startswith("ok:")}
    assert len(succeeded) >= 20, sorted(succeeded)
    assert stats["refused:NotAllowed"] and stats["refused:InvalidTransition"]
    assert stats["refused:InvalidInput"]
