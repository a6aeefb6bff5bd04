# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Writing to the outbox. Call inside the transaction that makes the decision.

In-app messages are "delivered" by being visible to their recipients (`jiesu.notify.inbox`):
they are written `sent` at once. Every other channel is written `pending`, due at once, for
`jiesu.notify.delivery.deliver_due` to send.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from jiesu.notify.models import Notification


def _row(
    event: str,
    *,
    channel: str = Notification.Channel.IN_APP,
    user=None,
    unit=None,
    address: str = "",
    context: dict | None = None,
    subject_ref: str = "",
    idempotency_key: str,
    language: str = "zh-hans",
    now=None,
) -> Notification:
    """An unsaved outbox row, its recipient checked."""
    if user is None and unit is None and not address:
        raise ValueError("A notification needs a recipient (user, unit or address).")
    if channel not in Notification.Channel.values:
        raise ValueError(f"Unknown notification channel {channel!r}.")
    if channel == Notification.Channel.IN_APP and user is None and unit is None:
        raise ValueError("An in-app notification goes to a staff member or a unit.")
    now = now or timezone.now()
    in_app = channel == Notification.Channel.IN_APP
    return Notification(
        event=event,
        channel=channel,
        recipient_user=user,
        recipient_unit=unit,
        recipient_address=address,
        context=context or {},
        subject_ref=subject_ref,
        idempotency_key=idempotency_key,
        language=language,
        created_at=now,
        status=Notification.Status.SENT if in_app else Notification.Status.PENDING,
        sent_at=now if in_app else None,
        next_attempt_at=None if in_app else now,
    )


def enqueue(event: str, *, idempotency_key: str, **fields) -> Notification:
    """Add a message to the outbox, once: a second call with the same key returns the first row.

    Fields: channel (in-app by default), user, unit or address (the recipient), context,
    subject_ref, language (zh-hans by default), now."""
    row = _row(event, idempotency_key=idempotency_key, **fields)
    existing = Notification.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            return row
    except IntegrityError:
        return Notification.objects.get(idempotency_key=idempotency_key)


def add(event: str, *, idempotency_key: str, **fields) -> None:
    """`enqueue` for a caller that does not need the row: one statement (a key already in the
    outbox is skipped), where `enqueue` reads the row back."""
    enqueue_many([{"event": event, "idempotency_key": idempotency_key, **fields}])


def enqueue_many(messages: list[dict]) -> int:
    """Add many messages in one statement (work done in batches, e.g. the SLA sweep). Each item
    holds `enqueue`'s arguments, `event` included. A key already in the outbox is skipped, as
    `enqueue` would. Returns how many items were given."""
    rows = [_row(**message) for message in messages]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
