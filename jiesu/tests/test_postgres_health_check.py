# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A kept PostgreSQL connection is checked without a round trip (jiesu.postgres): a live one is
used as it is, one the server terminated is found dead and replaced before a request uses it."""

import os
import time

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL"
    ),
    pytest.mark.django_db,
]


def _last_query(pid):
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row[0] if row else None


def test_a_live_connection_is_used_without_asking_the_server():
    kept = connection.copy()
    try:
        with kept.cursor() as cursor:
            cursor.execute("SELECT 'kept-connection-marker'")
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        assert kept.is_usable()
        # The server saw no query after the last one (no SELECT 1 went out).
        assert _last_query(pid) == "SELECT pg_backend_pid()"
    finally:
        kept.close()


def test_a_terminated_connection_is_found_dead_and_replaced():
    kept = connection.copy()
    assert kept.settings_dict["CONN_HEALTH_CHECKS"]
    try:
        with kept.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        deadline = time.monotonic() + 5
        while kept.is_usable():
            assert time.monotonic() < deadline, "the terminated connection still looks usable"
            time.sleep(0.05)
        # What a request does first: the dead connection is closed, and the next query opens a
        # new one instead of failing.
        kept.health_check_done = False
        kept.close_if_health_check_failed()
        assert kept.connection is None
        with kept.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (new_pid,) = cursor.fetchone()
        assert new_pid != pid
    finally:
        kept.close()
