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
