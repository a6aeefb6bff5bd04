# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The API shows whether a deadline is provisional, beside the deadline, and refuses a deadline
beyond the provisional year with a 503 that says who can fix it."""

from datetime import datetime

import pytest

from jiesu.appeals import timesource
from jiesu.appeals.tests.conftest import SHANGHAI, in_progress, registered
from jiesu.intake.tests.api_support import LIST_URL, error, make_world, staff_client


@pytest.fixture
def world(db, settings):
    return make_world(settings)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_a_clock_says_whether_its_deadline_is_provisional(world):
    with timesource.frozen_at(local("2026-12-28 10:00")):
        appeal = in_progress(world)
    data = staff_client(world.u("supervisor")).get(f"{LIST_URL}{appeal.number}/").json()
    lead = [c for c in data["clocks"] if c["unit"] and c["unit"]["code"] == "D01"]
    by_kind = {c["kind"]: c for c in lead}
    # Handling, 5 working days: into 2027, which the calendar does not cover yet.
    assert by_kind["handle"]["due_at"] == "2027-01-05T10:00:00+08:00"
    assert by_kind["handle"]["provisional"] is True
    assert by_kind["contact"]["provisional"] is False
    keys = list(by_kind["handle"])
    assert keys.index("provisional") == keys.index("original_due_at") + 1


def test_a_deadline_beyond_the_provisional_year_is_a_503_naming_the_administrator(world):
    with timesource.frozen_at(local("2027-12-27 10:00")):
        appeal = registered(world)
        response = staff_client(world.u("dispatcher")).post(
            f"{LIST_URL}{appeal.number}/actions/dispatch/", {}, format="json"
        )
    assert response.status_code == 503
    problem = error(response)
    assert problem["code"] == "calendar_not_covered"
    assert problem["message"].startswith("工作日历未覆盖 2028 年")
    assert "管理员" in problem["message"] and "工作日历" in problem["message"]
