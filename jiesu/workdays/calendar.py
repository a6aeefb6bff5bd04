# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The working calendar and all deadline arithmetic. Every deadline in Jiesu is computed here.

Which days are working days
    1. An administrator's `CalendarOverride` for the date, if there is one;
    2. otherwise the `chinesecalendar` library (official holidays and make-up working days 调休)
       for the years it knows (2004-2026 in chinesecalendar 1.11.0);
    3. otherwise, for a year an administrator declared complete (`CoveredYear`), Monday to Friday
       are working days and Saturday and Sunday rest days;
    4. otherwise, for the provisional year (the one year right after the last covered one), the
       statutory holidays computed from the rules (`jiesu.workdays.statutory`) and the weekends
       are rest days, every other day a working day; make-up days (调休) are unknown. Overrides
       already entered for that year win, as everywhere. Deadlines that touch this year are
       marked provisional (`Deadline.provisional`) and recomputed when the year is covered
       (the `calendar_changed` signal tells the rooms that store deadlines);
    5. any other year raises `CalendarNotCovered`, naming the year and who can fix it.
    A year must be covered (by the library or a declaration) before any of its dates is answered
    as official; until then only the provisional year is answered, and only provisionally.
    See docs/adr/0009-provisional-calendar.md.

Working time
    The working periods (`WorkingPeriod`, by default 09:00-12:00 and 14:00-18:00) of working
    days, in local time (settings.TIME_ZONE, Asia/Shanghai).

Conventions (see docs/adr/0004-working-day-convention.md)
    - N working days from an instant end at the same clock time on the N-th working day after
      that instant's day, whatever that day is (working day or not, inside working hours or not).
    - N working hours from an instant are the N hours of working time that follow it; the
      deadline may fall exactly at the end of a period (16:00 + 2 working hours = 18:00 the same
      day, not 09:00 the next working day).
    - `working_time_between(a, b)` is antisymmetric: negative when b is before a (the working
      time by which b misses a), zero when they are equal.
    - Natural time (minutes, hours, days) is absolute time and needs no calendar.

All instants must be aware datetimes; results are aware datetimes in settings.TIME_ZONE.

Use the module functions (they share one `WorkingCalendar` loaded from the database and kept in
memory: a change saved in this process is seen at once, a change saved by another process within
`JIESU["CALENDAR_CHECK_SECONDS"]`, see the cache below), or `get_calendar()` once and its methods
for a batch of computations. `deadline()` returns a `Deadline` that says whether it is
provisional.
"""

from __future__ import annotations

import datetime as dt
import enum
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from numbers import Rational
from zoneinfo import ZoneInfo

import chinese_calendar
from chinese_calendar import constants as _library_data
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext

from jiesu.workdays import statutory
from jiesu.workdays.signals import calendar_changed
from jiesu.workdays.units import DurationUnit

__all__ = [
    "DEFAULT_PERIODS",
    "LIBRARY_FIRST_YEAR",
    "LIBRARY_LAST_YEAR",
    "CalendarError",
    "CalendarMisconfigured",
    "CalendarNotCovered",
    "Coverage",
    "DayInfo",
    "Deadline",
    "WorkingCalendar",
    "add_duration",
    "add_natural",
    "add_working_days",
    "add_working_hours",
    "add_working_time",
    "coverage",
    "day_info",
    "deadline",
    "get_calendar",
    "invalidate_cache",
    "is_working_day",
    "is_working_time",
    "library_covers",
    "next_working_day",
    "next_working_instant",
    "provisional_year",
    "start_of_next_working_day",
    "uncovered_years",
    "working_time_between",
    "years_to_enter",
]

LIBRARY_FIRST_YEAR: int = min(_library_data.holidays).year
LIBRARY_LAST_YEAR: int = max(_library_data.holidays).year

DEFAULT_PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(9, 0), dt.time(12, 0)),
    (dt.time(14, 0), dt.time(18, 0)),
)

_ONE_DAY = dt.timedelta(days=1)
_ZERO = dt.timedelta(0)


# -- errors ------------------------------------------------------------------------------------


class CalendarError(Exception):
    """Base class of the working calendar's errors."""


class CalendarNotCovered(CalendarError):
    """The calendar cannot answer for a year: neither the library nor an administrator covers it,
    and it is not the provisional year either."""

    def __init__(self, year: int, provisional_year: int | None = None):
        self.year = year
        self.provisional_year = provisional_year
        super().__init__(year)

    @property
    def message(self) -> str:
        # Translated when shown, in the language active then. It says who can fix it.
        if self.provisional_year is not None and self.year > self.provisional_year:
            return gettext(
                "The working calendar does not cover %(year)s: deadlines may run only one year "
                "beyond the entered calendar (into %(provisional)s, provisionally). An "
                "administrator can fix this: in Working calendar, enter the public holidays and "
                "make-up working days of every year up to %(last)s and declare each complete."
            ) % {
                "year": self.year,
                "provisional": self.provisional_year,
                "last": self.year - 1,
            }
        return gettext(
            "The working calendar does not cover %(year)s. An administrator can fix this: in "
            "Working calendar, enter that year's public holidays and make-up working days and "
            "declare the year complete."
        ) % {"year": self.year}

    def __str__(self):
        return self.message


class CalendarMisconfigured(CalendarError):
    """The working periods cannot be used (none configured, or overlapping)."""


# -- coverage ----------------------------------------------------------------------------------


class Coverage(enum.StrEnum):
    """Who vouches for a year's working days."""

    LIBRARY = "library"  # the chinesecalendar library knows the year
    DECLARED = "declared"  # an administrator declared the year complete (CoveredYear)


def library_covers(year: int) -> bool:
    """Whether the installed `chinesecalendar` knows this year's holidays and make-up days."""
    return LIBRARY_FIRST_YEAR <= year <= LIBRARY_LAST_YEAR


@dataclass(frozen=True)
class DayInfo:
    """What the calendar says about one date, and why."""

    date: dt.date
    is_working_day: bool
    source: str  # "override", "library", "declared" or "provisional"
    name: str  # the override's name or the holiday's name; "" for an ordinary day


@dataclass(frozen=True)
class Deadline:
    """A computed deadline, and whether it rests on the provisional year.

    `provisional` is true when the working time counted to reach `at` ran through a day of the
    provisional year: the deadline may move once that year's official calendar is entered.
    """

    at: dt.datetime
    provisional: bool = False


# -- helpers -----------------------------------------------------------------------------------


#: A number of units (checked at run time: bool and other types are refused), or a timedelta.
Amount = int | float | Decimal | Fraction | Rational | dt.timedelta
#: A whole number of units, possibly written 2.0 or Decimal('2') (checked at run time).
Count = int | Rational | float | Decimal


def _as_duration(amount: Amount, unit: dt.timedelta, what: str) -> dt.timedelta:
    """`amount` units (int, float, Decimal, Fraction) or a timedelta, exact to the microsecond."""
    if isinstance(amount, dt.timedelta):
        return amount
    if type(amount) is int:  # the common case, exact without fractions
        return unit * amount
    if isinstance(amount, bool) or not isinstance(amount, Rational | float | Decimal):
        raise TypeError(f"{what} must be a number or a timedelta, not {type(amount).__name__}")
    micros = Fraction(amount) * Fraction(unit // dt.timedelta(microseconds=1))
    return dt.timedelta(microseconds=round(micros))


def _as_count(n: Count, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, Rational | float | Decimal):
        raise TypeError(f"{what} must be a whole number, not {type(n).__name__}")
    exact = Fraction(n)
    if exact.denominator != 1:
        raise ValueError(f"{what} must be a whole number, got {n}")
    return exact.numerator


# -- the calendar ------------------------------------------------------------------------------


class WorkingCalendar:
    """A working calendar: the library, overrides, declared years and working periods.

    Treat it as immutable once built. `WorkingCalendar.from_database()` loads the administrators' data in
    three queries; the plain constructor takes it as arguments (handy for tests and what-ifs).
    """

    def __init__(
        self,
        *,
        overrides: Mapping[dt.date, bool] | None = None,
        override_names: Mapping[dt.date, str] | None = None,
        covered_years: Iterable[int] = (),
        periods: Sequence[tuple[dt.time, dt.time]] = DEFAULT_PERIODS,
        tz: dt.tzinfo | str | None = None,
        provisional: bool = True,
    ):
        self.overrides: dict[dt.date, bool] = dict(overrides or {})
        self.override_names: dict[dt.date, str] = dict(override_names or {})
        self.covered_years: frozenset[int] = frozenset(covered_years)
        # The one year after the last covered one, answered provisionally (None: refuse it).
        self.provisional_year: int | None = None
        if provisional:
            year = LIBRARY_LAST_YEAR + 1
            while year in self.covered_years:
                year += 1
            self.provisional_year = year
        self.periods: tuple[tuple[dt.time, dt.time], ...] = self._validated_periods(periods)
        if tz is None:
            tz = timezone.get_default_timezone()
        elif isinstance(tz, str):
            tz = ZoneInfo(tz)
        self.tz: dt.tzinfo = tz
        self._days: dict[dt.date, bool] = {}

    @classmethod
    def from_database(cls, using: str = DEFAULT_DB_ALIAS) -> WorkingCalendar:
        from jiesu.workdays.models import CalendarOverride, CoveredYear, WorkingPeriod

        overrides, names = {}, {}
        rows = CalendarOverride.objects.using(using).values_list("date", "is_working_day", "name")
        for date, working, name in rows:
            overrides[date] = working
            if name:
                names[date] = name
        years = CoveredYear.objects.using(using).values_list("year", flat=True)
        periods = WorkingPeriod.objects.using(using).order_by("start").values_list("start", "end")
        return cls(
            overrides=overrides, override_names=names, covered_years=years, periods=list(periods)
        )

    @staticmethod
    def _validated_periods(
        periods: Iterable[tuple[dt.time, dt.time]],
    ) -> tuple[tuple[dt.time, dt.time], ...]:
        ordered = sorted((start, end) for start, end in periods)
        for start, end in ordered:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise CalendarMisconfigured("Working periods are local wall-clock times.")
            if end <= start:
                raise CalendarMisconfigured(
                    f"Working period {start:%H:%M}-{end:%H:%M} does not end after it starts."
                )
        for (start_a, end_a), (start_b, end_b) in zip(ordered, ordered[1:], strict=False):
            if start_b < end_a:
                raise CalendarMisconfigured(
                    f"Working periods {start_a:%H:%M}-{end_a:%H:%M} and "
                    f"{start_b:%H:%M}-{end_b:%H:%M} overlap."
                )
        return tuple(ordered)

    def __repr__(self):
        spans = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.periods)
        return (
            f"<WorkingCalendar {len(self.overrides)} overrides, "
            f"declared {sorted(self.covered_years)}, provisional {self.provisional_year}, "
            f"periods {spans}, {self.tz}>"
        )

    # -- coverage ------------------------------------------------------------------------------

    def year_coverage(self, year: int) -> Coverage | None:
        if library_covers(year):
            return Coverage.LIBRARY
        if year in self.covered_years:
            return Coverage.DECLARED
        return None

    def coverage(self, years: Iterable[int]) -> dict[int, Coverage | None]:
        """For each year, who covers it (`Coverage.LIBRARY` / `DECLARED`) or None."""
        return {year: self.year_coverage(year) for year in years}

    def uncovered_years(self, first: int, last: int) -> list[int]:
        """The years from `first` to `last` (inclusive) the calendar cannot answer for."""
        return [year for year in range(first, last + 1) if self.year_coverage(year) is None]

    def is_year_covered(self, year: int) -> bool:
        """Whether the year's official calendar is known (the provisional year is not)."""
        return self.year_coverage(year) is not None

    def years_to_enter(self, today: dt.date, next_year_from_month: int = 10) -> list[int]:
        """The years an administrator must enter now: this year when it is not covered and,
        from `next_year_from_month` (October) on, next year when it is not covered."""
        years = [today.year]
        if today.month >= next_year_from_month:
            years.append(today.year + 1)
        return [year for year in years if not self.is_year_covered(year)]

    # -- days ----------------------------------------------------------------------------------

    def _as_date(self, day: dt.date) -> dt.date:
        if isinstance(day, dt.datetime):
            return self.localize(day).date()
        if not isinstance(day, dt.date):
            raise TypeError(f"Expected a date, not {type(day).__name__}")
        return day

    def day_info(self, day: dt.date) -> DayInfo:
        """Whether `day` is a working day, and where that comes from."""
        day = self._as_date(day)
        covered = self.year_coverage(day.year)
        if covered is None:
            if day.year != self.provisional_year:
                raise CalendarNotCovered(day.year, self.provisional_year)
            return self._provisional_day(day)
        if day in self.overrides:
            return DayInfo(day, self.overrides[day], "override", self.override_names.get(day, ""))
        if covered is Coverage.LIBRARY:
            try:
                on_holiday, name = chinese_calendar.get_holiday_detail(day)
            except NotImplementedError as exc:  # defensive: the library's own range check
                raise CalendarNotCovered(day.year) from exc
            return DayInfo(day, not on_holiday, "library", name or "")
        return DayInfo(day, day.weekday() < 5, "declared", "")

    def _provisional_day(self, day: dt.date) -> DayInfo:
        if day in self.overrides:
            return DayInfo(day, self.overrides[day], "override", self.override_names.get(day, ""))
        names = [h.value for when, h in statutory.statutory_holidays(day.year) if when == day]
        if names:
            return DayInfo(day, False, "provisional", ", ".join(dict.fromkeys(names)))
        return DayInfo(day, day.weekday() < 5, "provisional", "")

    def is_working_day(self, day: dt.date) -> bool:
        """True for a working day. A datetime counts by its local date."""
        day = self._as_date(day)
        known = self._days.get(day)
        if known is None:
            known = self._days[day] = self.day_info(day).is_working_day
        return known

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day` (a datetime counts by its local date)."""
        day = self._as_date(day) + _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    # -- instants ------------------------------------------------------------------------------

    def localize(self, instant: dt.datetime) -> dt.datetime:
        """`instant` in the calendar's time zone; naive datetimes are refused."""
        if not isinstance(instant, dt.datetime):
            raise TypeError(f"Expected a datetime, not {type(instant).__name__}")
        if timezone.is_naive(instant):
            raise ValueError(
                f"Naive datetime {instant.isoformat()} given to the working calendar: pass an "
                f"aware datetime (e.g. django.utils.timezone.make_aware(value)), so that "
                f"'{self.tz}' or any other zone is explicit."
            )
        return instant.astimezone(self.tz)

    def _require_periods(self) -> None:
        if not self.periods:
            raise CalendarMisconfigured(
                "No working periods are configured: add them in the admin (Working periods)."
            )

    def _period_bounds(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        return [
            (dt.datetime.combine(day, start, self.tz), dt.datetime.combine(day, end, self.tz))
            for start, end in self.periods
        ]

    def is_working_time(self, instant: dt.datetime) -> bool:
        """True when `instant` lies inside a working period (start included, end excluded)."""
        local = self.localize(instant)
        moment = local.time()
        if not any(start <= moment < end for start, end in self.periods):
            return False
        return self.is_working_day(local.date())

    def next_working_instant(self, instant: dt.datetime) -> dt.datetime:
        """`instant` itself when it is working time, else the start of the next working period."""
        self._require_periods()
        local = self.localize(instant)
        if self.is_working_time(local):
            return local
        day = local.date()
        if self.is_working_day(day):
            for start, _end in self._period_bounds(day):
                if start > local:
                    return start
        return dt.datetime.combine(self.next_working_day(day), self.periods[0][0], self.tz)

    def start_of_next_working_day(self, instant: dt.datetime) -> dt.datetime:
        """The start of the first working period on the first working day after `instant`'s day.

        For limits counted "from the next day" (次日起): the clock starts then.
        """
        self._require_periods()
        local = self.localize(instant)
        return dt.datetime.combine(self.next_working_day(local.date()), self.periods[0][0], self.tz)

    # -- arithmetic ----------------------------------------------------------------------------

    def add_natural(self, start: dt.datetime, delta: dt.timedelta) -> dt.datetime:
        """`start` plus `delta` of absolute (natural) time; needs no calendar."""
        if not isinstance(delta, dt.timedelta):
            raise TypeError(f"delta must be a timedelta, not {type(delta).__name__}")
        local = self.localize(start)
        return (local.astimezone(dt.UTC) + delta).astimezone(self.tz)

    def add_working_time(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The instant at which `duration` of working time after `start` has passed."""
        local = self.localize(start)
        if not isinstance(duration, dt.timedelta):
            raise TypeError(f"duration must be a timedelta, not {type(duration).__name__}")
        if duration < _ZERO:
            raise ValueError(f"Working time to add must not be negative, got {duration}")
        if duration == _ZERO:
            return local
        self._require_periods()
        remaining = duration
        cursor = local
        day = local.date()
        while True:
            for period_start, period_end in self._period_bounds(day):
                begin = max(period_start, cursor)
                if begin >= period_end or not self.is_working_day(day):
                    continue
                available = period_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += _ONE_DAY
            cursor = dt.datetime.combine(day, dt.time(0), self.tz)

    def add_working_hours(
        self, start: dt.datetime, hours: Amount = 0, minutes: Amount = 0
    ) -> dt.datetime:
        """`start` plus working hours (and minutes). Numbers may be int, float, Decimal."""
        duration = _as_duration(hours, dt.timedelta(hours=1), "hours") + _as_duration(
            minutes, dt.timedelta(minutes=1), "minutes"
        )
        return self.add_working_time(start, duration)

    def add_working_days(self, start: dt.datetime, n: Count) -> dt.datetime:
        """Same clock time on the n-th working day after `start`'s (local) day.

        `start`'s own day counts for nothing, working or not: 3 working days from a Friday
        10:00 (ordinary week) end on Wednesday 10:00, and so do 3 from the Saturday or Sunday.
        """
        n = _as_count(n, "Working days")
        if n < 0:
            raise ValueError(f"Working days to add must not be negative, got {n}")
        local = self.localize(start)
        day = local.date()
        for _ in range(n):
            day = self.next_working_day(day)
        return dt.datetime.combine(day, local.time(), self.tz)

    def working_time_between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Working time from `a` to `b`; negative when `b` is before `a` (antisymmetric)."""
        a, b = self.localize(a), self.localize(b)
        if b < a:
            return -self.working_time_between(b, a)
        total = _ZERO
        day, last = a.date(), b.date()
        while day <= last:
            for period_start, period_end in self._period_bounds(day):
                low, high = max(period_start, a), min(period_end, b)
                # Only days that contribute need to be known (a deadline at midnight of an
                # uncovered year's 1 January is still answerable).
                if high > low and self.is_working_day(day):
                    total += high - low
            day += _ONE_DAY
        return total

    def spans_provisional(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether working time counted from `start` to `end` runs through the provisional
        year (the arithmetic consults every day from the one to the other)."""
        if self.provisional_year is None or end == start:
            return False
        first, last = sorted((self.localize(start).date(), self.localize(end).date()))
        return first.year <= self.provisional_year <= last.year

    def deadline(self, start: dt.datetime, amount: Amount, unit: DurationUnit | str) -> Deadline:
        """`add_duration`, and whether the result is provisional."""
        at = self.add_duration(start, amount, unit)
        working = DurationUnit(unit) in _WORKING_UNITS
        return Deadline(at, working and self.spans_provisional(start, at))

    def add_duration(
        self, start: dt.datetime, amount: Amount, unit: DurationUnit | str
    ) -> dt.datetime:
        """`start` plus `amount` counted in `unit` (a `DurationUnit` code: min, h, d, wh, wd)."""
        try:
            unit = DurationUnit(unit)
        except ValueError:
            raise ValueError(f"Unknown duration unit {unit!r}") from None
        if isinstance(amount, dt.timedelta):
            raise TypeError("amount is a number counted in the unit, not a timedelta")
        if unit == DurationUnit.WORKING_DAYS:
            return self.add_working_days(start, amount)
        if unit == DurationUnit.WORKING_HOURS:
            return self.add_working_hours(start, amount)
        size = {
            DurationUnit.NATURAL_MINUTES: dt.timedelta(minutes=1),
            DurationUnit.NATURAL_HOURS: dt.timedelta(hours=1),
            DurationUnit.NATURAL_DAYS: dt.timedelta(days=1),
        }[unit]
        delta = _as_duration(amount, size, "amount")
        if delta < _ZERO:
            raise ValueError(f"amount must not be negative, got {amount}")
        return self.add_natural(start, delta)


# -- the shared calendar and its cache ---------------------------------------------------------
#
# The calendar loaded from the database is kept in process memory, with the token of the single
# CalendarVersion row it was loaded under. Every save or delete of an override, declared year or
# working period writes a fresh random token in the same transaction (signals wired in apps.py)
# and drops this process's copy at once. So:
# - a computation costs no query at all while the held calendar is fresh;
# - an edit saved in this process is seen by its next computation;
# - an edit saved in another process or machine is seen here within CALENDAR_CHECK_SECONDS
#   (settings.JIESU, default 5): the held copy re-reads the token (one small query) when it is
#   older than that, and reloads when the token differs. `get_calendar(fresh=True)` reads the
#   token now, for work that must see every committed edit (recomputing deadlines);
# - inside a transaction that changed the calendar, that transaction sees its own edit at once
#   (it reads the token on every call until it ends, with a copy of its own that no other thread
#   sees); if it rolls back, the copy is dropped and the rolled-back edit never sticks;
# - bulk writes that send no signals (QuerySet.update, bulk_create, raw SQL) must call
#   `invalidate_cache()` themselves.
# See docs/adr/0009-provisional-calendar.md for the staleness bound.

DEFAULT_CHECK_SECONDS = 5.0

_cache_lock = threading.Lock()


@dataclass
class _Held:
    tz: str
    token: object
    calendar: WorkingCalendar
    checked: float  # time.monotonic() of the last token read


_held: dict[str, _Held] = {}  # by database alias
_generation = 0  # bumped by every local invalidation: a load that raced one is not kept
_local = threading.local()  # .changing: {alias: outermost atomic block}; .own: {alias: _Held}


def check_seconds() -> float:
    """How old a held calendar may get before its token is read again."""
    return float(settings.JIESU.get("CALENDAR_CHECK_SECONDS", DEFAULT_CHECK_SECONDS))


def _read_token(using: str) -> uuid.UUID | None:
    from jiesu.workdays.models import CalendarVersion

    return CalendarVersion.objects.using(using).filter(pk=1).values_list("token", flat=True).first()


def _changing_transaction(using: str) -> bool:
    """True while this thread is inside the transaction that changed the calendar."""
    changing = getattr(_local, "changing", None)
    if not changing or using not in changing:
        return False
    block = changing[using]
    if any(open_block is block for open_block in connections[using].atomic_blocks):
        return True
    # That transaction ended without its on_commit hook: it was rolled back.
    del changing[using]
    getattr(_local, "own", {}).pop(using, None)
    getattr(_local, "pending", set()).discard(using)
    _forget_loaded_calendar()
    return False


def _load(using: str, tz: str, held: _Held | None) -> _Held:
    token = _read_token(using)  # before the data: a racing edit makes the next check reload
    now = time.monotonic()
    if held is not None and held.tz == tz and held.token == token:
        held.checked = now
        return held
    return _Held(tz, token, WorkingCalendar.from_database(using), now)


def get_calendar(using: str = DEFAULT_DB_ALIAS, *, fresh: bool = False) -> WorkingCalendar:
    """The calendar as the database defines it (held in memory; see the notes above).

    `fresh=True` checks the version token now, so that edits committed by other processes a
    moment ago are seen (one small query when nothing changed).
    """
    tz = str(timezone.get_default_timezone())
    if _changing_transaction(using):
        own = _local.__dict__.setdefault("own", {})
        own[using] = _load(using, tz, own.get(using))
        return own[using].calendar
    held = _held.get(using)
    if (
        not fresh
        and held is not None
        and held.tz == tz
        and time.monotonic() - held.checked < check_seconds()
    ):
        return held.calendar
    generation = _generation
    loaded = _load(using, tz, held)
    if loaded is not held:
        with _cache_lock:
            if _generation == generation:
                _held[using] = loaded
    return loaded.calendar


def _forget_loaded_calendar(**kwargs: object) -> None:
    """Drop the calendar this process holds (every alias)."""
    global _generation
    with _cache_lock:
        _generation += 1
        _held.clear()


def _changed(using: str) -> None:
    """Calendar data changed through this connection: drop our copy now and, when the change is
    part of a transaction, hold that transaction's calendar apart until it ends."""
    _changing_transaction(using)  # first forget the marks of a transaction rolled back since
    _forget_loaded_calendar()
    connection = connections[using]
    if not connection.in_atomic_block:
        _announce(using)
        return
    _local.__dict__.setdefault("changing", {})[using] = connection.atomic_blocks[0]
    pending = _local.__dict__.setdefault("pending", set())
    if using not in pending:  # announce once per commit
        pending.add(using)
        transaction.on_commit(lambda: _committed(using), using=using)


def _committed(using: str) -> None:
    _local.__dict__.setdefault("pending", set()).discard(using)
    if not connections[using].in_atomic_block:
        _local.__dict__.setdefault("changing", {}).pop(using, None)
        _local.__dict__.setdefault("own", {}).pop(using, None)
        _forget_loaded_calendar()
    # else: a test harness ran the hook inside the test's transaction (captureOnCommitCallbacks);
    # what it changed is still uncommitted, so it stays apart until the rollback is noticed.
    _announce(using)


def _announce(using: str) -> None:
    """Tell the rooms that store deadlines (appeals) that the committed calendar changed."""
    calendar_changed.send(sender=WorkingCalendar, using=using)


def invalidate_cache(using: str = DEFAULT_DB_ALIAS) -> None:
    """Tell every process that the calendar tables changed (after writes without signals)."""
    from jiesu.workdays.models import CalendarVersion

    versions = CalendarVersion.objects.using(using)
    if not versions.filter(pk=1).update(token=uuid.uuid4(), changed_at=timezone.now()):
        try:
            with transaction.atomic(using=using):
                versions.create(pk=1, token=uuid.uuid4())
        except IntegrityError:  # created meanwhile by another writer
            versions.filter(pk=1).update(token=uuid.uuid4(), changed_at=timezone.now())
    _changed(using)


def _calendar_data_changed(sender: object, using: str = DEFAULT_DB_ALIAS, **kwargs: object) -> None:
    invalidate_cache(using)


# -- module functions on the shared calendar ---------------------------------------------------


def coverage(years: Iterable[int]) -> dict[int, Coverage | None]:
    """For each year, `Coverage.LIBRARY`, `Coverage.DECLARED` or None (not covered)."""
    return get_calendar().coverage(years)


def uncovered_years(first: int, last: int) -> list[int]:
    """The years from `first` to `last` (inclusive) whose official calendar is not known."""
    return get_calendar().uncovered_years(first, last)


def provisional_year() -> int | None:
    """The year answered provisionally: the one right after the last covered year."""
    return get_calendar().provisional_year


def years_to_enter(today: dt.date) -> list[int]:
    """The years an administrator must enter now (this year, and next year from October)."""
    return get_calendar().years_to_enter(today)


def day_info(day: dt.date) -> DayInfo:
    return get_calendar().day_info(day)


def is_working_day(day: dt.date) -> bool:
    return get_calendar().is_working_day(day)


def next_working_day(day: dt.date) -> dt.date:
    return get_calendar().next_working_day(day)


def is_working_time(instant: dt.datetime) -> bool:
    return get_calendar().is_working_time(instant)


def next_working_instant(instant: dt.datetime) -> dt.datetime:
    return get_calendar().next_working_instant(instant)


def start_of_next_working_day(instant: dt.datetime) -> dt.datetime:
    return get_calendar().start_of_next_working_day(instant)


def add_natural(start: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    # Natural time needs no calendar data: no database query.
    return WorkingCalendar().add_natural(start, delta)


def add_working_time(start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
    return get_calendar().add_working_time(start, duration)


def add_working_hours(start: dt.datetime, hours: Amount = 0, minutes: Amount = 0) -> dt.datetime:
    return get_calendar().add_working_hours(start, hours, minutes)


def add_working_days(start: dt.datetime, n: Count) -> dt.datetime:
    return get_calendar().add_working_days(start, n)


def working_time_between(a: dt.datetime, b: dt.datetime) -> dt.timedelta:
    return get_calendar().working_time_between(a, b)


def deadline(start: dt.datetime, amount: Amount, unit: DurationUnit | str) -> Deadline:
    """`start` plus `amount` counted in `unit`, and whether the result is provisional."""
    if unit in _NATURAL_UNITS:
        return Deadline(WorkingCalendar().add_duration(start, amount, unit))
    return get_calendar().deadline(start, amount, unit)


def add_duration(start: dt.datetime, amount: Amount, unit: DurationUnit | str) -> dt.datetime:
    if unit in _NATURAL_UNITS:
        # Natural time needs no calendar data: no database query.
        return WorkingCalendar().add_duration(start, amount, unit)
    return get_calendar().add_duration(start, amount, unit)


_NATURAL_UNITS = frozenset(
    {DurationUnit.NATURAL_MINUTES, DurationUnit.NATURAL_HOURS, DurationUnit.NATURAL_DAYS}
)
_WORKING_UNITS = frozenset({DurationUnit.WORKING_HOURS, DurationUnit.WORKING_DAYS})
