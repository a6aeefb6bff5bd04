# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Shared fixtures of the per-door security checklists (issue 8): the workflow tests' small
world (a district, units D01 城市管理局 and D02 水务局, one person per role) on the virtual
clock, with files under a temporary media root and empty rate-limit counters."""

import pytest
from django.core.cache import cache

from jiesu.appeals import workflow
from jiesu.appeals.tests.conftest import MONDAY_10, in_progress, registered
from jiesu.appeals.timesource import frozen_at
from jiesu.intake.tests.api_support import make_world


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    yield make_world(settings)
    cache.clear()


@pytest.fixture
def appeals(world):
    """ "own": led by D01 (the unit of `handler` and `leader`), in progress; "other": led by
    D02 水务局; "guess": a well-formed number that does not exist."""
    with frozen_at(MONDAY_10):
        own = in_progress(world)
        other = workflow.dispatch(registered(world), world.u("dispatcher"), lead_unit=world.water)
    return {"own": own.number, "other": other.number, "guess": own.number[:-4] + "9999"}
