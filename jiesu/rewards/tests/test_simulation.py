# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Under `simulate`, on the demo district, rewards follow the programme's rules exactly."""

from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from jiesu.appeals.models import Appeal
from jiesu.rewards import ledger, payouts
from jiesu.rewards import terms as terms_module
from jiesu.rewards.models import Reason, Reward


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)


def test_simulated_rewards_follow_the_rules(demo):
    call_command("simulate", appeals=150, days=10, seed=3, verbosity=0)
    rewards = Reward.objects.select_related("appeal", "version", "programme")
    assert rewards.exists()
    t = rewards.first().version.terms
    channels = set(t["channels"])
    for appeal in Appeal.objects.select_related("appeal_type"):
        reward = getattr(appeal, "reward", None)
        covered = appeal.channel in channels
        if not covered:
            assert reward is None, appeal.number
            continue
        if appeal.registered_at and appeal.appeal_type.code == "complaint":
            assert reward is not None and reward.event_kind == "register", appeal.number
        if appeal.status in ("rejected", "merged"):
            assert (
                reward.reason
                == {"rejected": Reason.REJECTED, "merged": Reason.MERGED}[appeal.status]
            )
    granted = [r for r in rewards if r.status in Reward.GRANTED]
    assert granted
    per_day, per_reporter_day = Counter(), Counter()
    for r in granted:
        day = timezone.localdate(r.qualified_at)
        per_day[day] += 1
        per_reporter_day[(r.reporter_phone, day)] += 1
        # The amount is the programme's draw for this appeal, nothing else.
        key = f"{r.programme.code}:{r.version.number}:{r.appeal.number}"
        assert r.amount_fen == terms_module.amount_for(t, r.appeal, key)
        assert 100 <= r.amount_fen <= 2000
        assert not r.appeal.anonymous
    assert max(per_day.values()) <= t["daily_count"]
    assert max(per_reporter_day.values()) <= t["reporter_daily"]
    assert ledger.check() == []
    # The worker pays every granted reward, exactly once.
    payouts.pay_due(batch=1000)
    assert Reward.objects.filter(status=Reward.Status.RESERVED).count() == 0
    assert Reward.objects.filter(status=Reward.Status.PAID).count() == len(granted)
    assert ledger.check() == []
