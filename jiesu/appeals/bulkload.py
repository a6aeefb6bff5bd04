# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Loading many appeals fast, for benchmarks, capacity tests and analytics at scale.

`load(count)` copies the histories already in the database (normally the demo's simulated ones,
which the real workflow wrote) as many times as needed: each copy gets new ids, a new number in
the day it now falls on, its times moved back by whole weeks (so weekdays and working hours stay
what they were), its references remapped within the copy (assignments, clocks, requests,
notices, visits, merges), a caller of its own in most copies (`reporter_phone`) and its hash
chain recomputed, so `verify_audit` passes on everything
it wrote. Finished histories (closed, rejected, answered, merged) are moved up to `weeks` weeks
back; open ones are copied once at most, where they are, so that the open workload stays what
the simulation left. With no appeals stored yet, it first simulates 500 through
the real workflow (they count towards `count`).

Rows are written with COPY on PostgreSQL and multi-row inserts on SQLite, in batches, each batch
one transaction. On PostgreSQL (outside a transaction) a second thread with a connection of its
own writes each batch while the next is built, so the server indexes one batch while Python
copies the next (ADR 0029). Tracking codes are derived from the number and a seed
(`tracking_code`), so a benchmark can open any loaded appeal's public page without storing codes.

Run it on a database no one else writes to at the same time (ids are taken in blocks).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.utils import timezone

from jiesu import vacuum
from jiesu.appeals import audit, tracking
from jiesu.appeals.models import (
    Appeal,
    AppealNumberSequence,
    Assignment,
    Clock,
    Event,
    ReturnVisit,
    SupervisionNotice,
    UnitRequest,
)
from jiesu.appeals.states import Status

FINISHED = {Status.CLOSED, Status.REJECTED, Status.ANSWERED, Status.MERGED}
# Copied with their appeal, in this order (children after the rows they point to).
CHILDREN = [Assignment, Clock, UnitRequest, SupervisionNotice, ReturnVisit]


def tracking_code(seed: str, number: str) -> str:
    """The query code of a loaded appeal: derived, so benchmarks need not store codes."""
    digest = hmac.new(seed.encode(), number.encode(), hashlib.sha256).digest()
    return "".join(tracking.ALPHABET[b % len(tracking.ALPHABET)] for b in digest[: tracking.LENGTH])


#: The share of copies whose caller is the template's again (repeat callers); the others call
#: from a number of their own.
REPEAT_CALLERS = 0.1


def reporter_phone(seed: str, number: str, template_phone: str) -> str:
    """The caller of a copy: one copy in ten keeps the template's number (repeat callers); the
    others get a mobile number of their own, derived from the copy's number. Copying the few
    hundred simulated callers a million times made every number look like a thousand appeals'
    and led the database to read whole tables for a phone it did not know (caller history,
    search by phone); a city's callers are mostly new."""
    if not template_phone:
        return template_phone  # anonymous stays anonymous
    digest = hmac.new(seed.encode(), b"phone:" + number.encode(), hashlib.sha256).digest()
    if digest[0] < round(256 * REPEAT_CALLERS):
        return template_phone
    return f"1{3 + digest[1] % 7}{int.from_bytes(digest[2:8], 'big') % 10**9:09d}"


@dataclass
class Template:
    appeal: dict
    children: dict[type, list[dict]]
    events: list[dict]
    finished: bool


@dataclass
class Report:
    appeals: int = 0
    events: int = 0
    rows: int = 0
    seconds: float = 0.0
    per_model: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        rate = self.appeals / self.seconds if self.seconds else 0
        return (
            f"Loaded {self.appeals} appeals with {self.events} events ({self.rows} rows in all) "
            f"in {self.seconds:.1f} s ({rate:.0f} appeals/s)."
        )


def _fields(model):
    return list(model._meta.concrete_fields)


def _read_templates(limit: int) -> list[Template]:
    """The first `limit` appeals stored (the workflow's own histories, before any load) and
    the appeals they were merged into."""
    appeals = {row["id"]: row for row in Appeal.objects.order_by("id")[:limit].values()}
    targets = {r["merged_into_id"] for r in appeals.values()} - set(appeals) - {None}
    appeals.update({row["id"]: row for row in Appeal.objects.filter(pk__in=targets).values()})
    if not appeals:
        return []
    children: dict[int, dict[type, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for model in CHILDREN:
        for child in model._default_manager.filter(appeal_id__in=appeals).order_by("id").values():
            children[child["appeal_id"]][model].append(child)
    events: dict[int, list[dict]] = defaultdict(list)
    for row in Event.objects.filter(appeal_id__in=appeals).order_by("appeal_id", "seq").values():
        events[row["appeal_id"]].append(dict(row))
    return [
        Template(dict(row), children[pk], events[pk], row["status"] in FINISHED)
        for pk, row in appeals.items()
    ]


class _Ids:
    """Blocks of primary keys, taken past the current maximum (and the PostgreSQL sequence
    moved past them), so that later ordinary inserts never collide."""

    def __init__(self, model):
        self.model = model
        self.next = (model.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1

    def take(self, n: int) -> int:
        first = self.next
        self.next += n
        return first


def _advance(days: dict[date, int], sequences: dict) -> None:
    """Move the day counters and the id sequences past what was written (in the batch's own
    transaction: a load stopped half-way leaves no number or id that a later filing or load
    would take again)."""
    AppealNumberSequence.objects.bulk_create(
        [AppealNumberSequence(day=day, last=last) for day, last in sorted(days.items())],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["last"],
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model, next_id in sequences.items():
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    [model._meta.db_table, next_id],
                )


class _Writer:
    def __init__(self, model):
        self.model = model
        self.fields = _fields(model)
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        self.json = {f.attname for f in self.fields if isinstance(f, models.JSONField)}
        self.rows: list[tuple] = []

    def take(self) -> list[tuple]:
        rows, self.rows = self.rows, []
        return rows

    def add(self, record: dict):
        row = []
        for name in self.attnames:
            value = record[name]
            if name in self.json:
                value = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
            row.append(value)
        self.rows.append(tuple(row))

    def write(self, rows: list[tuple]) -> None:
        """Write `rows` through this thread's connection."""
        if not rows:
            return
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                prep = [
                    (lambda v, f=f: f.get_db_prep_value(v, connection, prepared=True))
                    if isinstance(f, (models.DateTimeField, models.DateField))
                    else None
                    for f in self.fields
                ]
                marks = ", ".join(["%s"] * len(self.columns))
                sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(
                    sql,
                    [
                        tuple(
                            p(v) if p and v is not None else v
                            for p, v in zip(prep, row, strict=True)
                        )
                        for row in rows
                    ],
                )


class _Batches:
    """Writes each batch in a transaction of its own. In the background (PostgreSQL, outside a
    transaction): one batch at a time in a second thread, on that thread's own connection,
    while the caller builds the next; an error there is raised by the next `submit` or by
    `close`."""

    def __init__(self, background: bool):
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="bulkload") if background else None
        self.pending: Future | None = None

    def submit(self, job: Callable[[], None]) -> None:
        if self.pool is None:
            job()
            return
        self.wait()
        self.pending = self.pool.submit(job)

    def wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()

    def close(self) -> None:
        if self.pool is None:
            return
        try:
            self.wait()
        finally:
            # The thread's own connection (the lambda looks `connection` up in that thread).
            self.pool.submit(lambda: connection.close()).result()
            self.pool.shutdown()


def _shift(record: dict, datetimes: list[str], dates: list[str], delta: timedelta) -> None:
    for name in datetimes:
        if record[name] is not None:
            record[name] = record[name] + delta
    for name in dates:
        if record[name] is not None:
            record[name] = record[name] + delta


def load(
    count: int,
    *,
    weeks: int = 52,
    seed: int = 1,
    batch: int = 5000,
    code_seed: str = "jiesu-bulk",
    templates_wanted: int = 2000,
    progress=None,
) -> Report:
    """Add `count` appeals copied from the appeals already stored. Returns a Report."""
    started = time.perf_counter()
    templates = _read_templates(templates_wanted)
    if not templates:
        # Histories written by the real workflow, to copy from (needs an organisation and a
        # catalogue: `manage.py seed_demo`).
        from jiesu.appeals.simulation import simulate

        try:
            simulate(appeals=min(count, 500), days=60, seed=seed)
        except (LookupError, IndexError, ValueError) as exc:
            raise ValueError(
                "There are no appeals to copy and none could be simulated: run "
                f"`manage.py seed_demo` first ({exc})."
            ) from exc
        templates = _read_templates(templates_wanted)
        count -= len(templates)
        if count <= 0:
            report = Report(appeals=len(templates), seconds=time.perf_counter() - started)
            return report
    by_id = {t.appeal["id"]: t for t in templates}
    # A merged appeal is copied with the appeal it was merged into (one unit), so only those
    # whose target is finished too can be moved back in time.
    finished = _units([t for t in templates if t.finished], by_id)
    open_units = [unit for unit in _units(templates, by_id) if not unit[0].finished]
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not a secret
    prefix = settings.JIESU.get("DISTRICT_PREFIX", "PS")
    counters = {s.day: s.last for s in AppealNumberSequence.objects.all()}
    touched_days: set[date] = set()

    ids = {model: _Ids(model) for model in [Appeal, Event, *CHILDREN]}
    writers = {model: _Writer(model) for model in [Appeal, Event, *CHILDREN]}
    meta = {}
    for model in [Appeal, Event, *CHILDREN]:
        fs = _fields(model)
        meta[model] = (
            [f.attname for f in fs if isinstance(f, models.DateTimeField)],
            [
                f.attname
                for f in fs
                if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField)
            ],
        )
    child_refs = {
        model: [
            (f.attname, f.related_model)
            for f in _fields(model)
            if f.is_relation and f.related_model in (Appeal, *CHILDREN) and f.attname != "id"
        ]
        for model in [Appeal, *CHILDREN]
    }
    report = Report()

    def copy_round(group: list[Template], delta: timedelta):
        """Copy a group of templates together, remapping references inside the group."""
        appeal_ids = {}
        base = ids[Appeal].take(len(group))
        for i, t in enumerate(group):
            appeal_ids[t.appeal["id"]] = base + i
        child_ids: dict[type, dict[int, int]] = {}
        for model in CHILDREN:
            rows = [r for t in group for r in t.children.get(model, [])]
            first = ids[model].take(len(rows))
            child_ids[model] = {r["id"]: first + i for i, r in enumerate(rows)}
        maps = {Appeal: appeal_ids, **child_ids}
        numbers = {}
        copies: dict[int, dict] = {}
        for t in group:
            a = dict(t.appeal)
            a["id"] = appeal_ids[t.appeal["id"]]
            _shift(a, *meta[Appeal], delta)
            day = timezone.localtime(a["received_at"]).date()
            counters[day] = counters.get(day, 0) + 1
            touched_days.add(day)
            a["number"] = f"{prefix}{day:%Y%m%d}{counters[day]:06d}"
            numbers[t.appeal["number"]] = a["number"]
            a["query_code_hash"] = tracking.code_hash(
                a["number"], tracking_code(code_seed, a["number"])
            )
            a["reporter_phone"] = reporter_phone(code_seed, a["number"], a["reporter_phone"])
            for name, related in child_refs[Appeal]:
                if a[name] is not None:
                    a[name] = maps[related][a[name]]
            copies[t.appeal["id"]] = a
        for t in group:
            a = copies[t.appeal["id"]]
            for model in CHILDREN:
                for row in t.children.get(model, []):
                    r = dict(row)
                    r["id"] = maps[model][row["id"]]
                    _shift(r, *meta[model], delta)
                    for name, related in child_refs[model]:
                        if r[name] is not None:
                            r[name] = maps[related][r[name]]
                    writers[model].add(r)
            prev = audit.GENESIS
            first_event = ids[Event].take(len(t.events))
            for i, row in enumerate(t.events):
                e = dict(row)
                e["id"] = first_event + i
                e["appeal_id"] = a["id"]
                e["created_at"] = e["created_at"] + delta
                e["payload"] = _renumber(e["payload"], numbers)
                e["prev_hash"] = prev
                e["hash"] = audit.compute_hash(
                    appeal_id=e["appeal_id"],
                    seq=e["seq"],
                    kind=e["kind"],
                    actor_id=e["actor_id"],
                    actor_label=e["actor_label"],
                    unit_id=e["unit_id"],
                    from_status=e["from_status"],
                    to_status=e["to_status"],
                    payload=e["payload"],
                    created_at=e["created_at"],
                    prev_hash=prev,
                )
                prev = e["hash"]
                writers[Event].add(e)
            a["audit_head"] = prev if t.events else a["audit_head"]
            a["audit_count"] = len(t.events)
            writers[Appeal].add(a)
            report.events += len(t.events)
        report.appeals += len(group)

    batches = _Batches(connection.vendor == "postgresql" and not connection.in_atomic_block)

    def flush():
        taken = [(writers[model], writers[model].take()) for model in [Appeal, *CHILDREN, Event]]
        days = {day: counters[day] for day in touched_days}
        touched_days.clear()
        sequences = {model: model_ids.next for model, model_ids in ids.items()}

        def write():
            with transaction.atomic():
                for writer, rows in taken:
                    writer.write(rows)
                _advance(days, sequences)

        batches.submit(write)
        for writer, rows in taken:
            label = writer.model._meta.label
            report.rows += len(rows)
            report.per_model[label] = report.per_model.get(label, 0) + len(rows)
        if progress:
            progress(report)

    remaining = count
    try:
        # Open histories first, where they are (at most once each).
        group = _fill(open_units, remaining, rng)
        if group:
            copy_round(group, timedelta(0))
            remaining -= len(group)
        pending = 0
        while remaining > 0:
            # Whole weeks back, never into the future, the same shift for a round of templates
            # so that merges and other references inside it stay meaningful.
            week = rng.randint(1, max(1, weeks))
            delta = -timedelta(weeks=week)
            group = _fill(finished, remaining, rng)
            if not group:
                break
            copy_round(group, delta)
            remaining -= len(group)
            pending += len(group)
            if pending >= batch:
                flush()
                pending = 0
        flush()
    finally:
        batches.close()
    report.seconds = time.perf_counter() - started
    return report


def settle() -> bool:
    """Make the loaded tables ready for reads, as after any bulk load (`jiesu.vacuum.settle`:
    VACUUM (ANALYZE) on PostgreSQL, so that counts and lookups read indexes alone; ANALYZE
    inside a transaction and on SQLite). Returns whether they were vacuumed."""
    from jiesu.appeals import textsearch

    tables: list[type[models.Model] | str] = [Appeal, Event, *CHILDREN, AppealNumberSequence]
    if connection.vendor == "postgresql":
        tables.append(textsearch.GRAMS_TABLE)
    return vacuum.settle(tables)


def _renumber(value, numbers: dict[str, str]):
    """Appeal numbers inside an event's payload, replaced by the copies' numbers."""
    if isinstance(value, str):
        return numbers.get(value, value)
    if isinstance(value, list):
        return [_renumber(v, numbers) for v in value]
    if isinstance(value, dict):
        return {k: _renumber(v, numbers) for k, v in value.items()}
    return value


def _units(group: list[Template], by_id: dict) -> list[list[Template]]:
    """The group cut into units copied together: an appeal with the appeals merged into it.
    Merged appeals whose target is not in the group are left out."""
    ids = {t.appeal["id"] for t in group}
    merged: dict[int, list[Template]] = defaultdict(list)
    units = []
    for t in group:
        target = t.appeal.get("merged_into_id")
        if target is None:
            continue
        if target in ids:
            merged[target].append(t)
    for t in group:
        if t.appeal.get("merged_into_id") is None:
            units.append([t, *merged.get(t.appeal["id"], [])])
    return units


def _fill(units: list[list[Template]], n: int, rng: random.Random) -> list[Template]:
    """At most `n` templates made of whole units: all of them when they fit, else a sample."""
    if sum(len(u) for u in units) <= n:
        return [t for u in units for t in u]
    picked: list[Template] = []
    for unit in rng.sample(units, len(units)):
        if len(picked) + len(unit) <= n:
            picked.extend(unit)
            if len(picked) == n:
                break
    return picked
