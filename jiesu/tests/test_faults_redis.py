# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Redis stopped while RQ carries the background work: intake goes on (notifications are
outbox rows in the database), the scheduler logs each failed enqueue instead of dying, the
metrics show Redis down; once Redis is back the next tick enqueues and everything is delivered
exactly once."""

import json
import logging

import pytest
from django.core.management import call_command
from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families

from jiesu.appeals import workflow
from jiesu.appeals.tests.conftest import world  # noqa: F401
from jiesu.intake import channels
from jiesu.intake.models import Channel
from jiesu.notify.models import Notification

redis = pytest.importorskip("redis")
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
UP = "redis://127.0.0.1:6379/8"
DOWN = "redis://127.0.0.1:9/0"
TOKEN = "metrics-token-for-redis-tests-0123456789"


def rq(url):
    return override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend"}},
        RQ_QUEUES={"default": {"URL": url, "DEFAULT_TIMEOUT": 60}},
        CACHES={"default": {"BACKEND": "jiesu.cache.ResilientRedisCache", "LOCATION": url}},
    )


def figures(client) -> dict:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.content.decode())
        for s in family.samples
    }


@pytest.fixture
def redis_up():
    try:
        redis.Redis.from_url(UP, socket_connect_timeout=2).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield
    redis.Redis.from_url(UP).flushdb()


def test_redis_down_loses_nothing_and_delivery_resumes(
    client,
    world,  # noqa: F811
    settings,
    tmp_path,
    caplog,
    redis_up,
    monkeypatch,
):
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    from jiesu import cache

    monkeypatch.setattr(cache, "_last_logged", 0.0)
    settings.JIESU = {**settings.JIESU, "METRICS_TOKEN": TOKEN}
    settings.JIESU_NOTIFY = {**settings.JIESU_NOTIFY, "OUTBOX_DIR": str(tmp_path / "outbox")}
    channel = Channel.objects.create(
        code="app_rq", name="RQ渠道", kind=Channel.Kind.APP, is_machine=True
    )
    key = channels.issue_key(channel)
    with rq(DOWN), caplog.at_level(logging.ERROR):
        numbers = []
        for i in range(5):
            answer = client.post(
                "/api/v1/appeals/",
                json.dumps(
                    {
                        "title": f"井盖缺失 {i}",
                        "description": "某路口井盖缺失",
                        "reporter_phone": f"1390000{i:04d}",
                        "lat": 22.7,
                        "lng": 114.35,
                    }
                ),
                content_type="application/json",
                HTTP_X_API_KEY=key,
            )
            assert answer.status_code == 201
            numbers.append(answer.json()["number"])
        from jiesu.appeals.models import Appeal

        for appeal in Appeal.objects.filter(number__in=numbers):
            workflow.register(
                appeal,
                world.u("intake"),
                appeal_type=world.complaint,
                category=world.leaf,
                grade=world.grade_c,
            )
        call_command("run_scheduler", "--once", verbosity=0)  # does not raise
        down = figures(client)
    assert "Could not enqueue" in caplog.text and "deliver_outbox" in caplog.text
    assert "The shared cache (Redis) cannot be reached" in caplog.text
    assert down[("jiesu_rq_up", ())] == 0
    assert down[("jiesu_cache_up", ())] == 0
    outgoing = Notification.objects.exclude(channel=Notification.Channel.IN_APP)
    assert outgoing.count() >= 5
    assert not outgoing.exclude(status="pending").exists()  # waiting, not lost

    with rq(UP):
        call_command("run_scheduler", "--once", verbosity=0)
        up = figures(client)
        assert up[("jiesu_rq_up", ())] == 1 and up[("jiesu_cache_up", ())] == 1
        assert up[("jiesu_rq_jobs", (("queue", "default"), ("state", "queued")))] >= 1
        queue = django_rq.get_queue("default")
        SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
    assert not outgoing.exclude(status="sent").exists()
    delivered = []
    for log in (tmp_path / "outbox").glob("*.log"):
        delivered += [json.loads(line)["key"] for line in log.read_text().splitlines() if line]
    assert sorted(delivered) == sorted(outgoing.values_list("idempotency_key", flat=True))
