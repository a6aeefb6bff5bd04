# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The plans of searches that read whole tables at a million appeals (PostgreSQL):

- by phone (migration appeals.0012): the whole number and its last four digits, spaces and
  dashes ignored, compared expressions no index held (`LIKE '%1234'`, a normalised copy);
- a unit's search (migration appeals.0013): counting its appeals visited every one of its
  assignment rows."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu.appeals.models import Appeal, Assignment
from jiesu.appeals.tests.conftest import dispatched, new_appeal
from jiesu.intake.tests.api_support import staff_client
from jiesu.tests.plans import explain

OTHERS = 3000
HELD = 5000  # a unit with a long history: its list walks time order rather than hashing it
URL = "/console/search/"


def _appeals_read(sql: str) -> int:
    return sum(
        n.get("Actual Rows", 0) * n.get("Actual Loops", 1) + n.get("Rows Removed by Filter", 0)
        for n in explain(sql, analyze=True)
        if n.get("Relation Name") == "appeals_appeal" or "appeals_phone" in n.get("Index Name", "")
    )


@pytest.mark.django_db
def test_a_phone_search_reads_only_that_phones_appeals(postgres_only, as_user, world):
    typed = new_appeal(world, reporter_phone="0755-8888 9999")
    fields = [f for f in Appeal._meta.concrete_fields if not f.primary_key]
    copies = []
    for i in range(OTHERS):
        values = {f.attname: getattr(typed, f.attname) for f in fields}
        values.update(number=f"T{i:09d}", reporter_phone=f"139{i:08d}")
        copies.append(Appeal(**values))
    Appeal.objects.bulk_create(copies)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE appeals_appeal")
    client = as_user("supervisor")
    for phone in ("075588889999", "0755-8888 9999", "9999"):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(URL, {"phone": phone}).content.decode()
        assert set(re.findall(r'<a href="/console/appeals/(\w+)/">', page)) == {typed.number}
        reads = [q["sql"] for q in queries.captured_queries if "REVERSE(" in q["sql"]]
        assert reads, "the search by phone compares the reversed digits"
        for sql in reads:
            # By the index: one row here, a few dozen seen once in a whole run (plans and
            # the rows earlier tests left behind vary); a scan of the table reads all 3,001.
            assert _appeals_read(sql) < OTHERS // 10, (phone, sql)


@pytest.mark.django_db
def test_a_units_search_reads_its_appeals_from_the_index(postgres_only, as_user, world):
    appeal = dispatched(world)  # the urban office leads, the water office assists
    water = world.u("water_handler").unit
    other = Assignment.objects.exclude(unit=water).get(appeal=appeal)
    # Another unit's long history of assisting (rows the water office's search must not read).
    fields = [f for f in Assignment._meta.concrete_fields if not f.primary_key]
    copies = []
    for _ in range(OTHERS):
        values = {f.attname: getattr(other, f.attname) for f in fields}
        values.update(role=Assignment.Role.ASSIST, active=False)
        copies.append(Assignment(**values))
    Assignment.objects.bulk_create(copies)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE appeals_assignment")
        cursor.execute("SET LOCAL enable_seqscan = off")
    client = as_user("water_handler")
    with CaptureQueriesContext(connection) as queries:
        page = client.get(URL).content.decode()
    assert set(re.findall(r'<a href="/console/appeals/(\w+)/">', page)) == {appeal.number}
    [count] = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    used = {n.get("Index Name") for n in explain(count)}
    assert "appeals_assignment_unit_appeal" in used, used


@pytest.mark.django_db
def test_a_units_list_skips_the_newer_appeals_no_unit_holds(postgres_only, as_user, world):
    """The unit's list, newest first, walked every appeal by its received time: a burst of new
    appeals still waiting at the centre (no unit yet) was read row by row before the unit's
    first (95 ms of a 150 ms page at a million appeals with 30,000 waiting). Only dispatched
    appeals have units (migration appeals.0015)."""
    from datetime import timedelta

    appeal = dispatched(world)  # the urban office leads
    lead = appeal.assignments.get(role=Assignment.Role.LEAD)
    fields = [f for f in Appeal._meta.concrete_fields if not f.primary_key]

    def copies(n, prefix, changes):
        rows = []
        for i in range(n):
            values = {f.attname: getattr(appeal, f.attname) for f in fields}
            values.update(number=f"{prefix}{i:09d}", **changes(i))
            rows.append(Appeal(**values))
        return Appeal.objects.bulk_create(rows)

    # The unit's own history, older than the appeal, then newer appeals nobody holds yet.
    held = copies(HELD, "H", lambda i: {"received_at": appeal.received_at - timedelta(hours=i + 1)})
    afields = [f for f in Assignment._meta.concrete_fields if not f.primary_key]
    Assignment.objects.bulk_create(
        Assignment(**{**{f.attname: getattr(lead, f.attname) for f in afields}, "appeal_id": a.pk})
        for a in held
    )
    copies(
        OTHERS,
        "W",
        lambda i: {
            "received_at": appeal.received_at + timedelta(minutes=i + 1),
            "status": "received",
            "dispatched_at": None,
        },
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE appeals_appeal")
        cursor.execute("ANALYZE appeals_assignment")
        # At this size sorting the unit's few thousand appeals is cheapest; at a million the
        # planner walks an index in the list's order (time received, then id), as it must here.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
    client = as_user("handler")
    with CaptureQueriesContext(connection) as queries:
        page = client.get(URL).content.decode()
    assert appeal.number in page and "W000000000" not in page
    [listing] = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "appeals_appeal"."id"') and "LIMIT 50" in q["sql"]
    ]
    assert _appeals_read(listing) < OTHERS // 10, listing
    # The API's list of the same unit (its own scope rule: current assignments).
    api = staff_client(world.u("handler"))
    with CaptureQueriesContext(connection) as queries:
        found = api.get("/api/v1/appeals/", {"page_size": 50}).json()
    assert found["results"][0]["number"] == appeal.number
    [listing] = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "appeals_appeal"."id"') and "LIMIT 51" in q["sql"]
    ]
    assert _appeals_read(listing) < OTHERS // 10, listing
