# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Two people acting on the same appeal at once: exactly one succeeds, the other is refused.

These tests use real concurrent database connections: each call runs in its own thread (Django
gives every thread its own connection), and a barrier releases them together. A receiver on
`hooks.appeal_event` holds every transition open for a moment after it has written its event, so
the second caller always arrives while the first still holds the appeal: without the row lock
both would act on the same state and the history would fork.

How the loser is refused:
- with `expected_version` (the version the user saw): `Conflict`, whatever it tried;
- without it: the loser waits for the lock, then sees the new state and gets
  `InvalidTransition` (or, when the new state still allows its action, simply acts second).

PostgreSQL serialises them with `SELECT ... FOR UPDATE` on the appeal row; a SQLite file (which
ignores FOR UPDATE) with `BEGIN IMMEDIATE` transactions, which take the database's write lock
first and wait for it up to the busy timeout. Django's default SQLite test database is in memory,
where a second writer fails at once instead of waiting: there these tests are skipped (see
`_real_locks`).

The tests are transactional (the threads must see committed data), so the database is flushed
after each one; `serialized_rollback` restores the reference data of the migrations (appeal
types, grades, default time limits, working hours) before each.
"""

import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection

from jiesu.appeals import audit, hooks, timesource, workflow
from jiesu.appeals.errors import Conflict, InvalidTransition
from jiesu.appeals.models import Appeal, AppealNumberSequence, Assignment, Event
from jiesu.appeals.states import Status
from jiesu.appeals.tests.conftest import (
    MONDAY_10,
    dispatched,
    in_progress,
    make_user,
    new_appeal,
    registered,
)
from jiesu.org.roles import Role

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

LATER = MONDAY_10 + timedelta(hours=1)
# How long a transition keeps its transaction open after writing its event.
HOLD = 0.3


@dataclass
class Outcome:
    value: object = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


# Each race is run twice: with the version both callers saw, the loser gets Conflict; without
# it, the loser waits for the lock, then finds the appeal in a state that no longer allows its
# action and gets InvalidTransition.
VARIANTS = [
    pytest.param(True, Conflict, id="expected_version"),
    pytest.param(False, InvalidTransition, id="no_version"),
]


@pytest.fixture(autouse=True)
def _real_locks(django_db_setup):
    """Skip on SQLite's in-memory test database.

    Django's SQLite test database lives in memory, shared between threads through SQLite's
    shared cache. There a second writer is not queued behind the first (the busy timeout does
    not apply to shared-cache table locks): it fails at once with "database table is locked".
    A SQLite file, as Jiesu uses in production (WAL, IMMEDIATE transactions, busy timeout),
    queues writers as intended, and these tests pass on one: give the test database a file
    name (DATABASES["default"]["TEST"]["NAME"]) to run them on SQLite.
    """
    if connection.vendor == "sqlite" and connection.creation.is_in_memory_db(
        connection.settings_dict["NAME"]
    ):
        pytest.skip("concurrent writers need PostgreSQL or a SQLite file, not SQLite in memory")


@pytest.fixture
def slow_transitions():
    """Keep every racing transition's transaction (and so its lock) open a little longer."""

    def hold(sender, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            time.sleep(HOLD)

    hooks.appeal_event.connect(hold, dispatch_uid="test_concurrency_hold")
    yield
    hooks.appeal_event.disconnect(dispatch_uid="test_concurrency_hold")


def race(*calls, at=LATER) -> list[Outcome]:
    """Run each call in its own thread and connection, all released at once by a barrier."""
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def run(i, call):
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            with timesource.frozen_at(at):
                outcomes[i].value = call()
        except BaseException as exc:  # reported to the test
            outcomes[i].error = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive(), "a racing call did not finish"
    return outcomes


def one_winner(outcomes, refusal) -> Outcome:
    errors = [repr(o.error) for o in outcomes]
    winners = [o for o in outcomes if o.ok]
    assert len(winners) == 1, f"expected exactly one success, got {errors}"
    for o in outcomes:
        if not o.ok:
            assert isinstance(o.error, refusal), f"expected {refusal.__name__}, got {errors}"
    return winners[0]


def assert_consistent(appeal_pk, *, version, events):
    """The appeal after the race: its version and history moved once per success, it has one
    active lead, and its chain verifies."""
    appeal = Appeal.objects.get(pk=appeal_pk)
    assert appeal.version == version
    assert appeal.events.count() == events == appeal.audit_count
    seqs = list(appeal.events.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, events + 1))
    assert appeal.assignments.filter(role=Assignment.Role.LEAD, active=True).count() == 1
    assert audit.verify_appeal(appeal) is None
    return appeal


def prepare(step, world, *args):
    """An appeal brought to a state through the real workflow, on Monday morning."""
    with timesource.frozen_at(MONDAY_10):
        appeal = step(world, *args)
    appeal.refresh_from_db()
    return appeal, appeal.version, appeal.events.count()


def _return_requested(world):
    appeal = in_progress(world)
    return workflow.request_return(appeal, world.u("handler"), reason="不属于本单位职责")


# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("with_version", "refusal"), VARIANTS)
def test_two_dispatchers_dispatch_at_once(world, slow_transitions, with_version, refusal):
    second = make_user("dispatcher2", world.centre, Role.DISPATCHER)
    appeal, version, events = prepare(registered, world)
    seen = version if with_version else None

    outcomes = race(
        lambda: workflow.dispatch(appeal.pk, world.u("dispatcher"), expected_version=seen),
        lambda: workflow.dispatch(
            appeal.pk, second, lead_unit=world.water, assisting_units=[], expected_version=seen
        ),
    )

    winner = one_winner(outcomes, refusal)
    after = assert_consistent(appeal.pk, version=version + 1, events=events + 1)
    assert after.status == Status.DISPATCHED
    assert after.events.filter(kind="dispatch").count() == 1
    # The winner's choice stands, and nothing of the loser's remains: the rule's dispatch has
    # an assisting unit, the other has none.
    by_rule = winner is outcomes[0]
    assert after.lead_assignment.unit == (world.urban if by_rule else world.water)
    assert after.assignments.count() == (2 if by_rule else 1)
    assert after.clocks.count() == (4 if by_rule else 3)


@pytest.mark.parametrize(("with_version", "refusal"), VARIANTS)
def test_two_handlers_sign_at_once(world, slow_transitions, with_version, refusal):
    colleague = make_user("handler2", world.urban, Role.UNIT_HANDLER)
    appeal, version, events = prepare(dispatched, world)
    seen = version if with_version else None

    outcomes = race(
        lambda: workflow.sign(appeal.pk, world.u("handler"), expected_version=seen),
        lambda: workflow.sign(appeal.pk, colleague, expected_version=seen),
    )

    winner = one_winner(outcomes, refusal)
    after = assert_consistent(appeal.pk, version=version + 1, events=events + 1)
    assert after.status == Status.IN_PROGRESS
    lead = after.lead_assignment
    assert lead.state == Assignment.State.SIGNED
    assert lead.signed_by == (world.u("handler") if winner is outcomes[0] else colleague)


def test_lead_and_assisting_units_sign_at_once_both_succeed(world, slow_transitions):
    """Different assignments do not conflict: both sign, one after the other, and the history
    stays one chain (without the lock both events would claim the same sequence number)."""
    appeal, version, events = prepare(dispatched, world)

    outcomes = race(
        lambda: workflow.sign(appeal.pk, world.u("handler")),
        lambda: workflow.sign(appeal.pk, world.u("water_handler")),
    )

    assert all(o.ok for o in outcomes), [repr(o.error) for o in outcomes]
    after = assert_consistent(appeal.pk, version=version + 2, events=events + 2)
    assert after.status == Status.IN_PROGRESS
    assert not after.assignments.filter(state=Assignment.State.PENDING).exists()


@pytest.mark.parametrize(("with_version", "refusal"), VARIANTS)
def test_two_handlers_complete_at_once(world, slow_transitions, with_version, refusal):
    colleague = make_user("handler2", world.urban, Role.UNIT_HANDLER)
    appeal, version, events = prepare(in_progress, world)
    seen = version if with_version else None

    outcomes = race(
        lambda: workflow.complete(
            appeal.pk, world.u("handler"), result="已清理", evidence="照片A", expected_version=seen
        ),
        lambda: workflow.complete(
            appeal.pk, colleague, result="已处理", evidence="照片B", expected_version=seen
        ),
    )

    winner = one_winner(outcomes, refusal)
    after = assert_consistent(appeal.pk, version=version + 1, events=events + 1)
    assert after.status == Status.COMPLETED
    assert after.events.filter(kind="complete").count() == 1
    assert after.reply == ("已清理" if winner is outcomes[0] else "已处理")
    assert after.lead_assignment.evidence == ("照片A" if winner is outcomes[0] else "照片B")


def test_approve_return_while_another_redispatches_with_version(world, slow_transitions):
    """Both dispatchers saw the same version: exactly one acts. Re-dispatch is not possible
    while a return waits for a decision, so the approval always wins; the re-dispatch fails
    with Conflict when it comes second, with InvalidTransition when it comes first."""
    second = make_user("dispatcher2", world.centre, Role.DISPATCHER)
    appeal, version, events = prepare(_return_requested, world)

    approve, redispatch = race(
        lambda: workflow.approve_return(
            appeal.pk, world.u("dispatcher"), lead_unit=world.water, expected_version=version
        ),
        lambda: workflow.redispatch(
            appeal.pk, second, lead_unit=world.centre, reason="改派", expected_version=version
        ),
    )

    assert approve.ok, repr(approve.error)
    assert isinstance(redispatch.error, Conflict | InvalidTransition), repr(redispatch.error)
    after = assert_consistent(appeal.pk, version=version + 1, events=events + 1)
    assert after.status == Status.DISPATCHED
    assert after.lead_assignment.unit == world.water


def test_approve_return_while_another_redispatches_without_version(world, slow_transitions):
    """Without a version check the calls are serialised: if the approval goes first, the
    re-dispatch then acts on the re-dispatched appeal (both succeed, in turn); if the
    re-dispatch goes first, it is refused. Either way: one lead, one event per success, a
    valid chain."""
    second = make_user("dispatcher2", world.centre, Role.DISPATCHER)
    appeal, version, events = prepare(_return_requested, world)

    approve, redispatch = race(
        lambda: workflow.approve_return(appeal.pk, world.u("dispatcher"), lead_unit=world.water),
        lambda: workflow.redispatch(appeal.pk, second, lead_unit=world.centre, reason="改派"),
    )

    assert approve.ok, repr(approve.error)
    if not redispatch.ok:
        assert isinstance(redispatch.error, InvalidTransition), repr(redispatch.error)
    successes = 1 + redispatch.ok
    after = assert_consistent(appeal.pk, version=version + successes, events=events + successes)
    assert after.status == Status.DISPATCHED
    assert after.lead_assignment.unit == (world.centre if redispatch.ok else world.water)
    assert after.assignments.filter(unit=world.urban, active=False).exists()


@pytest.mark.parametrize(("with_version", "refusal"), VARIANTS)
def test_two_dispatchers_decide_the_same_return(world, slow_transitions, with_version, refusal):
    second = make_user("dispatcher2", world.centre, Role.DISPATCHER)
    appeal, version, events = prepare(_return_requested, world)
    seen = version if with_version else None

    outcomes = race(
        lambda: workflow.approve_return(appeal.pk, world.u("dispatcher"), expected_version=seen),
        lambda: workflow.refuse_return(
            appeal.pk, second, reason="属于城管职责", expected_version=seen
        ),
    )

    winner = one_winner(outcomes, refusal)
    after = assert_consistent(appeal.pk, version=version + 1, events=events + 1)
    approved = winner is outcomes[0]
    assert after.status == (Status.DISPATCHED if approved else Status.IN_PROGRESS)
    assert after.lead_assignment.unit == (world.centre if approved else world.urban)
    request = after.unit_requests.get(kind="return")
    assert request.decision == ("approved" if approved else "refused")


def test_concurrent_receive_numbers_are_unique_and_sequential(world):
    threads, per_thread = 8, 5

    def receive_many():
        return [new_appeal(world).number for _ in range(per_thread)]

    outcomes = race(*[receive_many] * threads, at=MONDAY_10)

    assert all(o.ok for o in outcomes), [repr(o.error) for o in outcomes]
    total = threads * per_thread
    expected = [f"PS20261102{i:06d}" for i in range(1, total + 1)]
    assert sorted(n for o in outcomes for n in o.value) == expected
    # No gaps, no repeats. On SQLite numbers also follow the ids (the number is taken first);
    # on PostgreSQL ids are drawn before the number, without a lock (ADR 0032).
    from django.db import connection

    if connection.vendor == "sqlite":
        assert list(Appeal.objects.order_by("pk").values_list("number", flat=True)) == expected
    assert AppealNumberSequence.objects.get(day=MONDAY_10.date()).last == total
    assert Event.objects.filter(kind="receive").count() == total
    for appeal in Appeal.objects.all():
        assert audit.verify_appeal(appeal) is None


def test_a_filing_that_rolls_back_gives_its_number_back(world):
    """Numbers have no gaps: the day's counter moves with the filing's transaction."""
    from django.db import transaction

    first = new_appeal(world)
    with pytest.raises(RuntimeError), transaction.atomic():
        new_appeal(world)
        raise RuntimeError("the filing fails after taking its number")
    second = new_appeal(world)
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


# -- the SLA sweep ----------------------------------------------------------------------------


def test_two_sweeps_at_once_sweep_each_clock_once(world):
    appeals = [prepare(dispatched, world)[0] for _ in range(3)]
    month_later = MONDAY_10 + timedelta(days=30)

    outcomes = race(
        lambda: workflow.sweep_clocks(now=month_later, batch_size=5),
        lambda: workflow.sweep_clocks(now=month_later, batch_size=7),
    )

    assert all(o.ok for o in outcomes), [repr(o.error) for o in outcomes]
    total = {k: sum(o.value[k] for o in outcomes) for k in ("warned", "breached", "supervised")}
    assert total == {"warned": 12, "breached": 12, "supervised": 3}
    for appeal in appeals:
        appeal.refresh_from_db()
        assert appeal.events.filter(kind="clock_breach").count() == 4
        assert appeal.supervisions.filter(automatic=True).count() == 1
        assert audit.verify_appeal(appeal) is None


def test_sweep_and_a_transition_on_the_same_appeal_keep_one_chain(world, slow_transitions):
    appeal, version, events = prepare(dispatched, world)

    outcomes = race(
        lambda: workflow.sweep_clocks(now=MONDAY_10 + timedelta(days=30)),
        lambda: workflow.sign(appeal.pk, world.u("handler")),
    )

    assert all(o.ok for o in outcomes), [repr(o.error) for o in outcomes]
    appeal.refresh_from_db()
    assert appeal.events.filter(kind="sign").count() == 1
    assert appeal.events.count() == appeal.audit_count
    assert audit.verify_appeal(appeal) is None
