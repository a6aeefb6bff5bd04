# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The number of queries of the main pages does not grow with the rows they show.

Each workbench is measured with 5 and with 30 appeals in its queue: the counts must be equal
(and stay under a ceiling that catches a regression early). The appeal page is measured with
1 and 5 history events, and with 1 and 5 assignments.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu.appeals import privacy, workflow
from jiesu.appeals.tests.conftest import (
    completed,
    dispatched,
    new_appeal,
    registered,
    visiting,
)
from jiesu.dispatch.models import DuplicateShortlist
from jiesu.org.models import Unit

# A ceiling per page: generous enough for honest changes, low enough to catch a loop.
MAX_QUERIES = 30


# Counts compare two page loads: the periodic version checks of the calendar and the process
# copies (every few seconds) must not fall between them on a slow machine.
pytestmark = pytest.mark.usefixtures("steady_process_copies")


def measure(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


DESKS = [
    ("intake", "/console/intake/", new_appeal),
    ("dispatcher", "/console/dispatch/", registered),
    ("handler", "/console/unit/", dispatched),
    ("leader", "/console/unit/?tab=in_progress", None),
    ("supervisor", "/console/review/", completed),
    ("visitor", "/console/visits/", visiting),
    ("supervisor", "/console/supervision/?tab=green", dispatched),
    ("supervisor", "/console/search/", dispatched),
    ("handler", "/console/search/", dispatched),
]


def _in_progress(world):
    appeal = dispatched(world)
    return workflow.sign(appeal, world.u("handler"))


@pytest.mark.parametrize("user,url,make", DESKS, ids=[f"{d[0]}:{d[1]}" for d in DESKS])
def test_workbench_queries_do_not_grow_with_rows(
    client, world, user, url, make, django_assert_max_num_queries
):
    make = make or _in_progress
    client.force_login(world.u(user))
    for _ in range(5):
        make(world)
    client.get(url)  # warm up (session, caches)
    with django_assert_max_num_queries(MAX_QUERIES):
        few = measure(client, url)
    for _ in range(25):
        make(world)
    client.get(url)  # warm up again: the intake desk keeps its rows' duplicate shortlists
    with django_assert_max_num_queries(MAX_QUERIES):
        many = measure(client, url)
    assert few == many, f"{url}: {few} queries with 5 appeals, {many} with 30"


def test_intake_desk_with_suggestions_on_every_row(client, world, django_assert_max_num_queries):
    """Every appeal from the same phone: each row has duplicates, still a fixed count."""
    client.force_login(world.u("intake"))
    for _ in range(5):
        new_appeal(world, category=world.leaf)
    client.get("/console/intake/")
    few = measure(client, "/console/intake/")
    DuplicateShortlist.objects.all().delete()  # every row searched in full (ADR 0036)
    few_searched = measure(client, "/console/intake/")
    for _ in range(25):
        new_appeal(world, category=world.leaf)
    many_searched = measure(client, "/console/intake/")  # 5 shortlists reused, 25 searched
    many = measure(client, "/console/intake/")
    assert 'data-testid="suggestions"' in client.get("/console/intake/").content.decode()
    assert few == many
    assert few_searched <= many_searched <= few_searched + 1  # + the shortlists' rows


def _with_unmasks(world, appeal, n):
    for _ in range(n):
        privacy.reveal_contact(appeal, world.u("intake"))
    return appeal


@pytest.mark.parametrize("user", ["intake", "supervisor"])
def test_appeal_page_queries_do_not_grow_with_events(client, world, user):
    client.force_login(world.u(user))
    new_appeal(world)  # earlier: both pages below offer it as a possible duplicate
    one = new_appeal(world)  # one event: receive
    five = _with_unmasks(world, new_appeal(world), 4)  # receive + 4 views of the contact data
    assert five.events.count() == 5 and one.events.count() == 1
    client.get(f"/console/appeals/{one.number}/")  # warm up: both keep a duplicate shortlist
    client.get(f"/console/appeals/{five.number}/")
    assert measure(client, f"/console/appeals/{one.number}/") == measure(
        client, f"/console/appeals/{five.number}/"
    )


@pytest.mark.parametrize("user", ["dispatcher", "supervisor", "handler"])
def test_appeal_page_queries_do_not_grow_with_assignments(client, world, user):
    extra = Unit.objects.create(code="D03", name="住建局", kind=Unit.Kind.DEPARTMENT)
    one = workflow.dispatch(
        registered(world), world.u("dispatcher"), lead_unit=world.urban, assisting_units=[]
    )
    five = workflow.dispatch(
        registered(world),
        world.u("dispatcher"),
        lead_unit=world.urban,
        assisting_units=[world.water, world.urban_team, world.centre, extra],
    )
    assert one.assignments.count() == 1 and five.assignments.count() == 5
    client.force_login(world.u(user))
    client.get(f"/console/appeals/{one.number}/")
    few = measure(client, f"/console/appeals/{one.number}/")
    many = measure(client, f"/console/appeals/{five.number}/")
    assert few == many, f"{few} queries with 1 assignment, {many} with 5"
    assert many <= MAX_QUERIES
