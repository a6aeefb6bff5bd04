# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Human-readable appeal numbers: district prefix, local date, daily sequence.

`PS20261126000123` is the 123rd appeal received on 26 November 2026 (Asia/Shanghai).

The day's counter is taken with one statement (an upsert that increments and returns it), on
SQLite and PostgreSQL alike. The row stays locked until the filing transaction commits, so
numbers never repeat and have no gaps: a filing that rolls back gives its number back. The
transaction after the number is short (the appeal, its first event, the commit), which is what
bounds how many filings per second can queue on one day's counter (ADR 0010).
"""

from django.db import connection
from django.utils import timezone

from jiesu.appeals.models import AppealNumberSequence
from jiesu.conf import setting

_TABLE = AppealNumberSequence._meta.db_table
_SQL = (
    f"INSERT INTO {_TABLE} (day, last) VALUES (%s, 1) "  # noqa: S608 - a model's table name
    f"ON CONFLICT (day) DO UPDATE SET last = {_TABLE}.last + 1 RETURNING last"
)


def next_number(now) -> str:
    day = timezone.localtime(now).date()
    prefix = setting("DISTRICT_PREFIX", "PS")
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [connection.ops.adapt_datefield_value(day)])
        (last,) = cursor.fetchone()
    return f"{prefix}{day:%Y%m%d}{last:06d}"
