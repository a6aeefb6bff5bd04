# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from jiesu.rewards import payouts


class Command(BaseCommand):
    help = (
        "Pay the due reward payouts now (the worker's periodic task does the same). Safe to run "
        "beside the worker: payouts are claimed one worker at a time."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=None)
        parser.add_argument("--now", default="", help="Run as of this ISO time (replays, tests).")

    def handle(self, *args, batch, now, **options):
        moment = None
        if now:
            moment = parse_datetime(now)
            if moment is None:
                raise CommandError(f"--now: not an ISO date and time: {now!r}")
        totals = dict.fromkeys(payouts.COUNT_KEYS, 0)
        while True:
            counts = payouts.pay_due(now=moment, batch=batch)
            for key, value in counts.items():
                totals[key] += value
            if counts["claimed"] == 0:
                break
            if (
                counts["paid"] + counts["dead"] == 0
                and counts["claimed"] == counts["failed"] + counts["accepted"] + counts["lost"]
            ):
                break  # nothing more to do now: the rest waits for its next attempt
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in totals.items()))
