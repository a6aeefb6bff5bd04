# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Fraud signals: a reward that raises one waits for a staff check instead of being paid.

Looked at within the programme's window (`flags.window_days`), among the rewards granted or
held before this one:
- `phone`: the reporter's phone already has `flags.phone` rewards;
- `payee`: the account the money would go to (a bound WeChat openid) already has `flags.payee`;
- `device`: the device that account was bound from already has `flags.device`;
- `burst`: `flags.burst_count` rewarded reports within `flags.burst_metres` of this one within
  `flags.burst_hours`;
- `near_duplicate`: the description is as similar as `flags.similarity` (Jaccard similarity
  of character bigrams) to that of a rewarded report.

The caps are hard limits (a refusal); these are signals for a person to weigh.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from jiesu.rewards.models import PayeeAccount, Reward

ACTIVE = (Reward.Status.HELD, Reward.Status.RESERVED, Reward.Status.PAID)


def bigrams(text: str) -> set[str]:
    chars = "".join(ch for ch in (text or "").lower() if not ch.isspace())
    if len(chars) < 2:
        return {chars} if chars else set()
    return {chars[i : i + 2] for i in range(len(chars) - 1)}


def similarity(a: str, b: str) -> float:
    return _jaccard(bigrams(a), bigrams(b))


def _jaccard(x: set[str], y: set[str]) -> float:
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


def metres(lat1, lng1, lat2, lng2) -> float:
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(h)))


def flags_for(appeal, phone: str, terms: dict, at, provider: str) -> list[dict]:
    cfg = terms["flags"]
    since = at - timedelta(days=cfg["window_days"])
    earlier = (
        Reward.objects.filter(status__in=ACTIVE, qualified_at__gte=since, qualified_at__lte=at)
        .exclude(appeal=appeal)
        .select_related("appeal")
    )
    found = []
    same_phone = earlier.filter(reporter_phone=phone).count() if phone else 0
    if phone and same_phone >= cfg["phone"]:
        found.append({"code": "phone", "count": same_phone})
    binding = PayeeAccount.objects.filter(provider=provider, phone=phone).first() if phone else None
    if binding is not None:
        phones = PayeeAccount.objects.filter(provider=provider, account=binding.account)
        same_payee = earlier.filter(reporter_phone__in=phones.values("phone")).count()
        if same_payee >= cfg["payee"]:
            found.append({"code": "payee", "count": same_payee})
        if binding.device:
            device_phones = PayeeAccount.objects.filter(device=binding.device).values("phone")
            same_device = earlier.filter(reporter_phone__in=device_phones).count()
            if same_device >= cfg["device"]:
                found.append({"code": "device", "count": same_device})
    if appeal.lat is not None and appeal.lng is not None:
        window = at - timedelta(hours=cfg["burst_hours"])
        # A box around the point first (cheap, indexed by time), then the exact distance.
        degrees = cfg["burst_metres"] / 111000.0 * 1.5
        near = earlier.filter(
            qualified_at__gte=window,
            appeal__lat__range=(appeal.lat - degrees, appeal.lat + degrees),
            appeal__lng__range=(appeal.lng - degrees * 1.2, appeal.lng + degrees * 1.2),
        ).values_list("appeal__lat", "appeal__lng")
        close = sum(
            1
            for lat, lng in near
            if metres(appeal.lat, appeal.lng, lat, lng) <= cfg["burst_metres"]
        )
        if close + 1 >= cfg["burst_count"]:
            found.append({"code": "burst", "count": close + 1})
    best, best_number = 0.0, ""
    mine = bigrams(appeal.description)  # once, not once per earlier report
    for number, description in earlier.values_list("appeal__number", "appeal__description")[:2000]:
        score = _jaccard(mine, bigrams(description))
        if score > best:
            best, best_number = score, number
    if best >= cfg["similarity"]:
        found.append({"code": "near_duplicate", "similar_to": best_number, "score": round(best, 2)})
    return found


FLAG_LABELS = {
    "phone": _("Many rewards to this phone"),
    "payee": _("Many rewards to this payee account"),
    "device": _("Many rewards to accounts bound from this device"),
    "burst": _("A burst of rewarded reports from one place"),
    "near_duplicate": _("Text nearly the same as a rewarded report"),
}
