# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Suggestions on the intake desk and on a received appeal's page (see `console.suggestions`)."""

from django import template

from jiesu.console import suggestions
from jiesu.org import permissions
from jiesu.org.permissions import Action

register = template.Library()


def _may_merge(context) -> bool:
    request = context.get("request")
    return request is not None and permissions.can(request.user, Action.MERGE)


def _may(context, action) -> bool:
    request = context.get("request")
    return request is not None and permissions.can(request.user, action)


@register.inclusion_tag("console/intake/_desk_suggestions.html", takes_context=True)
def intake_suggestions(context, rows):
    """For the rows of a workbench page: the received appeals that have suggestions."""
    appeals = [row["appeal"] for row in rows]
    found = suggestions.suggest_many(appeals)
    items = [{"appeal": a, **found[a.pk]} for a in appeals if a.pk in found]
    return {
        "items": items,
        "may_merge": _may_merge(context),
        "may_register": _may(context, Action.REGISTER),
        "csrf_token": context.get("csrf_token"),
        "next": context["request"].get_full_path() if context.get("request") else "",
    }


@register.inclusion_tag("console/intake/_appeal_suggestions.html", takes_context=True)
def appeal_suggestions(context, appeal):
    """On the appeal page: suggestions while the appeal awaits intake."""
    return {
        "appeal": appeal,
        "suggestions": suggestions.suggest(appeal),
        "may_merge": _may_merge(context),
        "csrf_token": context.get("csrf_token"),
    }
