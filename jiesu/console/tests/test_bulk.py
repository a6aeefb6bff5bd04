# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Bulk dispatch and bulk sign: each appeal through the workflow, reported per appeal."""

from jiesu.appeals.models import Assignment
from jiesu.appeals.states import Status
from jiesu.appeals.tests.conftest import dispatched, in_progress, new_appeal, registered


def texts(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_bulk_dispatch_to_one_unit_reports_per_appeal(as_user, world):
    a, b = registered(world), registered(world, title="第二件")
    received = new_appeal(world, title="还没立案")  # not registered: the workflow refuses
    client = as_user("dispatcher")
    page = client.get("/console/dispatch/?tab=registered").content.decode()
    assert 'data-testid="bulk-form"' in page and f'data-testid="pick-{a.number}"' in page
    response = client.post(
        "/console/bulk/dispatch/",
        {
            "numbers": [a.number, b.number, received.number, "PS00000000000000"],
            "lead_unit": world.water.code,
            "next": "/console/dispatch/?tab=registered",
        },
        follow=True,
    )
    for appeal in (a, b):
        appeal.refresh_from_db()
        assert appeal.status == Status.DISPATCHED
        lead = Assignment.objects.get(appeal=appeal, role=Assignment.Role.LEAD, active=True)
        assert lead.unit == world.water
    received.refresh_from_db()
    assert received.status == Status.RECEIVED
    msgs = texts(response)
    assert a.number in msgs and b.number in msgs
    assert f"{received.number} 被拒绝" in msgs
    assert "PS00000000000000 被拒绝" in msgs


def test_bulk_sign_and_refusals(as_user, world):
    a, b = dispatched(world), dispatched(world, title="第二件")
    done = in_progress(world, title="已签收")  # signing twice is refused
    client = as_user("handler")
    page = client.get("/console/unit/?tab=to_sign").content.decode()
    assert 'data-testid="bulk-form"' in page
    response = client.post(
        "/console/bulk/sign/",
        {"numbers": [a.number, b.number, done.number], "next": "/console/unit/"},
        follow=True,
    )
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == b.status == Status.IN_PROGRESS
    assert f"{done.number} 被拒绝" in texts(response)


def test_bulk_needs_the_permission_and_input(as_user, world):
    appeal = registered(world)
    # A handler may not dispatch: the permission table decides, nothing changes.
    assert (
        as_user("handler").post("/console/bulk/dispatch/", {"numbers": [appeal.number]}).status_code
        == 403
    )
    assert as_user("intake").get("/console/dispatch/").status_code == 403
    client = as_user("dispatcher")
    response = client.post("/console/bulk/dispatch/", {"numbers": [appeal.number]}, follow=True)
    assert "请选择" in texts(response)  # no unit chosen
    response = client.post("/console/bulk/dispatch/", {"lead_unit": world.water.code}, follow=True)
    assert "至少选择一件" in texts(response)
    appeal.refresh_from_db()
    assert appeal.status == Status.REGISTERED
    assert client.post("/console/bulk/delete/", {"numbers": [appeal.number]}).status_code == 403
    assert client.get("/console/bulk/dispatch/").status_code == 405
