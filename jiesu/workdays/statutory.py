# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The statutory public holidays of a year, computed from the rules (全国年节及纪念日放假办法).

The rules as amended by the State Council on 2024-11-10, in force from 2025-01-01 (article 2,
holidays for all citizens):

    元旦 New Year's Day        1 day   1 January
    春节 Spring Festival       4 days  New Year's Eve (除夕) and the 1st to 3rd of the 1st lunar month
    清明节 Tomb-sweeping Day   1 day   the day of the Qingming solar term
    劳动节 Labour Day          2 days  1 and 2 May
    端午节 Dragon Boat Festival 1 day  the 5th of the 5th lunar month
    中秋节 Mid-autumn Festival 1 day   the 15th of the 8th lunar month
    国庆节 National Day        3 days  1 to 3 October

The lunar dates and the solar term are computed, not looked up: the `lunar_python` library
finds new moons and the sun's apparent longitude with the astronomical algorithms of the
寿星万年历 (for years after 1960 they are computed outright, without its historical correction
tables), in Beijing time (UTC+8) as the Chinese calendar requires.

What the rules do not fix is left out: the make-up working days (调休) and the extra rest days the
State Council's yearly notice arranges around the holidays. This is what the working calendar's
provisional year rests on (see `jiesu.workdays.calendar` and docs/adr/0009-provisional-calendar.md);
the official calendar replaces it once the year's notice is entered.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from chinese_calendar import Holiday

__all__ = ["FIRST_YEAR", "Holiday", "lunar_date", "qingming", "statutory_holidays"]

# The rules above apply from this year on (the 2024 amendment's entry into force).
FIRST_YEAR = 2025

_ONE_DAY = dt.timedelta(days=1)


def _gregorian(solar: Any) -> dt.date:  # a lunar_python Solar
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def lunar_date(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of `day` of the (ordinary, not leap) `month` of lunar year `year`."""
    from lunar_python import Lunar

    return _gregorian(Lunar.fromYmd(year, month, day).getSolar())


def qingming(year: int) -> dt.date:
    """The date (Beijing time) on which the sun reaches 15° of longitude: the Qingming term."""
    from lunar_python import Lunar

    return _gregorian(Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"])


@lru_cache(maxsize=16)
def statutory_holidays(year: int) -> tuple[tuple[dt.date, Holiday], ...]:
    """Every statutory holiday of `year` as the rules in force from 2025 give them, in date
    order (for an earlier year: what these rules would have given; the tests compare the days
    the older rules shared with the official calendar).

    A date on which two festivals fall (the Mid-autumn Festival on 1-3 October, as in 2028)
    appears once for each.
    """
    new_year = lunar_date(year, 1, 1)  # always between 21 January and 20 February
    days = [
        (dt.date(year, 1, 1), Holiday.new_years_day),
        (new_year - _ONE_DAY, Holiday.spring_festival),
        (new_year, Holiday.spring_festival),
        (new_year + _ONE_DAY, Holiday.spring_festival),
        (new_year + 2 * _ONE_DAY, Holiday.spring_festival),
        (qingming(year), Holiday.tomb_sweeping_day),
        (dt.date(year, 5, 1), Holiday.labour_day),
        (dt.date(year, 5, 2), Holiday.labour_day),
        (lunar_date(year, 5, 5), Holiday.dragon_boat_festival),
        (lunar_date(year, 8, 15), Holiday.mid_autumn_festival),
        (dt.date(year, 10, 1), Holiday.national_day),
        (dt.date(year, 10, 2), Holiday.national_day),
        (dt.date(year, 10, 3), Holiday.national_day),
    ]
    return tuple(sorted(days, key=lambda pair: pair[0]))
