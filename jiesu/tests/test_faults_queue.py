# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A full queue: with no worker running, tasks and notifications pile up while intake goes on
accepting appeals; the metrics and the scheduler's log say so; once workers run, the backlog
drains and every notification goes out exactly once."""

import json
import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from jiesu.appeals import workflow
from jiesu.appeals.management.commands.run_scheduler import Backlog
from jiesu.appeals.models import Appeal
from jiesu.appeals.tests.conftest import world  # noqa: F401
from jiesu.intake import channels
from jiesu.intake.models import Channel
from jiesu.notify.models import Notification
from jiesu.tests import faulttasks

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
TOKEN = "metrics-token-for-queue-tests-0123456789"
APPEALS = 30
TASKS = 300


def scrape(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


def test_intake_goes_on_while_the_queues_fill_and_the_backlog_drains_after(
    client,
    world,  # noqa: F811
    settings,
    tmp_path,
    caplog,  # noqa: F811
):
    settings.JIESU = {**settings.JIESU, "METRICS_TOKEN": TOKEN, "BACKLOG_WARN_SECONDS": 600}
    settings.JIESU_NOTIFY = {**settings.JIESU_NOTIFY, "OUTBOX_DIR": str(tmp_path / "outbox")}
    channel = Channel.objects.create(
        code="app_burst", name="压力渠道", kind=Channel.Kind.APP, is_machine=True
    )
    key = channels.issue_key(channel)
    # No worker runs: the task queue fills up ...
    for n in range(TASKS):
        faulttasks.noop.enqueue(n)
    # ... and intake still accepts every appeal, each with its acknowledgement in the outbox.
    for i in range(APPEALS):
        answer = client.post(
            "/api/v1/appeals/",
            json.dumps(
                {
                    "title": f"路灯不亮 {i}",
                    "description": f"坪山某路段路灯不亮，第 {i} 件",
                    "reporter_name": "张三",
                    "reporter_phone": f"1380000{i:04d}",
                    "lat": 22.7,
                    "lng": 114.35,
                }
            ),
            content_type="application/json",
            HTTP_X_API_KEY=key,
        )
        assert answer.status_code == 201, answer.content
        # Registered at once: the citizen's acknowledgement (受理告知) goes to the outbox.
        workflow.register(
            Appeal.objects.get(number=answer.json()["number"]),
            world.u("intake"),
            appeal_type=world.complaint,
            category=world.leaf,
            grade=world.grade_c,
        )
    assert Appeal.objects.count() == APPEALS
    outgoing = Notification.objects.exclude(channel=Notification.Channel.IN_APP)
    assert outgoing.count() >= APPEALS
    assert not outgoing.exclude(status="pending").exists()

    # The backlog grew old (as if the workers had been stopped for 20 minutes).
    past = timezone.now() - timedelta(minutes=20)
    DBTaskResult.objects.update(enqueued_at=past)
    outgoing.update(created_at=past)
    found = scrape(client)
    assert found[("jiesu_tasks", (("state", "READY"),))] == TASKS
    assert found[("jiesu_outbox_notifications", (("state", "pending"),))] == outgoing.count()
    assert found[("jiesu_tasks_oldest_ready_age_seconds", ())] >= 20 * 60
    assert found[("jiesu_outbox_oldest_undelivered_age_seconds", ())] >= 20 * 60
    backlog = Backlog()
    with caplog.at_level(logging.WARNING, logger="jiesu.scheduler"):
        backlog.check()
    assert f"Backlog: {TASKS} tasks waiting" in caplog.text
    assert f"{outgoing.count()} notifications not delivered" in caplog.text

    # Workers start: the scheduler's tick and one worker drain everything.
    call_command("run_scheduler", "--once", verbosity=0)
    call_command(
        "run_worker",
        "--batch",
        "--queue-name",
        "*",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0",
        verbosity=0,
    )
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    assert sorted(
        DBTaskResult.objects.filter(task_path__endswith="faulttasks.noop").values_list(
            "return_value", flat=True
        )
    ) == list(range(TASKS))
    assert not outgoing.exclude(status="sent").exists()
    delivered = []
    for log in (tmp_path / "outbox").glob("*.log"):
        delivered += [json.loads(line)["key"] for line in log.read_text().splitlines() if line]
    assert sorted(delivered) == sorted(outgoing.values_list("idempotency_key", flat=True))

    found = scrape(client)
    assert found[("jiesu_tasks", (("state", "READY"),))] == 0
    assert found[("jiesu_outbox_notifications", (("state", "pending"),))] == 0
    assert found[("jiesu_outbox_oldest_undelivered_age_seconds", ())] == 0
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="jiesu.scheduler"):
        backlog.check()
    assert "Backlog cleared" in caplog.text
