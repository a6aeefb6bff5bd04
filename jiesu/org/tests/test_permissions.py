# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The permission matrix: every role x every action x every kind of target unit.

The expected table below is written out by hand from DESIGN.md's "Who may do what"; it does
not read jiesu.org.permissions.PERMISSIONS, so a wrong entry there makes these tests fail.
"""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import exceptions
from django.utils import translation

from jiesu.org import permissions
from jiesu.org.models import Unit
from jiesu.org.permissions import Action, can, require, roles_allowed, scope_q, units_in_scope
from jiesu.org.roles import Role

ALL_ACTIONS = {
    "file_appeal",
    "view_appeal",
    "register",
    "reject",
    "merge",
    "answer_directly",
    "dispatch",
    "redispatch",
    "decide_return",
    "decide_extension",
    "sign",
    "contact",
    "request_return",
    "request_extension",
    "complete",
    "approve_unit_completion",
    "review",
    "record_visit",
    "reopen",
    "supervise",
    "answer_supervision",
    "unmask_contact",
    "view_statistics",
    "export_statistics",
    "manage_reference_data",
    "manage_users",
    "manage_rewards",
    "review_reward",
}

HANDLER = {
    "view_appeal",
    "sign",
    "contact",
    "request_return",
    "request_extension",
    "complete",
    "answer_supervision",
    "unmask_contact",
}

EXPECTED = {
    "intake_operator": {
        "file_appeal",
        "view_appeal",
        "register",
        "reject",
        "merge",
        "answer_directly",
        "unmask_contact",
    },
    "dispatcher": {"view_appeal", "dispatch", "redispatch", "decide_return", "decide_extension"},
    "unit_handler": HANDLER,
    "unit_leader": HANDLER | {"approve_unit_completion", "view_statistics", "export_statistics"},
    "supervisor": {
        "view_appeal",
        "supervise",
        "reopen",
        "review",
        "view_statistics",
        "export_statistics",
        "unmask_contact",
        "review_reward",
    },
    "visit_agent": {"view_appeal", "record_visit", "unmask_contact"},
    "analyst": {"view_appeal", "view_statistics", "export_statistics"},
    "administrator": {"manage_reference_data", "manage_users", "manage_rewards"},
}
UNIT_SCOPED = {"unit_handler", "unit_leader"}
TARGETS = ("own", "sub", "parent", "sibling", "none")


def expected(role, action, target) -> bool:
    if action not in EXPECTED[role]:
        return False
    if role in UNIT_SCOPED:
        return target in ("own", "sub")
    return True


@pytest.fixture
def units(make_unit):
    """parent > own > sub, and sibling beside own."""
    parent = make_unit("Parent")
    own = make_unit("Own", parent=parent)
    sub = make_unit("Sub", parent=own)
    sibling = make_unit("Sibling", parent=parent)
    return {"parent": parent, "own": own, "sub": sub, "sibling": sibling, "none": None}


def test_action_list_is_complete():
    assert set(Action.values) == ALL_ACTIONS
    assert set(EXPECTED) == set(Role.values)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_matrix(role, units, make_user):
    user = make_user(role, unit=units["own"])
    wrong = []
    for action in sorted(ALL_ACTIONS):
        for target in TARGETS:
            got = can(user, action, units[target])
            if got != expected(role, action, target):
                wrong.append(f"{role} {action} on {target}: got {got}")
            # `require` agrees with `can`.
            if got:
                require(user, action, units[target])
            else:
                with pytest.raises(permissions.PermissionDenied):
                    require(user, action, units[target])
    assert not wrong, "\n".join(wrong)


def test_matrix_accepts_unit_primary_keys(units, make_user):
    user = make_user("unit_handler", unit=units["own"])
    assert can(user, "sign", units["sub"].pk)
    assert not can(user, "sign", units["sibling"].pk)


def test_unit_role_without_own_unit_may_do_nothing(units, make_user):
    user = make_user("unit_leader", unit=None)
    for action in ALL_ACTIONS:
        for target in TARGETS:
            assert not can(user, action, units[target])


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_inactive_user_may_do_nothing(role, units, make_user):
    user = make_user(role, unit=units["own"], is_active=False)
    assert not any(can(user, a, units[t]) for a in ALL_ACTIONS for t in TARGETS)


def test_anonymous_and_none(units):
    for user in (AnonymousUser(), None):
        assert not any(can(user, a, units["own"]) for a in ALL_ACTIONS)
        assert not units_in_scope(user, "view_appeal").exists()


def test_user_without_roles(units, make_user):
    user = make_user(unit=units["own"], is_staff=True)
    assert not any(can(user, a, units[t]) for a in ALL_ACTIONS for t in TARGETS)


def test_superuser_gets_the_admin_and_no_case_action(units, make_user):
    user = make_user(unit=units["own"], is_superuser=True, is_staff=True)
    allowed = {a for a in ALL_ACTIONS if can(user, a, units["own"])}
    assert allowed == {"manage_reference_data", "manage_users"}
    assert permissions.may_use_admin(user)


def test_roles_combine(units, make_user):
    user = make_user("analyst", "unit_handler", unit=units["own"])
    assert can(user, "export_statistics")
    assert can(user, "sign", units["sub"])
    assert not can(user, "sign", units["sibling"])
    assert not can(user, "dispatch", units["own"])
    # A district role with the same action lifts the unit limit.
    both = make_user("unit_handler", "supervisor", unit=units["own"])
    assert can(both, "view_appeal", units["sibling"])
    assert not can(both, "sign", units["sibling"])


def test_unknown_action_is_a_programming_error(make_user):
    with pytest.raises(ValueError):
        can(make_user("supervisor"), "fly")


class TestRequireMessages:
    @pytest.fixture(autouse=True)
    def _english(self):
        with translation.override("en"):
            yield

    def test_other_unit(self, units, make_user):
        user = make_user("unit_handler", unit=units["own"])
        with pytest.raises(exceptions.PermissionDenied) as error:
            require(user, Action.SIGN, units["sibling"])
        assert str(error.value) == "You may not sign for this appeal: it belongs to another unit."
        assert error.value.action == Action.SIGN and error.value.reason == "other_unit"

    def test_role(self, units, make_user):
        user = make_user("analyst", unit=units["own"])
        with pytest.raises(permissions.PermissionDenied) as error:
            require(user, "dispatch")
        assert str(error.value) == (
            "You may not dispatch this appeal: your role does not allow this action."
        )

    def test_unassigned_and_no_unit(self, units, make_user):
        with pytest.raises(permissions.PermissionDenied, match="not assigned to your unit"):
            require(make_user("unit_leader", unit=units["own"]), "complete", None)
        with pytest.raises(permissions.PermissionDenied, match="not attached to a unit"):
            require(make_user("unit_leader"), "complete", units["own"])

    def test_inactive(self, make_user):
        with pytest.raises(permissions.PermissionDenied, match="not signed in"):
            require(make_user("supervisor", is_active=False), "review")

    def test_message_is_translatable(self, units, make_user):
        user = make_user("analyst")
        with translation.override("zh-hans"), pytest.raises(permissions.PermissionDenied) as error:
            require(user, "dispatch")
        assert str(error.value)  # rendered in the active language, never empty


class TestScopes:
    def test_units_in_scope(self, units, make_user):
        handler = make_user("unit_handler", unit=units["own"])
        assert set(units_in_scope(handler, "sign")) == {units["own"], units["sub"]}
        assert not units_in_scope(handler, "dispatch").exists()
        dispatcher = make_user("dispatcher", unit=units["own"])
        assert set(units_in_scope(dispatcher, "dispatch")) == set(Unit.objects.all())
        assert not units_in_scope(make_user("unit_handler"), "sign").exists()

    def test_scope_q_filters_units(self, units, make_user):
        handler = make_user("unit_leader", unit=units["own"])
        in_scope = set(Unit.objects.filter(scope_q(handler, "view_appeal", unit_field="parent")))
        # Units whose parent is in the leader's subtree: only `sub` (its parent is `own`).
        assert in_scope == {units["sub"]}
        supervisor = make_user("supervisor")
        assert Unit.objects.filter(scope_q(supervisor, "view_appeal", "parent")).count() == 4
        assert not Unit.objects.filter(scope_q(make_user("analyst"), "sign")).exists()

    def test_roles_allowed(self):
        assert roles_allowed("sign") == {"unit_handler", "unit_leader"}
        assert roles_allowed(Action.UNMASK_CONTACT) == {
            "intake_operator",
            "unit_handler",
            "unit_leader",
            "supervisor",
            "visit_agent",
        }
        assert roles_allowed("manage_users") == {"administrator"}
        for action in ALL_ACTIONS:
            assert roles_allowed(action) == {r for r, acts in EXPECTED.items() if action in acts}
