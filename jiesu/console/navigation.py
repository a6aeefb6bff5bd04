# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The console's workbenches and which roles land on which (one place for the menu)."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from jiesu.org.roles import Role


@dataclass(frozen=True)
class Desk:
    key: str
    label: str
    url_name: str
    roles: frozenset

    @property
    def url(self) -> str:
        return reverse(self.url_name)


DESKS = [
    Desk("intake", _("Intake desk"), "console:intake", frozenset({Role.INTAKE_OPERATOR})),
    Desk("dispatch", _("Dispatch desk"), "console:dispatch", frozenset({Role.DISPATCHER})),
    Desk(
        "unit",
        _("Unit workbench"),
        "console:unit",
        frozenset({Role.UNIT_HANDLER, Role.UNIT_LEADER}),
    ),
    Desk("review", _("Review desk"), "console:review", frozenset({Role.SUPERVISOR})),
    Desk("visits", _("Return visits"), "console:visits", frozenset({Role.VISIT_AGENT})),
    Desk("supervision", _("Supervision"), "console:supervision", frozenset({Role.SUPERVISOR})),
    # The insights room's desks (statistics; the analyst's home).
    Desk(
        "insights",
        _("Insights"),
        "insights:overview",
        frozenset({Role.ANALYST, Role.SUPERVISOR, Role.UNIT_LEADER}),
    ),
    Desk(
        "search",
        _("Search appeals"),
        "console:search",
        frozenset(
            {
                Role.INTAKE_OPERATOR,
                Role.DISPATCHER,
                Role.UNIT_HANDLER,
                Role.UNIT_LEADER,
                Role.SUPERVISOR,
                Role.VISIT_AGENT,
                Role.ANALYST,
            }
        ),
    ),
    Desk("manage", _("Administration"), "console:manage", frozenset({Role.ADMINISTRATOR})),
    Desk("rewards", _("Rewards"), "console:rewards:programmes", frozenset({Role.ADMINISTRATOR})),
    Desk(
        "reward_review", _("Reward checks"), "console:rewards:review", frozenset({Role.SUPERVISOR})
    ),
]


def desks_for(user) -> list[Desk]:
    roles = set(getattr(user, "role_set", ())) if user.is_authenticated else set()
    return [desk for desk in DESKS if roles & {str(r) for r in desk.roles}]


def home_url(user) -> str:
    desks = desks_for(user)
    return desks[0].url if desks else reverse("console:no_role")
