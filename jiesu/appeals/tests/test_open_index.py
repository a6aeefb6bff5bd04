# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The lists of open appeals, oldest first, can be read from the partial index of open appeals
(PostgreSQL): their status condition is the index's own, so the planner may use it instead of
walking every appeal of the history by its received time."""

import os

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from jiesu.appeals.models import Appeal
from jiesu.appeals.states import FINAL_STATES, OPEN_STATES, OPEN_STATUS_LIST
from jiesu.tests.plans import explain

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL"
    ),
    pytest.mark.django_db,
]

INDEX = "appeals_open_by_received"


def _plan(queryset) -> set:
    """The indexes the plan of `queryset` reads, with sequential scans, sorts and bitmap scans
    switched off: on a test database of a few rows a sequential scan is always cheapest, so
    this shows which index can answer the query in its order."""
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_sort", "enable_bitmapscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
    with CaptureQueriesContext(connection) as queries:
        list(queryset)
    return {node.get("Index Name") for node in explain(queries.captured_queries[-1]["sql"])}


def test_the_open_list_is_every_state_but_the_final_ones_in_one_order():
    assert sorted(OPEN_STATES) == OPEN_STATUS_LIST
    assert not set(OPEN_STATUS_LIST) & set(FINAL_STATES)


def test_open_appeals_oldest_first_come_from_the_partial_index():
    open_appeals = Appeal.objects.filter(status__in=OPEN_STATUS_LIST)
    plan = _plan(open_appeals.order_by("received_at", "id")[:4])
    assert INDEX in plan, plan
    # ... also with the supervision desk's further conditions on top.
    plan = _plan(open_appeals.filter(~Q(title="x")).order_by("received_at", "id")[:4])
    assert INDEX in plan, plan


def test_a_list_of_other_states_cannot_use_it():
    plan = _plan(Appeal.objects.filter(status__in=sorted(FINAL_STATES)).order_by("received_at")[:4])
    assert INDEX not in plan, plan
