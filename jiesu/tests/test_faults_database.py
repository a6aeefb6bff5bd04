# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""PostgreSQL "restarts" mid-load (every connection of the servers, workers and scheduler is
terminated, again and again, as a restart or a failover does): clients retry with their
idempotency keys, notifications written meanwhile are all delivered (a repeat carries the same
idempotency key), and the
processes' logs and metrics tell of the outage. PostgreSQL only (the shared server cannot be
restarted: its backends are terminated instead)."""

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from jiesu.appeals import audit, workflow
from jiesu.appeals.models import Appeal, Event
from jiesu.appeals.tests.conftest import world  # noqa: F401
from jiesu.intake import channels
from jiesu.intake.models import Channel
from jiesu.notify.models import Notification
from jiesu.tests import opsprocs

pytestmark = [
    pytest.mark.skipif(
        not __import__("os").environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
TOKEN = "metrics-token-for-database-tests-0123456789"
APPEALS = 30


def test_connections_cut_mid_load_lose_no_appeal_and_no_notification(
    tmp_path,
    settings,
    world,  # noqa: F811
):
    prom = tmp_path / "prometheus"
    prom.mkdir()
    env = opsprocs.environment(
        tmp_path,
        settings.SECRET_KEY,
        CONN_MAX_AGE=60,  # kept connections, as in production: the cut finds them
        PROMETHEUS_MULTIPROC_DIR=prom,
        JIESU_METRICS_TOKEN=TOKEN,
        JIESU_SWEEP_INTERVAL=1,
        JIESU_TASK_LEASE=30,
        # Claims and retries of notifications cut mid-delivery come round in seconds here.
        JIESU_NOTIFY_LEASE=5,
        JIESU_NOTIFY_BACKOFF="1,1,1,1,1",
    )
    channel = Channel.objects.create(
        code="app_cut", name="断线渠道", kind=Channel.Kind.APP, is_machine=True
    )
    key = channels.issue_key(channel)
    port = opsprocs.free_port(range(8110, 8114))
    base = f"http://127.0.0.1:{port}"
    web_log = tmp_path / "web.log"
    started = [opsprocs.gunicorn(port, env, web_log, workers=2)]
    started += [opsprocs.worker(env, tmp_path / f"worker-{n}.log") for n in range(2)]
    started.append(opsprocs.scheduler(env, tmp_path / "scheduler.log", interval=1))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (ours,) = cursor.fetchone()
    cutter = opsprocs.BackendCutter(ours)
    failures = []  # what the clients saw of the cuts
    try:
        opsprocs.wait_healthy(base, web_log)
        # Let every process hold a connection before the cuts start.
        time.sleep(2)
        cutter.start()

        def submit(i):
            body = {
                "title": f"路面塌陷 {i}",
                "description": f"坪山某路段路面塌陷，第 {i} 件",
                "reporter_phone": f"1370000{i:04d}",
                "lat": 22.7,
                "lng": 114.35,
            }
            headers = {"X-Api-Key": key, "Idempotency-Key": f"db-cut-{i}"}
            for _ in range(30):
                try:
                    status, answer = opsprocs.request(
                        base + "/api/v1/appeals/", body=body, headers=headers
                    )
                except OSError:
                    status = None
                if status in (200, 201):
                    return answer["number"]
                failures.append(status)
                time.sleep(0.2)
            raise AssertionError(f"submission {i} never got through")

        with ThreadPoolExecutor(4) as pool:
            numbers = opsprocs.load_until_hit(
                pool, submit, APPEALS, lambda: cutter.cut > 0 and failures
            )
        # Registered here (this test's connection is spared): the acknowledgements go to the
        # outbox while the workers keep losing their connections.
        for appeal in Appeal.objects.filter(number__in=numbers):
            workflow.register(
                appeal,
                world.u("intake"),
                appeal_type=world.complaint,
                category=world.leaf,
                grade=world.grade_c,
            )
        time.sleep(3)
        cutter.halt()
        outgoing = Notification.objects.exclude(channel=Notification.Channel.IN_APP)

        def delivered():
            return not outgoing.exclude(status=Notification.Status.SENT).exists()

        opsprocs.wait_for(delivered, 120, "every notification to be delivered", interval=1)
        status, text = opsprocs.request(
            base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, raw=True
        )
    finally:
        cutter.halt()
        opsprocs.stop(started)
    assert cutter.cut > 0
    assert failures, "no request was struck by a cut"
    assert len(set(numbers)) == len(numbers) >= APPEALS
    assert Appeal.objects.count() == len(numbers)
    assert Event.objects.filter(kind="receive").count() == len(numbers)
    assert all(problem is None for _, problem in audit.verify_all())
    keys = []
    for log in (tmp_path / "outbox").glob("*.log"):
        keys += [json.loads(line)["key"] for line in log.read_text().splitlines() if line]
    # None lost. A send cut after the gateway took it but before the database recorded it is
    # repeated after the lease with the same idempotency key, by which a gateway drops the
    # repeat (the file adapter standing in for the gateway here writes both lines).
    assert set(keys) == set(outgoing.values_list("idempotency_key", flat=True))
    assert len(set(keys)) >= len(numbers)
    # What the operators see: the workers' and scheduler's logs, the metrics.
    assert status == 200
    found = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert found[("jiesu_database_up", ())] == 1
    assert found[("jiesu_outbox_notifications", (("state", "pending"),))] == 0
    logs = "".join(
        (tmp_path / name).read_text()
        for name in ("worker-0.log", "worker-1.log", "scheduler.log", "web.log")
    )
    lost = found.get(("jiesu_worker_database_lost_total", ()), 0)
    errors_5xx = sum(
        v
        for (name, labels), v in found.items()
        if name == "jiesu_http_requests_total" and dict(labels)["status"].startswith("5")
    )
    traces = lost + errors_5xx + logs.count("lost the database") + logs.count("terminat")
    assert traces > 0, logs[-3000:]
