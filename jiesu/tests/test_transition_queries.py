# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The statements a workflow transition costs through the API (issue 12: transitions per
second): register and dispatch, by a staff token, with the hooks of a real deployment running
(a reward programme covering the appeal, the duplicates' signatures, the insights' queue).

The limits are today's counts, the same on SQLite and PostgreSQL (before the work of issue 12
these were 77 and 54). A change that adds statements to every transition fails here: cut them,
or raise the limit in the same commit with the reason. Where the statements go: docs/
operations.md (capacity).

Counted is what a long-running worker sends per request: the periodic version checks of the
calendar and the process copies (one small query every few seconds, not per request) are held
off (`steady_process_copies`), and `slow_machine` shows the counts do not depend on how long
the test took."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from jiesu.appeals import audit
from jiesu.appeals.models import Appeal, Event
from jiesu.appeals.states import Status
from jiesu.appeals.tests.conftest import make_user
from jiesu.intake.tests.api_support import (
    LIST_URL,
    at,
    body,
    key_client,
    machine_channel,
    make_world,
)
from jiesu.notify.models import Notification
from jiesu.org.roles import Role
from jiesu.rewards import programmes
from jiesu.rewards.models import Reward

REGISTER_MAX = 58  # about half of them the reward decision's (caps, fraud signals, ledger)
DISPATCH_MAX = 32  # a lead and an assisting unit

TERMS = {
    "channels": ["wechat_pingshan"],
    "types": ["complaint"],
    "trigger": "register",
    "amount": {"kind": "random", "min_fen": 100, "max_fen": 2000, "distribution": "uniform"},
    "daily_count": 100,
    "monthly_budget_fen": 100_000,
    "reporter_daily": 5,
    "reporter_monthly": 20,
}


@pytest.fixture
def desk(db, settings, steady_process_copies):
    world = make_world(settings)
    programmes.create("seed", "随手拍红包", TERMS)
    staff = make_user("desk", world.centre, Role.INTAKE_OPERATOR, Role.DISPATCHER)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=staff).key}")
    _, key = machine_channel()
    return world, client, key_client(key)


def _file(channel_client, n: int) -> str:
    with at(n):
        response = channel_client.post(
            LIST_URL,
            body(
                description=f"第{n}号：公交站旁垃圾堆积，编号{n * 7919 % 10007}。",
                reporter_phone=f"1390000{n:04d}",
            ),
            format="json",
        )
    assert response.status_code == 201, response.content
    return response.json()["number"]


def _act(client, number: str, action: str, data: dict, minutes: int):
    with at(minutes):
        response = client.post(f"{LIST_URL}{number}/actions/{action}/", data, format="json")
    assert response.status_code == 200, (action, response.content)
    return response.json()


def test_register_and_dispatch_stay_within_their_statements(
    desk, slow_machine, django_assert_max_num_queries
):
    world, client, channel_client = desk
    fields = {
        "appeal_type": world.complaint.code,
        "category": world.leaf.code,
        "grade": world.grade_c.code,
    }
    # A first appeal warms the process (region index, calendar, channel keys): counted are
    # the statements of every transition after it, as a long-running worker sees them.
    first = _file(channel_client, 1)
    _act(client, first, "register", fields, 10)
    _act(client, first, "dispatch", {}, 20)
    slow_machine()  # the copies warmed above are now older than their re-check interval

    number = _file(channel_client, 2)
    with django_assert_max_num_queries(REGISTER_MAX):
        registered = _act(client, number, "register", fields, 30)
    with django_assert_max_num_queries(DISPATCH_MAX):
        dispatched = _act(client, number, "dispatch", {}, 40)

    # The work was all done: state, reward, assignments (lead and assisting), clocks, the
    # citizen's and the units' messages, and the audit chain verifies.
    assert registered["status"] == Status.REGISTERED
    assert dispatched["status"] == Status.DISPATCHED
    appeal = Appeal.objects.get(number=number)
    assert Reward.objects.get(appeal=appeal).status == Reward.Status.RESERVED
    assert {(a.unit.code, a.role) for a in appeal.assignments.all()} == {
        (world.urban.code, "lead"),
        (world.water.code, "assist"),
    }
    assert sorted(appeal.clocks.values_list("kind", flat=True)) == sorted(
        ["sign", "contact", "handle", "sign"]
    )
    assert "redispatch" in dispatched["allowed_actions"]
    assert list(
        Event.objects.filter(appeal=appeal).order_by("seq").values_list("kind", flat=True)
    ) == [
        "receive",
        "register",
        "dispatch",
    ]
    assert audit.verify_appeal(appeal) is None
    events = set(Notification.objects.filter(subject_ref=number).values_list("event", flat=True))
    assert {"citizen.accepted", "citizen.dispatched", "unit.new_work"} <= events
    assert any(e.startswith("citizen.reward_") for e in events)


#: A machine channel's filing, after the first (round trips, transaction control aside): on
#: PostgreSQL the ids of the appeal and its first event, then one string holding the event, the
#: duplicate signature, the insights' queue row and, last, the appeal with the day's number
#: drawn in the same statement (`rowinsert.batched`, `numbering.insert_numbered`, ADR 0032);
#: SQLite takes the number first, has no ids to draw first (the head is an update after the
#: event), and writes the signature's bands as a second statement (one `executemany`).
FILE_MAX = {"postgresql": 2, "sqlite": 7}


def test_a_filing_stays_within_its_statements(desk, slow_machine):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, _, channel_client = desk
    _file(channel_client, 1)
    slow_machine()
    with CaptureQueriesContext(connection) as captured:
        number = _file(channel_client, 2)
    # The tests' cache is a database table (production's is Redis): its statements aside.
    sent = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].split()[0].upper()
        not in ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")
        and "jiesu_cache" not in q["sql"]
    ]
    assert len(sent) <= FILE_MAX[connection.vendor], "\n".join(s[:120] for s in sent)
    if connection.vendor == "postgresql":
        # Everything the filing writes went out in the second round trip, and the day's counter
        # (locked until the commit) only in its last statement, the appeal's own insert.
        writes = sent[-1].replace('"', "")
        for table in ("appeals_appeal", "appeals_event", "dispatch_appealsignature"):
            assert f"INSERT INTO {table}" in writes, table
        *before, final = writes.split(";\n")
        assert "appeals_appealnumbersequence" in final and "INSERT INTO appeals_appeal " in final
        assert not any("appeals_appealnumbersequence" in statement for statement in before)
        assert not any("numbersequence" in statement for statement in sent[:-1])
    appeal = Appeal.objects.get(number=number)
    assert audit.verify_appeal(appeal) is None
    assert appeal.events.get().kind == "receive"
