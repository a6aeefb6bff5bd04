# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The current time as the workflow sees it.

Normally `django.utils.timezone.now()`. The simulation and tests move a virtual clock with
`frozen_at(instant)`; it is a context variable, so concurrent threads each keep their own.
"""

import contextvars
from contextlib import contextmanager
from datetime import datetime

from django.utils import timezone

_override: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "jiesu_now", default=None
)


def now() -> datetime:
    value = _override.get()
    return value if value is not None else timezone.now()


@contextmanager
def frozen_at(instant: datetime):
    if timezone.is_naive(instant):
        raise ValueError("The virtual clock needs an aware datetime.")
    token = _override.set(instant)
    try:
        yield
    finally:
        _override.reset(token)
