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
"""

from __future__ import annotations

from django.db import connections, router
from django.db.models import Model

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


def insert(obj: Model, using: str | None = None) -> Model:
    """INSERT `obj` (a new object) in one statement; sets its primary key and marks it saved."""
    model = type(obj)
    alias = using or router.db_for_write(model, instance=obj)
    connection = connections[alias]
    with_pk = obj.pk is not None
    key = (model, alias, connection.vendor, with_pk)
    plan = _PLANS.get(key)
    if plan is None:
        plain = _plain(model) and connection.features.can_return_columns_from_insert
        plan = _PLANS[key] = _Plan(model, connection, with_pk) if plain else False
    if plan is False:
        model._base_manager.using(alias).bulk_create([obj])
        return obj
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in plan.fields]
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        if not with_pk:
            (value,) = cursor.fetchone()
            for converter in plan.pk.get_db_converters(connection):
                value = converter(value, plan.pk, connection)
            setattr(obj, plan.pk.attname, value)
    obj._state.adding = False
    obj._state.db = alias
    return obj
