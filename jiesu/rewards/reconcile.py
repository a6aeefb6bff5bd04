# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Reconciliation: the ledger's payouts of a day against the provider's records of that day.

Every difference is reported: `missing` (the ledger paid it, the provider has no such
transfer), `extra` (the provider paid it, the ledger has no payout), `amount` (both, with
different amounts). A transfer recorded on either side just across midnight is looked up
individually before it counts as a difference.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from jiesu.rewards import conf
from jiesu.rewards.models import LedgerTransaction, Payout, Reconciliation
from jiesu.rewards.providers import SUCCESS, get_provider


def _day_range(day: date):
    start = timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())
    return start, start + timedelta(days=1)


def ledger_payouts(day: date, provider_name: str) -> dict[str, int]:
    """request id → amount in fen of the payouts the ledger recorded on `day`."""
    start, end = _day_range(day)
    txns = LedgerTransaction.objects.filter(
        kind=LedgerTransaction.Kind.PAYOUT,
        created_at__gte=start,
        created_at__lt=end,
        reward__payout__provider=provider_name,
    ).values_list("reward__payout__request_id", "reward__amount_fen")
    return dict(txns)


def reconcile(day: date, *, provider=None, now=None) -> Reconciliation:
    cfg = conf.config()
    name = str(cfg["PROVIDER"]) if provider is None else _name(provider, cfg)
    provider = provider or get_provider(cfg)
    ours = ledger_payouts(day, name)
    theirs: dict[str, int] = {}
    for record in provider.records(day):
        theirs[record.request_id] = theirs.get(record.request_id, 0) + record.amount_fen
    differences = []
    for request_id, amount in sorted(ours.items()):
        if request_id not in theirs:
            found = provider.query(request_id)
            if found is None or found.state != SUCCESS:
                differences.append(
                    {"kind": "missing", "request_id": request_id, "ledger_fen": amount}
                )
            # else: paid, but booked by the provider on another day
        elif theirs[request_id] != amount:
            differences.append(
                {
                    "kind": "amount",
                    "request_id": request_id,
                    "ledger_fen": amount,
                    "provider_fen": theirs[request_id],
                }
            )
    for request_id, amount in sorted(theirs.items()):
        if request_id in ours:
            continue
        paid_elsewhere = Payout.objects.filter(
            request_id=request_id, status=Payout.Status.PAID, amount_fen=amount
        ).exists()
        if not paid_elsewhere:
            differences.append({"kind": "extra", "request_id": request_id, "provider_fen": amount})
    return Reconciliation.objects.create(
        day=day,
        provider=name,
        ran_at=now or timezone.now(),
        compared=len(set(ours) | set(theirs)),
        differences=differences,
    )


def _name(provider, cfg) -> str:
    return provider.name or str(cfg["PROVIDER"])
