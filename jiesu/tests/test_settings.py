# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Settings come from the environment; production mode refuses the development secret."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


SHOWN = (
    "settings.DEBUG, settings.TIME_ZONE, settings.LANGUAGE_CODE,"
    " settings.DATABASES['default']['ENGINE']"
)


def run_settings(tmp_path, show=SHOWN, **env):
    """Load the settings in a new process with `env`; it prints `show` (Python expressions)."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "CACHE_URL"}
    }
    environment.update({"JIESU_VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; print({show})",
        ],
        cwd=ROOT,
        env={**environment, "DJANGO_SETTINGS_MODULE": "jiesu.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_embedded_defaults(tmp_path):
    result = run_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "Asia/Shanghai",
        "zh-hans",
        "django.db.backends.sqlite3",
    ]


def test_production_refuses_the_development_secret(tmp_path):
    result = run_settings(tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "development SECRET_KEY" in result.stderr


STRONG_KEY = "kq3V8zR1tPw6Ly0mNb5Xc2Hd9Fg4Js7Ae-Uo_WiZlTrYpQsKvMx"


@pytest.mark.parametrize(
    "weak", ["abc", "x" * 50, "django-insecure-" + STRONG_KEY, STRONG_KEY[:40]]
)
def test_production_refuses_a_weak_secret(tmp_path, weak):
    result = run_settings(tmp_path, DEBUG="false", SECRET_KEY=weak)
    assert result.returncode != 0
    assert "weak SECRET_KEY" in result.stderr


@pytest.mark.parametrize("cache", ["locmemcache://", "dummycache://"])
def test_production_refuses_a_per_process_cache(tmp_path, cache):
    result = run_settings(tmp_path, DEBUG="false", SECRET_KEY=STRONG_KEY, CACHE_URL=cache)
    assert result.returncode != 0
    assert "per-process cache" in result.stderr


def test_the_embedded_cache_is_shared_by_processes(tmp_path):
    code = "from django.conf import settings; print(settings.CACHES['default']['BACKEND'])"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup();" + code],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k != "CACHE_URL"},
            "JIESU_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "jiesu.settings",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.strip() == "django.core.cache.backends.db.DatabaseCache"


# The production environment of docs/operations.md's checklist (the audit key is a test key).
DOCUMENTED_PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "jiesu.example.gov.cn",
    "CSRF_TRUSTED_ORIGINS": "https://jiesu.example.gov.cn",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "JIESU_AUDIT_SIGNING_KEY": "3q8HbqKJz0m0cFDt+V0Q0bQe3R1KX8o6n6xgkCzq0kI=",
}
# A reminder, not a setting: from November until next year's State Council notice is entered
# (checklist, "The working calendar each November") the calendar check warns on any server.
DATE_DEPENDENT = {"workdays.W002"}


def check_deploy(tmp_path, **env) -> tuple[subprocess.CompletedProcess, set[str]]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SECRET_KEY", "CACHE_URL", "JIESU_AUDIT_SIGNING_KEY"}
    }
    environment.update({"JIESU_VAR_DIR": str(tmp_path), **env})
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    ids = set(re.findall(r"\(([a-z_]+\.[EW]\d+)\)", result.stdout + result.stderr))
    return result, ids


def test_check_deploy_is_clean_with_the_documented_production_environment(tmp_path):
    """docs/operations.md's production environment passes `manage.py check --deploy` without
    a warning (but the calendar reminder of November and December)."""
    result, ids = check_deploy(tmp_path, **DOCUMENTED_PRODUCTION)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert ids <= DATE_DEPENDENT, output
    if not ids:
        assert "System check identified no issues" in output


def test_check_deploy_warns_without_an_audit_signing_key(tmp_path):
    environment = {k: v for k, v in DOCUMENTED_PRODUCTION.items() if k != "JIESU_AUDIT_SIGNING_KEY"}
    result, ids = check_deploy(tmp_path, **environment)
    assert "appeals.W001" in ids, result.stdout + result.stderr
    assert "audit_checkpoint --new-key" in result.stdout + result.stderr


def test_jiesu_environment_variables_reach_the_settings_the_code_reads(tmp_path):
    """They once sat in the notification settings, where nothing read them."""
    code = (
        "import django; django.setup(); from django.conf import settings; j = settings.JIESU;"
        "print(j['TRUSTED_PROXY_HOPS'], j['MAP_TILE_URL'], j['AUDIT_CHECKPOINT_MINUTES'],"
        " j['AUDIT_SIGNING_KEY'])"
    )
    environment = {**os.environ, "JIESU_VAR_DIR": str(tmp_path)}
    environment.update(
        JIESU_TRUSTED_PROXY_HOPS="2",
        JIESU_MAP_TILE_URL="https://tiles.example/{z}/{x}/{y}.png",
        JIESU_AUDIT_CHECKPOINT_MINUTES="30",
        JIESU_AUDIT_SIGNING_KEY="k",
        DJANGO_SETTINGS_MODULE="jiesu.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["2", "https://tiles.example/{z}/{x}/{y}.png", "30", "k"]


def test_production_with_a_secret_and_postgres_url(tmp_path):
    result = run_settings(
        tmp_path,
        DEBUG="false",
        SECRET_KEY=STRONG_KEY,
        CACHE_URL="redis://127.0.0.1:6379/1",
        DATABASE_URL="postgres://jiesu@db.example:5432/jiesu",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"
    assert result.stdout.split()[-1] == "jiesu.postgres"


@pytest.mark.parametrize(
    "password", ["Pa/ss1", "Pa#ss1", "Pa?ss1", "Pa@ss/w#rd:1"], ids=["slash", "hash", "ask", "all"]
)
def test_a_database_password_with_unencoded_url_characters_is_refused(tmp_path, password):
    """Following the operations guide with a password holding `@`, `/` and `#`, the server failed
    with `failed to resolve host 'ss'`: the URL parser read part of the password as the host."""
    for name in ("DATABASE_URL", "DATABASE_REPLICA_URL"):
        urls = {"DATABASE_URL": "postgres://jiesu@db.example:5432/jiesu"}
        urls[name] = f"postgres://jiesu:{password}@db.example:5432/jiesu"
        result = run_settings(tmp_path, **urls)
        assert result.returncode != 0
        assert f"{name}: the password" in result.stderr
        assert "%2F" in result.stderr


@pytest.mark.parametrize(
    ("url", "password"),
    [
        ("postgres://jiesu:Pa%40ss%2Fw%23rd%3A1%25x@db.example:5432/jiesu", "Pa@ss/w#rd:1%x"),
        # `@` and `:` need no encoding in a password: the host follows the last `@`.
        ("postgres://jiesu:Pa@ss:1@db.example:5432/jiesu", "Pa@ss:1"),
    ],
    ids=["encoded", "at-and-colon"],
)
def test_a_database_password_is_read_back(tmp_path, url, password):
    result = run_settings(
        tmp_path,
        show="*(settings.DATABASES['default'][k] for k in ('PASSWORD', 'HOST', 'NAME'))",
        DATABASE_URL=url,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [password, "db.example", "jiesu"]


@pytest.mark.django_db
def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_admin_login_page_is_chinese_by_default(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "登录" in response.content.decode()
    english = client.get("/en/admin/login/")
    assert "Log in" in english.content.decode()


def example_environment() -> dict:
    """deploy/jiesu.env.example as an operator copies it, before filling anything in."""
    values = {}
    for line in (ROOT / "deploy" / "jiesu.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def test_production_refuses_the_example_environment_file_as_it_comes(tmp_path):
    """Following the guide once, the example's placeholder secret key was long and varied
    enough to be accepted: a server started with a key anybody can read in the repository."""
    environment = example_environment()
    assert environment["DEBUG"] == "false"
    for folder in ("STATIC_ROOT", "MEDIA_ROOT", "JIESU_VAR_DIR", "PROMETHEUS_MULTIPROC_DIR"):
        environment[folder] = str(tmp_path / folder.lower())
    result = run_settings(tmp_path, **environment)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "placeholder",
    [
        "change-me-to-64-random-characters-python3-c-import-secrets-token_urlsafe-64",
        "CHANGE-ME" + STRONG_KEY,
    ],
)
def test_production_refuses_a_placeholder_secret(tmp_path, placeholder):
    result = run_settings(tmp_path, DEBUG="false", SECRET_KEY=placeholder)
    assert result.returncode != 0
    assert "weak SECRET_KEY" in result.stderr


def test_a_command_runs_when_the_metrics_folder_cannot_be_made(tmp_path):
    """Following the guide once, `migrate` failed (PermissionError on /run/jiesu-metrics): the
    environment file names the metrics folder, which did not exist yet and which the service
    user may not create. The command runs; the process keeps its metrics to itself and says
    why."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    environment = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    environment.update(
        JIESU_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="jiesu.settings",
        PROMETHEUS_MULTIPROC_DIR=str(blocker / "metrics"),
    )
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from jiesu import telemetry; telemetry.TASKS_RECOVERED.inc();"
            "print(telemetry.TASKS_RECOVERED._value.get())",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "1.0"
    assert "PROMETHEUS_MULTIPROC_DIR" in result.stderr
    assert "keeps its metrics to itself" in result.stderr
