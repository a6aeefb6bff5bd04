# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Past one machine: two web processes and two task workers on one PostgreSQL and one Redis.

A burst of submissions (each sent twice, to both servers at once, with the same idempotency
key) and transitions (each register and dispatch sent to both servers at once) from several
clients; then every appeal is present exactly once, every transition happened once, every
notification was delivered exactly once by one of the two workers, and the audit chains verify.
"""

import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from jiesu.appeals import audit
from jiesu.appeals.models import Appeal, Event
from jiesu.notify.models import Notification
from jiesu.tests import opsprocs

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/12"
APPEALS = 40

# Real commits that other processes see; the state is put back afterwards (without it, the
# flush would recreate content types and break later serialized-rollback tests). Skipped before
# any database work on SQLite, which is one file that two servers would only queue on.
pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def processes(tmp_path, settings):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CACHE_URL", "DEBUG", "TASKS_BACKEND"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "jiesu.settings",
            "DATABASE_URL": url,
            "CACHE_URL": REDIS_URL,
            "SECRET_KEY": settings.SECRET_KEY,
            "JIESU_VAR_DIR": str(tmp_path),
            "JIESU_NOTIFY_OUTBOX_DIR": str(tmp_path / "outbox"),
            "CONN_MAX_AGE": "0",
        }
    )
    started = []
    ports = [_free_port(), _free_port()]
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    for port in ports:
        started.append(
            subprocess.Popen(
                [gunicorn, "jiesu.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(tmp_path / f"web-{port}.log", "w"),  # noqa: SIM115
            )
        )
    for n in range(2):
        started.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "run_worker", "--queue-name", "*", "--no-reload"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(tmp_path / f"worker-{n}.log", "w"),  # noqa: SIM115
            )
        )
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    deadline = time.monotonic() + 60
    for base in bases:
        while True:
            try:
                if opsprocs.request(base + "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp_path / f"web-{ports[0]}.log").read_text()
            time.sleep(0.3)
    yield bases, tmp_path
    for proc in started:
        proc.terminate()
    for proc in started:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_two_servers_two_workers_every_appeal_once_every_notification_once(processes):
    from rest_framework.authtoken.models import Token

    from jiesu.catalog.models import Category
    from jiesu.intake import channels
    from jiesu.intake.models import Channel
    from jiesu.org.models import User, UserRole
    from jiesu.org.roles import Role

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    bases, tmp = processes
    call_command("seed_demo", verbosity=0)
    channel = Channel.objects.get(code="wechat_pingshan")
    channel.rate_limit_per_minute = 0
    channel.save()
    key = channels.issue_key(channel)
    dispatcher = User.objects.get(username="dispatcher")
    UserRole.objects.get_or_create(user=dispatcher, role=Role.INTAKE_OPERATOR)
    token = Token.objects.create(user=dispatcher).key
    leaves = list(Category.objects.filter(level=3, active=True).values_list("code", flat=True))

    def submit(i):
        body = {
            "title": f"路灯不亮 {i}",
            "description": f"坪山街道某路段路灯不亮，第 {i} 件",
            "reporter_name": "张三",
            "reporter_phone": f"1380000{i:04d}",
            "lat": 22.705,
            "lng": 114.345,
        }
        headers = {"X-Api-Key": key, "Idempotency-Key": f"burst-{i}"}
        # The same submission to both servers at once (a client retrying elsewhere).
        with ThreadPoolExecutor(2) as both:
            answers = list(
                both.map(
                    lambda base: opsprocs.request(
                        base + "/api/v1/appeals/", body=body, headers=headers
                    ),
                    bases,
                )
            )
        return answers

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(submit, range(APPEALS)))
    statuses = sorted(s for pair in answers for s, _ in pair)
    assert set(statuses) <= {200, 201}, statuses
    numbers = {body["number"] for pair in answers for _, body in pair}
    assert len(numbers) == APPEALS
    assert Appeal.objects.count() == APPEALS

    auth = {"Authorization": f"Token {token}"}

    def act(args):
        i, number, action = args
        body = {"appeal_type": "complaint", "category": leaves[i % len(leaves)], "grade": "C"}
        payload = body if action == "register" else {}
        path = f"/api/v1/appeals/{number}/actions/{action}/"
        with ThreadPoolExecutor(2) as both:
            return list(
                both.map(
                    lambda base: opsprocs.request(base + path, body=payload, headers=auth), bases
                )
            )

    ordered = sorted(numbers)
    for action in ("register", "dispatch"):
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(act, [(i, n, action) for i, n in enumerate(ordered)]))
        for pair in results:
            codes = sorted(code for code, _ in pair)
            # One server acted; the other was refused (the appeal had moved on) or, when it
            # came second after the commit, saw the new state: never two transitions.
            assert codes[0] == 200 and codes[1] in (200, 409, 400), pair
    for number in ordered:
        kinds = list(Event.objects.filter(appeal__number=number).values_list("kind", flat=True))
        assert kinds.count("receive") == 1
        assert kinds.count("register") == 1
        assert kinds.count("dispatch") == 1

    # The workers deliver the outbox (the scheduler's tick, enqueued here).
    outgoing = Notification.objects.exclude(channel=Notification.Channel.IN_APP)
    call_command("run_scheduler", "--once", verbosity=0)
    deadline = time.monotonic() + 90
    while outgoing.exclude(status=Notification.Status.SENT).exists():
        assert time.monotonic() < deadline, list(
            outgoing.exclude(status="sent").values("channel", "status", "last_error")[:5]
        )
        time.sleep(1)
        call_command("run_scheduler", "--once", verbosity=0)
    # At least the citizens' acknowledgements (受理告知), each written once to the outbox files
    # (the file adapter stands in for the SMS gateway), whichever worker took it.
    assert outgoing.count() >= APPEALS
    keys = []
    for log in (tmp / "outbox").glob("*.log"):
        keys += [json.loads(line)["key"] for line in log.read_text().splitlines() if line]
    expected = set(outgoing.values_list("idempotency_key", flat=True))
    assert sorted(keys) == sorted(expected)
    assert all(problem is None for _, problem in audit.verify_all())


def test_database_connections_cut_mid_load_lose_nothing(processes):
    """PostgreSQL drops every connection of the servers and workers (as in a restart or a
    failover) several times during a burst: clients retry with their idempotency keys, and in
    the end every appeal is there exactly once and the workers still deliver."""
    from jiesu.intake import channels
    from jiesu.intake.models import Channel

    bases, tmp = processes
    call_command("seed_demo", verbosity=0)
    channel = Channel.objects.get(code="wechat_pingshan")
    channel.rate_limit_per_minute = 0
    channel.save()
    key = channels.issue_key(channel)
    with connection.cursor() as cursor:  # this test's own connection stays
        cursor.execute("SELECT pg_backend_pid()")
        (ours,) = cursor.fetchone()
    cutter = opsprocs.BackendCutter(ours)
    failures = []  # what the clients saw of the cuts

    def submit(i):
        body = {
            "title": f"井盖缺失 {i}",
            "description": f"坪山某路口井盖缺失，第 {i} 件",
            "anonymous": True,
            "lat": 22.705,
            "lng": 114.345,
        }
        headers = {"X-Api-Key": key, "Idempotency-Key": f"cut-{i}"}
        for attempt in range(20):
            try:
                status, answer = opsprocs.request(
                    bases[attempt % 2] + "/api/v1/appeals/", body=body, headers=headers
                )
            except OSError:
                status, answer = None, None
            if status in (200, 201):
                return answer["number"]
            failures.append(status)
            time.sleep(0.2)
        raise AssertionError(f"submission {i} never got through: {status} {answer}")

    cutter.start()
    try:
        with ThreadPoolExecutor(6) as pool:
            # Until a cut has struck a request in flight (a fast server can finish a burst
            # between two cuts).
            numbers = opsprocs.load_until_hit(
                pool, submit, APPEALS, lambda: cutter.cut > 0 and failures
            )
    finally:
        cutter.halt()
    assert cutter.cut > 0 and failures  # connections were really cut, under requests
    assert len(set(numbers)) == len(numbers) >= APPEALS
    assert Appeal.objects.count() == len(numbers)
    assert Event.objects.filter(kind="receive").count() == len(numbers)
    assert all(problem is None for _, problem in audit.verify_all())
    # The workers lost their connections too, and still run what is enqueued.
    call_command("run_scheduler", "--once", verbosity=0)
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + 60
    while DBTaskResult.objects.exclude(status__in=["SUCCESSFUL"]).exists():
        assert time.monotonic() < deadline, list(
            DBTaskResult.objects.values_list("task_path", "status")
        )
        time.sleep(0.5)
