# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Bulk actions on a workbench: dispatch several appeals to one unit, or sign for several.

Each appeal goes through `appeals.workflow` on its own (its own transaction, permission and
state checks), so one refusal never stops or undoes the others; the page then reports, per
appeal, what was done and what was refused and why."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiesu.appeals import workflow
from jiesu.appeals.errors import WorkflowError
from jiesu.appeals.models import Appeal
from jiesu.console.access import may_view
from jiesu.org import permissions
from jiesu.org.models import Unit
from jiesu.org.permissions import Action

BULK_MAX = 100

# Bulk action → the permission it needs (from the permission table) and its workflow step.
BULK = {
    "dispatch": Action.DISPATCH,
    "sign": Action.SIGN,
}


def may_bulk(user, name) -> bool:
    """Whether the permission table lets `user` take the bulk action at all."""
    action = BULK[name]
    if permissions.can(user, action):
        return True
    return permissions.units_in_scope(user, action).exists()


def _back(request):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("console:home")


@login_required
@require_POST
def bulk(request, name):
    if name not in BULK or not may_bulk(request.user, name):
        raise PermissionDenied(_("Your role may not take this bulk action."))
    numbers = list(dict.fromkeys(n.strip().upper() for n in request.POST.getlist("numbers")))
    numbers = [n for n in numbers if n]
    if not numbers:
        messages.error(request, _("Select at least one appeal."))
        return _back(request)
    if len(numbers) > BULK_MAX:
        messages.error(request, _("At most %(n)d appeals at once.") % {"n": BULK_MAX})
        return _back(request)
    kwargs = {}
    if name == "dispatch":
        unit = Unit.objects.filter(code=request.POST.get("lead_unit", ""), active=True).first()
        if unit is None:
            messages.error(request, _("Choose the unit to dispatch the selected appeals to."))
            return _back(request)
        kwargs["lead_unit"] = unit
    step = getattr(workflow, name)
    done, refused = [], []
    found = {a.number: a for a in Appeal.objects.filter(number__in=numbers)}
    for number in numbers:
        appeal = found.get(number)
        if appeal is None or not may_view(request.user, appeal):
            refused.append((number, _("no such appeal in your scope")))
            continue
        try:
            step(appeal.pk, request.user, **kwargs)
        except (WorkflowError, permissions.PermissionDenied) as exc:
            refused.append((number, str(exc)))
        else:
            done.append(number)
    label = workflow.TRANSITIONS[name].label
    if done:
        messages.success(
            request,
            _("%(action)s done for %(n)d: %(numbers)s")
            % {"action": label, "n": len(done), "numbers": "、".join(done)},
        )
    for number, reason in refused:
        messages.error(
            request,
            _("%(number)s refused: %(reason)s") % {"number": number, "reason": reason},
        )
    return _back(request)
