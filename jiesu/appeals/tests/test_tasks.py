# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The periodic SLA sweep runs as a real task through the database backend and its worker."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from jiesu.appeals.models import Clock, SupervisionNotice
from jiesu.appeals.tests.conftest import MONDAY_10, dispatched
from jiesu.notify.models import Notification

# The worker closes connections it finds in a transaction, so these tests run outside one.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_scheduler_enqueues_and_worker_sweeps(world, at):
    with at(timezone.now() - timedelta(days=20)):
        appeal = dispatched(world)
    call_command("run_scheduler", "--once")
    # sweep, orphan uploads, audit checkpoint, outbox, and the periodic tasks of the rooms below
    # (the KPI refresh, reward payouts and reconciliation)
    from jiesu.appeals.management.commands.run_scheduler import PERIODIC

    assert len(PERIODIC) >= 5
    assert DBTaskResult.objects.filter(status="READY").count() == len(PERIODIC)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    handle = appeal.clocks.get(kind=Clock.Kind.HANDLE)
    assert handle.breached_at is not None and handle.warned_at is not None
    assert SupervisionNotice.objects.filter(appeal=appeal, automatic=True).count() == 1
    assert Notification.objects.filter(event="unit.clock_breach", recipient_unit=world.urban)
    assert Notification.objects.filter(
        event="supervisor.clock_breach", recipient_user=world.u("supervisor")
    ).exists()


def test_sweep_on_time_appeal_raises_nothing(world, at):
    # At a fixed working hour: right after dispatch no warning point can have passed (at night
    # or at a weekend a clock counted in natural hours could be near its warning point).
    with at(MONDAY_10):
        appeal = dispatched(world)
        call_command("run_scheduler", "--once")
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert not appeal.clocks.filter(breached_at__isnull=False).exists()
    assert not appeal.events.filter(kind__startswith="clock_").exists()


def test_orphan_uploads_are_purged_by_the_worker(world, settings, tmp_path):
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from jiesu.appeals import attachments
    from jiesu.appeals.models import Attachment

    settings.MEDIA_ROOT = tmp_path
    buffer = BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "JPEG")
    upload = SimpleUploadedFile("x.jpg", buffer.getvalue(), content_type="image/jpeg")
    old = attachments.store_upload(upload, purpose=Attachment.Purpose.REPORT)
    Attachment.objects.filter(pk=old.pk).update(uploaded_at=timezone.now() - timedelta(days=2))
    upload.seek(0)
    fresh = attachments.store_upload(upload, purpose=Attachment.Purpose.REPORT)
    call_command("run_scheduler", "--once")
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert list(Attachment.objects.values_list("pk", flat=True)) == [fresh.pk]
