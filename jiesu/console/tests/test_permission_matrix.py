# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The permission matrix over HTTP (issue 8, "checks that keep them out"): each role x each
action x own unit / other unit / none / a guessed number, at the API and on the console's
pages, asserted on the real answers.

The cases are generated from `jiesu.org.permissions.PERMISSIONS` and `workflow.TRANSITIONS`:
a new action without a probe here fails `test_every_action_has_a_probe`. What a role may not do
is refused the same way at both doors:

* an appeal outside the caller's reach answers 404, exactly like a number that does not exist
  (an id-guesser learns nothing); a role that may read no appeal at all gets 403 for both;
* an appeal within reach, an action the role does not have: 403;
* an action the role has, within reach: past the permission check (200, or 409 when the appeal's
  state does not allow it now; 400 only where the body names something of the appeal's own,
  see `ALLOWED_BODY_REFUSALS`).

Targets: "own" is an appeal whose lead unit is the actor's unit (for unit roles: 城市管理局),
"other" one led by another unit (水务局), "none" one with no unit yet (just received), and
"guess" a well-formed number that does not exist.
"""

from __future__ import annotations

import pytest

from jiesu.appeals import workflow
from jiesu.appeals.tests.conftest import MONDAY_10, new_appeal
from jiesu.intake.tests.api_support import LIST_URL, staff_client
from jiesu.org.permissions import PERMISSIONS, SCOPES, Action, Scope
from jiesu.org.roles import Role

# One person per role (the shared test world): unit roles belong to 城市管理局 (D01).
PEOPLE = {
    Role.INTAKE_OPERATOR: "intake",
    Role.DISPATCHER: "dispatcher",
    Role.UNIT_HANDLER: "handler",
    Role.UNIT_LEADER: "leader",
    Role.SUPERVISOR: "supervisor",
    Role.VISIT_AGENT: "visitor",
    Role.ANALYST: "analyst",
    Role.ADMINISTRATOR: "admin",
}
TARGETS = ("own", "other", "none", "guess")

# A valid body for each transition (so that a 400 never hides the permission's answer).
BODIES = {
    "register": {"appeal_type": "complaint", "category": "0101001", "grade": "C"},
    "reject": {"reason": "重复诉求"},
    "merge": {"into": "MERGE_TARGET"},
    "answer": {"reply": "已电话答复"},
    "dispatch": {},
    "redispatch": {"lead_unit": "D01-T1", "reason": "职责调整"},
    "sign": {},
    "contact": {"method": "phone"},
    "request_return": {"reason": "不属于本单位职责"},
    "approve_return": {},
    "refuse_return": {"reason": "属于本单位职责"},
    "request_extension": {"working_days": 2, "reason": "需协调"},
    "approve_extension": {},
    "refuse_extension": {"reason": "时间充足"},
    "complete": {"result": "已清理", "evidence": "现场照片"},
    "approve_completion": {},
    "reject_completion": {"reason": "证据不足"},
    "approve_review": {},
    "send_back": {"reason": "未解决"},
    "record_visit": {"outcome": "satisfied"},
    "close": {"reason": "无法联系"},
    "reopen": {"reason": "市民反映未解决"},
    "supervise": {"reason": "请尽快处理"},
    "answer_supervision": {"notice": 2_000_000_000, "answer": "已处理"},
}
# The notice named above belongs to no appeal: whoever may answer gets "no such notice".
ALLOWED_BODY_REFUSALS = {"answer_supervision"}

# Actions that are no workflow transition, and how each door probes them.
OTHER_ACTIONS = {
    Action.VIEW_APPEAL,
    Action.UNMASK_CONTACT,
    Action.FILE_APPEAL,
    Action.VIEW_STATISTICS,
    Action.EXPORT_STATISTICS,
    Action.MANAGE_REFERENCE_DATA,
    Action.MANAGE_USERS,
    Action.MANAGE_REWARDS,
    Action.REVIEW_REWARD,
}


def transitions_of(action):
    return sorted(
        n for n, t in workflow.TRANSITIONS.items() if t.action == action and n != "receive"
    )


def test_every_action_has_a_probe():
    probed = OTHER_ACTIONS | {workflow.TRANSITIONS[n].action for n in BODIES}
    assert probed == set(Action)
    assert set(BODIES) == set(workflow.TRANSITIONS) - {"receive"}
    assert set(PEOPLE) == set(Role) == set(PERMISSIONS)


def may(role, action) -> bool:
    return action in PERMISSIONS[role]


def expected(role, action, target, door="api") -> str:
    """ "ok" (past the permission check), or the refusal: "403" or "404". A role that may read
    no appeal at all gets the same answer for every number: 403 from the API (which says why),
    404 on the console's pages."""
    if not may(role, Action.VIEW_APPEAL):
        return "403" if door == "api" else "404"
    if target == "guess":
        return "404"
    in_reach = SCOPES[role] == Scope.DISTRICT or target == "own"
    if not in_reach:
        return "404"
    return "ok" if may(role, action) else "403"


def check(response, want, allowed=(200, 409), what=""):
    if want == "ok":
        assert response.status_code in allowed, (what, response.status_code, response.content)
    else:
        assert response.status_code == int(want), (what, response.status_code, response.content)


@pytest.fixture
def appeals(world, settings):
    """Appeals for every target: led by 城市管理局, by 水务局, not yet dispatched; plus an
    earlier open appeal to merge into."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from jiesu.appeals import timesource

    with timesource.frozen_at(MONDAY_10):
        target = new_appeal(world)

        def led_by(unit):
            appeal = new_appeal(world)
            appeal = workflow.register(
                appeal,
                world.u("intake"),
                appeal_type=world.complaint,
                category=world.leaf,
                grade=world.grade_c,
            )
            return workflow.dispatch(
                appeal, world.u("dispatcher"), lead_unit=unit, assisting_units=[]
            )

        numbers = {
            "own": led_by(world.urban).number,
            "other": led_by(world.water).number,
            "none": new_appeal(world).number,
        }
    numbers["guess"] = numbers["none"][:-4] + "9999"
    return numbers, target.number


CASES = [(role, name, target) for role in Role for name in sorted(BODIES) for target in TARGETS]


@pytest.mark.parametrize("role", list(Role))
def test_api_transitions(world, appeals, role):
    numbers, merge_target = appeals
    api = staff_client(world.u(PEOPLE[role]), language="en")
    for name in sorted(BODIES):
        action = workflow.TRANSITIONS[name].action
        body = {k: (merge_target if v == "MERGE_TARGET" else v) for k, v in BODIES[name].items()}
        for target in TARGETS:
            want = expected(role, action, target)
            response = api.post(f"{LIST_URL}{numbers[target]}/actions/{name}/", body, format="json")
            allowed = (200, 400, 409) if name in ALLOWED_BODY_REFUSALS else (200, 409)
            check(response, want, allowed, what=(role, name, target))


@pytest.mark.parametrize("role", list(Role))
def test_api_reading_and_unmasking(world, appeals, role):
    numbers, _ = appeals
    api = staff_client(world.u(PEOPLE[role]), language="en")
    for target in TARGETS:
        number = numbers[target]
        check(
            api.get(f"{LIST_URL}{number}/"),
            expected(role, Action.VIEW_APPEAL, target),
            what=(role, "read", target),
        )
        check(
            api.get(f"{LIST_URL}{number}/history/"),
            expected(role, Action.VIEW_APPEAL, target),
            what=(role, "history", target),
        )
        check(
            api.post(f"{LIST_URL}{number}/unmask/", {"reason": "回访"}, format="json"),
            expected(role, Action.UNMASK_CONTACT, target),
            what=(role, "unmask", target),
        )


@pytest.mark.parametrize("role", list(Role))
def test_api_filing(world, role):
    from jiesu.intake.models import Channel

    Channel.objects.get_or_create(code="hotline", defaults={"name": "12345"})
    api = staff_client(world.u(PEOPLE[role]), language="en")
    data = {
        "channel": "hotline",
        "title": "噪音扰民",
        "description": "夜间施工噪音",
        "reporter_phone": "13800001234",
    }
    response = api.post(LIST_URL, data, format="json")
    if may(role, Action.FILE_APPEAL):
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 403, (role, response.content)


@pytest.mark.parametrize("role", list(Role))
def test_console_pages(client, world, appeals, role):
    numbers, merge_target = appeals
    client.force_login(world.u(PEOPLE[role]))
    for target in TARGETS:
        number = numbers[target]
        want = expected(role, Action.VIEW_APPEAL, target, "console")
        page = client.get(f"/console/appeals/{number}/")
        check(page, want, (200,), what=(role, "page", target))
        shown = page.content.decode() if page.status_code == 200 else ""
        for name in sorted(BODIES):
            action = workflow.TRANSITIONS[name].action
            want_action = expected(role, action, target, "console")
            if want_action != "ok":
                # Never offered on the page, and refused when forged.
                assert f'id="action-{name}"' not in shown, (role, name, target)
                body = {
                    k: (merge_target if v == "MERGE_TARGET" else v) for k, v in BODIES[name].items()
                }
                forged = client.post(f"/console/appeals/{number}/act/{name}/", body)
                check(forged, want_action, what=(role, "console", name, target))
        unmask = client.post(f"/console/appeals/{number}/unmask/", {"reason": "回访"})
        check(
            unmask,
            expected(role, Action.UNMASK_CONTACT, target, "console"),
            (200,),
            what=(role, "unmask", target),
        )


@pytest.mark.parametrize("role", list(Role))
def test_console_desk_and_administration_pages(client, world, role):
    client.force_login(world.u(PEOPLE[role]))
    pages = {
        "/console/intake/new/": Action.FILE_APPEAL,
        "/console/manage/rules/": Action.MANAGE_REFERENCE_DATA,
        "/console/manage/channels/": Action.MANAGE_REFERENCE_DATA,
        "/console/manage/users/": Action.MANAGE_USERS,
        "/console/rewards/": Action.MANAGE_REWARDS,
        "/console/rewards/ledger/": Action.MANAGE_REWARDS,
        "/console/rewards/review/": Action.REVIEW_REWARD,
    }
    for url, action in pages.items():
        response = client.get(url)
        if may(role, action):
            assert response.status_code == 200, (role, url, response.status_code)
        else:
            assert response.status_code in (403, 404), (role, url, response.status_code)
