# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The embedded provider: the demo's own "wallet", a table in the database.

Nothing leaves the machine. A transfer is a row of `EmbeddedTransfer`, unique by request id
(asked twice, it pays once), paid to the reporter's phone number at once. It keeps its own book
apart from the ledger, so that reconciliation has something independent to compare with.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from jiesu.rewards.models import EmbeddedTransfer
from jiesu.rewards.providers.base import SUCCESS, Provider, ProviderError, Record, Result, Transfer


class EmbeddedProvider(Provider):
    name = "embedded"

    def transfer(self, transfer: Transfer) -> Result:
        if transfer.amount_fen <= 0:
            raise ProviderError("The amount must be positive.")
        try:
            with transaction.atomic():
                row, _ = EmbeddedTransfer.objects.get_or_create(
                    request_id=transfer.request_id,
                    defaults={
                        "payee": transfer.phone,
                        "amount_fen": transfer.amount_fen,
                        "created_at": timezone.now(),
                    },
                )
        except IntegrityError:
            row = EmbeddedTransfer.objects.get(request_id=transfer.request_id)
        return Result(SUCCESS, reference=f"E{row.pk}")

    def query(self, request_id: str) -> Result | None:
        row = EmbeddedTransfer.objects.filter(request_id=request_id).first()
        return Result(SUCCESS, reference=f"E{row.pk}") if row else None

    def records(self, day: date) -> list[Record]:
        tz = timezone.get_current_timezone()
        start = timezone.make_aware(datetime.combine(day, time.min), tz)
        rows = EmbeddedTransfer.objects.filter(
            created_at__gte=start, created_at__lt=start + timedelta(days=1)
        )
        return [Record(r.request_id, r.amount_fen, r.payee) for r in rows]
