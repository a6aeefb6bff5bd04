# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Project-wide pytest fixtures."""

import pytest
from django.core.signals import setting_changed
from django.db import connection
from django.dispatch import receiver
from django.urls import clear_url_caches
from django.utils import translation


@receiver(setting_changed)
def _language_code_changed(*, setting, **kwargs):
    """The URL resolver keeps each language's reverse map with the language prefix it had when
    built (none for the default language): a test that changes LANGUAGE_CODE must not leave
    `/en/` links reversed without their prefix for the tests after it."""
    if setting == "LANGUAGE_CODE":
        clear_url_caches()


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")


@pytest.fixture(autouse=True)
def _fresh_process_copies():
    """Reference data kept in memory (jiesu.versions) is dropped between tests: a rolled-back
    test transaction sends no signal, and SQLite reuses the ids it rolled back."""
    from jiesu import versions

    versions.forget_all()
    yield
    versions.forget_all()


@pytest.fixture
def steady_process_copies(settings, monkeypatch):
    """For tests that count statements: what a long-running worker sends per request.

    The calendar (ADR 0009) and the process copies of jiesu.versions (regions, channel keys,
    active models, the Open311 catalogue) re-read a small version row when their copy is older
    than a few seconds. On a slow machine that check can fall inside the counted block, so a
    count would depend on how long the test took. Here the copies never age; a change saved in
    this process still drops them at once, as always."""
    from jiesu import versions

    settings.JIESU = {**settings.JIESU, "CALENDAR_CHECK_SECONDS": float("inf")}
    for copy in versions.all_copies():
        monkeypatch.setattr(copy, "max_age", float("inf"))


@pytest.fixture
def slow_machine(monkeypatch):
    """Make every later reading of the monotonic clock a minute further on, as if the test had
    run on a machine sixty seconds slower: call it between a warm-up and a counted block."""
    import time

    def later(seconds: float = 60.0) -> None:
        now = time.monotonic
        monkeypatch.setattr(time, "monotonic", lambda: now() + seconds)

    return later


@pytest.fixture(autouse=True)
def _languages(settings):
    """Pages are Chinese by default, as in production (LANGUAGE_CODE, LocaleMiddleware).
    Code called directly from a test (workflow errors, command output) speaks English, so
    assertions read the source strings; tests of Chinese output activate zh-hans themselves."""
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("en"):
        yield
