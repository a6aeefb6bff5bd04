# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Django's PostgreSQL backend with a health check that costs no round trip, and values read
by psycopg's compiled loaders.

With CONN_HEALTH_CHECKS, Django asks a kept connection `SELECT 1` before the first query of
every request, so that a connection the server dropped (a restart, a failover, an administrator
terminating backends) is replaced instead of failing the request. On an intake filing of seven
statements that is an eighth round trip, and about a twentieth of the filing's cost.

An idle connection receives nothing from the server unless it is going away: a terminated
backend sends its error message and closes the socket; a restart closes it. So the socket is
polled without waiting first: nothing to read means the connection is as it was left, and is
used as it is; anything to read (the goodbye, the closed socket, or a rare asynchronous message
such as a parameter change or a TLS session ticket) falls back to Django's `SELECT 1`, which
either reads it harmlessly or finds the connection dead. A connection that dies silently (a
cable cut, no packet back) is found neither way until a query times out, as before.

Django registers its own loader for `timestamptz` columns (to give every value the connection's
time zone object) and a text loader for `jsonb` and network types, and both are psycopg's
pure-Python classes: a stored time costs about 6 microseconds to read instead of about 1. Lists
and the KPI rebuild read millions of them (a fifth of the rebuild's time went there). Here the
same Python classes Django expects stand in front of the compiled loaders psycopg would pick
itself (`psycopg[binary]`), so every value is parsed in C and comes back exactly as Django's
loaders give it: the same `datetime`, with `tzinfo` set to Django's time zone object (the same
`replace` Django does), and the same `str`.

Django's cursors bind parameters client-side: psycopg splits the statement at its placeholders
once and keeps the split for the next call, but only for statements of at most 4,096 bytes and
50 parameters. A filing sends its writes as one string of four statements with some seventy
parameters (`jiesu.rowinsert.batched`), the same string every time, and psycopg split it anew
on every filing (93 µs, some 2-3% of the web worker's CPU per filing). Here the cursor
keeps the split of longer statements too (`_ClientQuery`), up to 16 KB and in a cache of its
own, so what psycopg keeps for short ones is unchanged.
"""

from __future__ import annotations

import select
from functools import lru_cache

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import get_adapters_template
from psycopg import _queries
from psycopg.adapt import AdaptersMap, Loader
from psycopg.pq import Format

# The longest statement whose split at its placeholders the cursor keeps, and how many such
# splits it keeps (the least recently used goes first).
LONG_STATEMENT_BYTES = 16_384
LONG_STATEMENTS_KEPT = 64

_split_long = lru_cache(maxsize=LONG_STATEMENTS_KEPT)(_queries._query2pg_client_nocache)


class _ClientQuery(_queries.PostgresClientQuery):
    """psycopg's client-side binding, with the split of a statement over psycopg's own limits
    (4,096 bytes, 50 parameters) kept as psycopg keeps the split of a shorter one."""

    __slots__ = ()

    def convert(self, query, vars):
        if vars is not None and isinstance(query, (str, bytes)):
            query = self._ensure_bytes(query)
            if (
                len(query) > _queries.MAX_CACHED_STATEMENT_LENGTH
                or len(vars) > _queries.MAX_CACHED_STATEMENT_PARAMS
            ) and len(query) <= LONG_STATEMENT_BYTES:
                self.template, self._order, self._parts = _split_long(query, self._tx.encoding)
                self.dump(vars)
                return
        super().convert(query, vars)


class Cursor(base.Cursor):
    """Django's client-side binding cursor, with long statements' splits kept."""

    _query_cls = _ClientQuery


class _Delegating(Loader):
    """A Python loader class (what Django registers and inspects) whose values are parsed by
    `parser`, the loader psycopg itself registers for the type (compiled when available)."""

    parser = None

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self._load = self.parser(oid, context).load

    def load(self, data):
        return self._load(data)


class _TzLoader(_Delegating):
    """Django's `BaseTzLoader`: a `timestamptz` in the connection's time zone, its tzinfo
    replaced by `timezone`."""

    timezone = None

    def load(self, data):
        value = self._load(data)
        if value.tzinfo is self.timezone:
            return value
        return value.replace(tzinfo=self.timezone)


def _loader(base_class, type_name: str, **attrs):
    parser = psycopg.adapters.get_loader(psycopg.adapters.types[type_name].oid, Format.TEXT)
    return type(
        base_class.__name__.lstrip("_"),
        (base_class,),
        {"__module__": __name__, "parser": parser, **attrs},
    )


@lru_cache
def adapters_template(use_tz, timezone):
    """Django's adapters for these settings, with the loaders above in place of its own."""
    template = AdaptersMap(get_adapters_template(use_tz, timezone))
    template.register_loader("timestamptz", _loader(_TzLoader, "timestamptz", timezone=timezone))
    text = _loader(_Delegating, "text")
    for name in ("jsonb", "inet", "cidr"):  # Django's pure-Python TextLoader for these
        template.register_loader(name, text)
    return template


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["context"] = adapters_template(settings.USE_TZ, self.timezone)
        if params.get("cursor_factory") is base.Cursor:
            params["cursor_factory"] = Cursor
        return params

    def is_usable(self):
        if self.connection is None:
            return False
        if self.connection.closed or self.connection.broken:
            return False
        try:
            poller = select.poll()
            poller.register(self.connection.pgconn.socket, select.POLLIN | select.POLLPRI)
            waiting = poller.poll(0)
        except (OSError, ValueError, base.Database.Error):
            return False
        if not waiting:
            return True
        return super().is_usable()
