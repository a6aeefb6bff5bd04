# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Long statements (over psycopg's own limits for keeping a statement's split at its
placeholders) are split once and bound exactly as psycopg binds them, values and all."""

import datetime

import pytest
from django.db import ProgrammingError, connection
from django.utils import timezone

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres_only")]

# Values of the kinds a filing binds, with quotes, percent signs, backslashes and NULLs.
VALUES = [
    "它's 100% \\ 真的",
    None,
    42,
    -7.25,
    True,
    datetime.date(2026, 12, 7),
    timezone.now(),
    b"\x00\x01\xff",
    '{"a": "%s"}',
    "",
]


def _long_statement(n: int) -> tuple[str, list]:
    """`n` placeholders in one SELECT (over psycopg's 50), with a literal percent sign."""
    params = [VALUES[i % len(VALUES)] for i in range(n)]
    columns = ", ".join(f"%s AS c{i}" for i in range(n))
    return f"SELECT '100%%' AS pct, {columns}", params


def _plain_client_cursor_query(sql: str, params: list) -> bytes:
    """What psycopg's own client-side cursor sends for the same statement and values."""
    import psycopg

    with psycopg.ClientCursor(connection.connection) as plain:
        return plain.mogrify(sql, params).encode()


def test_the_connection_uses_the_cursor_that_keeps_long_splits():
    from jiesu.postgres.base import Cursor

    with connection.cursor() as cursor:
        assert type(cursor.cursor) is Cursor


@pytest.mark.parametrize("n", [51, 120, 400])
def test_a_long_statement_is_bound_as_psycopg_binds_it(n):
    from jiesu.postgres import base

    sql, params = _long_statement(n)
    base._split_long.cache_clear()
    expected = _plain_client_cursor_query(sql, params)
    for _ in range(3):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
            assert cursor.cursor._query.query == expected  # the very bytes sent
        assert row[0] == "100%"
        assert _same_as_bound(row[1:], params)
    # Split once, then reused.
    info = base._split_long.cache_info()
    assert (info.misses, info.hits) == (1, 2)


def _same_as_bound(returned, params) -> bool:
    """Each value came back as it was bound (bytea as bytes, numbers as numbers)."""
    for got, sent in zip(returned, params, strict=True):
        if isinstance(sent, bytes):
            if bytes(got) != sent:
                return False
        elif isinstance(sent, float):
            if float(got) != sent:
                return False
        elif got != sent:
            return False
    return True


def test_short_statements_stay_with_psycopg_and_over_long_ones_are_not_kept():
    from jiesu.postgres import base

    base._split_long.cache_clear()
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s, %s", [1, "a"])
        assert cursor.fetchone() == (1, "a")
        # Longer than the cursor keeps: bound anew each time, still right.
        filler = "x" * base.LONG_STATEMENT_BYTES
        cursor.execute(f"SELECT %s, '{filler}' " + ", %s" * 60, [1] + [2] * 60)
        assert cursor.fetchone()[0] == 1
    assert base._split_long.cache_info().currsize == 0


def test_a_wrong_number_of_values_is_refused_and_the_split_stays_right():
    from jiesu.postgres import base

    sql, params = _long_statement(60)
    with (
        connection.cursor() as cursor,
        pytest.raises(ProgrammingError, match="60 placeholders but 59 parameters"),
    ):
        cursor.execute(sql, params[:-1])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.fetchone()[0] == "100%"
    assert base._split_long.cache_info().currsize >= 1


def test_a_filing_batch_is_split_once_per_process():
    """The filing's statements, sent together, are one long statement kept after the first."""
    from jiesu import rowinsert
    from jiesu.postgres import base

    base._split_long.cache_clear()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE long_batch (a int, b text)")
    from django.db import transaction

    for i in range(3):
        with transaction.atomic(), rowinsert.batched():
            for j in range(30):
                rowinsert.later(
                    "INSERT INTO long_batch (a, b) VALUES (%s, %s)", [i * 100 + j, f"'{j}%"]
                )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), count(DISTINCT a), min(b) FROM long_batch")
        assert cursor.fetchone() == (90, 90, "'0%")
    info = base._split_long.cache_info()
    assert (info.misses, info.hits) == (1, 2)
