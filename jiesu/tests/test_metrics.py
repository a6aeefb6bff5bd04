# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The Prometheus endpoint: refused without the token or an allowed address; its queue and SLA
figures are those of the database; request counts add up over several gunicorn workers."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from jiesu.appeals.models import Assignment, Clock
from jiesu.appeals.tests.conftest import MONDAY_10, dispatched, new_appeal, world  # noqa: F401
from jiesu.appeals.timesource import frozen_at as at
from jiesu.notify.models import Notification
from jiesu.tests import opsprocs

TOKEN = "metrics-token-for-tests-0123456789"


def samples(text: str) -> dict:
    """{(name, frozenset(labels)): value} of an exposition."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found, name, **labels):
    return found.get((name, frozenset(labels.items())))


def scrape(client, **extra):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", **extra)
    assert response.status_code == 200, response.content
    return samples(response.content.decode())


@pytest.fixture
def token(settings):
    settings.JIESU = {**settings.JIESU, "METRICS_TOKEN": TOKEN, "METRICS_ALLOWED_IPS": []}


def test_never_public_by_default(client, db, settings):
    assert not settings.JIESU["METRICS_TOKEN"] and not settings.JIESU["METRICS_ALLOWED_IPS"]
    response = client.get("/metrics")
    assert response.status_code == 403
    assert "jiesu_" not in response.content.decode()
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_refused_without_the_right_token(client, db, token):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    answer = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x")
    assert answer.status_code == 403
    assert "JIESU_METRICS_TOKEN" in answer.content.decode()
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_allowed_addresses(client, db, settings):
    settings.JIESU = {**settings.JIESU, "METRICS_TOKEN": "", "METRICS_ALLOWED_IPS": ["10.0.0.0/8"]}
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.5").status_code == 403
    # A forwarded address counts only behind trusted proxies.
    forged = client.get("/metrics", REMOTE_ADDR="192.168.1.5", HTTP_X_FORWARDED_FOR="10.1.2.3")
    assert forged.status_code == 403


def test_request_counts_and_latency_by_route(client, db, token):
    before = scrape(client)
    for _ in range(3):
        client.get("/healthz")
    client.get("/no/such/page/13812345678")
    after = scrape(client)
    key = {"route": "/healthz", "method": "GET", "status": "200"}
    assert (
        value(after, "jiesu_http_requests_total", **key)
        - (value(before, "jiesu_http_requests_total", **key) or 0)
        == 3
    )
    count = {"route": "/healthz", "method": "GET"}
    assert (
        value(after, "jiesu_http_request_duration_seconds_count", **count)
        - (value(before, "jiesu_http_request_duration_seconds_count", **count) or 0)
        == 3
    )
    # Unknown paths are one series, never one per path.
    assert not any("13812345678" in str(labels) for _, labels in after)
    assert value(
        after, "jiesu_http_requests_total", route="<unmatched>", method="GET", status="404"
    )


def test_queue_and_sla_figures_are_the_database_state(client, world, token):  # noqa: F811
    from django_tasks_db.models import DBTaskResult

    from jiesu.appeals import tasks

    now = MONDAY_10 + timedelta(days=30)
    # Appeals dispatched 1 to 40 days before `now`: some green, some yellow, some red.
    for days in (1, 2, 4, 6, 8, 10, 12, 15, 20, 40):
        with at(now - timedelta(days=days)):
            dispatched(world)
    with at(now - timedelta(days=3)):
        new_appeal(world)  # received only: no handling clock
    # The outbox: some delivered, one retrying, one given up.
    outgoing = Notification.objects.exclude(channel=Notification.Channel.IN_APP).order_by("pk")
    assert outgoing.count() >= 4
    ids = list(outgoing.values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids[:2]).update(status="sent")
    Notification.objects.filter(pk=ids[2]).update(status="failed")
    Notification.objects.filter(pk=ids[3]).update(status="dead")
    # Tasks: two waiting, one failed.
    tasks.sweep_clocks.enqueue()
    tasks.purge_orphan_uploads.enqueue()
    failed = tasks.audit_checkpoint.enqueue()
    DBTaskResult.objects.filter(pk=failed.id).update(status="FAILED")
    DBTaskResult.objects.filter(status="READY").update(
        enqueued_at=timezone.now() - timedelta(minutes=7)
    )

    with at(now):
        found = scrape(client)

    # Lights, counted independently from each running lead handling clock.
    expected = Counter(
        clock.light(now)
        for clock in Clock.objects.filter(
            kind=Clock.Kind.HANDLE,
            stopped_at__isnull=True,
            cancelled=False,
            assignment__active=True,
            assignment__role=Assignment.Role.LEAD,
        )
    )
    assert set(expected) == {"green", "yellow", "red"}, expected
    for light in ("green", "yellow", "red"):
        assert value(found, "jiesu_appeals_open_by_light", light=light) == expected[light]
    overdue = Counter(
        c.kind
        for c in Clock.objects.filter(stopped_at__isnull=True, cancelled=False)
        if c.due_at < now
    )
    for kind in Clock.Kind.values:
        assert value(found, "jiesu_clocks_overdue", clock=kind) == overdue[kind]
    assert value(found, "jiesu_appeals_open") == 11

    states = Counter(outgoing.values_list("status", flat=True))
    for state in Notification.Status.values:
        assert value(found, "jiesu_outbox_notifications", state=state) == states[state]
    assert states["pending"] > 0
    oldest = min(outgoing.exclude(status__in=["sent", "dead"]).values_list("created_at", flat=True))
    age = value(found, "jiesu_outbox_oldest_undelivered_age_seconds")
    assert abs(age - (timezone.now() - oldest).total_seconds()) < 60

    assert value(found, "jiesu_tasks", state="READY") == 2
    assert value(found, "jiesu_tasks", state="FAILED") == 1
    assert value(found, "jiesu_tasks", state="RUNNING") == 0
    assert 7 * 60 <= value(found, "jiesu_tasks_oldest_ready_age_seconds") < 8 * 60
    assert value(found, "jiesu_tasks_abandoned") == 0
    assert value(found, "jiesu_database_up") == 1


def test_the_shared_cache_is_reported_down(client, db, token, settings, monkeypatch):
    pytest.importorskip("redis")
    from jiesu import cache

    # The outage is logged at most every 10 s: leave the next test its own log line.
    monkeypatch.setattr(cache, "_last_logged", 0.0)
    settings.CACHES = {
        "default": {
            "BACKEND": "jiesu.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    found = scrape(client)
    assert value(found, "jiesu_cache_up") == 0
    assert value(found, "jiesu_cache_errors_total") >= 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_request_counts_add_up_over_gunicorn_workers(tmp_path, settings):
    from concurrent.futures import ThreadPoolExecutor

    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    env = opsprocs.environment(
        tmp_path,
        settings.SECRET_KEY,
        PROMETHEUS_MULTIPROC_DIR=multiproc,
        JIESU_METRICS_TOKEN=TOKEN,
    )
    port = opsprocs.free_port(range(8108, 8114))
    log = tmp_path / "web.log"
    web = opsprocs.gunicorn(port, env, log, workers=2)
    base = f"http://127.0.0.1:{port}"
    try:
        opsprocs.wait_healthy(base, log)
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: opsprocs.request(base + "/healthz")[0], range(200)))
        assert codes == [200] * 200
        # Each worker keeps its own file; every scrape, whichever worker answers, adds them up.
        assert len(list(multiproc.glob("counter_*.db"))) == 2, log.read_text()
        auth = {"Authorization": f"Bearer {TOKEN}"}
        for _ in range(4):
            status, text = opsprocs.request(base + "/metrics", headers=auth, raw=True)
            assert status == 200
            found = samples(text)
            served = value(
                found, "jiesu_http_requests_total", route="/healthz", method="GET", status="200"
            )
            assert served >= 200 + 1  # the burst and the readiness checks
            assert served < 200 + 200
        assert opsprocs.request(base + "/metrics", raw=True)[0] == 403
    finally:
        opsprocs.stop([web])
    assert connection.vendor in ("sqlite", "postgresql")
