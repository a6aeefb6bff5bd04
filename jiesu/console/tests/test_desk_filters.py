# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Workbench lists: a channel column, column sorting and filters (channel, category, light, unit)."""

import re
from datetime import timedelta

from jiesu.appeals import timesource
from jiesu.appeals.tests.conftest import MONDAY_10, dispatched, in_progress, new_appeal
from jiesu.intake.models import Channel


def numbers(response) -> list[str]:
    table = response.content.decode().split('data-testid="appeal-list"')[1].split("</table>")[0]
    return re.findall(r'<a href="/console/appeals/(\w+)/">', table)


def test_intake_list_has_a_channel_column_with_names(as_user, world):
    Channel.objects.create(code="hotline", name="12345热线", kind=Channel.Kind.HOTLINE)
    new_appeal(world)
    page = as_user("intake").get("/console/intake/").content.decode()
    assert '<td data-label="渠道" data-testid="channel">12345热线</td>' in page


def test_filter_by_channel_and_sort_by_column(as_user, world, at):
    with at(MONDAY_10):
        a = new_appeal(world, title="乙", channel="hotline")
    with at(MONDAY_10 + timedelta(hours=1)):
        b = new_appeal(world, title="甲", channel="web")
    client = as_user("intake")
    assert numbers(client.get("/console/intake/")) == [a.number, b.number]  # oldest first
    assert numbers(client.get("/console/intake/?channel=web")) == [b.number]
    assert numbers(client.get("/console/intake/?sort=-received")) == [b.number, a.number]
    assert numbers(client.get("/console/intake/?sort=received")) == [a.number, b.number]
    page = client.get("/console/intake/?sort=received").content.decode()
    assert 'href="?sort=-received"' in page and 'aria-sort="ascending"' in page
    # Unknown sort keys and filter values change nothing and break nothing.
    assert client.get("/console/intake/?sort=password").status_code == 200
    response = client.get("/console/intake/?channel=nope&light=purple")
    assert response.status_code == 200


def test_filter_by_light_category_and_unit(as_user, world, at):
    with at(MONDAY_10 - timedelta(days=30)):
        late = in_progress(world, title="早就超时")
    with at(MONDAY_10):
        fresh = in_progress(world, title="刚签收")
    client = as_user("handler")
    with timesource.frozen_at(MONDAY_10 + timedelta(hours=1)):
        red = numbers(client.get("/console/unit/?tab=in_progress&light=red"))
        green = numbers(client.get("/console/unit/?tab=in_progress&light=green"))
        category = world.leaf.parent.code
        by_category = numbers(client.get(f"/console/unit/?tab=in_progress&category={category}"))
        by_unit = numbers(client.get(f"/console/unit/?tab=in_progress&unit={world.urban.code}"))
        other_unit = numbers(client.get(f"/console/unit/?tab=in_progress&unit={world.water.code}"))
    assert red == [late.number]
    assert green == [fresh.number]
    assert set(by_category) == {late.number, fresh.number}
    assert set(by_unit) == {late.number, fresh.number}
    assert other_unit == []


def test_sort_by_next_deadline(as_user, world, at):
    with at(MONDAY_10 - timedelta(days=30)):
        late = dispatched(world, title="早")
    with at(MONDAY_10):
        fresh = dispatched(world, title="晚")
    client = as_user("handler")
    assert numbers(client.get("/console/unit/?tab=to_sign&sort=due")) == [late.number, fresh.number]
    assert numbers(client.get("/console/unit/?tab=to_sign&sort=-due")) == [
        fresh.number,
        late.number,
    ]
