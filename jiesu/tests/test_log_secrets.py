# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Secrets in request lines are masked in every log (issue 8, item 8): Django's loggers through
settings.LOGGING, gunicorn's access log through gunicorn.conf.py."""

import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from jiesu.logsafety import MaskSecrets, mask

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "GET /open311/v2/requests.json?api_key=js_abc_DEF&status=open HTTP/1.1",
            "GET /open311/v2/requests.json?api_key=***&status=open HTTP/1.1",
        ),
        ("POST /x?status=open&API_KEY=s3cret HTTP/1.1", "POST /x?status=open&API_KEY=*** HTTP/1.1"),
        ("GET /x?token=abc&password=pw", "GET /x?token=***&password=***"),
        (
            "GET /open311/v2/services.xml?jurisdiction_id=x",
            "GET /open311/v2/services.xml?jurisdiction_id=x",
        ),
        ("GET /x?monkey=1", "GET /x?monkey=1"),
    ],
)
def test_mask(line, expected):
    assert mask(line) == expected


def test_the_filter_masks_formatted_records():
    record = logging.LogRecord(
        "django.server",
        logging.WARNING,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /open311/v2/requests.json?api_key=js_secret HTTP/1.1", "403", "120"),
        None,
    )
    assert MaskSecrets().filter(record)
    assert "js_secret" not in record.getMessage()
    assert "api_key=***" in record.getMessage()


def test_djangos_console_handler_masks(settings):
    handler = settings.LOGGING["handlers"]["console"]
    assert "mask_secrets" in handler["filters"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gunicorn_access_log_masks_the_open311_key(tmp_path):
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "jiesu.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/healthz?api_key=js_topsecret_value&x=1"
        for _ in range(100):
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    assert "/healthz?api_key=***&x=1" in output, output
    assert "js_topsecret_value" not in output
