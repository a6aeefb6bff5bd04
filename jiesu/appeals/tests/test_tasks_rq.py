# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The same periodic work through RQ on Redis (TASKS_BACKEND=rq), for more than one machine."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from jiesu.appeals.models import Clock, SupervisionNotice
from jiesu.appeals.tests.conftest import dispatched

redis = pytest.importorskip("redis")
REDIS_URL = "redis://127.0.0.1:6379/11"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def rq_backend():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend"}},
        RQ_QUEUES={"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 60}},
    ):
        yield
    redis.Redis.from_url(REDIS_URL).flushdb()


def test_sweep_runs_through_rq(world, at, rq_backend):
    import django_rq
    from django_tasks_rq.backend import Job
    from rq import SimpleWorker

    from jiesu.appeals import tasks

    with at(timezone.now() - timedelta(days=20)):
        appeal = dispatched(world)
    result = tasks.sweep_clocks.enqueue()
    assert result.status == "READY"
    queue = django_rq.get_queue("default")
    assert queue.count == 1
    # What `manage.py rqworker --job-class django_tasks_rq.backend.Job default` runs.
    worker = SimpleWorker([queue], connection=queue.connection, job_class=Job)
    worker.work(burst=True)
    result.refresh()
    assert result.status == "SUCCESSFUL"
    handle = appeal.clocks.get(kind=Clock.Kind.HANDLE)
    assert handle.breached_at is not None
    assert SupervisionNotice.objects.filter(appeal=appeal, automatic=True).count() == 1
