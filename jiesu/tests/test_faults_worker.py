# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A task worker killed in the middle of a task: after the lease the scheduler puts the task
back in the queue, another worker finishes it, and the log and the metrics say so."""

import signal

import pytest
from django_tasks_db.models import DBTaskResult
from prometheus_client.parser import text_string_to_metric_families

from jiesu.tests import faulttasks, opsprocs

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
TOKEN = "metrics-token-for-fault-tests-0123456789"


def metric(client, name, **labels):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


def test_a_task_whose_worker_was_killed_is_finished_by_another(
    tmp_path, settings, client, monkeypatch
):
    lease = 3
    settings.JIESU = {**settings.JIESU, "METRICS_TOKEN": TOKEN, "TASK_LEASE": lease}
    prom = tmp_path / "prometheus"
    prom.mkdir()
    env = opsprocs.environment(
        tmp_path, settings.SECRET_KEY, JIESU_TASK_LEASE=lease, PROMETHEUS_MULTIPROC_DIR=prom
    )
    marks = tmp_path / "marks"
    marks.mkdir()
    started = []
    try:
        first = opsprocs.worker(env, tmp_path / "worker-a.log", "--worker-id", "worker-a")
        started.append(first)
        result = faulttasks.probe.enqueue(str(marks), 600)
        opsprocs.wait_for(lambda: (marks / "runs").exists(), 60, "the first run to start")
        row = DBTaskResult.objects.get(pk=result.id)
        assert row.status == "RUNNING" and row.worker_ids == ["worker-a"]

        first.send_signal(signal.SIGKILL)  # no clean-up at all
        first.wait()
        # The claim outlives its worker: seen on /metrics once the lease has run out.
        opsprocs.wait_for(lambda: metric(client, "jiesu_tasks_abandoned") == 1, 30, "abandoned")
        assert metric(client, "jiesu_tasks", state="RUNNING") == 1

        second = opsprocs.worker(env, tmp_path / "worker-b.log", "--worker-id", "worker-b")
        started.append(second)
        started.append(opsprocs.scheduler(env, tmp_path / "scheduler.log", interval=1))

        def finished():
            row.refresh_from_db()
            return row.status == "SUCCESSFUL"

        opsprocs.wait_for(finished, 90, "the task to be finished by the other worker")
    finally:
        opsprocs.stop(started)
    assert row.worker_ids == ["worker-a", "worker-b"]
    assert row.return_value == int((marks / "done").read_text()) == second.pid
    assert len((marks / "runs").read_text().splitlines()) == 2  # ran again once, not more
    log = (tmp_path / "scheduler.log").read_text()
    assert f"Task {row.pk}" in log and "claimed by worker worker-a" in log
    assert "put back in the queue" in log
    # The scheduler's count, added up from the processes' files like gunicorn's.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(prom))
    assert metric(client, "jiesu_tasks_recovered_total") == 1
    assert metric(client, "jiesu_tasks_abandoned") == 0


def test_a_running_task_within_its_lease_is_left_alone(db, settings):
    from datetime import timedelta

    from django.utils import timezone

    from jiesu import taskclaims

    settings.JIESU = {**settings.JIESU, "TASK_LEASE": 600}
    young = faulttasks.probe.enqueue("/nonexistent", 0)
    old = faulttasks.probe.enqueue("/nonexistent", 0)
    now = timezone.now()
    DBTaskResult.objects.filter(pk=young.id).update(
        status="RUNNING", started_at=now - timedelta(seconds=599), worker_ids=["w1"]
    )
    DBTaskResult.objects.filter(pk=old.id).update(
        status="RUNNING", started_at=now - timedelta(seconds=601), worker_ids=["w2"]
    )
    assert taskclaims.recover_abandoned(now) == 1
    assert DBTaskResult.objects.get(pk=young.id).status == "RUNNING"
    assert DBTaskResult.objects.get(pk=old.id).status == "READY"
    assert taskclaims.recover_abandoned(now) == 0
