# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The example deployment files (deploy/) are valid: nginx accepts the site (`nginx -t`, with a
throwaway certificate) and systemd accepts the units (`systemd-analyze verify`). Skipped where
the tool is not installed."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def test_nginx_accepts_the_site(tmp_path):
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    openssl = shutil.which("openssl")
    if not nginx or not openssl:
        pytest.skip("nginx or openssl is not installed")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=jiesu.example.gov.cn",
            "-keyout",
            str(tmp_path / "privkey.pem"),
            "-out",
            str(tmp_path / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    site = (DEPLOY / "nginx" / "jiesu.conf").read_text()
    site = site.replace("/etc/ssl/jiesu/", f"{tmp_path}/").replace(
        "/var/log/nginx/", f"{tmp_path}/"
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{\n access_log {tmp_path}/access.log;\n include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    # What the operations guide promises about it.
    assert re.search(r"client_max_body_size\s+\d+m;", site)
    metrics = site[site.index("location = /metrics {") :]
    assert "deny all;" in metrics[: metrics.index("}")]
    # Every location that passes a request on passes its id (one id in nginx's log, gunicorn's
    # and Django's; the second pass of the guide found /metrics and /healthz without it).
    for location in re.findall(r"location [^{]*\{[^}]*\}", site):
        if "proxy_pass" in location:
            assert "proxy_set_header X-Request-ID $request_id;" in location, location
            assert "proxy_http_version 1.1;" in location, location


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed")
    units = sorted((DEPLOY / "systemd").glob("*.service")) + sorted(
        (DEPLOY / "systemd").glob("*.timer")
    )
    copies = []
    for unit in units:
        name = unit.name.replace("@.service", "@1.service")
        text = unit.read_text()
        (tmp_path / name).write_text(text)
        copies.append(str(tmp_path / name))
    result = subprocess.run(
        [analyze, "verify", "--man=no", *copies],
        capture_output=True,
        text=True,
        check=False,
    )
    # Paths of the example server (/srv/jiesu/...) do not exist here: those complaints aside,
    # nothing may be wrong.
    problems = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip()
        and "/srv/jiesu" not in line
        and "is not executable: No such file or directory" not in line
        and "Command /srv/" not in line
    ]
    assert not problems, "\n".join(problems)


def fake_installation(tmp_path: Path) -> dict:
    """An environment file and an installation whose manage.py prints what it was given."""
    app = tmp_path / "app"
    (app / ".venv" / "bin").mkdir(parents=True)
    (app / ".venv" / "bin" / "python").symlink_to(sys.executable)
    (app / "manage.py").write_text(
        "import json, os, sys\n"
        "keys = ('DATABASE_URL', 'DEBUG', 'CACHE_URL')\n"
        "print(json.dumps({'argv': sys.argv[1:], **{k: os.environ.get(k) for k in keys}}))\n"
    )
    env_file = tmp_path / "jiesu.env"
    env_file.write_text(
        "# the service's settings\n"
        "DEBUG=false\n"
        "DATABASE_URL=postgres://jiesu:secret@127.0.0.1:5432/jiesu\n"
        "CACHE_URL=redis://127.0.0.1:6379/1\n"
    )
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "CACHE_URL"}}
    return {**base, "JIESU_ENV_FILE": str(env_file), "JIESU_APP_DIR": str(app)}


def jiesu_manage(env: dict, *args: str) -> dict:
    result = subprocess.run(
        ["/bin/sh", str(DEPLOY / "jiesu-manage"), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_jiesu_manage_runs_a_command_with_the_service_environment(tmp_path):
    env = fake_installation(tmp_path)
    seen = jiesu_manage(env, "verify_audit", "--quiet")
    assert seen == {
        "argv": ["verify_audit", "--quiet"],
        "DATABASE_URL": "postgres://jiesu:secret@127.0.0.1:5432/jiesu",
        "DEBUG": "false",
        "CACHE_URL": "redis://127.0.0.1:6379/1",
    }


def test_jiesu_manage_lets_a_given_variable_win_over_the_file(tmp_path):
    """Following the restore procedure once, `DATABASE_URL=…restored jiesu-manage verify_audit`
    checked the live database: the script read the file over what it was given."""
    env = fake_installation(tmp_path)
    restored = "postgres://jiesu:secret@127.0.0.1:5432/jiesu_restored"
    seen = jiesu_manage({**env, "DATABASE_URL": restored}, "verify_audit")
    assert seen["DATABASE_URL"] == restored
    assert seen["DEBUG"] == "false"  # the rest still comes from the file


def unit(name: str) -> str:
    return (DEPLOY / "systemd" / name).read_text()


def test_the_nightly_backup_runs_at_night_in_beijing(tmp_path):
    """Following the guide once, the timer ran in the server's zone (UTC on Debian: 10:30 in
    Beijing, in working hours) and the checkpoint file was named after the UTC date."""
    assert re.search(
        r"^OnCalendar=\*-\*-\* 02:30:00 Asia/Shanghai$", unit("jiesu-backup.timer"), re.M
    )
    assert "checkpoints-$(TZ=Asia/Shanghai date +%%F).jsonl" in unit("jiesu-backup.service")
    analyze = shutil.which("systemd-analyze")
    if analyze:
        result = subprocess.run(
            [analyze, "calendar", "*-*-* 02:30:00 Asia/Shanghai"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "18:30:00 UTC" in result.stdout


def test_what_the_services_write_is_not_for_every_local_user():
    for name in ("jiesu-web.service", "jiesu-worker@.service", "jiesu-backup.service"):
        assert re.search(r"^UMask=0027$", unit(name), re.M), name


def test_workers_and_scheduler_leave_the_checks_to_deployment():
    """Their system-check warnings came out as plain text lines among the JSON ones."""
    for name in ("jiesu-worker@.service", "jiesu-scheduler.service"):
        [start] = re.findall(r"^ExecStart=(.*)$", unit(name), re.M)
        assert "--skip-checks" in start, name


def test_the_web_starts_one_worker_per_core(monkeypatch):
    """The unit hard-coded two workers whatever the server; gunicorn.conf.py now decides."""
    import runpy

    [start] = re.findall(r"^ExecStart=(.*)$", unit("jiesu-web.service"), re.M)
    assert "--workers" not in start
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("TZ", os.environ.get("TZ", "Asia/Shanghai"))
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["workers"] == os.cpu_count()
    monkeypatch.setenv("WEB_CONCURRENCY", "5")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"] == 5


def test_nginx_answers_a_health_check_by_address_and_caches_static_files_once():
    """Following the guide once, `curl http://ADDRESS/healthz` met Debian's default site (404)
    or Jiesu's host check (400); static files carried two Cache-Control headers."""
    site = (DEPLOY / "nginx" / "jiesu.conf").read_text()
    plain = site[: site.index("listen 443")]
    assert "listen 80 default_server;" in plain
    health = plain[plain.index("location = /healthz") :]
    assert "proxy_set_header Host $server_name;" in health[: health.index("}")]
    static = site[site.index("location /static/ {") :]
    static = static[: static.index("}")]
    assert "expires" not in static
    assert static.count("Cache-Control") == 1


def test_log_lines_outside_django_are_in_the_district_time():
    """gunicorn's master wrote its JSON lines in UTC (+00:00) beside Django's (+08:00)."""
    code = (
        "import logging, os;"
        "os.environ.pop('DJANGO_SETTINGS_MODULE', None);"
        "from jiesu.ops.logs import JsonFormatter;"
        "r = logging.LogRecord('gunicorn.error', logging.INFO, 'gunicorn', 1, 'Booting', None, None);"
        "print(JsonFormatter().format(r))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "TZ"}}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "TZ": "UTC"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["time"].endswith("+08:00")
