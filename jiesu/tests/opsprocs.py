# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Helpers of the operations tests that run real processes (gunicorn, task workers, the
scheduler) against the test database: SQLite (the test file) or PostgreSQL."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/8"


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] or "postgres"
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def environment(tmp_path: Path, secret_key: str, **extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "CACHE_URL",
            "DEBUG",
            "TASKS_BACKEND",
            "PROMETHEUS_MULTIPROC_DIR",
            "JIESU_LOG_FORMAT",
        }
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "jiesu.settings",
            "DATABASE_URL": database_url(),
            "SECRET_KEY": secret_key,
            "JIESU_VAR_DIR": str(tmp_path),
            "JIESU_NOTIFY_OUTBOX_DIR": str(tmp_path / "outbox"),
            "CONN_MAX_AGE": "0",
            "LOG_LEVEL": "INFO",
        }
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start(args, env, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdout=open(log.with_suffix(".out"), "w"),  # noqa: SIM115
        stderr=open(log, "w"),  # noqa: SIM115
    )


def gunicorn(port: int, env, log: Path, workers: int = 2) -> subprocess.Popen:
    exe = str(Path(sys.executable).parent / "gunicorn")
    return start(
        [exe, "jiesu.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"], env, log
    )


def worker(env, log: Path, *extra) -> subprocess.Popen:
    return start(
        [
            sys.executable,
            "manage.py",
            "run_worker",
            "--queue-name",
            "*",
            "--no-reload",
            "--interval",
            "0.2",
            "--no-startup-delay",
            *extra,
        ],
        env,
        log,
    )


def scheduler(env, log: Path, interval: int = 1) -> subprocess.Popen:
    return start(
        [sys.executable, "manage.py", "run_scheduler", "--interval", str(interval)], env, log
    )


def free_port(preferred) -> int:
    """The first port of `preferred` free on the loopback (tests of different runs keep to
    their own ranges)."""
    for port in preferred:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def request(url, *, body=None, headers=None, raw=False):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        method="POST" if data is not None else "GET",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310 - loopback
            payload = response.read()
            return response.status, (payload.decode() if raw else json.loads(payload or b"null"))
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        return exc.code, (payload.decode() if raw else json.loads(payload or b"null"))


def wait_healthy(base: str, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if request(base + "/healthz")[0] == 200:
                return
        except OSError:
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.3)


def wait_for(condition, seconds: float, what: str, interval: float = 0.3):
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(interval)


def stop(processes) -> None:
    for proc in processes:
        if proc.poll() is None:
            proc.terminate()
    for proc in processes:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class BackendCutter:
    """Terminates every backend of the test database but the listed ones, every ``interval``
    seconds, as a PostgreSQL restart or failover does to the servers, workers and scheduler.
    ``cut`` counts the backends terminated."""

    def __init__(self, spare_pid: int, interval: float = 0.1):
        import threading

        self.spare = spare_pid
        self.interval = interval
        self.stop = threading.Event()
        self.cut = 0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        from django.db import connections

        try:
            while not self.stop.wait(self.interval):
                with connections["default"].cursor() as cursor:
                    cursor.execute(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND pid <> %s",
                        [self.spare],
                    )
                    self.cut += cursor.fetchone()[0]
        finally:
            connections["default"].close()

    def start(self):
        self._thread.start()

    def halt(self):
        self.stop.set()
        if self._thread.is_alive():
            self._thread.join()


def load_until_hit(pool, submit, batch: int, hit, most: int = 12) -> list:
    """Submits ``batch`` requests at a time through ``pool`` (``submit(i)`` returns the appeal's
    number) until ``hit()`` says the fault really struck a request, at most ``most`` batches.
    A fast server can finish a fixed burst between two cuts; the load goes on until one lands."""
    numbers = []
    for start in range(0, batch * most, batch):
        numbers += pool.map(submit, range(start, start + batch))
        if hit():
            break
    return numbers
