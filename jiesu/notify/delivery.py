# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Delivering the outbox: claim due rows, send each through its adapter, record the outcome.

The guarantees (ADR 0003) and how they are kept:

- **Nothing is lost.** A row is written in the transaction of the decision and stays in the
  table until it is `sent` or given up (`dead`, visible in the admin, retried from there).
  A worker claims rows by setting them `sending` with its own claim token; if it dies before it
  records the outcome, the row stays `sending`, and once its lease (LEASE seconds since the
  worker last confirmed its claim) has expired the next run claims it again.
- **One worker per row.** Claiming is one short transaction: on PostgreSQL
  `SELECT … FOR UPDATE SKIP LOCKED` (concurrent workers take different rows and never wait on
  each other); on SQLite the transaction is IMMEDIATE, so claims are serialised. In both the
  claiming UPDATE repeats the due condition, so a row already claimed by someone else is never
  claimed twice, whatever the isolation. Just before sending, the worker renews its claim; if the
  claim is no longer its own (its lease ran out and another worker took the row over), it leaves
  the row alone.
- **No visible duplicates.** Sending happens outside any transaction (a slow receiver never
  holds a lock), so a crash can happen after the receiver took the message and before the row
  says `sent`: the message is then sent again, with the same idempotency key. Every adapter
  passes the key to the receiver (SMS OutId, WeChat client_msg_id, webhook Idempotency-Key,
  e-mail Message-ID), which recognises the second copy as the first.
- **Retries with backoff.** A failed attempt sets `failed` with the error in `last_error` and
  the next attempt after BACKOFF (1 min, 5 min, 30 min, 2 h, 12 h by default); after
  MAX_ATTEMPTS attempts, or at once after a permanent error, the row is `dead`. A worker lost
  during an attempt counts as a failed attempt.
"""

import logging
import time
import uuid
from collections import Counter
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from jiesu.notify import conf, rendering
from jiesu.notify.adapters import DeliveryError, Message, get_adapter
from jiesu.notify.models import Notification

logger = logging.getLogger(__name__)

S = Notification.Status
COUNT_KEYS = ("claimed", "reclaimed", "sent", "failed", "dead", "lost")
LOST_WORKER = (
    "The worker delivering this message stopped during attempt {attempts} (its lease expired)."
)


class _Clock:
    """Now, advancing in real time: from `now` when given (tests, replays), else the real clock."""

    def __init__(self, now=None):
        self.start = now
        self.started = time.monotonic()

    def __call__(self):
        if self.start is None:
            return timezone.now()
        return self.start + timedelta(seconds=time.monotonic() - self.started)


def deliver_due(now=None, batch: int | None = None, *, ids=None) -> dict:
    """Deliver up to `batch` due messages; return counts of what happened.

    Due: `pending` or `failed` with `next_attempt_at <= now`, and `sending` rows whose lease has
    expired. `ids` limits the run to those rows (used by `send_test_notification`).
    Safe to run in several processes at once.
    """
    cfg = conf.config()
    clock = _Clock(now)
    batch = batch or cfg["BATCH"]
    counts = Counter(dict.fromkeys(COUNT_KEYS, 0))
    token = uuid.uuid4().hex
    rows = _claim(clock, batch, cfg, token, counts, ids)
    for row in rows:
        _deliver_one(row, token, clock, cfg, counts)
    return dict(counts)


def _due(now, cfg) -> Q:
    lease_cutoff = now - timedelta(seconds=cfg["LEASE"])
    waiting = Q(status__in=[S.PENDING, S.FAILED]) & (
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True)
    )
    abandoned = Q(status=S.SENDING) & (Q(claimed_at__lte=lease_cutoff) | Q(claimed_at__isnull=True))
    return waiting | abandoned


def _claim(clock, batch, cfg, token, counts, ids) -> list[Notification]:
    now = clock()
    due = _due(now, cfg)
    max_attempts = int(cfg["MAX_ATTEMPTS"])
    with transaction.atomic():
        candidates = Notification.objects.filter(due)
        if ids is not None:
            candidates = candidates.filter(pk__in=list(ids))
        candidates = candidates.order_by(F("next_attempt_at").asc(nulls_first=True), "id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        found = list(candidates.values_list("id", "status", "attempts")[:batch])
        if not found:
            return []
        abandoned = [pk for pk, status, _ in found if status == S.SENDING]
        exhausted = {
            pk: attempts
            for pk, status, attempts in found
            if status == S.SENDING and attempts >= max_attempts
        }
        for pk, attempts in exhausted.items():
            # The lost attempt was the last one allowed: give up (the admin can retry).
            counts["dead"] += Notification.objects.filter(due, pk=pk).update(
                status=S.DEAD,
                claim_token="",
                claimed_at=None,
                next_attempt_at=None,
                last_error=LOST_WORKER.format(attempts=attempts) + " Given up.",
            )
        to_claim = [pk for pk, _, _ in found if pk not in exhausted]
        claimed = Notification.objects.filter(due, pk__in=to_claim).update(
            status=S.SENDING,
            claim_token=token,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    counts["claimed"] += claimed
    rows = list(
        Notification.objects.filter(claim_token=token, status=S.SENDING)
        .select_related("recipient_user", "recipient_unit")
        .order_by("id")
    )
    counts["reclaimed"] += sum(1 for row in rows if row.pk in abandoned)
    for row in rows:
        if row.pk in abandoned:
            logger.warning("Notification %s: worker lost during an attempt; retrying", row.pk)
    return rows


def _deliver_one(row: Notification, token: str, clock, cfg, counts) -> None:
    mine = Notification.objects.filter(pk=row.pk, claim_token=token, status=S.SENDING)
    try:
        fresh_render = not row.body
        if fresh_render:
            rendered = rendering.render(row)
            row.subject, row.body, row.template = (
                rendered.subject[:255],
                rendered.body,
                rendered.template,
            )
        # Renew the claim (and keep the text, so that a retry sends exactly this).
        renewed = mine.update(
            claimed_at=clock(),
            **(
                {"subject": row.subject, "body": row.body, "template": row.template}
                if fresh_render
                else {}
            ),
        )
        if not renewed:
            # The lease ran out while earlier rows of the batch were sent, and another worker
            # took this one over: it is theirs now.
            counts["lost"] += 1
            return
        if row.channel == Notification.Channel.IN_APP:
            reference = ""  # visible in the console as soon as it is sent
        else:
            adapter = get_adapter(row.channel, cfg)
            reference = adapter.send(message_for(row))
    except DeliveryError as e:
        _record_failure(row, mine, clock, cfg, counts, str(e), permanent=e.permanent)
    except ImproperlyConfigured as e:
        _record_failure(row, mine, clock, cfg, counts, f"Configuration: {e}")
    except Exception as e:  # a bug or a broken template: record it, retry later
        logger.exception("Notification %s: delivery failed", row.pk)
        _record_failure(row, mine, clock, cfg, counts, f"{type(e).__name__}: {e}")
    else:
        recorded = mine.update(
            status=S.SENT,
            sent_at=clock(),
            claim_token="",
            claimed_at=None,
            next_attempt_at=None,
            last_error="",
            provider_ref=(reference or "")[:128],
        )
        # Not recorded: the send outlasted the lease and another worker took the row over; it
        # sends it again with the same key, and records the outcome itself.
        counts["sent" if recorded else "lost"] += 1
    # KeyboardInterrupt, SystemExit and a killed process leave the row `sending`: it is
    # claimed again once its lease has expired, and re-sent with the same idempotency key.


def _record_failure(row, mine, clock, cfg, counts, error: str, permanent: bool = False) -> None:
    now = clock()
    give_up = permanent or row.attempts >= int(cfg["MAX_ATTEMPTS"])
    if give_up:
        prefix = "Permanent error" if permanent else f"Given up after {row.attempts} attempts"
        recorded = mine.update(
            status=S.DEAD,
            claim_token="",
            claimed_at=None,
            next_attempt_at=None,
            last_error=f"{prefix}: {error}",
        )
        counts["dead" if recorded else "lost"] += 1
        logger.warning("Notification %s given up: %s", row.pk, error)
    else:
        recorded = mine.update(
            status=S.FAILED,
            claim_token="",
            claimed_at=None,
            next_attempt_at=now + conf.backoff(row.attempts, cfg["BACKOFF"]),
            last_error=f"Attempt {row.attempts}: {error}",
        )
        counts["failed" if recorded else "lost"] += 1
        logger.info("Notification %s failed (attempt %s): %s", row.pk, row.attempts, error)


def address_for(row: Notification) -> str:
    """Where the message goes: the row's address, else the staff member's or unit's own."""
    if row.recipient_address:
        return row.recipient_address
    user, unit = row.recipient_user, row.recipient_unit
    if row.channel == Notification.Channel.SMS:
        if user is not None and user.phone:
            return user.phone
        if unit is not None and unit.phone:
            return unit.phone
    if row.channel == Notification.Channel.EMAIL and user is not None and user.email:
        return user.email
    if row.channel in (
        Notification.Channel.SMS,
        Notification.Channel.EMAIL,
        Notification.Channel.WECHAT,
    ):
        raise DeliveryError(f"No {row.channel} address for {row.recipient_label}.", permanent=True)
    return ""


def message_for(row: Notification) -> Message:
    return Message(
        key=row.idempotency_key,
        event=row.event,
        channel=row.channel,
        address=address_for(row),
        subject=row.subject,
        body=row.body,
        context=row.context or {},
        language=row.language,
        subject_ref=row.subject_ref,
        created_at=row.created_at,
    )


def retry_now(queryset, now=None) -> int:
    """Make failed and dead rows due at once (the admin's "retry now"); return how many.

    A dead row starts a fresh series of attempts (someone fixed what was wrong). Its text is
    rendered again from the current templates at the next attempt.
    """
    now = now or timezone.now()
    rows = queryset.filter(status__in=[S.FAILED, S.DEAD]).exclude(
        channel=Notification.Channel.IN_APP
    )
    with transaction.atomic():
        dead = list(rows.filter(status=S.DEAD).values_list("pk", flat=True))
        failed = list(rows.filter(status=S.FAILED).values_list("pk", flat=True))
        fresh = {"status": S.PENDING, "next_attempt_at": now, "subject": "", "body": ""}
        count = Notification.objects.filter(pk__in=dead, status=S.DEAD).update(
            attempts=0, template="", **fresh
        )
        count += Notification.objects.filter(pk__in=failed, status=S.FAILED).update(
            template="", **fresh
        )
    return count
