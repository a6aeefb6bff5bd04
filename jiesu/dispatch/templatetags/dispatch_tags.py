# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The dispatch room's suggestions on the appeal page (`{% dispatch_panel appeal %}`)."""

from django import template

from jiesu.appeals.states import Status
from jiesu.dispatch import presenting
from jiesu.dispatch.models import Override
from jiesu.org import permissions
from jiesu.org.permissions import Action

register = template.Library()


@register.inclusion_tag("dispatch/_panel.html", takes_context=True)
def dispatch_panel(context, appeal):
    """For a received or registered appeal: what the dispatch room proposed, with one-click
    buttons to apply it (register as suggested; dispatch to the suggested unit)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    found = {}
    if appeal.status in (Status.RECEIVED, Status.REGISTERED):
        found = presenting.suggestions_for([appeal]).get(appeal.pk, {})
    return {
        "appeal": appeal,
        "s": found,
        "may_register": user is not None and permissions.can(user, Action.REGISTER),
        "may_dispatch": user is not None and permissions.can(user, Action.DISPATCH),
        "override_reasons": Override.Reason.choices,
        "csrf_token": context.get("csrf_token"),
    }
