# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The ledger's laws, for any sequence of operations (hypothesis): every transaction balances,
balances are the sums of their entries, budgets never go below zero, a key posts once."""

from datetime import date, timedelta

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiesu.rewards import ledger, programmes
from jiesu.rewards.models import Account, Entry, LedgerTransaction, Reward
from jiesu.rewards.tests.conftest import MONDAY_10, SEED_TERMS, new_appeal

MONTHS = [date(2026, 11, 1), date(2026, 12, 1)]

operations = st.lists(
    st.one_of(
        st.tuples(st.just("top_up"), st.integers(0, 1), st.integers(1, 5000)),
        st.tuples(st.just("grant"), st.integers(0, 1), st.integers(1, 3000)),
        st.tuples(st.just("pay"), st.integers(0, 20)),
        st.tuples(st.just("pay_again"), st.integers(0, 20)),
        st.tuples(st.just("release"), st.integers(0, 20)),
        st.tuples(st.just("reverse_allocation"), st.integers(0, 20)),
        st.tuples(st.just("unbalanced"), st.integers(1, 100)),
    ),
    max_size=25,
)


class Stop(Exception):
    pass


@pytest.fixture
def pool(world):
    programme = programmes.create("p", "P", {**SEED_TERMS, "channels": ["nowhere"]})
    appeals = [new_appeal(world, reporter_phone=f"1390000{i:04d}") for i in range(25)]
    return programme, appeals


def _run(programme, appeals, ops):
    version = programme.current
    rewards: list[Reward] = []
    at = MONDAY_10
    for op in ops:
        at += timedelta(minutes=1)
        kind = op[0]
        if kind == "top_up":
            ledger.top_up(programme, MONTHS[op[1]], op[2], at=at)
        elif kind == "grant" and len(rewards) < len(appeals):
            reward = Reward.objects.create(
                appeal=appeals[len(rewards)],
                version=version,
                programme=programme,
                status=Reward.Status.HELD,
                reason="qualified",
                amount_fen=op[2],
                channel="x",
                event_kind="register",
                qualified_at=MONDAY_10 + timedelta(days=30 * op[1]),
                decided_at=at,
            )
            try:
                with transaction.atomic():
                    ledger.reserve(reward, at=at)
            except ledger.InsufficientFunds:
                reward.status = Reward.Status.REFUSED
            else:
                reward.status = Reward.Status.RESERVED
            reward.save()
            rewards.append(reward)
        elif kind in ("pay", "pay_again", "release") and rewards:
            reward = rewards[op[1] % len(rewards)]
            if kind == "pay" and reward.status == Reward.Status.RESERVED:
                assert ledger.record_payout(reward, at=at)[1] is True
                reward.status = Reward.Status.PAID
                reward.save()
            elif kind == "pay_again" and reward.status == Reward.Status.PAID:
                before = LedgerTransaction.objects.count()
                assert ledger.record_payout(reward, at=at)[1] is False
                assert LedgerTransaction.objects.count() == before
            elif kind == "release" and reward.status == Reward.Status.RESERVED:
                ledger.release(reward, at=at)
                reward.status = Reward.Status.FAILED
                reward.save()
        elif kind == "reverse_allocation":
            allocations = list(
                LedgerTransaction.objects.filter(kind="allocation", reversed_by__isnull=True)
            )
            if allocations:
                txn = allocations[op[1] % len(allocations)]
                try:
                    with transaction.atomic():
                        ledger.reverse(txn, at=at)
                except ledger.InsufficientFunds:
                    pass  # the budget was already spent: refused, nothing posted
        elif kind == "unbalanced":
            source, budget = ledger.source(), ledger.budget_account(programme, MONTHS[0])
            with pytest.raises(ledger.Unbalanced):
                ledger.post(
                    f"bad:{at}", "allocation", [(source, -op[1]), (budget, op[1] + 1)], at=at
                )
        # The laws, after every step.
        assert ledger.check() == []
        for account in Account.objects.filter(kind__in=["budget", "reserved", "paid"]):
            assert account.balance >= 0


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_every_transaction_balances_for_any_sequence(pool, ops):
    programme, appeals = pool
    try:
        with transaction.atomic():
            ledger.ensure_month_budget(programme, MONTHS[0], 3000, at=MONDAY_10)
            _run(programme, appeals, ops)
            total = sum(Entry.objects.values_list("amount_fen", flat=True))
            assert total == 0
            raise Stop  # roll back: the next example starts from the same state
    except Stop:
        pass


def test_a_transaction_key_posts_once(pool):
    programme, _ = pool
    budget = ledger.budget_account(programme, MONTHS[0])
    first, created = ledger.post(
        "k1", "allocation", [(ledger.source(), -10), (budget, 10)], at=MONDAY_10
    )
    again, created_again = ledger.post(
        "k1", "allocation", [(ledger.source(), -10), (budget, 10)], at=MONDAY_10
    )
    assert created and not created_again and first == again
    budget.refresh_from_db()
    assert budget.balance == 10


def test_check_finds_a_tampered_balance(pool):
    programme, _ = pool
    ledger.ensure_month_budget(programme, MONTHS[0], 1000, at=MONDAY_10)
    Account.objects.filter(code="budget:p:2026-11").update(balance=999)
    problems = ledger.check()
    assert any("budget:p:2026-11" in p and "999" in p for p in problems)


def test_entries_are_permanent(pool):
    from django.core.exceptions import ValidationError

    programme, _ = pool
    ledger.ensure_month_budget(programme, MONTHS[0], 1000, at=MONDAY_10)
    entry = Entry.objects.first()
    with pytest.raises(ValidationError):
        entry.delete()
    entry.amount_fen = 1
    with pytest.raises(ValidationError):
        entry.save()
