# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""manage.py deadline --start "2026-09-30 10:00" --working-days 3  ->  2026-10-10 10:00

A deadline that runs into the provisional year is printed with a note saying so:
manage.py deadline --start "2026-12-20 10:00" --working-days 15  ->
2027-01-11 10:00 provisional: the official holidays ... of 2027 are not entered yet ...
"""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils import timezone

from jiesu.workdays import calendar

_START = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def _parse_start(text: str) -> dt.datetime:
    value = None
    if _START.match(text.strip()):
        try:
            value = dt.datetime.fromisoformat(text.strip())
        except ValueError:
            value = None
    if value is None:
        raise CommandError(
            f'Invalid --start "{text}": expected "YYYY-MM-DD HH:MM" in local time '
            f'({timezone.get_default_timezone()}), for example "2026-09-30 10:00".'
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _parse_amount(text: str, option: str, whole: bool) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or (whole and amount != int(amount)):
        kind = "a whole number" if whole else "a number"
        raise CommandError(f'Invalid {option} "{text}": expected {kind}, zero or more.')
    return amount


class Command(BaseCommand):
    help = (
        "Print the deadline a time limit gives from a start instant, on the working calendar: "
        "YYYY-MM-DD HH:MM in local time. Exactly one of --working-days, --working-hours, --hours. "
        "A deadline that runs into the provisional year (the year after the last one entered) is "
        "followed by the word 'provisional' and why."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--start",
            help='Start instant, "YYYY-MM-DD HH:MM" in local time (default: now).',
        )
        limit = parser.add_mutually_exclusive_group(required=True)
        limit.add_argument(
            "--working-days",
            metavar="N",
            help="N working days: the same clock time on the N-th working day after the start day.",
        )
        limit.add_argument(
            "--working-hours",
            metavar="N",
            help="N working hours (decimals allowed: 0.5 = 30 minutes), inside working periods.",
        )
        limit.add_argument("--hours", metavar="N", help="N natural hours (decimals allowed).")

    def handle(self, *args, **options):
        start = _parse_start(options["start"]) if options["start"] else timezone.now()
        try:
            if options["working_days"] is not None:
                n = _parse_amount(options["working_days"], "--working-days", whole=True)
                result = calendar.deadline(start, int(n), "wd")
            elif options["working_hours"] is not None:
                n = _parse_amount(options["working_hours"], "--working-hours", whole=False)
                result = calendar.deadline(start, n, "wh")
            elif options["hours"] is not None:
                n = _parse_amount(options["hours"], "--hours", whole=False)
                result = calendar.deadline(start, n, "h")
            else:  # only reachable when called with none of them from code
                raise CommandError("Give one of --working-days, --working-hours or --hours.")
        except calendar.CalendarError as exc:
            raise CommandError(str(exc)) from exc
        except DatabaseError as exc:
            raise CommandError(
                f"The working calendar could not be read from the database ({exc}); "
                f"has it been migrated (manage.py migrate)?"
            ) from exc
        at = result.at
        fmt = "%Y-%m-%d %H:%M" if at.second == at.microsecond == 0 else "%Y-%m-%d %H:%M:%S"
        line = at.strftime(fmt)
        if result.provisional:
            line += (
                f" provisional: the official holidays and make-up working days of {at.year} are "
                f"not entered yet, so this counts the statutory holidays only; it may move once "
                f"an administrator enters {at.year} in the working calendar."
            )
        self.stdout.write(line)
