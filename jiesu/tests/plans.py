# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Reading PostgreSQL's plans in tests: which indexes a query uses, how many rows it reads."""

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
