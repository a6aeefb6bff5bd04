# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""`manage.py load_appeals`: many valid appeals, fast, copied from the workflow's own histories."""

from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from jiesu.appeals import audit, bulkload, tracking
from jiesu.appeals.models import Appeal, AppealNumberSequence, Assignment, Clock, Event
from jiesu.appeals.states import Status


@pytest.fixture
def demo(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    call_command("simulate", appeals=60, days=20, seed=7)


def test_loaded_appeals_are_valid_and_their_chains_verify(demo, capsys):
    before = Appeal.objects.count()
    call_command("load_appeals", count=300, weeks=8, batch=70)
    assert "Loaded 300 appeals" in capsys.readouterr().out
    assert Appeal.objects.count() == before + 300
    # Every history verifies, old and new, and the numbers are unique per day, in sequence.
    assert all(problem is None for _, problem in audit.verify_all())
    numbers = list(Appeal.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
    per_day = Counter(n[:10] for n in numbers)
    for seq in AppealNumberSequence.objects.all():
        day = f"PS{seq.day:%Y%m%d}"
        assert seq.last >= per_day.get(day, 0)
    loaded = Appeal.objects.filter(pk__gt=Appeal.objects.order_by("pk")[before - 1].pk)
    for appeal in loaded.select_related("merged_into"):
        # Received on the day its number names, every event after receipt.
        assert appeal.number[2:10] == f"{timezone.localtime(appeal.received_at):%Y%m%d}"
        events = list(appeal.events.order_by("seq"))
        assert events and events[0].kind == "receive"
        assert all(e.created_at >= appeal.received_at for e in events)
        if appeal.status == Status.MERGED:
            assert appeal.merged_into is not None and appeal.merged_into.pk != appeal.pk
        # The derived tracking code opens it.
        assert tracking.check_code(appeal, bulkload.tracking_code("jiesu-bulk", appeal.number))
    # References stay inside each copy.
    for clock in Clock.objects.filter(appeal__in=loaded).exclude(assignment=None):
        assert clock.assignment.appeal_id == clock.appeal_id
    for a in Assignment.objects.filter(appeal__in=loaded):
        assert a.appeal_id in set(loaded.values_list("pk", flat=True))


def test_later_ordinary_filings_do_not_collide(demo):
    from jiesu.appeals import workflow

    call_command("load_appeals", count=50)
    appeal = workflow.receive(
        channel="hotline", title="路灯不亮", description="坪山某路段路灯不亮", anonymous=True
    )
    assert appeal.pk > Appeal.objects.exclude(pk=appeal.pk).order_by("-pk").first().pk
    assert Event.objects.filter(appeal=appeal).count() == 1


def test_bad_arguments_are_refused(db):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("load_appeals", count=0)
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("load_appeals", count=5)
    assert not Appeal.objects.exists()
    assert connection.vendor in ("sqlite", "postgresql")
