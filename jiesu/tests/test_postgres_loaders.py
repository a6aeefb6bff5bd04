# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Stored times, JSON and text read through jiesu.postgres's compiled loaders come back exactly
as through Django's own pure-Python loaders: the same values, the same time zone objects."""

import datetime
import os
import zoneinfo

import pytest
from django.db import DataError, connection
from django.test import override_settings
from django.utils import timezone

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL"
    ),
    pytest.mark.django_db,
]

TIMES = [
    "2026-12-07 03:18:26.115162+00",
    "2026-12-07 11:18:26+08",
    "2026-01-01 00:00:00-05:30",
    "1899-12-31 23:59:59.999999+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "2024-02-29 12:00:00.5+00",
]


def _read(sql, params, django_loaders: bool):
    """Run `sql` on a cursor of the test connection, optionally with Django's own loaders
    registered on that cursor only."""
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.types.string import TextLoader

    with connection.cursor() as cursor:
        if django_loaders:
            register_tzloader(connection.timezone, cursor.cursor)
            for name in ("jsonb", "inet", "cidr"):
                cursor.cursor.adapters.register_loader(name, TextLoader)
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_the_compiled_loaders_are_in_place():
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(1184, 0)  # timestamptz, text
    assert loader.__module__ == "jiesu.postgres.base"
    assert loader.timezone is connection.timezone
    assert "_psycopg" in loader.parser.__module__  # psycopg[binary]'s compiled loader


def _outcome(sql, params, django_loaders):
    try:
        return _read(sql, params, django_loaders)
    except DataError as exc:  # a time Python cannot hold: both loaders refuse it alike
        return type(exc), str(exc)


@pytest.mark.parametrize("session_zone", ["UTC", "Asia/Shanghai", "America/St_Johns"])
def test_times_read_as_django_reads_them(session_zone):
    sql = "SELECT %s::timestamptz, NULL::timestamptz"
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('TimeZone', %s, false)", [session_zone])
    try:
        read = 0
        for text in TIMES:
            ours = _outcome(sql, [text], django_loaders=False)
            theirs = _outcome(sql, [text], django_loaders=True)
            assert ours == theirs, text
            if isinstance(ours, list):
                read += 1
                value = ours[0][0]
                assert value.tzinfo is theirs[0][0].tzinfo is connection.timezone
                assert ours[0][1] is None
        assert read >= len(TIMES) - 2
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('TimeZone', 'UTC', false)")


def test_a_time_out_of_python_range_fails_as_with_djangos_loader():
    for django_loaders in (False, True):
        with pytest.raises(DataError):
            _read("SELECT 'infinity'::timestamptz", [], django_loaders)


def test_json_and_network_values_come_back_as_text():
    sql = "SELECT %s::jsonb, '192.168.0.1/24'::inet, '10.0.0.0/8'::cidr, '{\"城\": [1, 2]}'::jsonb"
    ours = _read(sql, ['{"a": "坪山", "b": null}'], django_loaders=False)
    theirs = _read(sql, ['{"a": "坪山", "b": null}'], django_loaders=True)
    assert ours == theirs
    assert all(isinstance(v, str) for v in ours[0])


def test_model_times_survive_a_round_trip():
    from jiesu.insights.models import RefreshLock

    when = datetime.datetime(
        2026, 12, 7, 11, 18, 26, 115162, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")
    )
    RefreshLock.objects.update_or_create(pk=1, defaults={"refreshed_at": when})
    stored = RefreshLock.objects.get(pk=1).refreshed_at
    assert stored == when
    assert stored.tzinfo is connection.timezone
    assert timezone.localtime(stored).hour == 11


@override_settings(TIME_ZONE="Asia/Shanghai")
def test_a_changed_time_zone_setting_still_reads_aware_times():
    # A connection whose time zone differs from the loader's gets Django's own loader on its
    # cursors (Django compares them), and reads the same values.
    value = _read("SELECT %s::timestamptz", [TIMES[0]], django_loaders=False)[0][0]
    assert value == datetime.datetime(2026, 12, 7, 3, 18, 26, 115162, tzinfo=datetime.UTC)
    assert value.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).hour == 11
