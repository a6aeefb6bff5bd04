# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The admin shows the rewards' records read-only, and keeps payee bindings editable."""

from django.contrib import admin

from jiesu.org.admin_base import ReadOnlyAdmin, ReferenceDataAdmin
from jiesu.rewards.models import (
    Account,
    LedgerTransaction,
    PayeeAccount,
    Payout,
    Reconciliation,
    Reward,
)


@admin.register(Reward)
class RewardAdmin(ReadOnlyAdmin):
    list_display = ["appeal", "programme", "status", "reason", "amount_fen", "qualified_at"]
    list_filter = ["status", "reason", "programme"]
    search_fields = ["appeal__number"]


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = [
        "request_id",
        "status",
        "amount_fen",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["status", "provider"]
    search_fields = ["request_id", "reward__appeal__number"]


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "balance"]
    list_filter = ["kind"]


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ["key", "kind", "created_at", "memo"]
    list_filter = ["kind"]
    search_fields = ["key", "memo"]


@admin.register(Reconciliation)
class ReconciliationAdmin(ReadOnlyAdmin):
    list_display = ["day", "provider", "ran_at", "compared", "ok"]


@admin.register(PayeeAccount)
class PayeeAccountAdmin(ReferenceDataAdmin):
    list_display = ["phone", "provider", "account", "device", "bound_at"]
    search_fields = ["phone", "account", "device"]
