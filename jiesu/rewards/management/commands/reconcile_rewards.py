# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jiesu.rewards import reconcile
from jiesu.rewards.models import fen_to_yuan
from jiesu.rewards.providers import ProviderError


class Command(BaseCommand):
    help = (
        "Compare the ledger's reward payouts of a day (default: yesterday) with the provider's "
        "records and list every difference (missing, extra, amount). Exit status 1 when there "
        "is any."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", default="", help="The day, YYYY-MM-DD (default: yesterday).")

    def handle(self, *args, date: str = "", **options):
        day = self._day(date)
        try:
            run = reconcile.reconcile(day)
        except ProviderError as e:
            raise CommandError(f"The provider could not be asked: {e}") from None
        self.stdout.write(
            f"{run.provider} {day}: {run.compared} payouts compared, "
            f"{len(run.differences)} differences."
        )
        for d in run.differences:
            if d["kind"] == "missing":
                text = f"missing at the provider: {d['request_id']} ({fen_to_yuan(d['ledger_fen'])} yuan in the ledger)"
            elif d["kind"] == "extra":
                text = f"extra at the provider: {d['request_id']} ({fen_to_yuan(d['provider_fen'])} yuan, not in the ledger)"
            else:
                text = (
                    f"amount differs: {d['request_id']} ledger {fen_to_yuan(d['ledger_fen'])}, "
                    f"provider {fen_to_yuan(d['provider_fen'])} yuan"
                )
            self.stdout.write(f"  {text}")
        if run.differences:
            raise SystemExit(1)

    @staticmethod
    def _day(value: str):
        if not value:
            return timezone.localdate() - timedelta(days=1)
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"--date: not a date (YYYY-MM-DD): {value!r}") from None
