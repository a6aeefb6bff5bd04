# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Reward decisions: made when an appeal qualifies, written in the transaction of its event.

`on_appeal_event` is connected to `jiesu.appeals.hooks.appeal_event` (see `apps.py`): it runs
inside the transaction of the transition, so a decision is committed with the event that caused
it or not at all. What it decides, in order (one decision per appeal, whatever happens later):

1. the programme that covers the appeal (`programmes.covering`) and its trigger: registration
   (立案), or closing with the problem confirmed (a unit completed the handling);
2. an appeal that leaves the path first (rejected, merged into an earlier report, answered
   directly, withdrawn) is refused with that reason;
3. exclusions: anonymous reports, reports without a phone, reports by staff members;
4. the caps, counted under the lock of the programme's month budget: the programme's rewards
   per day, the reporter's rewards per day and per month;
5. the amount (`terms.amount_for`), then the fraud signals (`fraud.flags_for`): a flagged
   reward is *held* for a staff check and reserves nothing yet;
6. the month's budget: a reward that does not fit is refused; one that fits is reserved in the
   ledger and gets its `Payout` row (the outbox of the payout worker).

Each decision is told to the reporter (WeChat when a WeChat account is bound to their phone,
else SMS), through the notification outbox in the same transaction.

Held rewards are approved or refused on the review desk (`approve`, `refuse`); from the
programme's four-eyes amount on, two different staff members must approve.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jiesu.appeals import timesource
from jiesu.appeals.models import Appeal
from jiesu.appeals.states import Status
from jiesu.notify import outbox
from jiesu.notify.models import Notification
from jiesu.org import permissions
from jiesu.org.models import User
from jiesu.org.permissions import Action
from jiesu.rewards import conf, fraud, ledger, programmes
from jiesu.rewards import terms as terms_module
from jiesu.rewards.models import PayeeAccount, Payout, ProgrammeVersion, Reason, Review, Reward

R = Reward.Status
# Event kinds after which an appeal can no longer qualify, and the reason given.
EXITS = {
    "reject": Reason.REJECTED,
    "merge": Reason.MERGED,
    "answer": Reason.ANSWERED,
    "withdraw": Reason.WITHDRAWN,
}


class ReviewError(Exception):
    """A review action that cannot be taken (the message is for the user)."""


def on_appeal_event(sender, appeal: Appeal, event, **kwargs) -> Reward | None:
    """The hook receiver: decide about `appeal` if `event` is its moment."""
    at = event.created_at
    if event.kind == "register":
        return decide(appeal, "register", at)
    if event.to_status == Status.CLOSED and event.from_status != Status.CLOSED:
        return decide(appeal, "close_confirmed", at)
    if event.kind in EXITS:
        return refuse_exit(appeal, EXITS[event.kind], event.kind, at)
    return None


# -- deciding ----------------------------------------------------------------------------------


def _existing(appeal) -> Reward | None:
    return Reward.objects.filter(appeal=appeal).first()


def _new(appeal, version: ProgrammeVersion, kind: str, at, **fields) -> Reward:
    category = appeal.category.code if appeal.category_id else ""
    return Reward.objects.create(
        appeal=appeal,
        version=version,
        programme=version.programme,
        reporter_phone="" if appeal.anonymous else appeal.reporter_phone,
        channel=appeal.channel,
        category_code=category,
        event_kind=kind,
        qualified_at=at,
        decided_at=at,
        **fields,
    )


def refuse_exit(appeal, reason: str, kind: str, at) -> Reward | None:
    """An appeal that can no longer qualify: refused, if a programme covers it."""
    if _existing(appeal) is not None:
        return None
    version = programmes.covering(appeal, at, partial=True)
    if version is None:
        return None
    reward = _new(appeal, version, kind, at, status=R.REFUSED, reason=reason)
    tell_reporter(reward, at)
    return reward


def _is_staff_phone(phone: str) -> bool:
    return bool(phone) and User.objects.filter(is_active=True, phone=phone).exists()


def _day_bounds(at):
    day = timezone.localdate(at)
    start = timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())
    return start, start + timedelta(days=1)


def _month_bounds(at):
    first = ledger.month_of(at)
    nxt = (first + timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(first, time.min), tz),
        timezone.make_aware(datetime.combine(nxt, time.min), tz),
    )


def _cap_refusal(reward: Reward, t: dict) -> str | None:
    """The cap the reward would break (counted among granted rewards), or None.
    Call with the programme's month budget locked."""
    caps = {
        "daily": t["daily_count"],
        "reporter_daily": t["reporter_daily"],
        "reporter_monthly": t["reporter_monthly"],
    }
    if all(cap is None for cap in caps.values()):
        return None
    day = _day_bounds(reward.qualified_at)
    month = _month_bounds(reward.qualified_at)
    phone = reward.reporter_phone
    same_day = Q(qualified_at__gte=day[0], qualified_at__lt=day[1])
    # The three counts in one statement, over the month (which holds the day).
    counts = (
        Reward.objects.filter(
            programme=reward.programme,
            status__in=Reward.GRANTED,
            qualified_at__gte=min(day[0], month[0]),
            qualified_at__lt=max(day[1], month[1]),
        )
        .exclude(pk=reward.pk)
        .aggregate(
            daily=Count("pk", filter=same_day),
            reporter_daily=Count("pk", filter=same_day & Q(reporter_phone=phone)),
            reporter_monthly=Count(
                "pk",
                filter=Q(
                    reporter_phone=phone, qualified_at__gte=month[0], qualified_at__lt=month[1]
                ),
            ),
        )
    )
    for name, reason in (
        ("daily", Reason.DAILY_LIMIT),
        ("reporter_daily", Reason.REPORTER_DAILY),
        ("reporter_monthly", Reason.REPORTER_MONTHLY),
    ):
        if caps[name] is not None and counts[name] >= caps[name]:
            return reason
    return None


def _lock_budget(reward: Reward, at):
    """Lock the programme's budget of the reward's month (allocating it first if due): every
    decision of a programme and month passes here one at a time."""
    t = reward.version.terms
    month = ledger.month_of(reward.qualified_at)
    account = ledger.ensure_month_budget(
        reward.programme, month, t["monthly_budget_fen"], at=at, version=reward.version
    )
    return ledger.lock(account)[account.pk]


def _grant(reward: Reward, at, reason: str, *, checked: bool = False) -> Reward:
    """Reserve the money and queue the payout, or refuse on a cap or the budget. `checked`:
    the caller has locked the month budget and checked the caps and the balance in this
    transaction already (the lock is held until it ends, so nothing changed since)."""
    if not checked:
        t = reward.version.terms
        budget = _lock_budget(reward, at)
        refusal = _cap_refusal(reward, t)
        if refusal is None and budget.balance < reward.amount_fen:
            refusal = Reason.BUDGET
        if refusal is not None:
            reward.status, reward.reason = R.REFUSED, refusal
            reward.save(update_fields=["status", "reason"])
            return reward
    reward.status, reward.reason = R.RESERVED, reason
    reward.save(update_fields=["status", "reason"])
    ledger.reserve(reward, at=at)
    cfg = conf.config()
    Payout.objects.create(
        reward=reward,
        provider=provider_name(cfg),
        request_id=request_id(cfg, reward, 1),
        amount_fen=reward.amount_fen,
        phone=reward.reporter_phone,
        created_at=at,
        next_attempt_at=at,
    )
    return reward


def provider_name(cfg) -> str:
    return str(cfg["PROVIDER"])[:120]


def request_id(cfg, reward: Reward, generation: int) -> str:
    """The payout's request id (WeChat's out_batch_no and out_detail_no: letters and digits,
    at most 32): the same for every attempt of one generation."""
    return f"{cfg['REQUEST_PREFIX']}{reward.pk:012d}G{generation}"


def decide(appeal, trigger: str, at) -> Reward | None:
    """Decide about `appeal` at its `trigger` moment, once."""
    if _existing(appeal) is not None:
        return None
    version = programmes.covering(appeal, at)
    if version is None:
        return None
    t = version.terms
    if t["trigger"] != trigger:
        return None
    kind = "register" if trigger == "register" else "close"

    def refused(reason):
        reward = _new(appeal, version, kind, at, status=R.REFUSED, reason=reason)
        tell_reporter(reward, at)
        return reward

    if trigger == "close_confirmed" and appeal.completed_at is None:
        return refused(Reason.NOT_CONFIRMED)
    if appeal.anonymous and t["exclude_anonymous"]:
        return refused(Reason.ANONYMOUS)
    if not appeal.reporter_phone:
        return refused(Reason.NO_CONTACT)
    if t["exclude_staff"] and _is_staff_phone(appeal.reporter_phone):
        return refused(Reason.STAFF)
    amount = terms_module.amount_for(
        t, appeal, f"{version.programme.code}:{version.number}:{appeal.number}"
    )
    reward = _new(
        appeal, version, kind, at, status=R.HELD, reason=Reason.FLAGGED, amount_fen=amount
    )
    if amount <= 0:
        # A tier that pays nothing: nothing to hold or reserve.
        reward.status, reward.reason = R.REFUSED, Reason.QUALIFIED
        reward.save(update_fields=["status", "reason"])
        tell_reporter(reward, at)
        return reward
    budget = _lock_budget(reward, at)
    refusal = _cap_refusal(reward, t)
    if refusal is None and budget.balance < amount:
        refusal = Reason.BUDGET
    if refusal is not None:
        reward.status, reward.reason = R.REFUSED, refusal
        reward.save(update_fields=["status", "reason"])
        tell_reporter(reward, at)
        return reward
    flags = fraud.flags_for(appeal, appeal.reporter_phone, t, at, provider_name(conf.config()))
    if flags:
        reward.flags = flags
        reward.save(update_fields=["flags"])
    else:
        _grant(reward, at, Reason.QUALIFIED, checked=True)
    tell_reporter(reward, at)
    return reward


# -- the review desk ---------------------------------------------------------------------------


def needs_two(reward: Reward) -> bool:
    return reward.amount_fen >= reward.version.terms["four_eyes_fen"]


@transaction.atomic
def approve(reward, user, note: str = "", at=None) -> Reward:
    """Approve a held reward. Below the four-eyes amount one approval grants it; from it on,
    the second approval by another person does. Granting checks the caps and the budget as
    they are now, under the budget's lock."""
    permissions.require(user, Action.REVIEW_REWARD)
    at = at or timesource.now()
    reward = _lock_reward(reward)
    if reward.reviews.filter(user=user).exists():
        raise ReviewError(_("You have already approved this reward: another person must."))
    Review.objects.create(
        reward=reward, user=user, verdict=Review.Verdict.APPROVE, note=note.strip(), at=at
    )
    approvals = reward.reviews.filter(verdict=Review.Verdict.APPROVE).count()
    if approvals < (2 if needs_two(reward) else 1):
        return reward
    reward.decided_at, reward.decided_by = at, user
    reward.save(update_fields=["decided_at", "decided_by"])
    _grant(reward, at, Reason.APPROVED)
    tell_reporter(reward, at)
    return reward


@transaction.atomic
def refuse(reward, user, note: str, at=None) -> Reward:
    """Refuse a held reward, with the reason the reporter will read."""
    permissions.require(user, Action.REVIEW_REWARD)
    note = (note or "").strip()
    if not note:
        raise ReviewError(_("Give the reason for refusing."))
    at = at or timesource.now()
    reward = _lock_reward(reward)
    if reward.reviews.filter(user=user).exists():
        raise ReviewError(_("You have already given your verdict on this reward."))
    Review.objects.create(reward=reward, user=user, verdict=Review.Verdict.REFUSE, note=note, at=at)
    reward.status, reward.reason, reward.note = R.REFUSED, Reason.REVIEW_REFUSED, note
    reward.decided_at, reward.decided_by = at, user
    reward.save(update_fields=["status", "reason", "note", "decided_at", "decided_by"])
    tell_reporter(reward, at)
    return reward


def _lock_reward(reward) -> Reward:
    pk = reward.pk if isinstance(reward, Reward) else reward
    try:
        locked = (
            Reward.objects.select_for_update(of=("self",))
            .select_related("version", "programme", "appeal")
            .get(pk=pk)
        )
    except Reward.DoesNotExist:
        raise ReviewError(_("No such reward.")) from None
    if locked.status != R.HELD:
        raise ReviewError(_("This reward has already been decided."))
    return locked


# -- telling the reporter ----------------------------------------------------------------------


def reason_text(reward: Reward) -> str:
    return str(Reason(reward.reason).label)


def citizen_summary(reward: Reward) -> str:
    """One sentence for the reporter about the decision (the page and the messages)."""
    amount = reward.yuan
    if reward.status == R.PAID:
        return _("A reward of %(amount)s yuan has been paid to you.") % {"amount": amount}
    if reward.status == R.RESERVED:
        return _("You will receive a reward of %(amount)s yuan; the payment is under way.") % {
            "amount": amount
        }
    if reward.status == R.HELD:
        return _("Your report may be rewarded; staff are checking it first.")
    if reward.status == R.FAILED:
        return _(
            "A reward of %(amount)s yuan was granted, but the payment could not be made. "
            "Please call the hotline."
        ) % {"amount": amount}
    if reward.reason == Reason.REVIEW_REFUSED and reward.note:
        return _("No reward: %(reason)s") % {"reason": reward.note}
    if reward.reason == Reason.QUALIFIED:
        return _("Your report qualifies, but its tier carries no reward.")
    return _("No reward: %(reason)s.") % {"reason": reason_text(reward)}


def _address(reward: Reward) -> tuple[str, str]:
    phone = reward.reporter_phone
    binding = PayeeAccount.objects.filter(phone=phone, provider="wechat").first()
    if binding is not None:
        return Notification.Channel.WECHAT, binding.account
    return Notification.Channel.SMS, phone


def tell_reporter(reward: Reward, at, event: str | None = None) -> None:
    """Queue the reporter's message about the reward's present state (once per state)."""
    if not reward.reporter_phone or reward.appeal.anonymous:
        return
    channel, address = _address(reward)
    event = event or f"citizen.reward_{reward.status}"
    with translation.override(settings.LANGUAGE_CODE):
        summary = citizen_summary(reward)
        reason = reason_text(reward)
    # A key already in the outbox is skipped (this state was told before).
    outbox.add(
        event,
        channel=channel,
        address=address,
        context={
            "number": reward.appeal.number,
            "amount": reward.yuan,
            "status": reward.status,
            "reason": reason,
            "summary": summary,
        },
        subject_ref=reward.appeal.number,
        idempotency_key=f"{reward.appeal.number}:reward:{reward.pk}:{reward.status}",
        now=at,
    )
