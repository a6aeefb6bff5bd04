# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Keeping the stored facts current: `catch_up()` after changes, `rebuild()` from scratch.

The `appeal_event` hook queues every changed appeal (`ChangedAppeal`, in the transaction of the
change). `catch_up` takes the queue, recomputes each appeal's parts (`facts.parts_for`) and adds
the difference between the new and the old parts to the daily figures, so that the figures stay
exactly the sum of the parts. It runs in the worker every minute (`tasks.refresh_facts`) and
before every KPI read, so a page never shows figures older than the last committed change.
Refreshes take turns on one lock row; an appeal is claimed by deleting its queue row, so a
change committed while a refresh runs is queued again and taken by the next one.

`rebuild` recomputes everything (after a bulk load that bypassed the workflow, or to check).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from django.db import connection, transaction
from django.utils import timezone

from jiesu.insights import facts
from jiesu.insights.models import COUNTERS, AppealPart, ChangedAppeal, DailyFigure, RefreshLock

D = DailyFigure.Dimension
# Which Part attribute keys each dimension of the daily figures.
DIMENSION_FIELDS = {
    D.UNIT: "unit_id",
    D.CATEGORY: "category_id",
    D.CHANNEL: "channel",
    D.REGION: "region_id",
    D.TYPE: "appeal_type_id",
    D.GRADE: "grade_id",
}
BATCH = 500


def _key(value) -> str:
    return "" if value is None else str(value)


def figures_of(parts) -> dict[tuple, tuple[Counter, Counter]]:
    """The parts summed per (dimension, day, key): counters and the working-hours histogram."""
    out: dict[tuple, tuple[Counter, Counter]] = defaultdict(lambda: (Counter(), Counter()))
    for part in parts:
        keys = [(D.ALL, part.day, "")]
        keys += [(dim, part.day, _key(getattr(part, f))) for dim, f in DIMENSION_FIELDS.items()]
        for key in keys:
            counters, hours = out[key]
            counters.update(part.counters)
            if part.handled_hours is not None and part.counters["handled"]:
                hours[str(part.handled_hours)] += 1
    return out


def _stored_parts(appeal_ids) -> dict[int, list[facts.Part]]:
    out = defaultdict(list)
    for row in AppealPart.objects.filter(appeal_id__in=appeal_ids):
        out[row.appeal_id].append(
            facts.Part(
                row.appeal_id,
                row.unit_id,
                row.main,
                row.day,
                row.category_id,
                row.channel,
                row.region_id,
                row.appeal_type_id,
                row.grade_id,
                {name: getattr(row, name) for name in COUNTERS},
                row.handled_hours,
            )
        )
    return out


# A part's own fields as AppealPart stores them (its counters follow, one column each).
PART_FIELDS = (
    "appeal_id",
    "unit_id",
    "main",
    "day",
    "category_id",
    "channel",
    "region_id",
    "appeal_type_id",
    "grade_id",
    "handled_hours",
)
PART_COLUMNS = (*PART_FIELDS, *COUNTERS)


def _write_parts(parts) -> None:
    """Store these parts: with COPY on PostgreSQL (a rebuild writes a million rows or more),
    else as model rows."""
    if not parts:
        return
    if connection.vendor != "postgresql":
        AppealPart.objects.bulk_create([_part_row(p) for p in parts], batch_size=BATCH)
        return
    meta = AppealPart._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(meta.get_field(name).column) for name in PART_COLUMNS)
    sql = f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for part in parts:
            counters = part.counters
            copy.write_row(
                [getattr(part, name) for name in PART_FIELDS]
                + [counters[name] for name in COUNTERS]
            )


def _part_row(part: facts.Part) -> AppealPart:
    return AppealPart(**{name: getattr(part, name) for name in PART_FIELDS}, **part.counters)


def _apply(delta: dict[tuple, tuple[Counter, Counter]]):
    """Add the differences to the daily figures (rows in a fixed order)."""
    for dim, day, key in sorted(delta, key=lambda k: (str(k[0]), k[1], k[2])):
        counters, hours = delta[(dim, day, key)]
        if not any(counters.values()) and not any(hours.values()):
            continue
        row = DailyFigure.objects.filter(dimension=dim, day=day, key=key).first()
        if row is None:
            row = DailyFigure(dimension=dim, day=day, key=key, hours={})
        for name, value in counters.items():
            setattr(row, name, getattr(row, name) + value)
        merged = Counter(row.hours or {})
        merged.update(hours)
        row.hours = {h: n for h, n in sorted(merged.items(), key=lambda i: int(i[0])) if n}
        if all(getattr(row, name) == 0 for name in COUNTERS) and not row.hours:
            if row.pk:
                row.delete()
            continue
        row.save()


def _difference(new, old):
    delta = defaultdict(lambda: (Counter(), Counter()))
    for key, (counters, hours) in new.items():
        delta[key][0].update(counters)
        delta[key][1].update(hours)
    for key, (counters, hours) in old.items():
        delta[key][0].subtract(counters)
        delta[key][1].subtract(hours)
    return delta


def refresh_appeals(appeal_ids) -> int:
    """Recompute these appeals' parts and move the daily figures by the difference.
    Call inside a transaction holding the refresh lock."""
    ids = sorted(set(appeal_ids))
    if not ids:
        return 0
    from jiesu.appeals.models import Appeal

    # Wait for any transition still writing these appeals, then read what it committed.
    list(Appeal.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
    old = _stored_parts(ids)
    new = facts.parts_for(ids)
    old_parts = [p for pk in ids for p in old.get(pk, [])]
    new_parts = [p for pk in ids for p in new.get(pk, [])]
    _apply(_difference(figures_of(new_parts), figures_of(old_parts)))
    AppealPart.objects.filter(appeal_id__in=ids).delete()
    _write_parts(new_parts)
    return len(ids)


def _take_lock():
    RefreshLock.objects.get_or_create(pk=1)
    return RefreshLock.objects.select_for_update().get(pk=1)


def catch_up(limit: int | None = None) -> int:
    """Refresh every queued appeal (or up to `limit`); returns how many were refreshed."""
    done = 0
    while limit is None or done < limit:
        with transaction.atomic():
            lock = _take_lock()
            size = BATCH if limit is None else min(BATCH, limit - done)
            ids = list(
                ChangedAppeal.objects.order_by("appeal_id").values_list("appeal_id", flat=True)[
                    :size
                ]
            )
            if not ids:
                return done
            ChangedAppeal.objects.filter(appeal_id__in=ids).delete()
            refresh_appeals(ids)
            lock.refreshed_at = timezone.now()
            lock.save(update_fields=["refreshed_at"])
            done += len(ids)
    return done


def pending() -> int:
    return ChangedAppeal.objects.count()


def rebuild(batch: int = 2000, progress=None) -> int:
    """Recompute every part and every daily figure from the stored appeals."""
    from jiesu.appeals.models import Appeal

    with transaction.atomic():
        lock = _take_lock()
        ChangedAppeal.objects.all().delete()
        AppealPart.objects.all().delete()
        DailyFigure.objects.all().delete()
        totals: dict[tuple, tuple[Counter, Counter]] = defaultdict(lambda: (Counter(), Counter()))
        done = 0
        last = 0
        while True:
            ids = list(
                Appeal.objects.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                break
            last = ids[-1]
            parts = [p for plist in facts.parts_for(ids).values() for p in plist]
            _write_parts(parts)
            for key, (counters, hours) in figures_of(parts).items():
                totals[key][0].update(counters)
                totals[key][1].update(hours)
            done += len(ids)
            if progress:
                progress(done)
        rows = []
        for (dim, day, key), (counters, hours) in totals.items():
            rows.append(
                DailyFigure(
                    dimension=dim,
                    day=day,
                    key=key,
                    hours={h: n for h, n in sorted(hours.items(), key=lambda i: int(i[0])) if n},
                    **{name: counters.get(name, 0) for name in COUNTERS},
                )
            )
        DailyFigure.objects.bulk_create(rows, batch_size=BATCH)
        lock.refreshed_at = timezone.now()
        lock.save(update_fields=["refreshed_at"])
    return done
