# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The indexes of the tables every filing and transition writes (ADR 0029): each index is paid
on every insert and on disk, so none may be redundant. Checked on the migrated test database,
so the migrations (and 0010's direct SQL on PostgreSQL) are what is tested."""

import pytest
from django.apps import apps
from django.db import connection

HOT_TABLES = [
    "appeals_appeal",
    "appeals_event",
    "appeals_assignment",
    "appeals_clock",
    "notify_notification",
    "insights_changedappeal",
]
# Searched by prefix: the console's search by number, and by phone (the stored number's digits
# reversed, an expression index named here: whole number and last four digits; appeals.0012).
PATTERN_INDEXES = {("appeals_appeal", "number"), ("appeals_appeal", "appeals_phone_reversed")}


def _indexes(table: str) -> dict[str, dict]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name: c for name, c in found.items() if c["index"] or c["unique"] or c["primary_key"]}


@pytest.mark.django_db
@pytest.mark.parametrize("table", HOT_TABLES)
def test_no_index_is_the_start_of_another(table):
    """A plain index on (a) is redundant beside one on (a, b): lookups by a use the longer."""
    indexes = _indexes(table)
    # A partial index (a condition on its rows) holds only some rows: it replaces no index.
    partial = {
        index.name
        for model in apps.get_models()
        for index in model._meta.indexes
        if index.condition is not None
    }
    redundant = []
    for name, index in indexes.items():
        if (
            index["unique"]
            or index["primary_key"]
            or index.get("type") not in (None, "btree", "idx")
        ):
            continue
        columns = index["columns"]
        if not columns or None in columns:
            continue  # an index on an expression starts no other
        for other_name, other in indexes.items():
            longer = (
                other_name != name
                and other_name not in partial
                and len(other["columns"]) > len(columns)
            )
            if (
                longer
                and other["columns"][: len(columns)] == columns
                and other.get("type")
                in (
                    None,
                    "btree",
                    "idx",
                )
            ):
                redundant.append((name, columns, other_name))
    assert redundant == []


@pytest.mark.django_db
@pytest.mark.parametrize("table", HOT_TABLES)
def test_no_like_index_nobody_reads(table, postgres_only):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            [table, "%pattern_ops%"],
        )
        found = cursor.fetchall()
    columns = set()
    for name, definition in found:
        first = definition.split("(", 1)[1].split()[0]
        # A column by its name; an expression (a call: it has a parenthesis) by the index's.
        columns.add((table, name if "(" in first else first.strip('"')))
    assert columns <= PATTERN_INDEXES, found


@pytest.mark.django_db
def test_the_unique_hash_and_the_outbox_key_are_still_enforced():
    """The migration renamed, not dropped, the unique indexes it kept."""
    names = set(_indexes("appeals_event")) | set(_indexes("notify_notification"))
    assert {"appeals_event_hash_unique", "appeals_event_seq_unique"} <= names
    assert "notify_notification_idempotency_unique" in names
    assert _indexes("appeals_event")["appeals_event_hash_unique"]["unique"]
