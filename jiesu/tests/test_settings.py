"""Settings come from the environment; production mode refuses the development secret."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_settings(tmp_path, **env):
    environment = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL"}
    }
    environment.update({"JIESU_VAR_DIR": str(tmp_path), **env})
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings;"
            "print(settings.DEBUG, settings.TIME_ZONE, settings.LANGUAGE_CODE,"
            " settings.DATABASES['default']['ENGINE'])",
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


def test_production_with_a_secret_and_postgres_url(tmp_path):
    result = run_settings(
        tmp_path,
        DEBUG="false",
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://jiesu@db.example:5432/jiesu",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "False"
    assert result.stdout.split()[-1] == "django.db.backends.postgresql"


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
