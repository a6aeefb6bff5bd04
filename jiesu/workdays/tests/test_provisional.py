# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The provisional year: statutory holidays computed from the rules, checked against the official
calendar of the years the chinesecalendar library knows; deadlines marked provisional; the year
beyond refused; the signal that tells the rooms storing deadlines."""

import datetime as dt
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from chinese_calendar import Holiday
from django.db import transaction

from jiesu.workdays import calendar, statutory
from jiesu.workdays.calendar import (
    LIBRARY_FIRST_YEAR,
    LIBRARY_LAST_YEAR,
    CalendarNotCovered,
    Deadline,
    WorkingCalendar,
)
from jiesu.workdays.models import CalendarOverride, CoveredYear
from jiesu.workdays.signals import calendar_changed

SHANGHAI = ZoneInfo("Asia/Shanghai")
ONE_DAY = dt.timedelta(days=1)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# -- the statutory holidays against the official calendar ----------------------------------------


def _same_rule_then(year: int, day: dt.date, holiday: Holiday) -> bool:
    """Whether the rules in force in `year` made `day` a holiday as the 2025 rules do.

    1999 rules (to 2007): New Year 1 day, Spring Festival 1st-3rd, Labour Day 1-3 May, National
    Day 1-3 October. 2008 amendment: Spring Festival eve, 1st, 2nd; Labour Day 1 May; Qingming,
    Dragon Boat and Mid-autumn added. 2013 amendment (from 2014): Spring Festival 1st-3rd.
    2024 amendment (from 2025): Spring Festival eve and 1st-3rd; Labour Day 1-2 May.
    """
    if holiday is Holiday.spring_festival:
        eve = statutory.lunar_date(year, 1, 1) - ONE_DAY
        if day == eve:
            return 2008 <= year <= 2013 or year >= 2025
        if day == eve + 3 * ONE_DAY:  # the 3rd of the first month
            return year <= 2007 or year >= 2014
        return True
    if holiday in (
        Holiday.tomb_sweeping_day,
        Holiday.dragon_boat_festival,
        Holiday.mid_autumn_festival,
    ):
        return year >= 2008
    if holiday is Holiday.labour_day and day.day == 2:
        return year <= 2007 or year >= 2025
    return True


@pytest.mark.parametrize("year", range(LIBRARY_FIRST_YEAR, LIBRARY_LAST_YEAR + 1))
def test_computed_festivals_match_the_official_calendar(year):
    """Each computed festival day the rules of that year shared is an official holiday of that
    name (the library leaves some weekend days of an arrangement unnamed; where two festivals
    fall on one day, the library names one of them)."""
    computed = statutory.statutory_holidays(year)
    by_day: dict[dt.date, set[str]] = {}
    for day, holiday in computed:
        by_day.setdefault(day, set()).add(holiday.value)
    checked = 0
    for day, holiday in computed:
        if not _same_rule_then(year, day, holiday):
            continue
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        assert on_holiday, f"{day} ({holiday.value}) is a working day in the official calendar"
        if name is None:
            assert day.weekday() >= 5, f"{day} ({holiday.value}) is unnamed on a weekday"
        else:
            assert name in by_day[day], f"{day}: computed {by_day[day]}, official {name}"
        checked += 1
    assert checked >= (13 if year >= 2025 else 9)


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_festival_of_the_2025_rules_is_checked_in_full(year):
    """Under the rules in force, all 13 statutory days of 2025 and 2026 are official holidays of
    that name, and the library has no festival whose statutory day we missed."""
    computed = dict(statutory.statutory_holidays(year))
    assert len(computed) == 13
    for day, holiday in computed.items():
        assert chinese_calendar.get_holiday_detail(day) == (True, holiday.value)
    for holiday in Holiday:
        if holiday is Holiday.anti_fascist_70th_day:
            continue
        assert holiday in computed.values()


def test_2027_and_2028_as_computed():
    """The festivals of the years ahead (lunar dates and the solar term computed), as almanacs
    publish them: 2027 Spring Festival on 6 February, 2028 Mid-autumn on National Day's 3rd."""
    assert statutory.statutory_holidays(2027) == (
        (d("2027-01-01"), Holiday.new_years_day),
        (d("2027-02-05"), Holiday.spring_festival),
        (d("2027-02-06"), Holiday.spring_festival),
        (d("2027-02-07"), Holiday.spring_festival),
        (d("2027-02-08"), Holiday.spring_festival),
        (d("2027-04-05"), Holiday.tomb_sweeping_day),
        (d("2027-05-01"), Holiday.labour_day),
        (d("2027-05-02"), Holiday.labour_day),
        (d("2027-06-09"), Holiday.dragon_boat_festival),
        (d("2027-09-15"), Holiday.mid_autumn_festival),
        (d("2027-10-01"), Holiday.national_day),
        (d("2027-10-02"), Holiday.national_day),
        (d("2027-10-03"), Holiday.national_day),
    )
    days_2028 = statutory.statutory_holidays(2028)
    assert (d("2028-01-25"), Holiday.spring_festival) in days_2028  # eve of 26 January
    assert (d("2028-04-04"), Holiday.tomb_sweeping_day) in days_2028
    assert (d("2028-05-28"), Holiday.dragon_boat_festival) in days_2028
    assert (d("2028-10-03"), Holiday.mid_autumn_festival) in days_2028
    assert (d("2028-10-03"), Holiday.national_day) in days_2028


# -- the provisional year in the arithmetic ------------------------------------------------------


def test_the_provisional_year_is_the_one_after_the_last_covered():
    assert WorkingCalendar().provisional_year == LIBRARY_LAST_YEAR + 1 == 2027
    assert WorkingCalendar(covered_years=[2027]).provisional_year == 2028
    assert WorkingCalendar(covered_years=[2027, 2028]).provisional_year == 2029
    # A declared year further on does not move it: the gap comes first.
    assert WorkingCalendar(covered_years=[2029]).provisional_year == 2027


def test_provisional_days():
    cal = WorkingCalendar()
    spring = cal.day_info(d("2027-02-08"))  # Monday, the 3rd of the first month
    assert (spring.is_working_day, spring.source, spring.name) == (
        False,
        "provisional",
        "Spring Festival",
    )
    assert cal.day_info(d("2027-02-05")).name == "Spring Festival"  # Friday, the eve
    assert not cal.is_working_day(d("2027-02-06"))  # Saturday
    assert cal.is_working_day(d("2027-02-09"))  # Tuesday: the notice's extra days are unknown
    assert not cal.is_working_day(d("2027-04-05"))  # Qingming, a Monday
    assert cal.is_working_day(d("2027-04-06"))
    # No make-up working day is known: every Saturday and Sunday rests.
    assert not cal.is_working_day(d("2027-02-20"))
    assert cal.day_info(d("2027-03-03")) == calendar.DayInfo(
        d("2027-03-03"), True, "provisional", ""
    )
    both = WorkingCalendar(covered_years=[2027]).day_info(d("2028-10-03"))
    assert both.name == "Mid-autumn Festival, National Day"


def test_deadlines_say_whether_they_are_provisional():
    cal = WorkingCalendar()
    # Inside the covered year: official.
    assert cal.deadline(at("2026-12-20 10:00"), 3, "wd") == Deadline(at("2026-12-23 10:00"))
    # Into 2027: 15 working days from Sunday 20 December (1 January rests).
    assert cal.deadline(at("2026-12-20 10:00"), 15, "wd") == Deadline(
        at("2027-01-11 10:00"), provisional=True
    )
    # Working hours that end on 31 December never looked at 2027.
    assert not cal.deadline(at("2026-12-31 16:00"), 2, "wh").provisional
    assert cal.deadline(at("2026-12-31 17:00"), 2, "wh") == Deadline(
        at("2027-01-04 10:00"), provisional=True
    )
    # Natural time needs no calendar.
    assert cal.deadline(at("2026-12-31 20:00"), 2, "d") == Deadline(at("2027-01-02 20:00"))
    # Nothing counted, nothing provisional.
    assert not cal.deadline(at("2027-03-03 10:00"), 0, "wd").provisional
    # Across the Spring Festival: the eve and 1st-3rd rest, the weekend too.
    assert cal.deadline(at("2027-02-04 10:00"), 2, "wd") == Deadline(
        at("2027-02-10 10:00"), provisional=True
    )
    # Once 2027 is declared, the same count is official (and here the same day).
    declared = WorkingCalendar(covered_years=[2027], overrides={d("2027-01-01"): False})
    assert declared.deadline(at("2026-12-20 10:00"), 15, "wd") == Deadline(at("2027-01-11 10:00"))


def test_the_year_beyond_stays_refused_and_says_who_can_fix_it():
    cal = WorkingCalendar()
    with pytest.raises(CalendarNotCovered) as caught:
        cal.deadline(at("2027-12-20 10:00"), 15, "wd")
    error = caught.value
    assert (error.year, error.provisional_year) == (2028, 2027)
    assert str(error) == (
        "The working calendar does not cover 2028: deadlines may run only one year beyond the "
        "entered calendar (into 2027, provisionally). An administrator can fix this: in Working "
        "calendar, enter the public holidays and make-up working days of every year up to 2027 "
        "and declare each complete."
    )


def test_the_refusal_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        message = str(CalendarNotCovered(2028, 2027))
    assert message.startswith("工作日历未覆盖 2028 年")
    assert "管理员" in message and "“工作日历”" in message


# -- the database and the signal -----------------------------------------------------------------


@pytest.mark.django_db
def test_module_functions_mark_provisional_deadlines():
    assert calendar.provisional_year() == 2027
    assert calendar.deadline(at("2026-12-20 10:00"), 15, "wd") == Deadline(
        at("2027-01-11 10:00"), provisional=True
    )
    assert calendar.deadline(at("2026-12-31 20:00"), 1, "h") == Deadline(at("2026-12-31 21:00"))
    assert calendar.years_to_enter(d("2026-09-30")) == []
    assert calendar.years_to_enter(d("2026-10-01")) == [2027]
    assert calendar.years_to_enter(d("2027-01-10")) == [2027]


@pytest.mark.django_db
def test_a_committed_change_is_announced_once(django_capture_on_commit_callbacks):
    received = []

    def receiver(sender, using, **kwargs):
        received.append(using)

    calendar_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            CalendarOverride.objects.create(date=d("2027-01-04"), is_working_day=False)
            CoveredYear.objects.create(year=2027)
            assert received == []  # not before the commit
        assert received == ["default"]  # one transaction, one announcement
        # The transaction saw its own changes; after the commit every caller does.
        assert calendar.provisional_year() == 2028
    finally:
        calendar_changed.disconnect(receiver)


@pytest.mark.django_db
def test_a_rolled_back_change_is_not_announced_nor_kept():
    received = []

    def receiver(sender, using, **kwargs):
        received.append(using)

    calendar_changed.connect(receiver)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            CalendarOverride.objects.create(date=d("2027-01-04"), is_working_day=False)
            CoveredYear.objects.create(year=2027)
            assert calendar.provisional_year() == 2028  # seen inside
            raise RuntimeError("roll back")
        assert calendar.provisional_year() == 2027
        assert received == []
    finally:
        calendar_changed.disconnect(receiver)
