# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A payout worker in a process of its own, for the crash test.

    python -m jiesu.rewards.tests.worker '{"now": iso or null}'

The database comes from DATABASE_URL, the rewards settings from the JSON in
JIESU_REWARDS_TEST. Pays until nothing is due; prints the counts as one JSON line.
"""

import json
import os
import sys


def main(args: dict) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
    django.setup()
    from django.test import override_settings
    from django.utils.dateparse import parse_datetime

    from jiesu.rewards import payouts

    now = parse_datetime(args["now"]) if args.get("now") else None
    with override_settings(JIESU_REWARDS=json.loads(os.environ["JIESU_REWARDS_TEST"])):
        totals = dict.fromkeys(payouts.COUNT_KEYS, 0)
        while True:
            counts = payouts.pay_due(now=now)
            for key, value in counts.items():
                totals[key] += value
            if not counts["claimed"]:
                return totals


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))), flush=True)
