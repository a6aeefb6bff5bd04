# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""JIESU_LOG_FORMAT=json: one JSON object per line, with the request id and the user id, for
Django's loggers and for gunicorn's access log; never a secret or a phone number."""

import io
import json
import logging

import pytest

from jiesu.ops.logs import JsonFormatter
from jiesu.tests import opsprocs


@pytest.fixture
def json_lines():
    """Log lines of `jiesu.metrics` formatted as in production with JIESU_LOG_FORMAT=json."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("jiesu.metrics")
    logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)


def test_a_line_inside_a_request_names_the_request_and_the_user(client, db, settings, json_lines):
    from jiesu.org.models import User

    user = User.objects.create_user(username="ops_admin", password="x-Passw0rd!")
    client.force_login(user)
    # A wrong allowed-address entry is logged while the request is answered.
    settings.JIESU = {**settings.JIESU, "METRICS_TOKEN": "", "METRICS_ALLOWED_IPS": ["nonsense"]}
    response = client.get("/metrics")
    assert response.status_code == 403
    [line] = json_lines()
    assert set(line) >= {"time", "level", "logger", "message", "request_id", "user_id"}
    assert line["level"] == "ERROR" and line["logger"] == "jiesu.metrics"
    assert "nonsense" in line["message"]
    assert line["user_id"] == user.pk
    assert line["request_id"] == response["X-Request-ID"] and len(line["request_id"]) == 32
    assert line["time"].endswith("+08:00")  # Asia/Shanghai


def test_the_proxys_request_id_is_kept_and_a_strange_one_replaced(client, db, settings, json_lines):
    settings.JIESU = {**settings.JIESU, "METRICS_ALLOWED_IPS": ["nonsense"]}
    kept = client.get("/metrics", HTTP_X_REQUEST_ID="nginx-4f2a9c")
    assert kept["X-Request-ID"] == "nginx-4f2a9c"
    replaced = client.get("/metrics", HTTP_X_REQUEST_ID='bad id"\n{"level": "x"}')
    assert replaced["X-Request-ID"] != 'bad id"\n{"level": "x"}'
    first, second = json_lines()
    assert first["request_id"] == "nginx-4f2a9c" and first["user_id"] is None
    assert second["request_id"] == replaced["X-Request-ID"]


def test_outside_a_request_secrets_and_phones_are_masked_and_exceptions_kept(json_lines):
    logger = logging.getLogger("jiesu.metrics")
    try:
        raise ValueError("reporter 13812345678 unreachable")
    except ValueError:
        logger.exception("Call to 13912345678 failed, see /x?api_key=s3cret")
    [line] = json_lines()
    assert line["request_id"] is None and line["user_id"] is None
    assert line["message"] == "Call to 139****5678 failed, see /x?api_key=***"
    assert "ValueError: reporter 138****5678 unreachable" in line["exception"]
    assert "13812345678" not in json.dumps(line)


def test_settings_choose_the_format(settings):
    from django.core.exceptions import ImproperlyConfigured

    assert settings.LOGGING["formatters"]["json"]["()"] == "jiesu.ops.logs.JsonFormatter"
    assert settings.LOG_FORMAT == "text"
    # A typo is refused at start rather than silently logging text.
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={**opsprocs.environment(opsprocs.ROOT / "var", "k"), "JIESU_LOG_FORMAT": "jsn"},
        cwd=opsprocs.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "JIESU_LOG_FORMAT must be text or json" in result.stderr
    assert ImproperlyConfigured.__name__ in result.stderr


def test_gunicorn_writes_json_access_and_application_lines(tmp_path, settings):
    env = opsprocs.environment(tmp_path, settings.SECRET_KEY, JIESU_LOG_FORMAT="json")
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    port = opsprocs.free_port(range(8114, 8120))
    log = tmp_path / "web.log"
    web = opsprocs.gunicorn(port, env, log, workers=1)
    base = f"http://127.0.0.1:{port}"
    try:
        opsprocs.wait_healthy(base, log)
        status, _ = opsprocs.request(
            base + "/open311/v2/nothing-13812345678?api_key=js_secret_key&x=1",
            headers={"X-Request-ID": "req-abc-1"},
            raw=True,
        )
        assert status == 404
    finally:
        opsprocs.stop([web])
    out = log.with_suffix(".out").read_text()
    err = log.read_text()
    assert "js_secret_key" not in out + err
    assert "13812345678" not in out + err
    lines = [json.loads(line) for line in (out + err).splitlines() if line.strip()]
    access = [x for x in lines if x["logger"] == "gunicorn.access"]
    [ours] = [x for x in access if x.get("request_id") == "req-abc-1"]
    assert ours["status"] == 404 and ours["method"] == "GET"
    assert ours["path"] == "/open311/v2/nothing-138****5678"
    assert ours["query"] == "api_key=***&x=1"
    assert ours["duration_ms"] >= 0 and ours["remote_addr"] == "127.0.0.1"
    # Django's own line about the 404, with the same request id.
    [django_line] = [x for x in lines if x["logger"] == "django.request"]
    assert django_line["request_id"] == "req-abc-1" and django_line["level"] == "WARNING"
    # gunicorn's own start-up lines are JSON too.
    assert any(x["logger"] == "gunicorn.error" for x in lines)
