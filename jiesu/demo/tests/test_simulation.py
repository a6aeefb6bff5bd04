# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The simulation on the demo district: realistic lives through the real workflow."""

import pytest
from django.core.management import CommandError, call_command

from jiesu.appeals import audit
from jiesu.appeals.models import Appeal, Clock, Event, UnitRequest
from jiesu.appeals.states import Status
from jiesu.appeals.workflow import TRANSITIONS


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)


def test_simulation_covers_the_whole_life_and_the_chain_verifies(demo, capsys):
    call_command("simulate", appeals=80, days=20, seed=7)
    out = capsys.readouterr().out
    assert "Simulated 80 appeals" in out
    assert Appeal.objects.count() == 80
    statuses = set(Appeal.objects.values_list("status", flat=True))
    # A realistic spread: finished ones and ones still with units.
    assert Status.CLOSED in statuses
    assert statuses & {Status.DISPATCHED, Status.IN_PROGRESS, Status.VISITING, Status.COMPLETED}
    kinds = set(Event.objects.values_list("kind", flat=True))
    for kind in (
        "receive",
        "register",
        "dispatch",
        "sign",
        "contact",
        "complete",
        "approve_review",
        "record_visit",
    ):
        assert kind in kinds
    assert kinds - {"unmask", "clock_warning", "clock_breach"} <= set(TRANSITIONS)
    assert UnitRequest.objects.exists()
    # Every appeal that reached a unit has its clocks, none due before it started.
    for clock in Clock.objects.all():
        assert clock.started_at <= clock.warn_at <= clock.due_at
    call_command("verify_audit")
    assert all(problem is None for _, problem in audit.verify_all())


def test_simulation_is_deterministic(demo):
    from django.db import transaction
    from django.utils import timezone

    from jiesu.appeals.simulation import simulate

    end = timezone.now().replace(microsecond=0)

    def run():
        with transaction.atomic():
            simulate(appeals=15, days=5, seed=3, end=end)
            result = list(
                Appeal.objects.order_by("number").values_list(
                    "number", "status", "category__code", "channel"
                )
            )
            transaction.set_rollback(True)
        return result

    first = run()
    assert len(first) == 15
    assert run() == first


def test_simulation_needs_an_organisation(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("simulate", appeals=5, days=2)


def test_waiting_appeals_are_left_at_the_intake_desk(demo):
    call_command("simulate", appeals=10, days=3, seed=5, waiting=4)
    waiting = Appeal.objects.filter(status=Status.RECEIVED)
    assert waiting.count() >= 4
    assert all(a.events.count() == 1 for a in waiting)
