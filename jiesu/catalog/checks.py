# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Deployment checks of what a server needs before it takes appeals: `manage.py check --deploy`
warns while the catalogue has no active leaf category (the intake desk cannot register
anything) or no active unit is the district backstop (an appeal whose category names no lead
unit, or whose area has no bound unit, cannot be dispatched: first-ask responsibility 兜底).
A new server has neither until the administrator sets them up (docs/operations.md, Install on
a server, step 10); these say so before the server is reachable."""

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

GUIDE = "docs/operations.md, Install on a server, step 10."


@checks.register("catalog", deploy=True)
def check_ready_for_appeals(app_configs: object = None, **kwargs: object) -> list:
    if settings.DEBUG:
        return []  # embedded mode: `make run` loads the demo catalogue and units
    from jiesu.catalog.models import Category
    from jiesu.org.models import Unit

    try:
        leaves = Category.objects.filter(level=Category.Level.LEAF, active=True).exists()
        backstop = Unit.backstop() is not None
    except DatabaseError:
        return []  # no database yet (before `migrate`): `migrate` comes first
    found = []
    if not leaves:
        found.append(
            checks.Warning(
                "The catalogue has no active leaf category: appeals can be received but not "
                "registered.",
                hint="Import the catalogue (manage.py import_catalog FILE); " + GUIDE,
                id="catalog.W001",
            )
        )
    if not backstop:
        found.append(
            checks.Warning(
                "No active unit is the district backstop unit: an appeal whose category names "
                "no lead unit, or whose area has no bound unit, cannot be dispatched.",
                hint="Mark one unit as the district backstop unit in the console's "
                "administration (Units); " + GUIDE,
                id="catalog.W002",
            )
        )
    return found
