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

from jiesu.appeals.models import Appeal, AppealNumberSequence
from jiesu.conf import setting

_TABLE = AppealNumberSequence._meta.db_table
_SQL = (
    f"INSERT INTO {_TABLE} (day, last) VALUES (%s, 1) "  # noqa: S608 - a model's table name
    f"ON CONFLICT (day) DO UPDATE SET last = {_TABLE}.last + 1 RETURNING last"
)


_APPEAL_IDS = None


def _appeal_id_sequence() -> str:
    global _APPEAL_IDS
    if _APPEAL_IDS is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s)",
                [Appeal._meta.db_table, Appeal._meta.pk.column],
            )
            (_APPEAL_IDS,) = cursor.fetchone()
    return _APPEAL_IDS


def take(now) -> tuple[str, int | None]:
    """The day's next number and, on PostgreSQL, the new appeal's id, drawn from the appeals'
    own id sequence in the same statement (so ids follow numbers: the day's row is held). The
    id lets the caller write the appeal with its first event's chain head in one insert
    (`audit.insert_with_first_event`); on SQLite it is None and the appeal gets its id when
    inserted."""
    day = timezone.localtime(now).date()
    prefix = setting("DISTRICT_PREFIX", "PS")
    params = [connection.ops.adapt_datefield_value(day)]
    sql = _SQL
    if connection.vendor == "postgresql":
        sql = f"WITH n AS ({_SQL}) SELECT n.last, nextval(%s::regclass) FROM n"  # noqa: S608
        params.append(_appeal_id_sequence())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    last, appeal_id = row[0], (row[1] if len(row) > 1 else None)
    return f"{prefix}{day:%Y%m%d}{last:06d}", appeal_id
