# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The supervision desk's overdue appeals per unit (督办台)."""

import re
from datetime import timedelta

from jiesu.appeals import workflow
from jiesu.appeals.models import Clock
from jiesu.appeals.tests.conftest import MONDAY_10, dispatched, registered

URL = "/console/supervision/"


def _per_unit(html: str) -> dict[str, int]:
    table = html.split('data-testid="overdue-by-unit"', 1)[1].split("</table>", 1)[0]
    return {name: int(n) for name, n in re.findall(r"<td>([^<]+)</td><td>(\d+)</td>", table)}


def test_overdue_appeals_are_counted_once_per_unit(as_user, world, at):
    with at(MONDAY_10):
        first, second, third = (dispatched(world) for _ in range(3))
        registered(world)  # no unit clock yet
        # The third is signed by both units and its handling completed: its clocks stop.
        workflow.sign(third, world.u("handler"))
        workflow.sign(third, world.u("water_handler"))
        workflow.complete(third, world.u("handler"), result="已清理", evidence="照片")
    # A cancelled clock is not overdue, even with no stop time.
    Clock.objects.filter(appeal=second, assignment__unit=world.water).update(cancelled=True)
    with at(MONDAY_10 + timedelta(days=40)):
        page = as_user("supervisor").get(URL).content.decode()
    # The lead (城市管理局) has three running clocks on each of the first two: counted once each.
    assert _per_unit(page) == {world.urban.name: 2, world.water.name: 1}


def test_no_table_when_nothing_is_overdue(as_user, world, at):
    with at(MONDAY_10):
        dispatched(world)
        page = as_user("supervisor").get(URL).content.decode()
    assert 'data-testid="overdue-by-unit"' not in page
