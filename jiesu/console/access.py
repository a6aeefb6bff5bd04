# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Which appeals a staff member may see in the console (the API uses the same rule)."""

from django.db.models import Exists, OuterRef

from jiesu.appeals.models import Appeal, Assignment
from jiesu.org import permissions
from jiesu.org.permissions import Action


def visible_appeals(user):
    """Appeals the user may open: district roles see all; unit roles see appeals any of
    whose assignments (current or past) belongs to a unit in their scope."""
    if not user.is_authenticated:
        return Appeal.objects.none()
    if permissions.can(user, Action.VIEW_APPEAL):
        return Appeal.objects.all()
    units = permissions.units_in_scope(user, Action.VIEW_APPEAL)
    # A semi-join, not a join made unique by DISTINCT: DISTINCT compared whole rows (long
    # descriptions included) and made a unit's search count cost twice as much at scale.
    in_scope = Assignment.objects.filter(appeal=OuterRef("pk"), unit__in=units)
    # Only a dispatched appeal has assignments. Said here, a list in time order walks the
    # dispatched appeals' index (appeals_dispatched_by_received) and skips the appeals still
    # waiting at the centre, which are the newest and could be tens of thousands after a burst.
    return Appeal.objects.filter(Exists(in_scope), dispatched_at__isnull=False)


def may_view(user, appeal) -> bool:
    if permissions.can(user, Action.VIEW_APPEAL):
        return True
    units = permissions.units_in_scope(user, Action.VIEW_APPEAL)
    return appeal.assignments.filter(unit__in=units).exists()
