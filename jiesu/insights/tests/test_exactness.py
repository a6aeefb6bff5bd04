# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Exactness: after a simulated history (a month of appeals taking random paths, with merges,
rejections, extensions, visits that reopen, supervisors' reopenings, and the facts refreshed
incrementally at random moments), the pre-aggregated daily figures equal counts made directly
over the appeals and their history, day by day."""

import random
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from jiesu.appeals import timesource, workflow
from jiesu.appeals.models import Appeal, Event
from jiesu.appeals.states import Status
from jiesu.appeals.tests.conftest import SHANGHAI, new_appeal, world  # noqa: F401
from jiesu.insights import refresh
from jiesu.insights.models import DailyFigure

DAYS = [date(2026, 11, 2) + timedelta(days=i) for i in range(26)]
WORKING = [d for d in DAYS if d.weekday() < 5]


def at(day, hour, minute=0):
    return timesource.frozen_at(
        datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)
    )


def _simulate(w, rng):
    u = w.u
    accepted = []
    later = []  # (day, hour, step) run after the first pass: reopenings days later
    for n in range(36):
        day = rng.choice(WORKING[:-4])
        with at(day, 9, rng.randrange(0, 30)):
            appeal = new_appeal(w, title=f"模拟诉求{n}", reporter_phone=f"1380000{n:04d}")
        path = rng.choice(
            ["wait", "reject", "merge", "answer", "handle", "handle", "extend", "unhappy"]
        )
        if path == "wait":
            continue
        if path == "reject":
            with at(day, 9, 40):
                workflow.reject(appeal, u("intake"), reason="不属实")
            continue
        still_open = [
            a
            for a in Appeal.objects.filter(
                pk__in=[a.pk for a in accepted], received_at__lt=appeal.received_at
            )
            if a.status not in (Status.CLOSED, Status.ANSWERED)
        ]
        if path == "merge" and still_open:
            with at(day, 9, 40):
                workflow.merge(appeal, u("intake"), into=rng.choice(still_open))
            continue
        with at(day, 9, 45):
            appeal = workflow.register(
                appeal, u("intake"), appeal_type=w.complaint, category=w.leaf, grade=w.grade_c
            )
        accepted.append(appeal)
        if path in ("answer", "merge"):
            with at(day, 9, 50):
                workflow.answer(appeal, u("intake"), reply="已答复")
            continue
        with at(day, 10):
            appeal = workflow.dispatch(appeal, u("dispatcher"))
        with at(day, 10, 30):
            appeal = workflow.sign(appeal, u("handler"))
        if n % 2:  # the assisting unit (the rule's 水务局) signs for every other appeal
            with at(day, 11):
                appeal = workflow.sign(appeal, u("water_handler"))
        if path == "extend":
            with at(day, 11):
                appeal = workflow.request_extension(
                    appeal, u("handler"), working_days=2, reason="需协调"
                )
            with at(day, 14):
                appeal = workflow.approve_extension(appeal, u("dispatcher"))
        finish = WORKING[WORKING.index(day) + rng.randrange(0, 3)]
        with at(finish, 15):
            appeal = workflow.complete(appeal, u("handler"), result="已处理", evidence="照片")
        with at(finish, 16):
            appeal = workflow.approve_review(appeal, u("supervisor"))
        with at(finish, 17):
            appeal = workflow.record_visit(
                appeal,
                u("visitor"),
                outcome="unsatisfied" if path == "unhappy" else rng.choice(["satisfied", "basic"]),
                unit_at_fault=path == "unhappy",
                note="没处理好" if path == "unhappy" else "",
            )
        if path != "unhappy" and rng.random() < 0.3:
            later.append((WORKING[WORKING.index(finish) + 2], appeal.pk, rng.random() < 0.5))
        if rng.random() < 0.3:
            refresh.catch_up()  # the worker runs at random moments
    for day, pk, finish_again in later:
        with at(day, 10):
            appeal = workflow.reopen(Appeal.objects.get(pk=pk), u("supervisor"), reason="再次反映")
        if finish_again:
            with at(day, 15):
                workflow.complete(appeal, u("handler"), result="已彻底处理", evidence="照片")
    refresh.catch_up()


def _direct_counts():
    """The counters of docs/kpis.md, counted from the appeals and their events."""
    kinds = defaultdict(set)
    extensions = Counter()
    back = set()
    assisting = Counter()
    assist_signed = Counter()
    for appeal_id, kind, to_status, payload in Event.objects.values_list(
        "appeal_id", "kind", "to_status", "payload"
    ):
        kinds[appeal_id].add(kind)
        if kind == "dispatch":
            assisting[appeal_id] += len(payload.get("assisting") or [])
        if kind == "sign" and payload.get("role") == "assist":
            assist_signed[appeal_id] += 1
        if kind == "approve_extension":
            extensions[appeal_id] += 1
        if kind == "record_visit" and to_status in (Status.DISPATCHED, Status.IN_PROGRESS):
            back.add(appeal_id)
    per_day = defaultdict(Counter)
    for a in Appeal.objects.all():
        day = timezone.localtime(a.received_at).date()
        k = kinds[a.pk]
        c = per_day[day]
        c["received"] += 1
        c["decided"] += bool(k & {"register", "reject", "merge", "answer"})
        accepted = bool(k & {"register", "answer"}) and a.status not in (
            Status.MERGED,
            Status.REJECTED,
        )
        c["accepted"] += accepted
        c["concluded"] += accepted and a.status in (Status.CLOSED, Status.ANSWERED)
        c["reopen_base"] += "approve_review" in k
        c["reopened"] += "reopen" in k or a.pk in back
        c["extended"] += extensions[a.pk]
        # Assisting units sign at 11:00 (due 16:00) or never: an unsigned assist is decided
        # (missed) when the lead unit completes.
        c["assisted"] += accepted and assisting[a.pk]
        c["assist_signed"] += accepted and assist_signed[a.pk]
        c["assist_met"] += accepted and assist_signed[a.pk]
        c["assist_due"] += accepted and (
            assist_signed[a.pk] + ("complete" in k) * (assisting[a.pk] - assist_signed[a.pk])
        )
        c["handled"] += (
            accepted
            and "complete" in k
            and a.status
            in (
                Status.COMPLETED,
                Status.VISITING,
                Status.CLOSED,
            )
        )
    return per_day


COUNTERS = (
    "received",
    "decided",
    "accepted",
    "concluded",
    "reopen_base",
    "reopened",
    "extended",
    "handled",
    "assisted",
    "assist_due",
    "assist_signed",
    "assist_met",
)


def test_daily_figures_equal_direct_counts_after_a_simulated_history(world):  # noqa: F811
    _simulate(world, random.Random(20261102))
    direct = _direct_counts()
    stored = {
        row["day"]: row
        for row in DailyFigure.objects.filter(dimension=DailyFigure.Dimension.ALL)
        .values("day")
        .annotate(**{name: Sum(name) for name in COUNTERS})
    }
    assert set(stored) == set(direct)
    for day, counts in direct.items():
        for name in COUNTERS:
            assert stored[day][name] == counts[name], (day, name)
    # The history did exercise what it is meant to.
    totals = Counter()
    for counts in direct.values():
        totals.update(counts)
    assert totals["reopened"] >= 3 and totals["extended"] >= 2
    assert 0 < totals["assist_met"] < totals["assist_due"] <= totals["assisted"]
    assert Appeal.objects.filter(status=Status.MERGED).exists()
    assert Appeal.objects.filter(status=Status.REJECTED).exists()


def test_a_rebuild_stores_the_same_parts_as_the_changes_did(world, django_assert_max_num_queries):  # noqa: F811
    """The rebuild writes its parts in bulk (COPY on PostgreSQL) and reads only the columns
    the KPIs need: every stored part and daily figure equals what the changes stored one by
    one, and reading the parts of every appeal takes the same handful of queries however many
    appeals there are (a column read but not fetched would cost a query per appeal)."""
    from jiesu.insights import facts
    from jiesu.insights.models import AppealPart

    _simulate(world, random.Random(20261207))
    refresh.catch_up()

    def stored():
        parts = sorted(
            AppealPart.objects.values_list(*refresh.PART_COLUMNS),
            key=lambda row: (row[0], row[1] or 0),
        )
        figures = {
            (f.dimension, f.day, f.key): (tuple(getattr(f, n) for n in COUNTERS), f.hours)
            for f in DailyFigure.objects.all()
        }
        return parts, figures

    incremental = stored()
    assert len(incremental[0]) >= Appeal.objects.count() > 20
    refresh.rebuild()
    assert stored() == incremental

    ids = list(Appeal.objects.values_list("pk", flat=True))
    with django_assert_max_num_queries(5):
        parts = facts.parts_for(ids)
    assert sum(len(p) for p in parts.values()) == len(incremental[0])
