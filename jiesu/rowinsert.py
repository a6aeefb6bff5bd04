# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Insert one model object with a statement built once per model, for the hottest writes.

`Model.objects.create()` and `bulk_create()` build the INSERT statement anew on every call: the
compiler walks the fields, quotes every column and assembles the placeholders, which costs more
CPU than the database takes to run the statement. An appeal's filing inserts an appeal of some
forty columns and its first event; building those two statements was a tenth of a filing's CPU.

`insert(obj)` writes the same row as `bulk_create([obj])` does: every concrete field's value as
the field prepares it for the database (`pre_save` with `add=True`, so `auto_now_add` and
defaults apply, then `get_db_prep_save`), the primary key from the database when unset, and no
`pre_save`/`post_save` signals (like `bulk_create`). Models whose fields need more than a plain
placeholder (custom `get_placeholder`, database defaults, generated columns) are inserted by
`bulk_create` instead, so the result is the same either way.

`batched()` holds the writes nobody reads back at once (`later(sql, params)`, and `insert` of an
object whose primary key is already set) and sends them together, in order, in one round trip
(ADR 0032); `last(sql, params)` sends them followed by one statement whose rows it returns. A
filing on PostgreSQL sends its first event, duplicate signature and KPI queue row, then the
appeal's insert that draws the day's number, so the day's counter is held for that statement
and the commit only. Any other statement on the connection meanwhile sends the held ones first,
so nothing ever reads around a held write.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Model

# The connection attribute holding the statements of an open batch (a list), else absent/None.
_HELD = "_jiesu_held_writes"

_PLANS: dict = {}


class _Plan:
    __slots__ = ("fields", "pk", "sql")

    def __init__(self, model, connection, with_pk: bool):
        meta = model._meta
        self.pk = meta.pk
        self.fields = [f for f in meta.concrete_fields if with_pk or f is not meta.pk]
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        self.sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        if not with_pk:
            self.sql += f" RETURNING {qn(self.pk.column)}"


def _plain(model) -> bool:
    for f in model._meta.concrete_fields:
        if getattr(f, "generated", False) or getattr(f, "has_db_default", lambda: False)():
            return False
        if hasattr(f, "get_placeholder"):
            return False
    return True


def _plan(model, alias: str, connection, with_pk: bool):
    key = (model, alias, connection.vendor, with_pk)
    plan = _PLANS.get(key)
    if plan is None:
        plain = _plain(model) and connection.features.can_return_columns_from_insert
        plan = _PLANS[key] = _Plan(model, connection, with_pk) if plain else False
    return plan


def columns_and_values(obj: Model, using: str | None = None) -> tuple[list, list]:
    """The concrete fields of `obj` (its primary key set) and their values as `insert` would
    write them, for a caller that builds its own INSERT around them."""
    model = type(obj)
    alias = using or router.db_for_write(model, instance=obj)
    connection = connections[alias]
    plan = _plan(model, alias, connection, True)
    if plan is False:
        raise ValueError(f"{model.__name__} needs more than plain placeholders")
    return plan.fields, _values(plan, obj, connection)


def _values(plan: _Plan, obj: Model, connection) -> list:
    """The row as `bulk_create` prepares it: `pre_save` (add), then `get_db_prep_save`."""
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in plan.fields]


def insert(obj: Model, using: str | None = None) -> Model:
    """INSERT `obj` (a new object) in one statement; sets its primary key and marks it saved."""
    model = type(obj)
    alias = using or router.db_for_write(model, instance=obj)
    connection = connections[alias]
    with_pk = obj.pk is not None
    plan = _plan(model, alias, connection, with_pk)
    if plan is False:
        model._base_manager.using(alias).bulk_create([obj])
        return obj
    params = _values(plan, obj, connection)
    if with_pk:
        later(plan.sql, params, using=alias)  # held in an open `batched()` block
    else:
        with connection.cursor() as cursor:
            cursor.execute(plan.sql, params)
            (value,) = cursor.fetchone()
        for converter in plan.pk.get_db_converters(connection):
            value = converter(value, plan.pk, connection)
        setattr(obj, plan.pk.attname, value)
    obj._state.adding = False
    obj._state.db = alias
    return obj


def later(sql: str, params=(), using: str = DEFAULT_DB_ALIAS) -> None:
    """Run a write whose result nobody reads (no rows back, no row count): held until the
    open `batched()` block sends it, or run at once when no block is open. `sql` takes `%s`
    placeholders (a literal percent sign written `%%`), as `cursor.execute` does."""
    connection = connections[using]
    held = getattr(connection, _HELD, None)
    if held is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
    else:
        held.append((sql, list(params)))


@contextmanager
def batched(using: str = DEFAULT_DB_ALIAS):
    """Hold `later` writes (and inserts of objects with their key set) and send them together,
    in order, when the block ends; any other statement run meanwhile on the connection sends
    them first. Use inside a transaction (`atomic`): if the block raises, the held writes are
    dropped with the rest of it. PostgreSQL only (one string of statements through the simple
    query protocol); elsewhere each write runs at once, as without the block. Nested blocks
    join the outer one."""
    connection = connections[using]
    if (
        connection.vendor != "postgresql"
        # Server-side binding sends one statement per message: nothing to join.
        or connection.settings_dict.get("OPTIONS", {}).get("server_side_binding")
        or getattr(connection, _HELD, None) is not None
    ):
        yield
        return
    setattr(connection, _HELD, [])
    try:
        with connection.execute_wrapper(_send_held_first):
            yield
            _send(connection)
    finally:
        setattr(connection, _HELD, None)


def _send(connection, last: tuple[str, list] | None = None) -> list | None:
    held = list(getattr(connection, _HELD, None) or ())
    if last is not None:
        held.append(last)
    if not held:
        return None
    setattr(connection, _HELD, [])
    sql = ";\n".join(statement for statement, _ in held)
    params = [value for _, values in held for value in values]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if last is None:
            return None
        while cursor.nextset():  # to the last statement's result
            pass
        return cursor.fetchall()


def last(sql: str, params, using: str = DEFAULT_DB_ALIAS) -> list:
    """Send the held writes and then this statement, in one round trip inside an open
    `batched()` block (else the statement alone); return this statement's rows."""
    connection = connections[using]
    if getattr(connection, _HELD, None) is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            return cursor.fetchall()
    return _send(connection, (sql, list(params))) or []


def _send_held_first(execute, sql, params, many, context):
    connection = context["connection"]
    if getattr(connection, _HELD, None):
        _send(connection)
    return execute(sql, params, many, context)
