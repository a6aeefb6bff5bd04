# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The SLA sweep works in batches: a fixed number of queries per batch, whatever its size, and
the same history, notices and notifications as sweeping one clock at a time."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from jiesu.appeals import audit, workflow
from jiesu.appeals.models import Appeal, Clock, Event, SupervisionNotice
from jiesu.appeals.tests.conftest import MONDAY_10, dispatched
from jiesu.notify.models import Notification

LATER = MONDAY_10 + timedelta(days=30)


@pytest.fixture
def five_dispatched(world, at):
    """Five appeals dispatched on Monday 10:00, each with four running clocks (the lead's sign,
    contact and handle, the assisting unit's sign): twenty clocks, all past due a month later."""
    with at(MONDAY_10):
        appeals = [dispatched(world, title=f"垃圾堆积 {i}") for i in range(5)]
    assert Clock.objects.filter(stopped_at__isnull=True).count() == 20
    return appeals


def _statements(queries) -> list[str]:
    """The statements run, an insert that the database driver cut into several (SQLite takes at
    most 999 parameters a statement) counted once."""
    out = []
    for query in queries:
        sql = query["sql"]
        head = sql.split(" (", 1)[0] if sql.startswith("INSERT") else sql
        if not (head.startswith("INSERT") and out and out[-1] == head):
            out.append(head)
    return out


def _sweep_queries(**kwargs) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as queries:
        counts = workflow.sweep_clocks(now=LATER, **kwargs)
    if connection.vendor == "postgresql":  # no parameter limit: every insert is one statement
        assert len(_statements(queries)) == len(queries)
    return counts, len(_statements(queries))


def test_a_batch_costs_the_same_queries_for_one_clock_and_for_twenty(
    five_dispatched, world, steady_process_copies
):
    one = Clock.objects.filter(kind=Clock.Kind.HANDLE).order_by("pk").first()
    with transaction.atomic():
        # Only one clock due: the others were swept before.
        Clock.objects.exclude(pk=one.pk).update(warned_at=MONDAY_10, breached_at=MONDAY_10)
        single, single_queries = _sweep_queries(batch_size=20)
        transaction.set_rollback(True)
    assert single == {"warned": 1, "breached": 1, "supervised": 1}

    twenty, twenty_queries = _sweep_queries(batch_size=20)
    assert twenty == {"warned": 20, "breached": 20, "supervised": 5}
    assert twenty_queries == single_queries
    # Per phase (warn, breach): the due clocks' ids, then one batch of a fixed size; and the
    # empty look-up that ends each phase. Nothing per clock, appeal or supervisor.
    assert single_queries <= 2 * 12 + 2  # savepoints included


def test_batch_size_changes_nothing_but_the_number_of_batches(five_dispatched, world):
    def outcome(batch_size):
        with transaction.atomic():
            counts, queries = _sweep_queries(batch_size=batch_size)
            events = sorted(
                (e.appeal_id, e.seq, e.kind, e.unit_id, e.actor_label, str(e.payload))
                for e in Event.objects.filter(kind__startswith="clock_")
            )
            notices = sorted(
                (n.appeal_id, n.unit_id, n.reason, n.automatic)
                for n in SupervisionNotice.objects.all()
            )
            messages = sorted(
                (n.event, n.recipient_unit_id, n.recipient_user_id, str(sorted(n.context.items())))
                for n in Notification.objects.filter(event__contains="clock_")
                | Notification.objects.filter(event__endswith="supervision")
            )
            chains = [audit.verify_appeal(a) for a in Appeal.objects.all()]
            transaction.set_rollback(True)
        return counts, queries, events, notices, messages, chains

    one_by_one = outcome(1)
    batched = outcome(20)
    assert one_by_one[0] == batched[0] == {"warned": 20, "breached": 20, "supervised": 5}
    assert one_by_one[2:] == batched[2:]
    assert set(batched[5]) == {None}  # every chain verifies
    assert len(batched[2]) == 40 and len(batched[3]) == 5
    # 40 batches of one clock against 2 batches of twenty.
    assert one_by_one[1] > 10 * batched[1]


def test_second_sweep_finds_nothing_and_tells_nobody_twice(five_dispatched, world):
    workflow.sweep_clocks(now=LATER)
    rows = Notification.objects.count()
    assert workflow.sweep_clocks(now=LATER + timedelta(days=1)) == {
        "warned": 0,
        "breached": 0,
        "supervised": 0,
    }
    assert Notification.objects.count() == rows
    breach = Notification.objects.filter(event="supervisor.clock_breach")
    assert breach.count() == 20 * workflow.supervisors().count() > 0
    assert len(set(breach.values_list("idempotency_key", flat=True))) == breach.count()
