# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The payout worker: claim due payouts, ask the provider, record the outcome exactly once.

The guarantees (ADR docs/adr/0013-rewards-ledger.md) and how they are kept:

- **Never lost.** The `Payout` row is written in the transaction of the decision; it stays
  until it is `paid` or given up (`dead`, its reservation released).
- **One worker per row.** Claiming is one short transaction (PostgreSQL: `SELECT … FOR UPDATE
  SKIP LOCKED`; SQLite: IMMEDIATE transactions), and the claiming UPDATE repeats the due
  condition, so a row is never claimed twice at once. The claim has a token and a lease: a
  worker that died leaves its row `sending`; once the lease has run out another worker claims it.
- **Never paid twice.** Every attempt of a payout uses the same request id, and the provider is
  idempotent on it. A retry, or a worker taking over a dead worker's row, first *asks* the
  provider what became of the request id (`query`) and adopts the answer; it sends only when
  the provider has no record. The ledger's payout transaction has the key `pay:<reward>`: it can
  be posted once, whatever two workers do.
- **Never given up while unsure.** A payout is given up (its reservation released) only when
  the provider has definitely refused it, or when after MAX_ATTEMPTS attempts the provider says
  it has no record of the request id. While the provider cannot be asked, the worker keeps
  retrying with backoff.
- **Retries with backoff**: BACKOFF seconds after the 1st, 2nd, … failed attempt. A transfer
  the provider accepted but has not finished (`accepted`) is queried again every POLL seconds.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from jiesu.rewards import conf, decisions, ledger
from jiesu.rewards.models import Payout, Reason, Reward
from jiesu.rewards.providers import (
    FAILED,
    PROCESSING,
    SUCCESS,
    ProviderError,
    Result,
    Transfer,
    get_provider,
)

logger = logging.getLogger(__name__)
S = Payout.Status
COUNT_KEYS = ("claimed", "paid", "accepted", "failed", "dead", "lost")


class _Clock:
    def __init__(self, now=None):
        self.start, self.started = now, time.monotonic()

    def __call__(self):
        if self.start is None:
            return timezone.now()
        return self.start + timedelta(seconds=time.monotonic() - self.started)


def _due(now, cfg) -> Q:
    lease_cutoff = now - timedelta(seconds=float(cfg["LEASE"]))
    waiting = Q(status__in=[S.PENDING, S.FAILED, S.ACCEPTED]) & (
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True)
    )
    abandoned = Q(status=S.SENDING) & (Q(claimed_at__lte=lease_cutoff) | Q(claimed_at__isnull=True))
    return waiting | abandoned


def pay_due(now=None, batch: int | None = None, *, ids=None) -> dict:
    """Pay up to `batch` due payouts; return counts. Safe in several processes at once."""
    cfg = conf.config()
    clock = _Clock(now)
    counts = Counter(dict.fromkeys(COUNT_KEYS, 0))
    token = uuid.uuid4().hex
    rows = _claim(clock, int(batch or cfg["BATCH"]), cfg, token, counts, ids)
    for row, was in rows:
        _pay_one(row, was, token, clock, cfg, counts)
    return dict(counts)


def _claim(clock, batch, cfg, token, counts, ids):
    now = clock()
    due = _due(now, cfg)
    with transaction.atomic():
        candidates = Payout.objects.filter(due)
        if ids is not None:
            candidates = candidates.filter(pk__in=list(ids))
        candidates = candidates.order_by(F("next_attempt_at").asc(nulls_first=True), "id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        found = list(candidates.values_list("id", "status")[:batch])
        if not found:
            return []
        was = dict(found)
        polls = [pk for pk, status in found if status == S.ACCEPTED]
        others = [pk for pk, status in found if status != S.ACCEPTED]
        claimed = 0
        if polls:  # a status query of an accepted transfer is not a new attempt
            claimed += Payout.objects.filter(due, pk__in=polls).update(
                status=S.SENDING, claim_token=token, claimed_at=now
            )
        if others:
            claimed += Payout.objects.filter(due, pk__in=others).update(
                status=S.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
            )
    counts["claimed"] += claimed
    rows = Payout.objects.filter(claim_token=token, status=S.SENDING).select_related(
        "reward__appeal", "reward__programme"
    )
    return [(row, was.get(row.pk)) for row in rows.order_by("id")]


def _ask(provider, row: Payout, was: str) -> Result:
    """Query first whenever an earlier attempt may have reached the provider; send only when
    the provider has no record of the request id."""
    if was in (S.ACCEPTED, S.SENDING, S.FAILED) or row.attempts > 1:
        found = provider.query(row.request_id)
        if found is not None:
            return found
        if was == S.ACCEPTED:
            raise ProviderError("The provider no longer knows a transfer it had accepted.")
    return provider.transfer(
        Transfer(
            request_id=row.request_id,
            amount_fen=row.amount_fen,
            phone=row.phone,
            remark=row.reward.appeal.number,
        )
    )


def _pay_one(row: Payout, was: str, token: str, clock, cfg, counts) -> None:
    mine = Payout.objects.filter(pk=row.pk, claim_token=token, status=S.SENDING)
    if not mine.update(claimed_at=clock()):
        counts["lost"] += 1
        return
    try:
        provider = get_provider(cfg, row.provider)
        result = _ask(provider, row, was)
    except ProviderError as e:
        _failed_attempt(row, mine, token, clock, cfg, counts, str(e))
        return
    except ImproperlyConfigured as e:
        _failed_attempt(row, mine, token, clock, cfg, counts, f"Configuration: {e}", give_up=False)
        return
    except Exception as e:  # a bug: recorded, retried
        logger.exception("Payout %s failed", row.pk)
        _failed_attempt(
            row, mine, token, clock, cfg, counts, f"{type(e).__name__}: {e}", give_up=False
        )
        return
    _record(row, mine, result, clock, cfg, counts)
    # A worker killed anywhere above leaves the row `sending`: after the lease, the next worker
    # queries the provider first and records what it says.


def _record(row: Payout, mine, result: Result, clock, cfg, counts) -> None:
    now = clock()
    if result.state == SUCCESS:
        with transaction.atomic():
            if not mine.update(
                status=S.PAID,
                paid_at=now,
                claim_token="",
                claimed_at=None,
                next_attempt_at=None,
                last_error="",
                provider_ref=result.reference[:64],
            ):
                counts["lost"] += 1  # another worker took the row over; it records the outcome
                return
            reward = Reward.objects.select_for_update().get(pk=row.reward_id)
            ledger.record_payout(reward, at=now)
            reward.status, reward.paid_at = Reward.Status.PAID, now
            reward.save(update_fields=["status", "paid_at"])
            decisions.tell_reporter(reward, now)
        counts["paid"] += 1
    elif result.state == PROCESSING:
        recorded = mine.update(
            status=S.ACCEPTED,
            claim_token="",
            claimed_at=None,
            next_attempt_at=now + timedelta(seconds=float(cfg["POLL"])),
            provider_ref=result.reference[:64],
            last_error="",
        )
        counts["accepted" if recorded else "lost"] += 1
    elif result.state == FAILED:
        _give_up(row, mine, now, counts, f"Refused by the provider: {result.reason}")
    else:
        raise ValueError(f"Unknown provider state {result.state!r}")


def _give_up(row, mine, now, counts, error: str) -> None:
    with transaction.atomic():
        if not mine.update(
            status=S.DEAD, claim_token="", claimed_at=None, next_attempt_at=None, last_error=error
        ):
            counts["lost"] += 1
            return
        reward = Reward.objects.select_for_update().get(pk=row.reward_id)
        ledger.release(reward, at=now, memo=f"{reward.appeal.number}: {error}"[:200])
        reward.status, reward.reason, reward.note = (
            Reward.Status.FAILED,
            Reason.PAYOUT_FAILED,
            error[:500],
        )
        reward.save(update_fields=["status", "reason", "note"])
        decisions.tell_reporter(reward, now)
    counts["dead"] += 1
    logger.warning("Payout %s given up: %s", row.pk, error)


def _failed_attempt(row, mine, token, clock, cfg, counts, error: str, give_up=True) -> None:
    now = clock()
    if give_up and row.attempts >= int(cfg["MAX_ATTEMPTS"]):
        # Give up only if the provider can say it has no record of the request id.
        try:
            found = get_provider(cfg, row.provider).query(row.request_id)
        except (ProviderError, ImproperlyConfigured) as e:
            error = f"{error}; cannot give up while the provider cannot be asked ({e})"
        else:
            if found is None:
                _give_up(row, mine, now, counts, f"Given up after {row.attempts} attempts: {error}")
                return
            _record(row, mine, found, clock, cfg, counts)
            return
    recorded = mine.update(
        status=S.FAILED,
        claim_token="",
        claimed_at=None,
        next_attempt_at=now + conf.backoff(row.attempts, cfg["BACKOFF"]),
        last_error=f"Attempt {row.attempts}: {error}"[:2000],
    )
    counts["failed" if recorded else "lost"] += 1
    logger.info("Payout %s failed (attempt %s): %s", row.pk, row.attempts, error)
