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
