# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The hash-chained history of each appeal 全程留痕.

Each appeal has its own chain (ADR 0005): event n stores the hash of event n-1, and the appeal
row stores the hash and count of its last event, so that removing the newest events is caught as
surely as editing an old one. Events are only ever appended while the appeal row is locked by the
transition that writes them, so chains never fork.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.core.serializers.json import DjangoJSONEncoder

from jiesu import rowinsert
from jiesu.appeals.models import Appeal, Event

GENESIS = ""


def normalise_payload(payload: dict | None) -> dict:
    """The payload exactly as it will read back from the JSON column."""
    return json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder, ensure_ascii=False))


def compute_hash(
    *,
    appeal_id,
    seq,
    kind,
    actor_id,
    actor_label,
    unit_id,
    from_status,
    to_status,
    payload,
    created_at,
    prev_hash,
) -> str:
    body = {
        "appeal": appeal_id,
        "seq": seq,
        "kind": kind,
        "actor": actor_id,
        "actor_label": actor_label,
        "unit": unit_id,
        "from": from_status,
        "to": to_status,
        "payload": payload,
        "at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "prev": prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def event_hash(event: Event) -> str:
    return compute_hash(
        appeal_id=event.appeal_id,
        seq=event.seq,
        kind=event.kind,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        unit_id=event.unit_id,
        from_status=event.from_status,
        to_status=event.to_status,
        payload=event.payload,
        created_at=event.created_at,
        prev_hash=event.prev_hash,
    )


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    unit = getattr(actor, "unit", None)
    name = getattr(actor, "full_name", "") or actor.get_username()
    label = f"{name} ({actor.get_username()}){' @ ' + unit.name if unit else ''}"
    # Cut to the column, as hashed and stored alike (PostgreSQL refuses longer values).
    return label[: Event._meta.get_field("actor_label").max_length]


def _chained(
    appeal: Appeal,
    kind: str,
    *,
    actor=None,
    at,
    from_status: str = "",
    to_status: str = "",
    payload: dict | None = None,
    unit=None,
    label: str | None = None,
) -> Event:
    """The next event of the appeal's chain, unsaved; the appeal's head moves on in memory."""
    event = Event(
        appeal=appeal,
        seq=appeal.audit_count + 1,
        kind=kind,
        actor=actor,
        actor_label=label or actor_label(actor),
        unit=unit,
        from_status=from_status,
        to_status=to_status,
        payload=normalise_payload(payload),
        created_at=at,
        prev_hash=appeal.audit_head or GENESIS,
    )
    event.hash = event_hash(event)
    appeal.audit_head = event.hash
    appeal.audit_count = event.seq
    return event


def append_many(entries: list[tuple[Appeal, str, dict]]) -> list[Event]:
    """Append events, in order, in a fixed number of statements (one insert for the events,
    one update for the appeals' heads), however many there are.

    Each entry is (appeal, kind, `append`'s keyword arguments); one appeal may appear several
    times (its events chain in the given order) but always as the same object. The caller holds
    the appeals' row locks. `appeal.audit_head` and `audit_count` move on in memory and in the
    database; if writing fails, they are as they were in memory too."""
    before = {id(appeal): (appeal, appeal.audit_head, appeal.audit_count) for appeal, *_ in entries}
    try:
        events = [_chained(appeal, kind, **fields) for appeal, kind, fields in entries]
        if events:
            if len(events) == 1:
                rowinsert.insert(events[0])
            else:
                Event.objects.bulk_create(events)
            appeals = [appeal for appeal, *_ in before.values()]
            if len(appeals) == 1:  # the usual case: a plain UPDATE costs far less to build
                Appeal.objects.filter(pk=appeals[0].pk).update(
                    audit_head=appeals[0].audit_head, audit_count=appeals[0].audit_count
                )
            else:
                Appeal.objects.bulk_update(appeals, ["audit_head", "audit_count"])
    except BaseException:
        for appeal, head, count in before.values():
            appeal.audit_head, appeal.audit_count = head, count
        raise
    return events


def _with_event(appeal: Appeal, kind: str, fields: dict, write_appeal) -> Event:
    """Chain the event, write the appeal's row (head and count with it), insert the event; if
    writing fails, the head and count are as they were in memory too."""
    head, count = appeal.audit_head, appeal.audit_count
    try:
        event = _chained(appeal, kind, **fields)
        write_appeal(appeal)
        rowinsert.insert(event)
    except BaseException:
        appeal.audit_head, appeal.audit_count = head, count
        raise
    return event


def save_with_event(appeal: Appeal, kind: str, **fields) -> Event:
    """Save the appeal (every field) and append one event to its chain, in two statements: the
    new head and count go out with the rest of the row, then the event is inserted. For a
    transition, which changes the row anyway; `append`'s fields. The caller holds the appeal's
    row lock. If writing fails, the head and count are as they were in memory too."""
    return _with_event(appeal, kind, fields, lambda a: a.save())


def insert_with_first_event(appeal: Appeal, kind: str, **fields) -> Event:
    """Insert a new appeal (without an id: SQLite) and the first event of its chain
    (`append`'s fields): the appeal, then the event, then its head (three statements)."""
    rowinsert.insert(appeal)
    return append(appeal, kind, **fields)


def first_event(appeal: Appeal, kind: str, event_id: int, **fields) -> Event:
    """The first event of a new appeal whose id is already drawn (`numbering.ids`): hashed,
    the head set on the appeal in memory (it goes out with the appeal's row), and the event
    inserted (held in an open `rowinsert.batched()` block; its foreign key to the appeal is
    checked at the commit, so it may precede the appeal's row)."""
    event = _chained(appeal, kind, **fields)
    event.id = event_id
    rowinsert.insert(event)
    return event


def append(appeal: Appeal, kind: str, **fields) -> Event:
    """Append one event to the appeal's chain. The caller holds the appeal's row lock.

    Fields: at (required), actor, from_status, to_status, payload, unit, label (the actor as
    recorded; by default from the actor, "system" without one). Updates `appeal.audit_head`
    and `audit_count` in memory and in the database.
    """
    return append_many([(appeal, kind, fields)])[0]


@dataclass
class Problem:
    appeal_number: str
    event_id: int | None
    seq: int | None
    reason: str

    def __str__(self):
        where = f"event {self.event_id} (#{self.seq})" if self.event_id else "chain head"
        return f"{self.appeal_number}: {where}: {self.reason}"


def verify_appeal(appeal: Appeal, events=None) -> Problem | None:
    """The first problem in one appeal's chain, or None when it verifies."""
    events = list(events if events is not None else appeal.events.order_by("seq", "id"))
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            return Problem(
                appeal.number,
                event.id,
                event.seq,
                f"sequence {event.seq} where {expected_seq} was expected "
                "(an event was removed or inserted)",
            )
        if event.prev_hash != prev:
            return Problem(
                appeal.number, event.id, event.seq, "does not link to the event before it"
            )
        if event_hash(event) != event.hash:
            return Problem(
                appeal.number, event.id, event.seq, "content does not match its hash (altered)"
            )
        prev = event.hash
    if len(events) != appeal.audit_count or prev != (appeal.audit_head or GENESIS):
        return Problem(
            appeal.number,
            None,
            None,
            f"the appeal records {appeal.audit_count} events ending in "
            f"{(appeal.audit_head or '-')[:12]}, the history has {len(events)} ending in "
            f"{(prev or '-')[:12]} (events removed or added)",
        )
    return None


def verify_all(batch_size: int = 500):
    """Yield (appeals checked so far, problem or None) over every appeal, in id order."""
    last_id = 0
    checked = 0
    while True:
        appeals = list(Appeal.objects.filter(pk__gt=last_id).order_by("pk")[:batch_size])
        if not appeals:
            return
        by_appeal: dict[int, list[Event]] = {a.pk: [] for a in appeals}
        for event in Event.objects.filter(appeal_id__in=by_appeal).order_by(
            "appeal_id", "seq", "id"
        ):
            by_appeal[event.appeal_id].append(event)
        for appeal in appeals:
            checked += 1
            yield checked, verify_appeal(appeal, by_appeal[appeal.pk])
        last_id = appeals[-1].pk
    # Events pointing at no appeal cannot exist (foreign key), so the walk is complete.
