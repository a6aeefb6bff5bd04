# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Who may do what: the one place where roles, actions and scopes meet.

`PERMISSIONS` is the declarative table: for each role, the actions it may take. A role's
*scope* says where: district roles act everywhere; unit-scoped roles (unit handler, unit
leader) act only on targets whose unit is the user's own unit or one of its sub-units.
A user's roles combine (union). Inactive and anonymous users may do nothing. The superuser
flag opens the admin (reference data and users) and grants no case action.

Every other room asks here, through `can`, `require`, `units_in_scope` or `scope_q`;
nobody else looks at roles to decide a permission.
"""

from __future__ import annotations

from django.core import exceptions
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from jiesu.org.roles import UNIT_SCOPED_ROLES, Role


class Action(models.TextChoices):
    """Everything a staff member may be allowed to do, across an appeal's whole life."""

    FILE_APPEAL = "file_appeal", _("File an appeal")
    VIEW_APPEAL = "view_appeal", _("View an appeal")
    REGISTER = "register", _("Register")
    REJECT = "reject", _("Reject")
    MERGE = "merge", _("Merge")
    ANSWER_DIRECTLY = "answer_directly", _("Answer directly")
    DISPATCH = "dispatch", _("Dispatch")
    REDISPATCH = "redispatch", _("Re-dispatch")
    DECIDE_RETURN = "decide_return", _("Decide a return request")
    DECIDE_EXTENSION = "decide_extension", _("Decide an extension request")
    SIGN = "sign", _("Sign for")
    CONTACT = "contact", _("Contact the citizen")
    REQUEST_RETURN = "request_return", _("Request a return")
    REQUEST_EXTENSION = "request_extension", _("Request an extension")
    COMPLETE = "complete", _("Complete")
    APPROVE_UNIT_COMPLETION = "approve_unit_completion", _("Approve the unit's completion")
    REVIEW = "review", _("Review a result")
    RECORD_VISIT = "record_visit", _("Record a return visit")
    REOPEN = "reopen", _("Reopen")
    SUPERVISE = "supervise", _("Issue a supervision notice")
    ANSWER_SUPERVISION = "answer_supervision", _("Answer a supervision notice")
    UNMASK_CONTACT = "unmask_contact", _("Unmask contact data")
    VIEW_STATISTICS = "view_statistics", _("View statistics")
    EXPORT_STATISTICS = "export_statistics", _("Export statistics")
    MANAGE_REFERENCE_DATA = "manage_reference_data", _("Manage reference data")
    MANAGE_USERS = "manage_users", _("Manage users")
    MANAGE_REWARDS = "manage_rewards", _("Manage reward programmes and budgets")
    REVIEW_REWARD = "review_reward", _("Check held rewards")


class Scope(models.TextChoices):
    DISTRICT = "district", _("whole district")
    UNIT = "unit", _("own unit and its sub-units")


A = Action

_HANDLER = frozenset(
    {
        A.VIEW_APPEAL,
        A.SIGN,
        A.CONTACT,
        A.REQUEST_RETURN,
        A.REQUEST_EXTENSION,
        A.COMPLETE,
        A.ANSWER_SUPERVISION,
        A.UNMASK_CONTACT,
    }
)

# The table. Keep it in step with DESIGN.md's "Who may do what" and docs/permissions.md
# (a test renders this table and compares it with the document).
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.INTAKE_OPERATOR: frozenset(
        {
            A.FILE_APPEAL,
            A.VIEW_APPEAL,
            A.REGISTER,
            A.REJECT,
            A.MERGE,
            A.ANSWER_DIRECTLY,
            A.UNMASK_CONTACT,
        }
    ),
    Role.DISPATCHER: frozenset(
        {A.VIEW_APPEAL, A.DISPATCH, A.REDISPATCH, A.DECIDE_RETURN, A.DECIDE_EXTENSION}
    ),
    Role.UNIT_HANDLER: _HANDLER,
    # Unit leaders see their unit's statistics (the insights desks), scoped to their unit.
    Role.UNIT_LEADER: _HANDLER
    | {A.APPROVE_UNIT_COMPLETION, A.VIEW_STATISTICS, A.EXPORT_STATISTICS},
    Role.SUPERVISOR: frozenset(
        {
            A.VIEW_APPEAL,
            A.SUPERVISE,
            A.REOPEN,
            A.REVIEW,
            A.VIEW_STATISTICS,
            A.EXPORT_STATISTICS,
            A.UNMASK_CONTACT,
            A.REVIEW_REWARD,
        }
    ),
    Role.VISIT_AGENT: frozenset({A.VIEW_APPEAL, A.RECORD_VISIT, A.UNMASK_CONTACT}),
    # Analysts read every appeal behind a number (drill-down), masked: no unmasking, no action.
    Role.ANALYST: frozenset({A.VIEW_APPEAL, A.VIEW_STATISTICS, A.EXPORT_STATISTICS}),
    Role.ADMINISTRATOR: frozenset({A.MANAGE_REFERENCE_DATA, A.MANAGE_USERS, A.MANAGE_REWARDS}),
}

# What the superuser flag grants by itself (district-wide): the admin, no case action.
SUPERUSER_ACTIONS = frozenset({A.MANAGE_REFERENCE_DATA, A.MANAGE_USERS})

SCOPES: dict[Role, Scope] = {
    role: (Scope.UNIT if role in UNIT_SCOPED_ROLES else Scope.DISTRICT) for role in Role
}

# How a refusal names the action: "You may not <phrase>: <reason>."
_PHRASES = {
    A.FILE_APPEAL: _("file an appeal"),
    A.VIEW_APPEAL: _("view this appeal"),
    A.REGISTER: _("register this appeal"),
    A.REJECT: _("reject this appeal"),
    A.MERGE: _("merge this appeal"),
    A.ANSWER_DIRECTLY: _("answer this appeal directly"),
    A.DISPATCH: _("dispatch this appeal"),
    A.REDISPATCH: _("re-dispatch this appeal"),
    A.DECIDE_RETURN: _("decide on this return request"),
    A.DECIDE_EXTENSION: _("decide on this extension request"),
    A.SIGN: _("sign for this appeal"),
    A.CONTACT: _("record contact with the citizen on this appeal"),
    A.REQUEST_RETURN: _("ask to return this appeal"),
    A.REQUEST_EXTENSION: _("ask for an extension on this appeal"),
    A.COMPLETE: _("complete this appeal"),
    A.APPROVE_UNIT_COMPLETION: _("approve this completion for your unit"),
    A.REVIEW: _("review the result of this appeal"),
    A.RECORD_VISIT: _("record a return visit on this appeal"),
    A.REOPEN: _("reopen this appeal"),
    A.SUPERVISE: _("issue a supervision notice on this appeal"),
    A.ANSWER_SUPERVISION: _("answer the supervision notice on this appeal"),
    A.UNMASK_CONTACT: _("see the reporter's full contact data"),
    A.VIEW_STATISTICS: _("view statistics"),
    A.EXPORT_STATISTICS: _("export statistics"),
    A.MANAGE_REFERENCE_DATA: _("manage reference data"),
    A.MANAGE_USERS: _("manage staff accounts"),
    A.MANAGE_REWARDS: _("manage reward programmes and budgets"),
    A.REVIEW_REWARD: _("check held rewards"),
}

_REASONS = {
    "inactive": _("You may not %(action)s: you are not signed in with an active account."),
    "role": _("You may not %(action)s: your role does not allow this action."),
    "no_user_unit": _("You may not %(action)s: your account is not attached to a unit."),
    "unassigned": _("You may not %(action)s: it is not assigned to your unit."),
    "other_unit": _("You may not %(action)s: it belongs to another unit."),
}


class PermissionDenied(exceptions.PermissionDenied):
    """A refused action. `action` is the Action, `reason` a short code (see `_REASONS`)."""

    def __init__(self, action: Action, reason: str):
        self.action = action
        self.reason = reason
        self.message = _REASONS[reason] % {"action": _PHRASES[action]}
        super().__init__(self.message)

    def __str__(self):
        return str(self.message)


# -- the decision ------------------------------------------------------------------------------


def _is_active(user) -> bool:
    return (
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
    )


def _roles(user) -> list[Role]:
    return [Role(code) for code in getattr(user, "role_set", ()) if code in Role.values]


def _user_unit_path(user) -> str | None:
    if not getattr(user, "unit_id", None):
        return None
    return user.unit.path or None


def _unit_path(unit) -> str | None:
    if unit is None:
        return None
    if isinstance(unit, int):
        from jiesu.org.models import Unit

        return Unit.objects.filter(pk=unit).values_list("path", flat=True).first() or None
    return getattr(unit, "path", None) or None


def _decide(user, action, unit=None) -> str | None:
    """None when allowed, else the reason code of the refusal."""
    action = Action(action)
    if not _is_active(user):
        return "inactive"
    if user.is_superuser and action in SUPERUSER_ACTIONS:
        return None
    granting = [role for role in _roles(user) if action in PERMISSIONS[role]]
    if not granting:
        return "role"
    if any(SCOPES[role] == Scope.DISTRICT for role in granting):
        return None
    own_path = _user_unit_path(user)
    if own_path is None:
        return "no_user_unit"
    target_path = _unit_path(unit)
    if target_path is None:
        return "unassigned"
    return None if target_path.startswith(own_path) else "other_unit"


def can(user, action, unit=None) -> bool:
    """May `user` take `action` on a target that belongs to `unit`?

    `unit` is a Unit (or its primary key) that owns the target, e.g. the appeal's assigned
    unit. District roles ignore it; a unit-scoped role needs it and must contain it.
    """
    return _decide(user, action, unit) is None


def require(user, action, unit=None) -> None:
    """Like `can`, but raise `PermissionDenied` (with a message saying why) when refused."""
    reason = _decide(user, action, unit)
    if reason is not None:
        raise PermissionDenied(Action(action), reason)


def scope_of(user, action) -> Scope | None:
    """The widest scope in which `user` may take `action`, or None."""
    action = Action(action)
    if not _is_active(user):
        return None
    if user.is_superuser and action in SUPERUSER_ACTIONS:
        return Scope.DISTRICT
    scopes = {SCOPES[role] for role in _roles(user) if action in PERMISSIONS[role]}
    if Scope.DISTRICT in scopes:
        return Scope.DISTRICT
    if Scope.UNIT in scopes and _user_unit_path(user):
        return Scope.UNIT
    return None


def units_in_scope(user, action):
    """The units on whose targets `user` may take `action` (a Unit QuerySet)."""
    from jiesu.org.models import Unit

    scope = scope_of(user, action)
    if scope == Scope.DISTRICT:
        return Unit.objects.all()
    path = _user_unit_path(user) if scope == Scope.UNIT else None
    if path is not None:
        return Unit.objects.filter(path__startswith=path)
    return Unit.objects.none()


def scope_q(user, action, unit_field: str = "unit") -> models.Q:
    """A filter for querysets of targets with a `unit_field` foreign key to Unit.

    District scope: everything (also targets with no unit yet); unit scope: targets in the
    user's unit or below; otherwise nothing.
    """
    scope = scope_of(user, action)
    if scope == Scope.DISTRICT:
        return models.Q()
    if scope == Scope.UNIT:
        return models.Q(**{f"{unit_field}__path__startswith": _user_unit_path(user)})
    return models.Q(pk__in=[])


def roles_allowed(action) -> frozenset[Role]:
    """The roles that may take `action` (in some scope). Roles compare equal to their codes,
    so `roles_allowed(action) & user.role_set` works."""
    action = Action(action)
    return frozenset(role for role in Role if action in PERMISSIONS[role])


def actions_of(role) -> frozenset[Action]:
    """The actions a role may take."""
    return PERMISSIONS[Role(role)]


def may_use_admin(user) -> bool:
    """The admin site is for administrators and superusers (is_staff plays no part)."""
    return can(user, Action.MANAGE_REFERENCE_DATA) or can(user, Action.MANAGE_USERS)


# -- documentation -----------------------------------------------------------------------------

TABLE_BEGIN = "<!-- permission-table:begin (generated by jiesu.org.permissions.markdown_table) -->"
TABLE_END = "<!-- permission-table:end -->"


def markdown_table() -> str:
    """The role x action table as Markdown, in English (docs/permissions.md embeds it).

    `✓` = anywhere in the district, `unit` = own unit and its sub-units only, `–` = never.
    """
    with translation.override("en"):
        header = ["action", *(f"{role.value}" for role in Role), "superuser flag"]
        lines = [
            "| " + " | ".join(header) + " |",
            "|" + "|".join(["---"] + [":-:"] * (len(header) - 1)) + "|",
        ]
        for action in Action:
            cells = [f"`{action.value}` {action.label}"]
            for role in Role:
                if action not in PERMISSIONS[role]:
                    cells.append("–")
                else:
                    cells.append("unit" if SCOPES[role] == Scope.UNIT else "✓")
            cells.append("✓" if action in SUPERUSER_ACTIONS else "–")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
