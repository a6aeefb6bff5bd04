# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Masking of reporters' contact data, and the logged way to see it in full."""

from django.utils.translation import gettext as _

from jiesu.appeals import audit, timesource
from jiesu.appeals.errors import NotAllowed
from jiesu.appeals.models import Appeal
from jiesu.org import permissions
from jiesu.org.permissions import Action
from jiesu.org.roles import UNIT_SCOPED_ROLES


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    digits = phone.strip()
    if not digits:
        return ""
    if len(digits) >= 8:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * max(len(digits) - 2, 0) + digits[-2:]


def mask_name(name: str) -> str:
    """张三丰 → 张**; Li Lei → L*****."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * (len(name) - 1)


def is_handling_unit_view(user, appeal: Appeal) -> bool:
    """True when the user sees the appeal only as staff of a handling unit."""
    roles = set(getattr(user, "role_set", ()))
    return bool(roles) and roles <= {str(r) for r in UNIT_SCOPED_ROLES}


def reporter_view(appeal: Appeal, user) -> dict:
    """The reporter as this user may see it without unmasking."""
    if appeal.anonymous:
        return {"name": _("Anonymous"), "phone": "", "hidden": True}
    if appeal.confidential and is_handling_unit_view(user, appeal):
        return {"name": _("Confidential reporter"), "phone": "", "hidden": True}
    return {
        "name": mask_name(appeal.reporter_name),
        "phone": mask_phone(appeal.reporter_phone),
        "hidden": False,
    }


def reveal_contact(appeal: Appeal, user, *, reason: str = "") -> dict:
    """The reporter's full contact data, written to the appeal's history as an `unmask` event."""
    from django.db import transaction

    if appeal.confidential and is_handling_unit_view(user, appeal):
        raise NotAllowed(_("This appeal is confidential: its reporter is hidden from units."))
    units = [a.unit for a in appeal.assignments.filter(active=True).select_related("unit")]
    allowed = permissions.can(user, Action.UNMASK_CONTACT) or any(
        permissions.can(user, Action.UNMASK_CONTACT, unit=u) for u in units
    )
    if not allowed:
        raise NotAllowed(_("Your role does not allow seeing a reporter's full contact data."))
    with transaction.atomic():
        locked = Appeal.objects.select_for_update(of=("self",)).get(pk=appeal.pk)
        audit.append(
            locked,
            "unmask",
            actor=user,
            at=timesource.now(),
            from_status=locked.status,
            to_status=locked.status,
            payload={"reason": reason, "fields": ["reporter_name", "reporter_phone"]},
        )
        appeal.audit_head, appeal.audit_count = locked.audit_head, locked.audit_count
    return {
        "name": appeal.reporter_name,
        "phone": appeal.reporter_phone,
        "credit_code": appeal.reporter_credit_code,
    }
