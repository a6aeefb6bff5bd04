# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.core.management.base import BaseCommand

from jiesu.rewards import ledger


class Command(BaseCommand):
    help = (
        "Check the rewards ledger: every transaction balances, every account's balance equals "
        "the sum of its entries, no budget goes below zero, every reward's postings match its "
        "status. Exit status 1 on any problem."
    )

    def handle(self, *args, **options):
        problems = ledger.check()
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise SystemExit(1)
        self.stdout.write("The rewards ledger is sound.")
