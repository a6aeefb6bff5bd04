# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Properties of the arithmetic, on the library's 2025-2026 data (plus 2027 declared so that
long walks from late 2026 stay answerable). No database."""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiesu.workdays.calendar import DEFAULT_PERIODS, WorkingCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar(covered_years=[2027], tz=SHANGHAI)
PROPERTY_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

days = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2026, 12, 31))
instants = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2026, 12, 31, 23, 59)
).map(lambda naive: naive.replace(tzinfo=SHANGHAI))
# Up to about four working weeks, in minutes.
working_minutes = st.integers(min_value=0, max_value=4 * 5 * 7 * 60)


@st.composite
def working_instants(draw):
    """An instant inside working time: a working day, a period, a minute within it."""
    day = draw(days.filter(CAL.is_working_day))
    start, end = draw(st.sampled_from(DEFAULT_PERIODS))
    length = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    offset = draw(st.integers(min_value=0, max_value=length - 1))
    return dt.datetime.combine(day, start, SHANGHAI) + dt.timedelta(minutes=offset)


@PROPERTY_SETTINGS
@given(start=working_instants(), minutes=working_minutes)
def test_added_working_time_is_measured_back_from_working_time(start, minutes):
    assert CAL.is_working_time(start)
    result = CAL.add_working_hours(start, minutes=minutes)
    assert CAL.working_time_between(start, result) == dt.timedelta(minutes=minutes)


@PROPERTY_SETTINGS
@given(start=instants, minutes=working_minutes)
def test_added_working_time_is_measured_back_from_any_instant(start, minutes):
    result = CAL.add_working_hours(start, minutes=minutes)
    assert result >= start
    assert CAL.working_time_between(start, result) == dt.timedelta(minutes=minutes)
    if minutes:
        # A deadline in working hours falls inside a working period, or at its very end.
        assert CAL.is_working_day(result.date())
        assert any(s < result.time() <= e for s, e in DEFAULT_PERIODS)


@PROPERTY_SETTINGS
@given(start=instants, a=working_minutes, b=working_minutes)
def test_adding_working_time_in_two_steps_is_adding_it_once(start, a, b):
    once = CAL.add_working_hours(start, minutes=a + b)
    twice = CAL.add_working_hours(CAL.add_working_hours(start, minutes=a), minutes=b)
    assert once == twice


@PROPERTY_SETTINGS
@given(a=instants, b=instants, c=instants)
def test_working_time_between_is_antisymmetric_and_additive(a, b, c):
    ab = CAL.working_time_between(a, b)
    assert CAL.working_time_between(b, a) == -ab
    assert ab >= dt.timedelta(0) if b >= a else ab <= dt.timedelta(0)
    assert ab + CAL.working_time_between(b, c) == CAL.working_time_between(a, c)


@PROPERTY_SETTINGS
@given(start=instants, n=st.integers(min_value=0, max_value=30), k=st.integers(1, 10))
def test_add_working_days_is_strictly_increasing_in_n(start, n, k):
    earlier, later = CAL.add_working_days(start, n), CAL.add_working_days(start, n + k)
    assert earlier < later
    # Same clock time, on a working day.
    assert later.time() == start.time()
    assert CAL.is_working_day(later.date())
    # k more working days are k more working days: exactly k working dates in (earlier, later].
    span = (later.date() - earlier.date()).days
    stepped = [earlier.date() + dt.timedelta(days=i) for i in range(1, span + 1)]
    assert sum(CAL.is_working_day(day) for day in stepped) == k


@PROPERTY_SETTINGS
@given(a=instants, b=instants, n=st.integers(min_value=0, max_value=30))
def test_add_working_days_is_monotonic_in_the_start(a, b, n):
    a, b = min(a, b), max(a, b)
    da, db = CAL.add_working_days(a, n), CAL.add_working_days(b, n)
    # The deadline's day never goes back when the start moves forward ...
    assert da.date() <= db.date()
    # ... and on the same start day the deadline keeps the order of the starts.
    if a.date() == b.date():
        assert da <= db


@PROPERTY_SETTINGS
@given(instant=instants)
def test_start_of_next_working_day_is_the_first_working_instant_after_that_day(instant):
    begin = CAL.start_of_next_working_day(instant)
    assert begin.date() > instant.date()
    assert CAL.is_working_time(begin)
    assert begin.time() == DEFAULT_PERIODS[0][0]
    midnight = dt.datetime.combine(instant.date() + dt.timedelta(days=1), dt.time(0), SHANGHAI)
    assert CAL.working_time_between(midnight, begin) == dt.timedelta(0)
    assert CAL.next_working_instant(midnight) == begin
