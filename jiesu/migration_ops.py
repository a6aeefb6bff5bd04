# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Migration operations of our own (kept stable: migrations import them)."""

from django.db import migrations


class DirectOnPostgreSQL(migrations.SeparateDatabaseAndState):
    """`operations`' state change on every database; their database change made by `sql` on
    PostgreSQL going forwards, by the operations themselves otherwise (other databases, and
    every database going backwards).

    For index changes on large tables: Django's generic steps for a field that loses
    `db_index` or `unique` drop and re-add its foreign key (re-validated over every row) or
    rebuild a unique index, holding the table locked meanwhile; the SQL drops only what goes
    (ADR 0029)."""

    def __init__(self, sql: str, operations: list):
        super().__init__(database_operations=operations, state_operations=operations)
        self.sql = sql

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"sql": self.sql, "operations": self.database_operations},
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(self.sql, params=None)
        else:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return "Index changes (direct SQL on PostgreSQL)"


def rename_unique_sql(table: str, column: str, new_name: str) -> str:
    """SQL renaming the unique constraint on `table`.`column`, whatever it is called (Django
    names it `<table>_<column>_key` when it creates the table, something else when a migration
    adds it back)."""
    # Names written in the migrations, not input:
    return f"""
DO $$
DECLARE found text;
BEGIN
    SELECT conname INTO STRICT found FROM pg_constraint
     WHERE conrelid = '{table}'::regclass AND contype = 'u'
       AND conkey = ARRAY[(SELECT attnum FROM pg_attribute
                            WHERE attrelid = '{table}'::regclass AND attname = '{column}')];
    EXECUTE format('ALTER TABLE {table} RENAME CONSTRAINT %I TO {new_name}', found);
END $$;
"""  # noqa: S608


class OnPostgreSQL(migrations.RunSQL):
    """Raw SQL run on PostgreSQL only (planner statistics and other PostgreSQL objects that
    other databases have no counterpart of); elsewhere the operation does nothing."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return "PostgreSQL only: " + super().describe()
