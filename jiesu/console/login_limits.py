# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Sign-in lockouts with one limit per account and a higher one per client address (ADR 0007).

django-axes compares one failure count with one limit. A district's staff often share one
public address (an office behind NAT): locking that address after the five failures that lock
an account would lock a whole office out because a few colleagues mistyped. So failures
counted per client address are compared with `AXES_CLIENT_FAILURE_LIMIT` (default 30: a
password sprayer trying many accounts from one address is still stopped), and failures counted
per account with `AXES_FAILURE_LIMIT`. The handler scales the per-address count so that axes'
single comparison (`failures >= AXES_FAILURE_LIMIT`) applies each limit to its own count.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit, get_lockout_parameters
from django.conf import settings
from django.db.models import Sum


def client_failure_limit() -> int:
    return max(1, int(getattr(settings, "AXES_CLIENT_FAILURE_LIMIT", 30)))


class AccountAndClientHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        account_limit = get_failure_limit(request, credentials)
        client_limit = client_failure_limit()
        parameters = get_lockout_parameters(request, credentials)
        attempts_list = self.get_user_attempts(request, credentials)
        worst = 0
        for parameter, attempts in zip(parameters, attempts_list, strict=True):
            count = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if parameter == "ip_address":
                # Reaches account_limit exactly when count reaches client_limit.
                count = count * account_limit // client_limit
            worst = max(worst, count)
        return worst
