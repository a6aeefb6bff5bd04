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
from jiesu.tests.plans import maintenance_counts


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


def test_copies_mostly_have_callers_of_their_own(demo):
    """Most copies call from a number of their own (a city's callers are mostly new); about one
    in ten is the template's caller again; anonymous appeals stay without a phone."""
    before = set(Appeal.objects.values_list("pk", flat=True))
    template_phones = set(
        Appeal.objects.exclude(reporter_phone="").values_list("reporter_phone", flat=True)
    )
    call_command("load_appeals", count=600, weeks=8, batch=200)
    loaded = Appeal.objects.exclude(pk__in=before)
    phones = list(loaded.exclude(reporter_phone="").values_list("reporter_phone", flat=True))
    assert len(phones) > 300
    repeated = sum(p in template_phones for p in phones)
    assert 0.03 * len(phones) < repeated < 0.2 * len(phones)
    new = [p for p in phones if p not in template_phones]
    assert len(set(new)) > 0.98 * len(new)
    assert all(len(p) == 11 and p[0] == "1" and p.isdigit() for p in new)
    assert not loaded.filter(anonymous=True).exclude(reporter_phone="").exists()


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


def _file_one():
    from jiesu.appeals import workflow

    return workflow.receive(
        channel="hotline", title="路灯不亮", description="坪山某路段路灯不亮", anonymous=True
    )


def _every_number_counted():
    per_day = Counter(n[2:10] for n in Appeal.objects.values_list("number", flat=True))
    last = {f"{s.day:%Y%m%d}": s.last for s in AppealNumberSequence.objects.all()}
    return all(last.get(day, 0) >= n for day, n in per_day.items())


def test_a_load_stopped_half_way_leaves_numbers_and_ids_to_later_filings(demo, monkeypatch):
    """Each batch moves the day counters and the id sequences in its own transaction: what a
    failed load had written stays valid, and nothing filed later takes its numbers."""
    before = Appeal.objects.count()
    real_write = bulkload._Writer.write
    batches = []

    def failing_write(self, rows):
        if self.model is Appeal:
            batches.append(len(rows))
            if len(batches) == 3:
                raise RuntimeError("disk full")
        return real_write(self, rows)

    monkeypatch.setattr(bulkload._Writer, "write", failing_write)
    with pytest.raises(RuntimeError, match="disk full"):
        bulkload.load(200, weeks=4, batch=40)
    written = Appeal.objects.count() - before
    assert 0 < written < 200  # two batches (and the open histories with the first) stayed
    assert _every_number_counted()
    assert all(problem is None for _, problem in audit.verify_all())
    monkeypatch.undo()
    appeal = _file_one()
    assert appeal.pk > Appeal.objects.exclude(pk=appeal.pk).order_by("-pk").first().pk
    bulkload.load(30, weeks=4)  # and a second load goes on from there
    assert Appeal.objects.count() == before + written + 1 + 30
    assert _every_number_counted()


@pytest.fixture
def committed_demo(transactional_db, settings, postgres_only):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", verbosity=0)
    call_command("simulate", appeals=40, days=15, seed=3)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_batches_are_written_by_a_second_thread(committed_demo, monkeypatch):
    """Outside a transaction, PostgreSQL batches go out from a writer thread with its own
    connection while the next is built; the result is the same valid history."""
    import threading

    threads = set()
    real_write = bulkload._Writer.write

    def recording_write(self, rows):
        threads.add(threading.current_thread().name)
        return real_write(self, rows)

    monkeypatch.setattr(bulkload._Writer, "write", recording_write)
    before = Appeal.objects.count()
    report = bulkload.load(250, weeks=6, batch=60)
    assert report.appeals == 250 and Appeal.objects.count() == before + 250
    assert threads and all(name.startswith("bulkload") for name in threads)
    assert all(problem is None for _, problem in audit.verify_all())
    assert _every_number_counted()
    appeal = _file_one()
    assert appeal.pk > Appeal.objects.exclude(pk=appeal.pk).order_by("-pk").first().pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_the_loaded_tables_are_vacuumed_and_analysed(committed_demo, capsys):
    """A bulk load leaves its tables as autovacuum would: the visibility map set (counts and
    lookups read indexes alone) and statistics current; --no-vacuum leaves them be."""
    before = maintenance_counts("appeals_appeal", "appeals_event")
    call_command("load_appeals", count=40, weeks=4, batch=20)
    out = capsys.readouterr().out
    assert "Vacuumed and analysed the loaded tables" in out
    after = maintenance_counts("appeals_appeal", "appeals_event")
    for table in ("appeals_appeal", "appeals_event"):
        assert after[table][0] == before[table][0] + 1
        assert after[table][1] == before[table][1] + 1

    call_command("load_appeals", count=10, weeks=4, no_vacuum=True)
    assert "Vacuumed" not in capsys.readouterr().out
    assert maintenance_counts("appeals_appeal", "appeals_event") == after
    assert all(problem is None for _, problem in audit.verify_all())


def test_inside_a_transaction_the_loaded_tables_are_analysed(demo, capsys):
    call_command("load_appeals", count=20, weeks=4)
    assert "Analysed the loaded tables" in capsys.readouterr().out
