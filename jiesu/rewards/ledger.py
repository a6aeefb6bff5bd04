# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The double-entry ledger of the rewards, in integer fen (ADR: docs/adr/0013-rewards-ledger.md).

Accounts (positive balance = money held there):
- `source`: the district's funding; it goes negative by what it has allocated;
- `budget:<programme>:<YYYY-MM>`: what a programme may still grant in a month;
- `reserved:<programme>`: granted rewards not yet paid;
- `paid:<programme>`: what has been paid out.

Transactions, each with a unique key, each summing to zero:
- allocation: source → budget (automatic from the programme's monthly budget, or a top-up);
- reservation at the decision: budget → reserved;
- payout when the provider confirms: reserved → paid;
- release when a payout is given up: reserved → budget of the reward's month;
- reversal of an earlier transaction: its entries negated (once).

Budget, reserved and paid accounts never go below zero: `post` locks the accounts it touches
(in a fixed order) and refuses a transaction that would. `Account.balance` is kept in the same
transaction; `check()` derives every balance from the entries and reports any difference.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from jiesu.rewards.models import Account, Entry, LedgerTransaction, Programme, Reward

K = LedgerTransaction.Kind
NON_NEGATIVE = {Account.Kind.BUDGET, Account.Kind.RESERVED, Account.Kind.PAID}


class LedgerError(Exception):
    pass


class Unbalanced(LedgerError):
    pass


class InsufficientFunds(LedgerError):
    def __init__(self, account: Account, needed: int):
        self.account = account
        self.needed = needed
        super().__init__(
            _("Account %(code)s holds %(have)s fen, %(need)s fen are needed.")
            % {"code": account.code, "have": account.balance, "need": needed}
        )


def month_of(moment) -> date:
    day = timezone.localdate(moment) if hasattr(moment, "tzinfo") else moment
    return day.replace(day=1)


def _account(code: str, kind: str, programme=None, month=None) -> Account:
    account = Account.objects.filter(code=code).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(code=code, kind=kind, programme=programme, month=month)
    except IntegrityError:
        return Account.objects.get(code=code)


def source() -> Account:
    return _account("source", Account.Kind.SOURCE)


def budget_account(programme: Programme, month: date) -> Account:
    month = month.replace(day=1)
    return _account(f"budget:{programme.code}:{month:%Y-%m}", Account.Kind.BUDGET, programme, month)


def reserved_account(programme: Programme) -> Account:
    return _account(f"reserved:{programme.code}", Account.Kind.RESERVED, programme)


def paid_account(programme: Programme) -> Account:
    return _account(f"paid:{programme.code}", Account.Kind.PAID, programme)


def lock(*accounts: Account) -> dict[int, Account]:
    """Lock the accounts' rows (in id order, so that two transactions never deadlock) and
    return them fresh, by id."""
    ids = sorted({a.pk for a in accounts})
    locked = Account.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {a.pk: a for a in locked}


def post(
    key: str,
    kind: str,
    lines: list[tuple[Account, int]],
    *,
    at,
    reward: Reward | None = None,
    reverses: LedgerTransaction | None = None,
    memo: str = "",
    by=None,
) -> tuple[LedgerTransaction, bool]:
    """Post a balanced transaction once: (the transaction, True), or (the one posted earlier
    under `key`, False). Raises Unbalanced or InsufficientFunds and posts nothing."""
    lines = [(account, int(amount)) for account, amount in lines if int(amount) != 0]
    if len(lines) < 2 or sum(amount for _, amount in lines) != 0:
        raise Unbalanced(f"Transaction {key} does not balance: {lines!r}")
    with transaction.atomic():
        existing = LedgerTransaction.objects.filter(key=key).first()
        if existing is not None:
            return existing, False
        fresh = lock(*(account for account, _ in lines))
        change: dict[int, int] = {}
        for account, amount in lines:
            change[account.pk] = change.get(account.pk, 0) + amount
        for pk, delta in change.items():
            account = fresh[pk]
            if account.kind in NON_NEGATIVE and account.balance + delta < 0:
                raise InsufficientFunds(account, -delta)
        # Checked again after the lock: a concurrent poster of the same key has committed.
        existing = LedgerTransaction.objects.filter(key=key).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                txn = LedgerTransaction.objects.create(
                    key=key,
                    kind=kind,
                    reward=reward,
                    reverses=reverses,
                    memo=memo[:200],
                    created_at=at,
                    created_by=by,
                )
        except IntegrityError:
            return LedgerTransaction.objects.get(key=key), False
        Entry.objects.bulk_create(
            [
                Entry(transaction=txn, account=account, amount_fen=amount)
                for account, amount in lines
            ]
        )
        for pk, delta in change.items():
            Account.objects.filter(pk=pk).update(balance=F("balance") + delta)
    return txn, True


# -- the operations ----------------------------------------------------------------------------


def ensure_month_budget(programme: Programme, month: date, monthly_fen: int, *, at, version=None):
    """Allocate the programme's monthly budget for `month` up to `monthly_fen` (once per
    version: a later version with a larger budget tops the month up by the difference)."""
    account = budget_account(programme, month)
    if monthly_fen <= 0:
        return account
    lock(account)
    allocated = (
        Entry.objects.filter(
            account=account,
            transaction__kind=K.ALLOCATION,
            transaction__key__startswith=f"alloc:{programme.code}:{month:%Y-%m}:auto",
        ).aggregate(total=Sum("amount_fen"))["total"]
        or 0
    )
    missing = monthly_fen - allocated
    if missing > 0:
        suffix = f"v{version.number}" if version is not None else "0"
        post(
            f"alloc:{programme.code}:{month:%Y-%m}:auto:{suffix}",
            K.ALLOCATION,
            [(source(), -missing), (account, missing)],
            at=at,
            memo=f"Monthly budget {month:%Y-%m}",
        )
    return account


def top_up(
    programme: Programme, month: date, fen: int, *, at, by=None, memo=""
) -> LedgerTransaction:
    """An extra allocation made by an administrator."""
    if fen <= 0:
        raise LedgerError(_("An allocation must be a positive amount."))
    account = budget_account(programme, month)
    txn, _created = post(
        f"alloc:{programme.code}:{month:%Y-%m}:extra:{uuid.uuid4().hex[:12]}",
        K.ALLOCATION,
        [(source(), -fen), (account, fen)],
        at=at,
        by=by,
        memo=memo or f"Extra budget {month:%Y-%m}",
    )
    return txn


def available(programme: Programme, month: date) -> int:
    account = Account.objects.filter(code=f"budget:{programme.code}:{month:%Y-%m}").first()
    return account.balance if account else 0


def reserve(reward: Reward, *, at) -> LedgerTransaction:
    month = month_of(reward.qualified_at)
    txn, _created = post(
        f"reserve:{reward.pk}",
        K.RESERVATION,
        [
            (budget_account(reward.programme, month), -reward.amount_fen),
            (reserved_account(reward.programme), reward.amount_fen),
        ],
        at=at,
        reward=reward,
        memo=f"{reward.appeal.number}",
    )
    return txn


def record_payout(reward: Reward, *, at) -> tuple[LedgerTransaction, bool]:
    return post(
        f"pay:{reward.pk}",
        K.PAYOUT,
        [
            (reserved_account(reward.programme), -reward.amount_fen),
            (paid_account(reward.programme), reward.amount_fen),
        ],
        at=at,
        reward=reward,
        memo=f"{reward.appeal.number}",
    )


def release(reward: Reward, *, at, memo="") -> tuple[LedgerTransaction, bool]:
    month = month_of(reward.qualified_at)
    return post(
        f"release:{reward.pk}",
        K.RELEASE,
        [
            (reserved_account(reward.programme), -reward.amount_fen),
            (budget_account(reward.programme, month), reward.amount_fen),
        ],
        at=at,
        reward=reward,
        memo=memo or f"{reward.appeal.number}",
    )


def reverse(txn: LedgerTransaction, *, at, by=None, memo="") -> LedgerTransaction:
    """Post the opposite of `txn` (once). Refused when the money has moved on (an account
    would go below zero)."""
    if txn.kind == K.REVERSAL:
        raise LedgerError(_("A reversal cannot itself be reversed."))
    if hasattr(txn, "reversed_by"):
        raise LedgerError(_("This transaction has already been reversed."))
    lines = [(e.account, -e.amount_fen) for e in txn.entries.select_related("account")]
    new, _created = post(
        f"reverse:{txn.pk}",
        K.REVERSAL,
        lines,
        at=at,
        by=by,
        reward=txn.reward,
        reverses=txn,
        memo=memo or f"Reversal of {txn.key}",
    )
    return new


# -- checks ------------------------------------------------------------------------------------


def check() -> list[str]:
    """Every problem of the ledger, in words (an empty list when it is sound): transactions
    that do not balance, cached balances that differ from their entries, accounts below zero
    that must not be, rewards whose status and postings disagree."""
    problems = []
    for txn in (
        LedgerTransaction.objects.annotate(total=Sum("entries__amount_fen"))
        .exclude(total=0)
        .values("key", "total")
    ):
        problems.append(f"Transaction {txn['key']} does not balance: {txn['total']:+d} fen.")
    for account in Account.objects.annotate(derived=Sum("entries__amount_fen")):
        derived = account.derived or 0
        if derived != account.balance:
            problems.append(
                f"Account {account.code}: balance {account.balance} fen, entries sum to "
                f"{derived} fen."
            )
        if account.kind in NON_NEGATIVE and derived < 0:
            problems.append(f"Account {account.code} is below zero: {derived} fen.")
    total = Entry.objects.aggregate(total=Sum("amount_fen"))["total"] or 0
    if total:
        problems.append(f"The entries of all accounts sum to {total:+d} fen, not 0.")
    problems += _reward_problems()
    return problems


def _reward_problems() -> list[str]:
    problems = []
    kinds_by_reward: dict[int, set] = {}
    for reward_id, kind in LedgerTransaction.objects.filter(reward__isnull=False).values_list(
        "reward_id", "kind"
    ):
        kinds_by_reward.setdefault(reward_id, set()).add(kind)
    expected = {
        Reward.Status.RESERVED: {K.RESERVATION},
        Reward.Status.PAID: {K.RESERVATION, K.PAYOUT},
        Reward.Status.FAILED: {K.RESERVATION, K.RELEASE},
        Reward.Status.REFUSED: set(),
        Reward.Status.HELD: set(),
    }
    for reward_id, status, number in Reward.objects.values_list("pk", "status", "appeal__number"):
        kinds = kinds_by_reward.get(reward_id, set()) - {K.REVERSAL}
        if kinds != expected[status]:
            problems.append(
                f"Reward {number} is {status} but its postings are {sorted(kinds) or 'none'}."
            )
    return problems
