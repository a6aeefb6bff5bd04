# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Assisting units (协办): their own counters, against a small history worked out by hand.

The workflow gives an assisting unit one step, its sign-for, with a clock of the sign-for limit
(grade C: 4 working hours, so a dispatch on Monday 2 November 2026 at 10:00 is due at 16:00;
working time 09:00-12:00 and 14:00-18:00). Lead unit 城市管理局 D01; the rule adds 水务局 D02
as assisting unit; 城管执法队 D01-T1 is D01's team. Every appeal is received on Monday.

| appeal | what happens | D02 assisting |
|---|---|---|
| on_time | D02 signs Mon 11:00 | due, signed, met |
| late | D02 signs Tue 09:30 | due, signed, late |
| never | D01 completes Mon 17:00, D02 never signed | due (stopped missed), not signed |
| waiting | dispatched Tue 11:00 (due Tue 17:00), D02 has not signed, no sweep since | not decided |
| redispatched | D01 → D01-T1 at Mon 10:30; D02 signs Mon 11:30 | due, signed, met (once) |
| reopened | D01 completes Mon 11:00, unsatisfied visit reopens it Mon 11:20, D02 signs 11:30 | due, signed, missed (its clock stopped missed when the lead completed; no new clock) |
| breached | D01-T1 assists too and signs Mon 10:30; D02 never signs; sweep Tue 10:00 | D02: due (breach), not signed; D01-T1: due, signed, met |
| answered | answered at the intake desk, never dispatched | nothing |

D02: 7 requests, 6 decided, 4 signed, 2 on time. D01-T1 (inside D01): 1, 1, 1, 1.
"""

import datetime as dt

import pytest

from jiesu.appeals import timesource, workflow
from jiesu.appeals.models import Appeal, Assignment, Clock
from jiesu.appeals.tests.conftest import new_appeal
from jiesu.insights import kpis, refresh
from jiesu.insights.models import AppealPart, DailyFigure
from jiesu.insights.tests.conftest import _registered, t

NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
ASSIST = ("assisted", "assist_due", "assist_signed", "assist_met")


def _history(w) -> dict[str, Appeal]:
    u = w.u
    at = timesource.frozen_at
    a = {}
    with at(t(2, 9, 30)):
        for name in ("on_time", "late", "never", "waiting", "redispatched", "reopened"):
            a[name] = _registered(w, new_appeal(w, title=name))
        a["breached"] = _registered(w, new_appeal(w, title="breached"))
        a["answered"] = workflow.answer(
            _registered(w, new_appeal(w, title="answered"), w.consultation),
            u("intake"),
            reply="已答复",
        )
    with at(t(2, 10)):
        for name in ("on_time", "late", "never", "redispatched", "reopened"):
            workflow.dispatch(a[name], u("dispatcher"))  # the rule adds D02
        workflow.dispatch(a["breached"], u("dispatcher"), assisting_units=[w.water, w.urban_team])
    with at(t(2, 10, 30)):
        for name in ("on_time", "late", "never", "reopened", "breached"):
            workflow.sign(a[name], u("handler"))
        workflow.sign(a["breached"], u("team_handler"))
        workflow.redispatch(
            a["redispatched"], u("dispatcher"), lead_unit=w.urban_team, reason="归执法队"
        )
    with at(t(2, 11)):
        workflow.sign(a["on_time"], u("water_handler"))
        workflow.complete(a["reopened"], u("handler"), result="已处理", evidence="照片")
    with at(t(2, 11, 10)):
        workflow.approve_review(a["reopened"], u("supervisor"))
    with at(t(2, 11, 20)):
        workflow.record_visit(
            a["reopened"], u("visitor"), outcome="unsatisfied", unit_at_fault=True, note="未处理"
        )
    with at(t(2, 11, 30)):
        workflow.sign(a["redispatched"], u("water_handler"))
        workflow.sign(a["reopened"], u("water_handler"))  # after the lead had completed
    with at(t(2, 17)):
        workflow.complete(a["never"], u("handler"), result="已处理", evidence="照片")
    with at(t(3, 9, 30)):
        workflow.sign(a["late"], u("water_handler"))  # due Mon 16:00
    with at(t(3, 10)):
        workflow.sweep_clocks()  # the breached appeal's D02 sign-for (due Mon 16:00)
    with at(t(3, 11)):
        workflow.dispatch(a["waiting"], u("dispatcher"))  # due Tue 17:00, nobody signs
    return {k: Appeal.objects.get(pk=v.pk) for k, v in a.items()}


@pytest.fixture
def assisted(world):
    appeals = _history(world)
    refresh.catch_up()
    return appeals


def rate(row, code):
    return row[code]["numerator"], row[code]["denominator"]


def by_unit(world, **kwargs):
    result = kpis.compute(*NOV, user=world.u("supervisor"), by="unit", **kwargs)
    return {r["group"]["code"]: r for r in result["rows"]}


def test_the_history_is_what_the_table_says(assisted, world):
    def assist_clock(name, unit):
        return Clock.objects.get(
            appeal=assisted[name],
            kind=Clock.Kind.SIGN,
            assignment__role=Assignment.Role.ASSIST,
            assignment__unit=unit,
        )

    assert assist_clock("never", world.water).outcome == Clock.Outcome.MISSED
    reopened = assist_clock("reopened", world.water)
    assert reopened.outcome == Clock.Outcome.MISSED and reopened.stopped_at == t(2, 11)
    assert assisted["reopened"].reopen_count == 1
    assert assisted["redispatched"].lead_assignment.unit == world.urban_team
    assert assist_clock("breached", world.water).breached_at == t(3, 10)
    waiting = assist_clock("waiting", world.water)
    assert waiting.stopped_at is None and waiting.breached_at is None
    assert waiting.due_at == t(3, 17)


def test_assisting_units_are_charged_with_their_own_part(assisted, world):
    rows = by_unit(world)
    water, urban = rows["D02"], rows["D01"]
    assert water["assists"] == 7
    assert rate(water, "assist_sign_rate") == (4, 6)
    assert rate(water, "on_time_assist_rate") == (2, 6)
    assert water["on_time_assist_rate"]["value"] == round(2 / 6, 6)
    # D02 led nothing: its lead figures are empty, the appeals count for their lead units.
    assert water["volume"] == 0 and rate(water, "on_time_sign_rate") == (0, 0)
    # D01 includes its team, which assisted once and signed in time; D01 itself never assists.
    assert urban["assists"] == 1
    assert rate(urban, "on_time_assist_rate") == (1, 1)
    assert urban["volume"] == 7  # the answered appeal never had a unit
    [team] = by_unit(world, parent=world.urban).values()
    assert team["group"]["code"] == "D01-T1"
    assert team["assists"] == 1 and rate(team, "assist_sign_rate") == (1, 1)
    # The lead figures are untouched by the assisting units' parts: five leads signed in time;
    # the redispatched appeal's first lead was withdrawn before signing (cancelled), the new
    # lead D01-T1 never signed (breach raised Tue 10:00); the waiting appeal's lead is still
    # within its time.
    [district] = kpis.compute(*NOV, user=world.u("supervisor"))["rows"]
    assert district["assists"] == 8
    assert rate(district, "assist_sign_rate") == (5, 7)
    assert rate(district, "on_time_assist_rate") == (3, 7)
    assert rate(district, "on_time_sign_rate") == (5, 6)


def test_redispatch_keeps_the_assist_and_a_reopening_adds_none(assisted, world):
    parts = {
        (p.appeal_id, p.unit_id): p
        for p in AppealPart.objects.filter(appeal__in=list(assisted.values()))
    }
    water = world.water.pk

    def assist(name, unit=water):
        p = parts[(assisted[name].pk, unit)]
        return tuple(getattr(p, c) for c in ASSIST)

    assert assist("redispatched") == (1, 1, 1, 1)  # counted once, whoever leads now
    assert assist("redispatched", world.urban_team.pk) == (0, 0, 0, 0)  # it leads, not assists
    assert parts[(assisted["redispatched"].pk, world.urban_team.pk)].main
    assert assist("reopened") == (1, 1, 1, 0)
    assert assist("on_time") == (1, 1, 1, 1)
    assert assist("late") == (1, 1, 1, 0)
    assert assist("never") == (1, 1, 0, 0)
    assert assist("waiting") == (1, 0, 0, 0)
    assert assist("breached") == (1, 1, 0, 0)
    assert assist("breached", world.urban_team.pk) == (1, 1, 1, 1)
    assert not any(p.appeal_id == assisted["answered"].pk and p.unit_id for p in parts.values())
    # An assisting unit's part is never the appeal's main part and carries no appeal counters.
    assert not parts[(assisted["on_time"].pk, water)].main
    assert parts[(assisted["on_time"].pk, water)].received == 0


def test_a_supervisor_reopening_adds_no_assist_clock(assisted, world):
    """The on-time appeal, completed, reviewed, visited and closed, is reopened by a
    supervisor: the lead gets a new handling clock, D02 keeps its one request, on time."""
    u = world.u
    appeal = assisted["on_time"]
    with timesource.frozen_at(t(4, 10)):
        workflow.contact(appeal, u("handler"), method="电话")
        workflow.complete(appeal, u("handler"), result="已处理", evidence="照片")
        workflow.approve_review(appeal, u("supervisor"))
        workflow.record_visit(appeal, u("visitor"), outcome="satisfied")
    with timesource.frozen_at(t(5, 10)):
        workflow.reopen(appeal, u("supervisor"), reason="市民再次反映")
    water = by_unit(world)["D02"]
    assert water["assists"] == 7 and rate(water, "on_time_assist_rate") == (2, 6)
    incremental = {
        (f.dimension, f.day, f.key): [getattr(f, c) for c in ASSIST]
        for f in DailyFigure.objects.all()
    }
    refresh.rebuild()
    rebuilt = {
        (f.dimension, f.day, f.key): [getattr(f, c) for c in ASSIST]
        for f in DailyFigure.objects.all()
    }
    assert incremental == rebuilt


def test_filters_and_periods(assisted, world):
    # A filter reads the parts: the same numbers as the daily figures.
    filtered = by_unit(world, filters={"category": world.leaf.parent})
    for code, row in by_unit(world).items():
        for key in ("assists", "assist_sign_rate", "on_time_assist_rate"):
            assert filtered[code][key] == row[key], (code, key)
    [only_water] = kpis.compute(
        *NOV, user=world.u("analyst"), filters=kpis.resolve_filters({"unit": "D02"})
    )["rows"]
    assert only_water["assists"] == 7 and rate(only_water, "on_time_assist_rate") == (2, 6)
    # An appeal counts in the period it was received (Monday), not when it was dispatched.
    tuesday = dt.date(2026, 11, 3)
    [row] = kpis.compute(tuesday, tuesday, user=world.u("analyst"))["rows"]
    assert row["assists"] == 0 and row["on_time_assist_rate"]["value"] is None
    # A unit leader of D02 sees its own assistance.
    [own] = kpis.compute(*NOV, user=world.u("water_leader"), by="unit")["rows"]
    assert own["group"]["code"] == "D02" and own["assists"] == 7


def test_ranking_page_api_command_and_export(assisted, world, client):
    import csv
    import io
    import json

    from django.core.management import call_command

    params = {"period": "custom", "start": "2026-11-01", "end": "2026-11-30"}
    client.force_login(world.u("supervisor"))
    page = client.get("/console/insights/ranking/", params).content.decode()
    assert 'data-testid="D02-on_time_assist_rate"' in page
    assert 'data-testid="D02-assists"' in page
    assert "unit=D02&amp;unit_role=assist" in page
    # The drill-down lists the appeals D02 was asked to assist (received in the period).
    search = client.get(
        "/console/search/",
        {
            "received_from": "2026-11-01",
            "received_to": "2026-11-30",
            "unit": "D02",
            "unit_role": "assist",
        },
    ).content.decode()
    for name, appeal in assisted.items():
        assert (appeal.number in search) == (name != "answered"), name

    api = client.get("/api/v1/insights/kpis/", {"from": "2026-11-01", "to": "2026-11-30"})
    [row] = api.json()["rows"]
    assert row["assists"] == 8
    assert row["on_time_assist_rate"] == {
        "value": round(3 / 7, 6),
        "numerator": 3,
        "denominator": 7,
    }

    out = io.StringIO()
    call_command("kpis", "--from", "2026-11-01", "--to", "2026-11-30", "--by", "unit", stdout=out)
    rows = {r["group"]["code"]: r for r in json.loads(out.getvalue())["rows"]}
    assert rows["D02"]["assist_sign_rate"] == {
        "value": round(4 / 6, 6),
        "numerator": 4,
        "denominator": 6,
    }
    out = io.StringIO()
    call_command(
        "kpis",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-30",
        "--by",
        "unit",
        "--format",
        "csv",
        stdout=out,
    )
    lines = {r["code"]: r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    assert lines["D02"]["assists"] == "7"
    assert (
        lines["D02"]["on_time_assist_rate_numerator"],
        lines["D02"]["on_time_assist_rate_denominator"],
    ) == ("2", "6")

    export = client.get("/console/insights/export.csv", {**params, "by": "unit"})
    text = export.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    header = table[0]
    water = next(r for r in table if r[1] == "D02")
    column = "协办请求" if "协办请求" in header else "Assistance requests"
    assert water[header.index(column)] == "7"


def test_the_worked_example_of_docs_kpis(refreshed, world):
    """conftest's history: the rule adds 水务局 D02 as assisting unit to the clean, reopened and
    extended appeals (the returned one was dispatched without), and D02 never signs: the clean
    and reopened assists stopped missed when D01 completed, the extended one was breached by
    the sweep on Wednesday 4 November."""
    rows = by_unit(world)
    assert rows["D02"]["assists"] == 3
    assert rate(rows["D02"], "assist_sign_rate") == (0, 3)
    assert rate(rows["D02"], "on_time_assist_rate") == (0, 3)
    assert rows["D01"]["assists"] == 0 and rows["D01"]["on_time_assist_rate"]["value"] is None
    [district] = kpis.compute(*NOV, user=world.u("supervisor"))["rows"]
    assert district["assists"] == 3 and rate(district, "on_time_assist_rate") == (0, 3)


def test_the_migration_queues_the_appeals_with_assistance(assisted):
    """Deployed facts computed before the assist counters existed are refreshed, not rebuilt:
    migration 0003 queues exactly the appeals with an assisting unit."""
    import importlib

    from django.apps import apps

    from jiesu.insights.models import ChangedAppeal

    migration = importlib.import_module("jiesu.insights.migrations.0003_assist_counters")
    assert not ChangedAppeal.objects.exists()
    migration.queue_assisted_appeals(apps, None)
    queued = set(ChangedAppeal.objects.values_list("appeal_id", flat=True))
    assert queued == {a.pk for name, a in assisted.items() if name != "answered"}
    assert refresh.catch_up() == 7
