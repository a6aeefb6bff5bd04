# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""manage.py deadline."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiesu.workdays.management.commands.deadline import Command
from jiesu.workdays.models import CalendarOverride, CoveredYear

pytestmark = pytest.mark.django_db


def deadline(*args: str) -> str:
    out = io.StringIO()
    call_command("deadline", *args, stdout=out)
    return out.getvalue().strip()


def test_the_issue_example():
    assert deadline("--start", "2026-09-30 10:00", "--working-days", "3") == "2026-10-10 10:00"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--working-days", "0"], "2026-09-30 10:00"),
        (["--working-hours", "3"], "2026-09-30 15:00"),  # over lunch
        (["--working-hours", "8"], "2026-10-08 11:00"),  # over National Day
        (["--working-hours", "0.5"], "2026-09-30 10:30"),
        (["--hours", "24"], "2026-10-01 10:00"),
        (["--hours", "1.25"], "2026-09-30 11:15"),
        (["--working-hours", "0.01"], "2026-09-30 10:00:36"),
    ],
)
def test_limits(args, expected):
    assert deadline("--start", "2026-09-30 10:00", *args) == expected


def test_other_start_formats():
    assert deadline("--start", "2026-09-30T10:00", "--working-days", "3") == "2026-10-10 10:00"
    # An explicit offset is converted to local time: 02:00 UTC is 10:00 in Shanghai.
    assert deadline("--start", "2026-09-30T02:00+00:00", "--working-days", "3") == (
        "2026-10-10 10:00"
    )


def test_start_defaults_to_now():
    out = deadline("--hours", "0")
    assert dt.datetime.strptime(out[:16], "%Y-%m-%d %H:%M")


@pytest.mark.parametrize("start", ["2026-09-30", "30/09/2026 10:00", "2026-13-01 10:00", "soon"])
def test_a_bad_start_is_refused(start):
    with pytest.raises(CommandError, match="Invalid --start"):
        deadline("--start", start, "--working-days", "3")


@pytest.mark.parametrize(
    "args",
    [
        ["--working-days", "1.5"],
        ["--working-days", "-1"],
        ["--working-hours", "two"],
        ["--hours", "nan"],
    ],
)
def test_a_bad_amount_is_refused(args):
    with pytest.raises(CommandError, match="Invalid --"):
        deadline("--start", "2026-09-30 10:00", *args)


def test_exactly_one_limit_is_required():
    with pytest.raises(CommandError, match="one of the arguments"):
        deadline("--start", "2026-09-30 10:00")
    with pytest.raises(CommandError, match="not allowed with"):
        deadline("--start", "2026-09-30 10:00", "--working-days", "3", "--hours", "2")


def test_the_provisional_year_gives_a_deadline_marked_provisional():
    """The issue's example: 15 working days from Sunday 2026-12-20 run into 2027, which is not
    entered: 12-21…12-25, 12-28…12-31, 1-1 is New Year's Day, 1-4…1-8, then Monday 1-11."""
    out = deadline("--start", "2026-12-20 10:00", "--working-days", "15")
    assert out.startswith("2027-01-11 10:00 provisional: ")
    assert "not entered yet" in out and "statutory holidays only" in out
    # A deadline inside the covered year says nothing more.
    assert deadline("--start", "2026-12-20 10:00", "--working-days", "3") == "2026-12-23 10:00"
    # Natural time needs no calendar: never provisional.
    assert deadline("--start", "2026-12-31 20:00", "--hours", "24") == "2027-01-01 20:00"


def test_a_year_beyond_the_provisional_one_fails_naming_it():
    with pytest.raises(CommandError, match="does not cover 2028") as caught:
        deadline("--start", "2027-12-30 10:00", "--working-days", "3")
    assert "An administrator can fix this" in str(caught.value)


def test_a_refused_year_exits_non_zero(capsys):
    """As run from the shell: message on stderr, exit status 1."""
    with pytest.raises(SystemExit) as exited:
        Command().run_from_argv(
            ["manage.py", "deadline", "--skip-checks", "--start", "2027-12-30 10:00",
             "--working-days", "3"]
        )  # fmt: skip
    assert exited.value.code == 1
    assert "2028" in capsys.readouterr().err


def test_a_declared_year_works():
    CalendarOverride.objects.create(date=dt.date(2027, 1, 1), is_working_day=False)
    CoveredYear.objects.create(year=2027)
    assert deadline("--start", "2026-12-30 10:00", "--working-days", "3") == "2027-01-05 10:00"
