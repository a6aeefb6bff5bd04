# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The shared cache over Redis, for counters that must not stop the service when Redis does.

Throttles and rate limits count in the shared cache (ADR 0007). With Django's own Redis
backend, a stopped Redis turns every counted request into a 500: intake stops although the
database, where appeals live, is fine. `ResilientRedisCache` (what `CACHE_URL=redis://…` selects)
answers as an empty cache while Redis cannot be reached: reads miss, writes and counters are
skipped (a counter reads as 1), so limits are not enforced for that time (they fail open) and
no appeal is refused or lost. Every failure is logged, at most once every 10 seconds, and
`/healthz` reports the cache as down. When Redis is back, counting resumes by itself (ADR 0010).
"""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

from jiesu import telemetry

logger = logging.getLogger("jiesu.cache")

_last_logged = 0.0


def _unreachable(exc: Exception, operation: str) -> None:
    global _last_logged
    telemetry.CACHE_ERRORS.inc()
    now = time.monotonic()
    if now - _last_logged >= 10:
        _last_logged = now
        logger.error(
            "The shared cache (Redis) cannot be reached (%s during %s): limits are not "
            "enforced until it is back.",
            exc,
            operation,
        )


def _redis_errors():
    import redis

    return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def _guarded(fallback):
    """Run the cache operation; on a Redis connection failure, log and return `fallback`
    (called with the operation's arguments when it is callable)."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except _redis_errors() as exc:
                _unreachable(exc, method.__name__)
                return fallback(*args, **kwargs) if callable(fallback) else fallback

        return wrapper

    return decorate


def _default_of_get(key, default=None, version=None):
    return default


def _delta_of_incr(key, delta=1, version=None):
    return delta


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = dict(params.get("OPTIONS") or {})
        # Fail fast: a stopped Redis must not hold a request for the default timeouts.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 1.0)
        super().__init__(server, {**params, "OPTIONS": options})

    @_guarded(False)
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().add(key, value, timeout, version)

    @_guarded(_default_of_get)
    def get(self, key, default=None, version=None):
        return super().get(key, default, version)

    @_guarded(None)
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set(key, value, timeout, version)

    @_guarded(False)
    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return super().touch(key, timeout, version)

    @_guarded(False)
    def delete(self, key, version=None):
        return super().delete(key, version)

    @_guarded(dict)
    def get_many(self, keys, version=None):
        return super().get_many(keys, version)

    @_guarded(False)
    def has_key(self, key, version=None):
        return super().has_key(key, version)

    @_guarded(_delta_of_incr)
    def incr(self, key, delta=1, version=None):
        return super().incr(key, delta, version)

    @_guarded(list)
    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set_many(data, timeout, version)

    @_guarded(None)
    def delete_many(self, keys, version=None):
        return super().delete_many(keys, version)

    @_guarded(False)
    def clear(self):
        return super().clear()

    def reachable(self) -> bool:
        try:
            return bool(self._cache.get_client().ping())
        except _redis_errors() as exc:
            _unreachable(exc, "ping")
            return False
