# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""PostgreSQL's estimate of the running clocks (migration appeals.0011, ADR 0030): cancelled
clocks keep no stop time, so "no stop time" and "not cancelled" are correlated, and without
statistics on both columns together the planner expects many times the running clocks there
are (and then hashes whole tables to join them)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from jiesu.appeals.models import Clock
from jiesu.appeals.tests.conftest import new_appeal, world  # noqa: F401
from jiesu.tests.plans import explain
from jiesu.workdays.units import DurationUnit

STOPPED, CANCELLED, RUNNING = 2000, 300, 20


def _estimated_running() -> float:
    top = explain("SELECT id FROM appeals_clock WHERE stopped_at IS NULL AND NOT cancelled")[0]
    return top["Plan Rows"]


@pytest.mark.django_db
def test_the_planner_knows_how_few_clocks_run(postgres_only, world):  # noqa: F811
    appeal = new_appeal(world)
    now = timezone.now()
    common = {
        "appeal": appeal,
        "kind": Clock.Kind.HANDLE,
        "started_at": now,
        "limit_amount": 5,
        "limit_unit": DurationUnit.WORKING_DAYS,
        "warn_at": now + timedelta(days=3),
        "due_at": now + timedelta(days=5),
        "original_due_at": now + timedelta(days=5),
    }
    clocks = [
        Clock(**common, stopped_at=now + timedelta(minutes=i), outcome=Clock.Outcome.DONE)
        for i in range(STOPPED)
    ]
    clocks += [Clock(**common, cancelled=True) for _ in range(CANCELLED)]
    clocks += [Clock(**common) for _ in range(RUNNING)]
    Clock.objects.bulk_create(clocks)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE appeals_clock")
    # Treating the two conditions as independent would give about 280 (12% without a stop
    # time times 87% not cancelled, of 2,320).
    assert _estimated_running() < 3 * RUNNING


@pytest.mark.django_db
def test_the_running_clock_statistics_exist(postgres_only):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT stxkind FROM pg_statistic_ext WHERE stxname = 'appeals_clock_running'"
        )
        assert cursor.fetchone() is not None
