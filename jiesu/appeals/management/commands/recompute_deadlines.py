# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Recompute the provisional deadlines on the working calendar as now entered."""

from django.core.management.base import BaseCommand

from jiesu.appeals import clocks


class Command(BaseCommand):
    help = (
        "Recompute every running deadline that was computed on the provisional calendar (a year "
        "whose official holidays were not entered yet), on the working calendar as it is now. "
        "Each appeal whose deadline moves gets a history event; deadlines that no longer touch "
        "the provisional year lose their provisional mark. The worker does this by itself after "
        "each change to the calendar; run this after upgrading chinesecalendar, or to check. "
        "Safe to run any number of times."
    )

    def handle(self, *args, **options):
        result = clocks.recompute_provisional()
        self.stdout.write(
            f"Recomputed {result.clocks} provisional deadline(s) of {result.appeals} appeal(s): "
            f"{result.moved} moved ({result.events} history event(s) written), "
            f"{result.confirmed} no longer provisional, {result.failed} could not be computed."
        )
        for number in result.numbers:
            self.stdout.write(f"  {number}")
