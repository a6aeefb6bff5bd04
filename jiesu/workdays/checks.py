# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""System check: warn while the working calendar does not cover this year or, from October,
next year (the State Council publishes next year's holiday notice around November, and deadlines
of the last weeks of the year reach into the next one).

The check runs with every management command (runserver, migrate, check), not only with
`check --database`, because an administrator must see it. It reads the database only when the
`chinesecalendar` library lacks the year, and treats an unreadable database (not migrated yet)
as "nothing declared".
"""

import datetime as dt

from django.core.checks import Warning
from django.db import DatabaseError
from django.utils import timezone

from jiesu.workdays.calendar import library_covers

# From this month on, next year must be covered too (the administrators' desk warns from then).
NEXT_YEAR_FROM_MONTH = 10


def _declared(years: list[int]) -> set[int]:
    from jiesu.workdays.models import CoveredYear

    try:
        return set(CoveredYear.objects.filter(year__in=years).values_list("year", flat=True))
    except DatabaseError:
        return set()


def coverage_warnings(today: dt.date) -> list[Warning]:
    """The warnings for `today` (the check itself uses the local date)."""
    years = [today.year]
    if today.month >= NEXT_YEAR_FROM_MONTH:
        years.append(today.year + 1)
    missing = [year for year in years if not library_covers(year)]
    if not missing:
        return []
    declared = _declared(missing)
    warnings = []
    for year in missing:
        if year in declared:
            continue
        current = year == today.year
        warnings.append(
            Warning(
                (
                    f"The working calendar does not cover {'this year' if current else 'next year'}"
                    f" ({year}): deadlines that reach {year} are computed provisionally "
                    f"(statutory holidays only, make-up days unknown) and marked as such, or "
                    f"refused if {year} is not the year right after the last one covered."
                ),
                hint=(
                    f"An administrator enters {year}'s public holidays and make-up working days "
                    f"from the State Council notice as calendar overrides (console: Administration"
                    f" > Working calendar), then declares {year} complete; provisional deadlines "
                    f"are then recomputed. See docs/guide/calendar.md."
                ),
                obj="workdays",
                id="workdays.W001" if current else "workdays.W002",
            )
        )
    return warnings


def check_calendar_coverage(app_configs=None, **kwargs):
    if app_configs is not None and not any(c.label == "workdays" for c in app_configs):
        return []
    return coverage_warnings(timezone.localdate())
