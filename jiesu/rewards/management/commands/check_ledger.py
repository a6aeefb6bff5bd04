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
