# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Reference data kept in each process's memory, refreshed when the database changes.

Some data is read on every request but changes a few times a year: region boundaries (every
appeal's point → region lookup). Reading and preparing it each time costs more than the work it
is used for. A `ProcessCopy` keeps it in memory and, at most every `max_age` seconds, reads a
small fingerprint of it from the database (e.g. the ids and digests of the rows); it reloads
only when the fingerprint changed. A change made through the ORM in this process is seen at once
(`forget`, connected to the model's signals); a change made by another process, or by raw SQL,
within `max_age` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")

_copies: list[ProcessCopy] = []


class ProcessCopy(Generic[T]):
    def __init__(
        self,
        load: Callable[[], T],
        fingerprint: Callable[[], Hashable],
        max_age: float = 2.0,
    ):
        self.load = load
        self.fingerprint = fingerprint
        self.max_age = max_age
        self._lock = threading.Lock()
        self._value: T | None = None
        self._seen: Hashable = None
        self._checked = float("-inf")
        _copies.append(self)

    def get(self) -> T:
        now = time.monotonic()
        with self._lock:
            if self._value is not None and now - self._checked < self.max_age:
                return self._value
        # Fingerprint before loading: a change made while loading shows at the next check.
        seen = self.fingerprint()
        with self._lock:
            if self._value is not None and seen == self._seen:
                self._checked = now
                return self._value
        value = self.load()
        with self._lock:
            self._value, self._seen, self._checked = value, seen, now
        return value

    def forget(self, **kwargs) -> None:
        """Drop this process's copy: the next `get` loads again. Usable as a signal receiver."""
        with self._lock:
            self._value, self._seen, self._checked = None, None, float("-inf")


def all_copies() -> list[ProcessCopy]:
    """Every process copy made so far (tests that count statements hold them steady)."""
    return list(_copies)


def forget_all() -> None:
    """Drop every process copy (tests, where a rolled-back transaction sends no signal)."""
    for copy in _copies:
        copy.forget()
