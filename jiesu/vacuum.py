# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""`settle(tables)`: make tables just written in bulk ready for reads, as autovacuum would.

After a bulk write (a load, a rebuild that deletes and rewrites a table) PostgreSQL has no
visibility map for the new rows and old planner statistics: an index-only scan visits the heap
for every row, and counts read every row, until a VACUUM passes. Autovacuum gets there in time
where it is on; a bulk writer does not wait for it (ADR 0034). `settle` runs `VACUUM (ANALYZE)`
on PostgreSQL outside a transaction, `ANALYZE` inside one (VACUUM cannot run there) and on
SQLite (no visibility map; the planner's statistics only).
"""

from collections.abc import Iterable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model


def settle(tables: Iterable[type[Model] | str], using: str = DEFAULT_DB_ALIAS) -> bool:
    """VACUUM (ANALYZE) `tables` (models or table names); True when they were vacuumed, False
    when only analysed."""
    connection = connections[using]
    names = [t if isinstance(t, str) else t._meta.db_table for t in tables]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
            return False
        quoted = ", ".join(connection.ops.quote_name(name) for name in names)
        if connection.in_atomic_block:
            cursor.execute(f"ANALYZE {quoted}")
            return False
        cursor.execute(f"VACUUM (ANALYZE) {quoted}")
        return True
