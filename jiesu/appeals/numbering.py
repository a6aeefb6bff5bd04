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

The day's counter is taken with one statement (an upsert that increments and returns it). The
row stays locked until the filing transaction commits, so numbers never repeat and have no
gaps: a filing that rolls back gives its number back. How long it stays locked bounds how many
filings per second one day's counter lets through (ADR 0010), so on PostgreSQL the upsert is
part of the very statement that inserts the appeal, sent last after the filing's other writes,
and only the commit follows it (`insert_numbered`, ADR 0032). SQLite, which serialises writers
anyway, takes the number first (`take`).
"""

from django.db import connection
from django.utils import timezone

from jiesu import rowinsert
from jiesu.appeals.models import Appeal, AppealNumberSequence, Event
from jiesu.conf import setting

_TABLE = AppealNumberSequence._meta.db_table
_SQL = (
    f"INSERT INTO {_TABLE} (day, last) VALUES (%s, 1) "  # noqa: S608 - a model's table name
    f"ON CONFLICT (day) DO UPDATE SET last = {_TABLE}.last + 1 RETURNING last"
)


_ID_SEQUENCES: tuple[str, str] | None = None


def _id_sequences() -> tuple[str, str]:
    """The id sequences of the appeals and of their events (PostgreSQL)."""
    global _ID_SEQUENCES
    if _ID_SEQUENCES is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s), pg_get_serial_sequence(%s, %s)",
                [Appeal._meta.db_table, "id", Event._meta.db_table, "id"],
            )
            _ID_SEQUENCES = cursor.fetchone()
    return _ID_SEQUENCES


def numbers_in_the_insert() -> bool:
    """Whether the day's number is drawn by the statement that inserts the appeal
    (`insert_numbered`, PostgreSQL), rather than first (`take`, SQLite)."""
    return connection.vendor == "postgresql"


def ids() -> tuple[int, int]:
    """PostgreSQL: the ids of a new appeal and of its first event, from their tables' own
    sequences. Drawing an id takes no lock (nor gives it back on a rollback: ids may have gaps,
    numbers may not)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s::regclass), nextval(%s::regclass)", _id_sequences())
        appeal_id, event_id = cursor.fetchone()
    return appeal_id, event_id


_NUMBERED: dict = {}


def insert_numbered(appeal: Appeal, now) -> str:
    """PostgreSQL: insert `appeal` (its id set, everything but the number prepared) with the
    day's next number drawn by the same statement, sent last after the writes held in the open
    `rowinsert.batched()` block; set and return the number.

    The day's counter row is locked from this statement to the commit: one statement and the
    commit, with nothing computed in between (ADR 0032). Numbers stay gapless: a filing that
    rolls back gives its number back."""
    day = timezone.localtime(now).date()
    fields, values = rowinsert.columns_and_values(appeal)
    built = _NUMBERED.get(connection.alias)
    if built is None:
        qn = connection.ops.quote_name
        select = ", ".join(
            # The day's prefix, then the counter as at least six digits (as `take` formats it).
            "%s || lpad(n.last::text, greatest(6, length(n.last::text)), '0')"
            if f.name == "number"
            else "%s"
            for f in fields
        )
        sql = (
            f"WITH n AS ({_SQL}) "  # noqa: S608 - model and column names only
            f"INSERT INTO {qn(Appeal._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"SELECT {select} FROM n RETURNING {qn('number')}"
        )
        built = _NUMBERED[connection.alias] = (sql, [f.name for f in fields].index("number"))
    sql, at = built
    values[at] = f"{setting('DISTRICT_PREFIX', 'PS')}{day:%Y%m%d}"
    [(number,)] = rowinsert.last(sql, [connection.ops.adapt_datefield_value(day), *values])
    appeal.number = number
    appeal._state.adding = False
    appeal._state.db = connection.alias
    return number


def take(now) -> str:
    """The day's next number, taken before the appeal is inserted (SQLite, which has no
    sequence to draw the ids from first: the appeal gets its id when inserted). PostgreSQL
    files through `ids` and `insert_numbered` instead. The counter row stays locked until the
    filing commits."""
    day = timezone.localtime(now).date()
    prefix = setting("DISTRICT_PREFIX", "PS")
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [connection.ops.adapt_datefield_value(day)])
        (last,) = cursor.fetchone()
    return f"{prefix}{day:%Y%m%d}{last:06d}"
