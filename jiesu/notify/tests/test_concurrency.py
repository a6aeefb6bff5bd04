# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Real crashes and real concurrent workers.

- A worker process is killed with SIGKILL while the SMS gateway holds its request (the gateway
  has taken the message; the row cannot have been marked sent). After the lease, a new worker
  sends it again with the same OutId; the gateway recognises it; the row ends `sent`; the
  citizen got one SMS. Nothing else of the killed worker's batch is lost.
- Two worker processes deliver one outbox together: every message reaches the gateway exactly
  once (not merely deduplicated there: sent once).
- On PostgreSQL, two worker threads claim concurrently, and a worker skips a row another
  transaction holds locked instead of waiting for it (SKIP LOCKED).

The worker processes need a database they can see: on PostgreSQL the test database itself (these
tests are transactional, so their rows are committed); on SQLite, whose test database lives in
memory, a database file migrated once for this module, which the processes share as Jiesu's
embedded mode does (WAL, IMMEDIATE transactions, busy timeout).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.db import connection, connections, transaction
from django.utils import timezone

from jiesu.notify import delivery, outbox
from jiesu.notify.models import Notification
from jiesu.notify.tests.conftest import notify_settings

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
S = Notification.Status
BASE_DIR = Path(django_settings.BASE_DIR)


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite database file (made once; each test works on a copy)."""
    if connection.vendor != "sqlite":
        return None
    directory = tmp_path_factory.mktemp("sqlite-template")
    path = directory / "template.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "JIESU_VAR_DIR": str(directory)}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0", "--skip-checks"],
        cwd=BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
    )
    return path


class Workers:
    """Runs `jiesu.notify.tests.worker` processes against the test's database."""

    def __init__(self, database_url, var_dir, notify):
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "JIESU_VAR_DIR": str(var_dir),
            "JIESU_NOTIFY_TEST": json.dumps(notify),
        }

    def start(self, command, **args):
        return subprocess.Popen(
            [sys.executable, "-m", "jiesu.notify.tests.worker", command, json.dumps(args)],
            cwd=BASE_DIR,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, command, **args):
        process = self.start(command, **args)
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def workers(tmp_path, receiver, sqlite_template):
    notify = notify_settings(tmp_path / "outbox", receiver)
    if connection.vendor == "sqlite":
        path = tmp_path / "jiesu.sqlite3"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        db = connection.settings_dict
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = f"{auth}@" if auth else ""
        host += f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
        url = f"postgres://{host}/{db['NAME']}"
    return Workers(url, tmp_path, notify)


def test_sigkill_after_the_gateway_took_the_message(workers, receiver):
    keys = ["PS20261102000001:2:citizen.accepted", "PS2:2:citizen.accepted", "PS3:2:x"]
    workers.run("enqueue", keys=keys)
    worker = workers.start("deliver", batch=10)
    receiver.on_crash = lambda: os.kill(worker.pid, signal.SIGKILL)
    receiver.script("crash")
    worker.communicate(timeout=120)
    assert worker.returncode == -signal.SIGKILL
    assert receiver.keys() == keys[:1]  # the gateway took the first message, then the worker died
    status = workers.run("status")
    assert [status[k][:2] for k in keys] == [[S.SENDING, 1]] * 3

    # A worker started at once leaves the rows to their (dead) owner until the lease expires …
    assert workers.run("deliver")["claimed"] == 0
    # … then takes them over and sends them, the first one again with the same OutId.
    later = (timezone.now() + timedelta(minutes=11)).isoformat()
    counts = workers.run("deliver", now=later)
    assert counts["reclaimed"] == 3 and counts["sent"] == 3
    status = workers.run("status")
    assert [status[k][:2] for k in keys] == [[S.SENT, 2]] * 3
    assert receiver.keys() == [keys[0], keys[0], keys[1], keys[2]]
    first, resent = receiver.requests[0].payload, receiver.requests[1].payload
    assert first == resent
    assert sorted(receiver.delivered) == sorted(keys)  # each citizen: one SMS


def test_two_worker_processes_send_every_message_once(workers, receiver):
    keys = [f"PS{i:04d}:2:citizen.accepted" for i in range(40)]
    workers.run("enqueue", keys=keys)
    receiver.delay = 0.03  # a gateway that takes its time, so that the workers overlap
    start_at = time.time() + 3  # both begin together, after Django has started in each
    processes = [workers.start("deliver", batch=5, start_at=start_at) for _ in range(2)]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(receiver.keys()) == keys  # every message sent once: no duplicate at all
    assert sum(r["sent"] for r in results) == 40
    assert all(r["claimed"] > 0 for r in results), results  # both took part
    status = workers.run("status")
    assert {s[0] for s in status.values()} == {S.SENT}


# PostgreSQL: threads in one process, each with its own connection ---------------------------


def sms_rows(count):
    return [
        outbox.enqueue(
            "citizen.accepted",
            channel="sms",
            address="13800001234",
            context={"number": f"PS{i:04d}"},
            idempotency_key=f"PS{i:04d}:2:citizen.accepted",
        )
        for i in range(count)
    ]


def in_thread(target, *args):
    outcome = {}

    def run():
        try:
            outcome["value"] = target(*args)
        except BaseException as e:  # noqa: BLE001 - reported to the test
            outcome["error"] = e
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_two_threads_claim_concurrently(postgres_only, http):
    rows = sms_rows(40)
    http.delay = 0.02
    barrier = threading.Barrier(2)

    def work():
        barrier.wait()
        totals = dict.fromkeys(delivery.COUNT_KEYS, 0)
        while True:
            counts = delivery.deliver_due(batch=4)
            for key, value in counts.items():
                totals[key] += value
            if not counts["claimed"]:
                return totals

    runs = [in_thread(work) for _ in range(2)]
    for thread, _ in runs:
        thread.join(60)
    results = [outcome["value"] for _, outcome in runs]
    assert all(r["claimed"] > 0 for r in results), results
    assert sum(r["sent"] for r in results) == 40
    assert sorted(http.keys()) == sorted(n.idempotency_key for n in rows)
    assert set(Notification.objects.values_list("status", flat=True)) == {S.SENT}


def test_a_locked_row_is_skipped_not_waited_for(postgres_only, http):
    rows = sms_rows(5)
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            Notification.objects.select_for_update().get(pk=rows[0].pk)
            locked.set()
            release.wait(5)

    thread, outcome = in_thread(hold)
    assert locked.wait(10)
    started = time.monotonic()
    counts = delivery.deliver_due()
    elapsed = time.monotonic() - started
    release.set()
    thread.join(10)
    assert "error" not in outcome
    assert elapsed < 3, "the worker waited for the locked row instead of skipping it"
    assert counts["sent"] == 4
    assert Notification.objects.get(pk=rows[0].pk).status == S.PENDING
    assert delivery.deliver_due()["sent"] == 1
