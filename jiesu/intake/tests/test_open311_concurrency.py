# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A client that retries before its first POST has even been answered: the two identical
POSTs race, and exactly one appeal is filed; both answers name it.

Real concurrent connections (one thread each, released together by a barrier), so the test is
transactional and needs PostgreSQL or a SQLite file (see jiesu/appeals/tests/test_concurrency.py
for why SQLite in memory cannot queue writers). Like those, it restores the migrations' reference
data (appeal types, grades, default limits) with `serialized_rollback`.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from jiesu.appeals import hooks
from jiesu.intake.tests import test_open311 as base
from jiesu.intake.tests.test_open311 import parse, stored, valid_request


def _sqlite_in_memory() -> bool:
    db = settings.DATABASES["default"]
    name = (db.get("TEST") or {}).get("NAME")
    return db["ENGINE"].endswith("sqlite3") and (not name or name == ":memory:")


pytestmark = [
    pytest.mark.skipif(
        _sqlite_in_memory(),
        reason="concurrent writers need PostgreSQL or a SQLite file, not SQLite in memory",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

world = base.world
o311 = base.o311


@pytest.fixture
def slow_receive():
    """Hold each filing transaction open a moment, so the second POST arrives meanwhile."""

    def hold(sender, **kwargs):
        if threading.current_thread() is not threading.main_thread():
            time.sleep(0.3)

    hooks.appeal_event.connect(hold, dispatch_uid="test_open311_hold")
    yield
    hooks.appeal_event.disconnect(dispatch_uid="test_open311_hold")


def race(body: str, headers: dict, n: int = 2):
    barrier = threading.Barrier(n)
    responses: list = [None] * n
    failures: list = []

    def run(i):
        try:
            client = Client()
            barrier.wait(timeout=30)
            responses[i] = client.post(
                "/open311/v2/requests.json",
                body,
                content_type="application/x-www-form-urlencoded",
                headers=headers,
            )
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures, failures
    return responses


@pytest.mark.parametrize(
    "headers", [{}, {"Idempotency-Key": "race-1"}], ids=["derived key", "header"]
)
def test_simultaneous_retries_file_one_appeal(o311, slow_receive, headers):
    body = urlencode({**valid_request(o311), "api_key": o311.key})
    responses = race(body, headers)
    assert sorted(r.status_code for r in responses) == [200, 201], [r.content for r in responses]
    numbers = {parse(r, "json")[0]["service_request_id"] for r in responses}
    assert len(numbers) == 1
    assert stored() == (1, 1, 1)
