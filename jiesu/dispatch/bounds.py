# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""What a share measured on a number of cases shows (ADR 0035): the lower end of its Wilson
score interval. Used wherever the room turns counts into a decision or a suggestion: the
auto-dispatch thresholds (`auto.precision_table`) and the handling-rule proposals
(`RoutingProposal.share_low`)."""

from __future__ import annotations

from functools import cache
from math import sqrt

from scipy.special import ndtri


@cache
def _z(level: float) -> float:
    """The standard normal quantile of a two-sided interval at `level`."""
    return float(ndtri(0.5 + level / 2))


def share_low(successes: int, cases: int, level: float = 0.95) -> float | None:
    """The lower end of the two-sided Wilson score interval (`level` confidence) of the share
    `successes` / `cases`, rounded to 4 decimals; None without cases. Five of five shows
    0.5655; 190 of 200 shows 0.9103.

    The closed form (what scipy's `binomtest(...).proportion_ci(method="wilson")` computes,
    which a test checks): a page of thresholds asks for hundreds of these, and scipy builds a
    hypothesis test for each (about 0.8 ms a call)."""
    if cases <= 0:
        return None
    n = int(cases)
    p = max(0, min(int(successes), n)) / n
    z = _z(level)
    centre = p + z * z / (2 * n)
    spread = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return round(max(0.0, (centre - spread) / (1 + z * z / n)), 4)
