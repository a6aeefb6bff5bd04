# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Deadline arithmetic on a calendar built in memory (no database): the library's real 2025 and
2026 holidays and make-up days, the conventions, coverage and refusals."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from jiesu.workdays.calendar import (
    LIBRARY_FIRST_YEAR,
    LIBRARY_LAST_YEAR,
    CalendarMisconfigured,
    CalendarNotCovered,
    Coverage,
    WorkingCalendar,
)
from jiesu.workdays.units import DurationUnit

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    """'2026-09-30 10:00' in Shanghai time."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@pytest.fixture
def cal():
    return WorkingCalendar()


# -- the library's real days ---------------------------------------------------------------------

# From the State Council notices (国办发明电〔2024〕12号 for 2025, 〔2025〕7号 for 2026).
REST_DAYS = [
    # 2025 Spring Festival: 1-28 (eve) to 2-4
    *[f"2025-01-{day}" for day in (28, 29, 30, 31)],
    *[f"2025-02-0{day}" for day in (1, 2, 3, 4)],
    "2025-01-01",
    "2025-04-04",
    "2025-05-05",
    "2025-05-31",
    "2025-06-02",
    # 2025 National Day and Mid-Autumn: 10-1 to 10-8
    *[f"2025-10-0{day}" for day in range(1, 9)],
    # 2026
    "2026-01-01",
    "2026-01-02",
    *[f"2026-02-{day}" for day in range(15, 24)],
    "2026-04-06",
    *[f"2026-05-0{day}" for day in range(1, 6)],
    "2026-06-19",
    "2026-09-25",
    *[f"2026-10-0{day}" for day in range(1, 8)],
    # ordinary weekends
    "2025-03-01",
    "2025-03-02",
    "2026-03-07",
    "2026-11-29",
]

WORKING_DAYS = [
    # make-up working days 调休 on weekends
    "2025-01-26",  # Sunday before the Spring Festival
    "2025-02-08",  # Saturday after it
    "2025-04-27",  # Sunday, Labour Day
    "2025-09-28",  # Sunday, National Day
    "2025-10-11",  # Saturday, National Day
    "2026-01-04",  # Sunday, New Year
    "2026-02-14",  # Saturday, Spring Festival
    "2026-02-28",  # Saturday, Spring Festival
    "2026-05-09",  # Saturday, Labour Day
    "2026-09-20",  # Sunday, National Day
    "2026-10-10",  # Saturday, National Day
    # ordinary weekdays next to holidays
    "2025-01-27",
    "2025-02-05",
    "2025-10-09",
    "2026-02-24",
    "2026-09-30",
    "2026-10-08",
    "2026-11-26",
]


@pytest.mark.parametrize("day", REST_DAYS)
def test_rest_days(cal, day):
    assert cal.is_working_day(d(day)) is False


@pytest.mark.parametrize("day", WORKING_DAYS)
def test_working_days(cal, day):
    assert cal.is_working_day(d(day)) is True


def test_day_info_names_the_library_holiday(cal):
    info = cal.day_info(d("2025-01-29"))
    assert (info.is_working_day, info.source, info.name) == (False, "library", "Spring Festival")
    info = cal.day_info(d("2026-09-20"))
    assert (info.is_working_day, info.source, info.name) == (True, "library", "National Day")
    assert cal.day_info(d("2026-11-26")).name == ""


def test_a_datetime_counts_by_its_local_date(cal):
    # 2026-09-30 20:00 UTC is 2026-10-01 04:00 in Shanghai: National Day.
    assert cal.is_working_day(dt.datetime(2026, 9, 30, 20, 0, tzinfo=dt.UTC)) is False
    assert cal.is_working_day(dt.datetime(2026, 9, 30, 15, 0, tzinfo=dt.UTC)) is True


def test_next_working_day(cal):
    assert cal.next_working_day(d("2026-09-30")) == d("2026-10-08")
    assert cal.next_working_day(d("2026-10-09")) == d("2026-10-10")  # Saturday make-up day
    assert cal.next_working_day(d("2025-01-24")) == d("2025-01-26")  # Sunday make-up day


# -- working days --------------------------------------------------------------------------------


def test_the_issue_example(cal):
    # National Day (10-1..10-7), then 10-8, 10-9 and the Saturday make-up day 10-10.
    assert cal.add_working_days(at("2026-09-30 10:00"), 3) == at("2026-10-10 10:00")


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2026-11-26 10:00", 0, "2026-11-26 10:00"),
        ("2026-11-26 10:00", 1, "2026-11-27 10:00"),  # Thursday -> Friday
        ("2026-11-27 10:00", 1, "2026-11-30 10:00"),  # Friday -> Monday
        # The start day counts for nothing, whatever it is: Saturday and Sunday start alike.
        ("2026-11-28 10:00", 1, "2026-11-30 10:00"),
        ("2026-11-29 10:00", 1, "2026-11-30 10:00"),
        # Same clock time, even outside working hours.
        ("2026-11-26 20:30", 3, "2026-12-01 20:30"),
        ("2026-11-26 07:15", 1, "2026-11-27 07:15"),
        # Over the 2025 Spring Festival (1-28..2-4) and its make-up days 1-26 and 2-8.
        ("2025-01-24 16:00", 1, "2025-01-26 16:00"),
        ("2025-01-27 15:00", 1, "2025-02-05 15:00"),
        ("2025-01-27 15:00", 4, "2025-02-08 15:00"),
        ("2025-01-27 15:00", 5, "2025-02-10 15:00"),
        # From inside a holiday.
        ("2026-10-03 11:00", 1, "2026-10-08 11:00"),
        # 2026 Spring Festival (2-15..2-23), make-up days 2-14 and 2-28.
        ("2026-02-13 09:00", 1, "2026-02-14 09:00"),
        ("2026-02-14 09:00", 1, "2026-02-24 09:00"),
        ("2026-02-24 09:00", 4, "2026-02-28 09:00"),
    ],
)
def test_add_working_days(cal, start, n, expected):
    assert cal.add_working_days(at(start), n) == at(expected)


def test_add_working_days_refuses_negative_and_fractions(cal):
    with pytest.raises(ValueError):
        cal.add_working_days(at("2026-11-26 10:00"), -1)
    with pytest.raises(ValueError):
        cal.add_working_days(at("2026-11-26 10:00"), 1.5)
    with pytest.raises(TypeError):
        cal.add_working_days(at("2026-11-26 10:00"), "3")
    assert cal.add_working_days(at("2026-11-26 10:00"), Decimal("2")) == at("2026-11-30 10:00")


# -- working hours -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        ("2026-11-26 09:00", 1, "2026-11-26 10:00"),
        ("2026-11-26 09:00", 0, "2026-11-26 09:00"),
        # Across lunch (12:00-14:00).
        ("2026-11-26 11:00", 2, "2026-11-26 15:00"),
        ("2026-11-26 12:30", 1, "2026-11-26 15:00"),  # starts counting at 14:00
        # Ending exactly at the end of the day stays on that day.
        ("2026-11-26 16:00", 2, "2026-11-26 18:00"),
        ("2026-11-26 11:00", 1, "2026-11-26 12:00"),
        # Overnight.
        ("2026-11-26 17:00", 2, "2026-11-27 10:00"),
        ("2026-11-26 20:00", 1, "2026-11-27 10:00"),
        ("2026-11-26 07:00", 1, "2026-11-26 10:00"),
        # Over a weekend and over a holiday.
        ("2026-11-27 17:00", 2, "2026-11-30 10:00"),
        ("2026-09-30 17:30", 1, "2026-10-08 09:30"),
        ("2026-09-30 10:00", 24, "2026-10-10 15:00"),  # 6h + 7h + 7h + 4h, 10-10 a make-up day
        # A make-up Saturday is worked.
        ("2026-10-09 17:00", 2, "2026-10-10 10:00"),
        # Whole working days: 7 hours a day.
        ("2026-11-26 09:00", 7, "2026-11-26 18:00"),
        ("2026-11-26 09:00", 14, "2026-11-27 18:00"),
        # Fractions: minutes granularity.
        ("2026-11-26 09:00", 0.5, "2026-11-26 09:30"),
        ("2026-11-26 11:45", Decimal("0.25"), "2026-11-26 12:00"),
        ("2026-11-26 11:45", Decimal("0.5"), "2026-11-26 14:15"),
    ],
)
def test_add_working_hours(cal, start, hours, expected):
    assert cal.add_working_hours(at(start), hours) == at(expected)


def test_add_working_hours_in_minutes_and_timedeltas(cal):
    start = at("2026-11-26 11:50")
    assert cal.add_working_hours(start, minutes=20) == at("2026-11-26 14:10")
    assert cal.add_working_hours(start, 1, minutes=10) == at("2026-11-26 15:00")
    assert cal.add_working_hours(start, dt.timedelta(minutes=20)) == at("2026-11-26 14:10")
    assert cal.add_working_time(start, dt.timedelta(hours=7)) == at("2026-11-27 11:50")
    with pytest.raises(ValueError):
        cal.add_working_hours(start, -1)
    with pytest.raises(TypeError):
        cal.add_working_hours(start, "2")


# -- working time between ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2026-11-26 09:00", "2026-11-26 10:30", dt.timedelta(hours=1, minutes=30)),
        ("2026-11-26 11:00", "2026-11-26 15:00", dt.timedelta(hours=2)),  # lunch excluded
        ("2026-11-26 12:10", "2026-11-26 13:50", dt.timedelta(0)),
        ("2026-11-26 00:00", "2026-11-27 00:00", dt.timedelta(hours=7)),
        ("2026-11-27 17:00", "2026-11-30 10:00", dt.timedelta(hours=2)),  # over a weekend
        ("2026-11-23 00:00", "2026-11-30 00:00", dt.timedelta(hours=35)),  # an ordinary week
        # National Day: 9-30 then 10-8 are the only working days.
        ("2026-09-30 09:00", "2026-10-08 18:00", dt.timedelta(hours=14)),
        ("2026-10-01 00:00", "2026-10-07 23:59", dt.timedelta(0)),
        # 2025 Spring Festival week with the Sunday make-up day.
        ("2025-01-25 00:00", "2025-01-27 00:00", dt.timedelta(hours=7)),
        ("2026-11-26 10:00", "2026-11-26 10:00", dt.timedelta(0)),
        # b before a: negative (antisymmetric).
        ("2026-11-26 15:00", "2026-11-26 11:00", -dt.timedelta(hours=2)),
    ],
)
def test_working_time_between(cal, a, b, expected):
    assert cal.working_time_between(at(a), at(b)) == expected


def test_working_time_between_mixed_zones(cal):
    a = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)  # 09:00 Shanghai
    assert cal.working_time_between(a, at("2026-11-26 11:00")) == dt.timedelta(hours=2)


# -- next day, working instants -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        ("2026-11-26 15:00", "2026-11-27 09:00"),
        ("2026-11-27 08:00", "2026-11-30 09:00"),  # Friday -> Monday
        ("2026-11-28 10:00", "2026-11-30 09:00"),  # from a Saturday
        ("2026-09-30 15:00", "2026-10-08 09:00"),  # over National Day
        ("2026-02-13 23:59", "2026-02-14 09:00"),  # make-up Saturday
    ],
)
def test_start_of_next_working_day(cal, instant, expected):
    assert cal.start_of_next_working_day(at(instant)) == at(expected)


def test_next_working_instant_and_is_working_time(cal):
    assert cal.is_working_time(at("2026-11-26 09:00"))
    assert not cal.is_working_time(at("2026-11-26 12:00"))  # end excluded
    assert not cal.is_working_time(at("2026-11-28 10:00"))  # Saturday
    assert not cal.is_working_time(at("2026-10-02 10:00"))  # National Day
    assert cal.next_working_instant(at("2026-11-26 10:17")) == at("2026-11-26 10:17")
    assert cal.next_working_instant(at("2026-11-26 12:30")) == at("2026-11-26 14:00")
    assert cal.next_working_instant(at("2026-11-26 18:00")) == at("2026-11-27 09:00")
    assert cal.next_working_instant(at("2026-10-01 08:00")) == at("2026-10-08 09:00")


# -- natural time and add_duration ---------------------------------------------------------------


def test_duration_unit_codes_are_stable():
    assert [u.value for u in DurationUnit] == ["min", "h", "d", "wh", "wd"]


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (30, "min", "2026-09-30 10:30"),
        (24, "h", "2026-10-01 10:00"),
        (7, "d", "2026-10-07 10:00"),
        (3, "wh", "2026-09-30 15:00"),
        (3, "wd", "2026-10-10 10:00"),
        (3, DurationUnit.WORKING_DAYS, "2026-10-10 10:00"),
        (Decimal("1.5"), "h", "2026-09-30 11:30"),
    ],
)
def test_add_duration(cal, amount, unit, expected):
    assert cal.add_duration(at("2026-09-30 10:00"), amount, unit) == at(expected)


def test_add_duration_refuses_unknown_units_and_negatives(cal):
    with pytest.raises(ValueError, match="unit"):
        cal.add_duration(at("2026-09-30 10:00"), 3, "weeks")
    with pytest.raises(ValueError):
        cal.add_duration(at("2026-09-30 10:00"), -3, "h")


def test_natural_time_needs_no_calendar(cal):
    # Natural time runs straight through holidays and into years nobody covers.
    assert cal.add_natural(at("2026-12-31 20:00"), dt.timedelta(hours=5)) == at("2027-01-01 01:00")
    assert cal.add_duration(at("2029-06-01 10:00"), 2, "d") == at("2029-06-03 10:00")


# -- time zones ----------------------------------------------------------------------------------


def test_results_are_aware_in_shanghai_time(cal):
    start = dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    for result in (
        cal.add_working_days(start, 3),
        cal.add_working_hours(start, 1),
        cal.add_natural(start, dt.timedelta(hours=1)),
        cal.start_of_next_working_day(start),
    ):
        assert result.tzinfo is not None
        assert result.utcoffset() == dt.timedelta(hours=8)
        assert str(result.tzinfo) == "Asia/Shanghai"
    assert cal.add_working_days(start, 3) == at("2026-10-10 10:00")


@pytest.mark.parametrize(
    "call",
    [
        lambda c, naive: c.add_working_days(naive, 1),
        lambda c, naive: c.add_working_hours(naive, 1),
        lambda c, naive: c.add_natural(naive, dt.timedelta(hours=1)),
        lambda c, naive: c.add_duration(naive, 1, "h"),
        lambda c, naive: c.working_time_between(naive, at("2026-11-27 10:00")),
        lambda c, naive: c.working_time_between(at("2026-11-25 10:00"), naive),
        lambda c, naive: c.start_of_next_working_day(naive),
        lambda c, naive: c.is_working_day(naive),
        lambda c, naive: c.is_working_time(naive),
    ],
)
def test_naive_datetimes_are_refused(cal, call):
    with pytest.raises(ValueError, match="[Nn]aive datetime 2026-11-26T10:00"):
        call(cal, dt.datetime(2026, 11, 26, 10, 0))


# -- coverage ------------------------------------------------------------------------------------


def test_library_range():
    assert (LIBRARY_FIRST_YEAR, LIBRARY_LAST_YEAR) == (2004, 2026)


@pytest.mark.parametrize("year", [2028, 2030, 2003])
def test_an_uncovered_year_is_refused_naming_the_year(cal, year):
    # 2027, the year after the library's last, is the provisional year (test_provisional.py).
    with pytest.raises(CalendarNotCovered) as caught:
        cal.is_working_day(dt.date(year, 3, 1))
    assert caught.value.year == year
    assert str(year) in str(caught.value)
    assert "does not cover" in str(caught.value)
    assert "An administrator can fix this" in str(caught.value)


def test_arithmetic_beyond_the_provisional_year_is_refused(cal):
    with pytest.raises(CalendarNotCovered, match="2028"):
        cal.add_working_days(at("2027-12-30 10:00"), 3)
    with pytest.raises(CalendarNotCovered, match="2028"):
        cal.add_working_hours(at("2027-12-31 17:00"), 2)
    with pytest.raises(CalendarNotCovered, match="2028"):
        cal.working_time_between(at("2027-12-31 10:00"), at("2028-01-05 10:00"))
    with pytest.raises(CalendarNotCovered, match="2028"):
        cal.start_of_next_working_day(at("2027-12-31 10:00"))
    # What stays inside 2027 is answered.
    assert cal.add_working_days(at("2027-12-29 10:00"), 2) == at("2027-12-31 10:00")
    assert cal.add_working_hours(at("2027-12-31 17:00"), 1) == at("2027-12-31 18:00")
    # Midnight that opens 2028 contributes no working time: still answered.
    assert cal.working_time_between(at("2027-12-31 17:00"), at("2028-01-01 00:00")) == (
        dt.timedelta(hours=1)
    )


def test_without_the_provisional_year_the_next_year_is_refused():
    cal = WorkingCalendar(provisional=False)
    assert cal.provisional_year is None
    with pytest.raises(CalendarNotCovered, match="2027"):
        cal.add_working_days(at("2026-12-30 10:00"), 3)


def test_an_override_alone_does_not_cover_a_year():
    cal = WorkingCalendar(overrides={d("2027-02-08"): False, d("2028-01-03"): False})
    assert cal.coverage([2027]) == {2027: None}
    # 2027 is answered provisionally, the override winning as everywhere; 2028 is refused.
    assert cal.day_info(d("2027-02-08")).source == "override"
    with pytest.raises(CalendarNotCovered):
        cal.is_working_day(d("2028-01-03"))


def test_a_declared_year_uses_weekdays_and_its_overrides():
    cal = WorkingCalendar(
        overrides={d("2027-01-01"): False, d("2027-02-08"): False, d("2027-02-20"): True},
        override_names={d("2027-02-08"): "春节"},
        covered_years=[2027],
    )
    assert cal.is_working_day(d("2027-02-05"))  # Friday
    assert not cal.is_working_day(d("2027-02-06"))  # Saturday
    assert not cal.is_working_day(d("2027-02-08"))  # Monday, entered as a holiday
    assert cal.is_working_day(d("2027-02-20"))  # Saturday, entered as a make-up day
    assert cal.day_info(d("2027-02-08")).name == "春节"
    assert cal.day_info(d("2027-02-09")).source == "declared"
    # 12-31, then 1-1 is a holiday, then Monday 1-4 and Tuesday 1-5.
    assert cal.add_working_days(at("2026-12-30 10:00"), 3) == at("2027-01-05 10:00")
    assert cal.coverage([2026, 2027, 2028]) == {
        2026: Coverage.LIBRARY,
        2027: Coverage.DECLARED,
        2028: None,
    }
    assert cal.uncovered_years(2025, 2030) == [2028, 2029, 2030]


def test_overrides_win_over_the_library():
    cal = WorkingCalendar(overrides={d("2026-10-08"): False, d("2026-11-28"): True})
    assert not cal.is_working_day(d("2026-10-08"))
    assert cal.is_working_day(d("2026-11-28"))
    assert cal.day_info(d("2026-10-08")).source == "override"
    assert cal.add_working_days(at("2026-09-30 10:00"), 3) == at("2026-10-12 10:00")


# -- working periods -----------------------------------------------------------------------------


def test_other_working_periods():
    cal = WorkingCalendar(periods=[(dt.time(8, 30), dt.time(17, 30))])
    assert cal.add_working_hours(at("2026-11-26 17:00"), 1) == at("2026-11-27 09:00")
    assert cal.working_time_between(at("2026-11-26 00:00"), at("2026-11-27 00:00")) == (
        dt.timedelta(hours=9)
    )
    assert cal.start_of_next_working_day(at("2026-11-26 10:00")) == at("2026-11-27 08:30")


def test_periods_are_sorted_and_adjacent_ones_allowed():
    cal = WorkingCalendar(
        periods=[(dt.time(14), dt.time(18)), (dt.time(12), dt.time(14)), (dt.time(9), dt.time(12))]
    )
    assert cal.periods[0] == (dt.time(9), dt.time(12))
    assert cal.add_working_hours(at("2026-11-26 11:00"), 2) == at("2026-11-26 13:00")


@pytest.mark.parametrize(
    "periods",
    [
        [(dt.time(9), dt.time(12)), (dt.time(11), dt.time(13))],
        [(dt.time(12), dt.time(9))],
        [(dt.time(9), dt.time(9))],
    ],
)
def test_bad_periods_are_refused(periods):
    with pytest.raises(CalendarMisconfigured):
        WorkingCalendar(periods=periods)


def test_no_periods_refuses_working_hours_but_not_working_days():
    cal = WorkingCalendar(periods=[])
    with pytest.raises(CalendarMisconfigured, match="No working periods"):
        cal.add_working_hours(at("2026-11-26 10:00"), 1)
    with pytest.raises(CalendarMisconfigured):
        cal.start_of_next_working_day(at("2026-11-26 10:00"))
    assert cal.add_working_days(at("2026-11-26 10:00"), 1) == at("2026-11-27 10:00")
    assert cal.working_time_between(at("2026-11-26 10:00"), at("2026-11-27 10:00")) == (
        dt.timedelta(0)
    )
