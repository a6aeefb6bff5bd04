# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The appeals room's small world, plus reward programmes."""

from datetime import timedelta

import pytest

from jiesu.appeals import timesource, workflow
from jiesu.appeals.tests.conftest import (  # noqa: F401  (shared fixtures)
    MONDAY_10,
    at,
    new_appeal,
)
from jiesu.appeals.tests.conftest import world as world  # noqa: F401
from jiesu.rewards import programmes

SEED_TERMS = {
    "channels": ["wechat", "web"],
    "types": ["complaint"],
    "trigger": "register",
    "amount": {"kind": "random", "min_fen": 100, "max_fen": 2000, "distribution": "uniform"},
    "daily_count": 100,
    "monthly_budget_fen": 100_000,
    "reporter_daily": 2,
    "reporter_monthly": 5,
}


@pytest.fixture
def programme(world):  # noqa: F811
    return programmes.create("seed", "随手拍红包", SEED_TERMS)


PLACES = ["菜市场门口", "公交站旁", "学校东门", "河道边", "工业园北门", "商业街口", "体育公园"]
PROBLEMS = ["井盖缺失", "路灯不亮", "占道经营", "污水外溢", "噪音扰民", "树木倒伏", "垃圾堆积"]
_counter = iter(range(10**6))


def distinct_text(n: int) -> str:
    """A description unlike the others (the near-duplicate check compares texts)."""
    place, problem = PLACES[n % len(PLACES)], PROBLEMS[(n // len(PLACES)) % len(PROBLEMS)]
    return f"第{n}号：{place}{problem}，编号{n * 7919 % 10007}，请尽快处理。"


def file(
    world,
    *,  # noqa: F811
    channel="wechat",
    phone="13900000001",
    when=MONDAY_10,
    **kwargs,
):
    """An appeal received and registered (as a complaint) at `when`; its text and place
    differ from every other one's unless given."""
    n = next(_counter)
    kwargs.setdefault("description", distinct_text(n))
    kwargs.setdefault("lat", 22.1 + (n % 97) * 0.008)
    kwargs.setdefault("lng", 114.1 + (n // 97 % 97) * 0.008)
    with timesource.frozen_at(when):
        appeal = new_appeal(world, channel=channel, reporter_phone=phone, **kwargs)
    with timesource.frozen_at(when + timedelta(minutes=5)):
        return workflow.register(
            appeal,
            world.u("intake"),
            appeal_type=kwargs.get("appeal_type") or world.complaint,
            category=world.leaf,
            grade=world.grade_c,
        )


def reward_of(appeal):
    from jiesu.rewards.models import Reward

    return Reward.objects.filter(appeal_id=appeal.pk).first()
