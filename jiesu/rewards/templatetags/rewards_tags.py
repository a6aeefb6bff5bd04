# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Showing a reward decision on other rooms' pages with one tag each:

- `{% citizen_reward appeal %}` on the citizen's tracking page;
- `{% staff_reward appeal %}` on the console's appeal page.

Both render nothing when no programme decided about the appeal."""

from django import template

from jiesu.rewards import decisions, fraud
from jiesu.rewards.models import Reward, fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    try:
        return fen_to_yuan(int(float(str(fen or 0))))
    except ValueError:
        return ""


def _reward(appeal):
    if appeal is None or not getattr(appeal, "pk", None):
        return None
    return (
        Reward.objects.filter(appeal_id=appeal.pk)
        .select_related("programme", "version", "decided_by")
        .first()
    )


@register.inclusion_tag("rewards/_citizen.html")
def citizen_reward(appeal):
    reward = _reward(appeal)
    return {"reward": reward, "summary": decisions.citizen_summary(reward) if reward else ""}


@register.inclusion_tag("rewards/_staff.html")
def staff_reward(appeal):
    reward = _reward(appeal)
    if reward is None:
        return {"reward": None}
    payout = (
        getattr(reward, "payout", None) if reward.granted or reward.status == "failed" else None
    )
    return {
        "reward": reward,
        "summary": decisions.citizen_summary(reward),
        "reason": decisions.reason_text(reward),
        "flags": [fraud.FLAG_LABELS.get(f["code"], f["code"]) for f in reward.flags],
        "payout": payout,
        "reviews": reward.reviews.select_related("user"),
    }
