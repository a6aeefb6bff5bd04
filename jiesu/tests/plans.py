# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Reading PostgreSQL's plans in tests: which indexes a query uses, how many rows it reads, and
how often a table was vacuumed and analysed (what its plans rest on)."""

import json

from django.db import connection


def explain(sql: str, *, analyze: bool = False) -> list[dict]:
    """Every node of the plan of `sql` (EXPLAIN, FORMAT JSON; with ANALYZE, the query runs),
    the top node first."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ({'ANALYZE, ' if analyze else ''}FORMAT JSON) {sql}")
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes, waiting = [], [plan[0]["Plan"]]
    while waiting:
        node = waiting.pop(0)
        nodes.append(node)
        waiting.extend(node.get("Plans", []))
    return nodes


def maintenance_counts(*tables: str) -> dict[str, tuple[int, int]]:
    """How many times each table was vacuumed and analysed (by hand and by autovacuum)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, vacuum_count + autovacuum_count, analyze_count + autoanalyze_count "
            "FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [list(tables)],
        )
        return {name: (vacuums, analyses) for name, vacuums, analyses in cursor.fetchall()}
