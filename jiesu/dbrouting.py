# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Reports and exports read from a replica when one is configured.

With `DATABASE_REPLICA_URL` set, the settings add a `replica` database alias and install
`AnalyticsRouter`. Code that reads much and may lag a little behind (Excel exports, KPI reports,
the analysts' pages) runs inside `analytics()`; every read there goes to the replica. Everything
else, and every write, uses the primary. Without a replica, `analytics()` changes nothing.

    with dbrouting.analytics():
        rows = list(big_report_queryset)
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
_reading_analytics: ContextVar[bool] = ContextVar("jiesu_analytics", default=False)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def analytics():
    """Reads inside this block go to the replica (when there is one)."""
    token = _reading_analytics.set(True)
    try:
        yield
    finally:
        _reading_analytics.reset(token)


def in_analytics() -> bool:
    return _reading_analytics.get()


class AnalyticsRouter:
    """Reads inside `analytics()` go to the replica; nothing else does."""

    def db_for_read(self, model, **hints):
        if _reading_analytics.get() and replica_configured():
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db == "default"
