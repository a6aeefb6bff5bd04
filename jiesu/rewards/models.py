# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Reporter rewards 红包: programmes, decisions, the ledger, payouts.

- A `Programme` is what an administrator configures; each change is an immutable
  `ProgrammeVersion` (its `terms`, see `jiesu.rewards.terms`), and a reward keeps the version it
  was decided under.
- A `Reward` is the decision about one appeal (granted, refused with a reason, or held for a
  staff review) and, when granted, the money's life: reserved, paid, or failed.
- The ledger (ADR 0011) is double-entry in integer fen: `LedgerTransaction`s of `Entry` rows
  whose amounts sum to zero. `Account.balance` is a cached sum, checked against the entries.
- A `Payout` is the outbox-like row of a granted reward: written in the decision's transaction,
  sent by a worker with one request id per attempt generation, claimed with a token and a lease.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiesu.appeals.models import Appeal
from jiesu.permanent import PermanentRecord


class Programme(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    priority = models.PositiveIntegerField(
        _("priority"),
        default=100,
        help_text=_("When several programmes cover an appeal, the lowest number decides."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reward programme")
        verbose_name_plural = _("reward programmes")
        ordering = ["priority", "id"]

    def __str__(self):
        return self.name

    @property
    def current(self):
        return self.versions.order_by("-number").first()


class ProgrammeVersion(PermanentRecord, models.Model):
    """The terms of a programme as they were from `created_at` on (never changed)."""

    change_refused = _("A programme version is permanent and cannot be changed.")
    delete_refused = _("A programme version is permanent and cannot be deleted.")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    terms = models.JSONField(_("terms"))
    note = models.CharField(_("what changed"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("programme version")
        verbose_name_plural = _("programme versions")
        ordering = ["programme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="rewards_version_unique")
        ]

    def __str__(self):
        return f"{self.programme.code} v{self.number}"


class Reason(models.TextChoices):
    """Why a reward was granted, held or refused (shown to the reporter and to staff)."""

    QUALIFIED = "qualified", _("The report meets the programme's conditions")
    FLAGGED = "flagged", _("Held for a check by staff")
    APPROVED = "approved", _("Approved after a check by staff")
    ANONYMOUS = "anonymous", _("Anonymous reports are not rewarded")
    NO_CONTACT = "no_contact", _("The report gives no phone number to pay to")
    STAFF = "staff", _("Reports by staff members are not rewarded")
    REJECTED = "rejected", _("The report was not accepted")
    MERGED = (
        "merged",
        _("The matter had already been reported: the reward goes to the first reporter"),
    )
    ANSWERED = "answered", _("The report was a consultation answered directly")
    WITHDRAWN = "withdrawn", _("The report was withdrawn")
    NOT_CONFIRMED = "not_confirmed", _("The problem was not confirmed when the case was closed")
    DAILY_LIMIT = "daily_limit", _("The programme's rewards for the day are used up")
    BUDGET = "budget", _("The programme's budget for the month is used up")
    REPORTER_DAILY = "reporter_daily", _("You reached the most rewards per person and day")
    REPORTER_MONTHLY = "reporter_monthly", _("You reached the most rewards per person and month")
    REVIEW_REFUSED = "review_refused", _("Refused after a check by staff")
    PAYOUT_FAILED = "payout_failed", _("The payment could not be made")


class Reward(models.Model):
    """The reward decision about one appeal, and the money's state when granted."""

    class Status(models.TextChoices):
        REFUSED = "refused", _("Not rewarded")
        HELD = "held", _("Awaiting a check by staff")
        RESERVED = "reserved", _("Granted, payment under way")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Payment failed")

    GRANTED = (Status.RESERVED, Status.PAID)

    appeal = models.OneToOneField(Appeal, on_delete=models.PROTECT, related_name="reward")
    version = models.ForeignKey(
        ProgrammeVersion, verbose_name=_("programme version"), on_delete=models.PROTECT
    )
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="rewards")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, db_index=True)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True, help_text=_("Staff's words, if any."))
    amount_fen = models.PositiveIntegerField(_("amount (fen)"), default=0)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    # What the caps count by, as it was at the decision.
    reporter_phone = models.CharField(_("reporter phone"), max_length=32, blank=True)
    channel = models.CharField(_("channel"), max_length=32)
    category_code = models.CharField(_("category"), max_length=32, blank=True)
    event_kind = models.CharField(_("decided on"), max_length=40)
    qualified_at = models.DateTimeField(_("qualified at"), db_index=True)
    decided_at = models.DateTimeField(_("decided at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ["-qualified_at", "-id"]
        indexes = [
            models.Index(fields=["programme", "status", "qualified_at"]),
            models.Index(fields=["reporter_phone", "qualified_at"]),
        ]

    def __str__(self):
        return f"{self.appeal} {self.get_status_display()} {self.amount_fen / 100:.2f}"

    @property
    def granted(self) -> bool:
        return self.status in self.GRANTED

    @property
    def yuan(self) -> str:
        return fen_to_yuan(self.amount_fen)


def fen_to_yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100}.{fen % 100:02d}"


class Review(models.Model):
    """One staff member's verdict on a held reward (two different ones above the four-eyes
    amount)."""

    class Verdict(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REFUSE = "refuse", _("Refuse")

    reward = models.ForeignKey(Reward, on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verdict = models.CharField(_("verdict"), max_length=8, choices=Verdict.choices)
    note = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("reward review")
        verbose_name_plural = _("reward reviews")
        ordering = ["reward", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["reward", "user"], name="rewards_review_once_per_user")
        ]

    def __str__(self):
        return f"{self.reward_id} {self.verdict} {self.user_id}"


class Account(models.Model):
    """A ledger account. `balance` is the sum of its entries, kept in step in the transaction
    that posts them and checked by `ledger.check()`."""

    class Kind(models.TextChoices):
        SOURCE = "source", _("Funding source")
        BUDGET = "budget", _("Budget of a month")
        RESERVED = "reserved", _("Reserved for granted rewards")
        PAID = "paid", _("Paid out")

    code = models.CharField(_("code"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    programme = models.ForeignKey(
        Programme, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    month = models.DateField(_("month"), null=True, blank=True)
    balance = models.BigIntegerField(_("balance (fen)"), default=0)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["code"]

    def __str__(self):
        return self.code


class LedgerTransaction(PermanentRecord, models.Model):
    change_refused = _("Ledger transactions are permanent and cannot be changed.")
    delete_refused = _("Ledger transactions are permanent and cannot be deleted.")

    class Kind(models.TextChoices):
        ALLOCATION = "allocation", _("Budget allocation")
        RESERVATION = "reservation", _("Reservation")
        PAYOUT = "payout", _("Payout")
        RELEASE = "release", _("Release of a reservation")
        REVERSAL = "reversal", _("Reversal")

    # What makes it unique: the same key can never be posted twice (a payout is recorded once).
    key = models.CharField(_("key"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    reward = models.ForeignKey(
        Reward, null=True, blank=True, on_delete=models.PROTECT, related_name="transactions"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    memo = models.CharField(_("memo"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("at"), db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.key


class Entry(PermanentRecord, models.Model):
    change_refused = LedgerTransaction.change_refused
    delete_refused = LedgerTransaction.delete_refused

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount_fen = models.BigIntegerField(_("amount (fen)"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["transaction", "id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount_fen=0), name="rewards_entry_not_zero")
        ]

    def __str__(self):
        return f"{self.account.code} {self.amount_fen:+d}"


class Payout(models.Model):
    """The payment of one granted reward, delivered by `jiesu.rewards.payouts`.

    pending → sending (claimed) → accepted (the provider has it, not final yet) → paid;
    an error or timeout → failed (retried with backoff, the same request id); a definite
    refusal by the provider, or too many attempts → dead (the reservation is released).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        ACCEPTED = "accepted", _("Accepted by the provider")
        FAILED = "failed", _("Failed (retrying)")
        PAID = "paid", _("Paid")
        DEAD = "dead", _("Given up")

    reward = models.OneToOneField(Reward, on_delete=models.PROTECT, related_name="payout")
    provider = models.CharField(_("provider"), max_length=120)
    request_id = models.CharField(_("request id"), max_length=64, unique=True)
    generation = models.PositiveSmallIntegerField(default=1)
    amount_fen = models.PositiveIntegerField(_("amount (fen)"))
    phone = models.CharField(_("reporter phone"), max_length=32)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    provider_ref = models.CharField(_("provider's reference"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return self.request_id


class PayeeAccount(models.Model):
    """Where a reporter is paid by a provider: a WeChat openid bound to their phone number
    (by the WeChat channel or an operator, `manage.py bind_payee`), and the device it was bound
    from (a fraud signal)."""

    phone = models.CharField(_("phone"), max_length=32)
    provider = models.CharField(_("provider"), max_length=20)
    account = models.CharField(_("account"), max_length=64)
    device = models.CharField(_("device"), max_length=64, blank=True)
    bound_at = models.DateTimeField(_("bound at"))

    class Meta:
        verbose_name = _("payee account")
        verbose_name_plural = _("payee accounts")
        constraints = [
            models.UniqueConstraint(fields=["provider", "phone"], name="rewards_payee_unique")
        ]

    def __str__(self):
        return f"{self.provider}:{self.account}"


class EmbeddedTransfer(models.Model):
    """The embedded provider's own book (the demo's "wallet"): what it paid, to whom.

    It is the provider's record, not Jiesu's: reconciliation compares the ledger with it."""

    request_id = models.CharField(max_length=64, unique=True)
    payee = models.CharField(max_length=64)
    amount_fen = models.PositiveIntegerField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("embedded provider transfer")
        verbose_name_plural = _("embedded provider transfers")

    def __str__(self):
        return self.request_id


class Reconciliation(models.Model):
    """One comparison of the ledger's payouts of a day with the provider's records."""

    day = models.DateField(_("day"))
    provider = models.CharField(_("provider"), max_length=120)
    ran_at = models.DateTimeField(_("ran at"))
    compared = models.PositiveIntegerField(_("records compared"), default=0)
    differences = models.JSONField(_("differences"), default=list)

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        ordering = ["-day", "-ran_at"]

    def __str__(self):
        return f"{self.provider} {self.day}: {len(self.differences)}"

    @property
    def ok(self) -> bool:
        return not self.differences
