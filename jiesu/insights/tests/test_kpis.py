# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Every KPI of docs/kpis.md against numbers worked out by hand on the history of conftest.py:
a clean appeal, one reopened after an unsatisfied visit, one with an approved extension, one
merged, one returned and re-dispatched, one rejected, one still waiting, one answered."""

import datetime as dt

import pytest

from jiesu.insights import kpis, refresh
from jiesu.insights.models import DailyFigure

NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def rate(row, code):
    r = row[code]
    return r["numerator"], r["denominator"]


def district(user=None, world=None, **kwargs):
    result = kpis.compute(*NOV, user=user or world.u("supervisor"), **kwargs)
    return result


def test_every_kpi_of_the_district(refreshed, world):
    result = kpis.compute(*NOV, user=world.u("supervisor"))
    assert result["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    [row] = result["rows"]
    assert row["volume"] == 8
    assert row["accepted"] == 5  # not the rejected, merged or waiting ones
    # Acceptance notified: all but the appeal still waiting at the intake desk.
    assert rate(row, "acceptance_notification_rate") == (7, 8)
    assert row["acceptance_notification_rate"]["value"] == 0.875
    # Fed back: the answered one and the three that reached review; not the returned one.
    assert rate(row, "handling_feedback_rate") == (4, 5)
    # Concluded: closed (clean, reopened) and answered; extended awaits its visit.
    assert rate(row, "closure_rate") == (3, 5)
    # Handling clocks: clean met, reopened 1 met + 1 late, extended met within its extension,
    # the returned one still running; the first unit's cancelled clocks do not count.
    assert rate(row, "on_time_closure_rate") == (3, 4)
    # Sign-for: three on time, the second unit of the returned appeal late.
    assert rate(row, "on_time_sign_rate") == (3, 4)
    # First contact: clean and extended contacted in time; reopened completed without any
    # contact; returned breached while still running.
    assert rate(row, "first_contact_rate") == (2, 4)
    assert rate(row, "on_time_contact_rate") == (2, 4)
    # Visits: three appeals needed one, two were reached; three visit clocks stopped in time.
    assert rate(row, "return_visit_rate") == (2, 3)
    assert rate(row, "on_time_visit_rate") == (3, 3)
    # Satisfaction: the latest reached visit of each appeal (satisfied; basically satisfied).
    assert rate(row, "satisfaction_rate") == (2, 2)
    assert rate(row, "reopen_rate") == (1, 3)
    # Returns: five lead assignments (the returned appeal had two), one asked to return.
    assert rate(row, "return_rate") == (1, 5)
    assert row["extensions"] == 1
    # Handling time, dispatch to completion in working hours: 7, 84 and 49.
    assert row["handled"] == 3
    assert row["avg_handling_hours"] == round((420 + 5040 + 2940) / 3 / 60, 2) == 46.67
    assert row["p90_handling_hours"] == 84


def test_by_unit_charges_each_unit_with_its_own_part(refreshed, world):
    rows = {r["group"]["code"]: r for r in district(world=world, by="unit")["rows"]}
    assert set(rows) == {"C00", "D01", "D02"}  # top-level units; the team is inside D01
    urban, water = rows["D01"], rows["D02"]
    assert urban["volume"] == 3 and water["volume"] == 1
    assert rate(urban, "return_rate") == (1, 4)
    assert rate(water, "return_rate") == (0, 1)
    assert rate(urban, "on_time_sign_rate") == (3, 3)
    assert rate(water, "on_time_sign_rate") == (0, 1)
    assert rate(water, "first_contact_rate") == (0, 1)
    assert rate(urban, "on_time_closure_rate") == (3, 4)
    assert rows["C00"]["volume"] == 0
    assert rows["D01"]["group"]["has_children"] is True
    # Drilling into D01 shows its team.
    team = district(world=world, by="unit", parent=world.urban)["rows"]
    assert [r["group"]["code"] for r in team] == ["D01-T1"]


def test_other_groupings_add_up_to_the_district(refreshed, world):
    for by in ("category", "channel", "region", "type", "grade"):
        rows = district(world=world, by=by)["rows"]
        assert sum(r["volume"] for r in rows) == 8, by
        assert sum(r["closure_rate"]["numerator"] for r in rows) == 3, by
    types = {r["group"]["code"]: r for r in district(world=world, by="type")["rows"]}
    assert types["consultation"]["volume"] == 1
    assert rate(types["consultation"], "closure_rate") == (1, 1)
    cats = district(world=world, by="category", level=3)["rows"]
    assert {r["group"]["code"] for r in cats} == {"0101001", ""}  # unclassified: not registered


def test_filters_use_the_parts_and_agree_with_the_daily_figures(refreshed, world):
    whole = district(world=world, by="unit")["rows"]
    filtered = district(world=world, by="unit", filters={"category": world.leaf.parent})["rows"]
    for a, b in zip(whole, filtered, strict=True):
        for key in ("volume", "on_time_closure_rate", "return_rate", "p90_handling_hours"):
            assert a[key] == b[key], key
    water = district(world=world, filters=kpis.resolve_filters({"unit": "D02"}))["rows"][0]
    assert water["volume"] == 1 and rate(water, "on_time_sign_rate") == (0, 1)


def test_a_unit_leader_sees_only_the_own_unit(refreshed, world):
    rows = kpis.compute(*NOV, user=world.u("leader"), by="unit")["rows"]
    assert [r["group"]["code"] for r in rows] == ["D01"]
    [total] = kpis.compute(*NOV, user=world.u("leader"))["rows"]
    assert total["volume"] == 3
    assert rate(total, "return_rate") == (1, 4)


def test_roles_without_statistics_are_refused(refreshed, world):
    from jiesu.org.permissions import PermissionDenied

    with pytest.raises(PermissionDenied):
        kpis.compute(*NOV, user=world.u("handler"))


def test_the_period_counts_appeals_by_the_day_they_were_received(refreshed, world):
    [row] = kpis.compute(dt.date(2026, 11, 3), dt.date(2026, 12, 31), user=world.u("analyst"))[
        "rows"
    ]
    assert row["volume"] == 0 and row["closure_rate"]["value"] is None


def test_bad_input_is_refused_with_a_clear_message(world):
    with pytest.raises(kpis.KpiError, match="before the start"):
        kpis.compute(dt.date(2026, 2, 1), dt.date(2026, 1, 1), user=world.u("analyst"))
    with pytest.raises(kpis.KpiError):
        kpis.compute(*NOV, user=world.u("analyst"), by="colour")
    with pytest.raises(kpis.KpiError, match="XX"):
        kpis.resolve_filters({"unit": "XX"})


def test_incremental_figures_equal_a_rebuild_from_scratch(history, world):
    refresh.catch_up()
    incremental = {(f.dimension, f.day, f.key): f for f in DailyFigure.objects.all()}
    before = district(world=world, by="unit")
    refresh.rebuild()
    rebuilt = {(f.dimension, f.day, f.key): f for f in DailyFigure.objects.all()}
    assert incremental.keys() == rebuilt.keys()
    for key, row in rebuilt.items():
        other = incremental[key]
        for name in ("received", "handle_met", "handle_due", "returned", "handled_minutes"):
            assert getattr(row, name) == getattr(other, name), (key, name)
        assert row.hours == other.hours
    assert district(world=world, by="unit") == before


def test_the_figures_follow_each_change(refreshed, world):
    """A supervisor reopens the clean appeal after the figures were computed: the next read
    counts it as reopened and no longer concluded, exactly as a rebuild from scratch does."""
    from jiesu.appeals import timesource, workflow
    from jiesu.insights.tests.conftest import t

    [before] = district(world=world)["rows"]
    with timesource.frozen_at(t(20, 10)):
        workflow.reopen(refreshed.clean, world.u("supervisor"), reason="市民再次反映")
    [after] = district(world=world)["rows"]
    assert rate(after, "closure_rate") == (2, 5) and rate(before, "closure_rate") == (3, 5)
    assert rate(after, "reopen_rate") == (2, 3)
    assert rate(after, "satisfaction_rate") == (2, 2)  # its last reached visit still counts
    assert after["handled"] == 2  # its completion is undone until it is completed again
    refresh.rebuild()
    assert district(world=world)["rows"] == [after]


def test_periods():
    day = dt.date(2026, 11, 18)
    assert kpis.period_range("week", day) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert kpis.period_range("month", day) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert kpis.period_range("quarter", day) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert kpis.period_range("year", day) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert kpis.period_range("day", day) == (day, day)


def test_percentile_is_nearest_rank():
    from collections import Counter

    assert kpis.percentile_hours(Counter({"1": 9, "50": 1})) == 1
    assert kpis.percentile_hours(Counter({"1": 8, "50": 2})) == 50
    assert kpis.percentile_hours(Counter()) is None


@pytest.mark.parametrize("bucket", ["day", "week", "month"])
def test_volumes_by_bucket_equal_the_daily_sums(refreshed, world, bucket):
    """The trends' volumes, summed by the database per bucket, are the daily figures summed
    per bucket: for the district (daily figures) and for a unit (appeal parts), by every
    dimension the trends offer."""
    from collections import Counter

    from jiesu.insights.overview import bucket_start

    start, end = dt.date(2026, 9, 1), dt.date(2026, 12, 31)
    scopes = [kpis.Scope_(True), kpis.Scope_(False, (world.urban.path,))]
    for scope in scopes:
        for dimension in (kpis.D.CATEGORY, kpis.D.CHANNEL, kpis.D.UNIT):
            daily = kpis.sums(start, end, dimension, scope=scope, filters={}, by_day=True)
            expected = Counter()
            for (day, key), (counters, _hours) in daily.items():
                if counters.get("received"):
                    expected[(bucket_start(day, bucket), key)] += counters["received"]
            got = kpis.volumes(start, end, dimension, scope=scope, bucket=bucket)
            assert {k: v for k, v in got.items() if v} == dict(expected), (scope, dimension)
            assert sum(expected.values()) > 0, (scope, dimension)
