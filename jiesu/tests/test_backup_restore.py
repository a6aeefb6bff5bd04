# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Backup and restore as docs/operations.md tells: `manage.py backup`, then the standard tool
restores into a new database (pg_restore; for SQLite the copied file), and `verify_audit`
passes there with the checkpoint key kept apart; a history changed in the restored copy is
found."""

import json
import shutil
import sqlite3
import subprocess
import sys
import tarfile

import pytest
from django.core.management import call_command
from django.db import connection

from jiesu.appeals import checkpoints
from jiesu.appeals.models import Appeal, Event
from jiesu.appeals.tests.conftest import completed, dispatched, new_appeal, world  # noqa: F401
from jiesu.tests import opsprocs

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
RESTORED = "jiesu_ops_restore"


@pytest.fixture
def history(world, settings, tmp_path):  # noqa: F811
    key = checkpoints.new_key()
    settings.JIESU = {**settings.JIESU, "AUDIT_SIGNING_KEY": key}
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "attachments").mkdir(parents=True)
    (tmp_path / "media" / "attachments" / "photo.jpg").write_bytes(b"\xff\xd8 a photo")
    for _ in range(3):
        new_appeal(world)
        dispatched(world)
        completed(world)
    assert checkpoints.create() is not None
    return key


def verify_audit(database_url, key, tmp_path):
    env = opsprocs.environment(tmp_path, "k" * 60, JIESU_AUDIT_SIGNING_KEY=key)
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "manage.py", "verify_audit", "--skip-checks"],
        cwd=opsprocs.ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def run_backup(tmp_path):
    call_command("backup", str(tmp_path / "backups"), stdout=open(tmp_path / "out", "w"))  # noqa: SIM115
    [folder] = (tmp_path / "backups").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["counts_before"] == {
        "appeals": Appeal.objects.count(),
        "events": Event.objects.count(),
    }
    with tarfile.open(folder / "media.tar.gz") as tar:
        assert "media/attachments/photo.jpg" in tar.getnames()
    assert "AUDIT_SIGNING_KEY" not in (folder / "manifest.json").read_text()
    # Following the guide once, the dump (names, phone numbers) was readable by every local
    # user (0644 in a 0755 folder): the service user's only, whatever the umask.
    assert folder.stat().st_mode & 0o777 == 0o700
    for item in folder.iterdir():
        assert item.stat().st_mode & 0o777 == 0o600, item.name
    return folder, manifest


def test_sqlite_backup_restores_and_verifies(history, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite procedure")
    folder, manifest = run_backup(tmp_path)
    assert set(manifest["files"]) == {"database.sqlite3", "media.tar.gz"}
    restored = tmp_path / "restored.sqlite3"
    shutil.copy(folder / "database.sqlite3", restored)
    with sqlite3.connect(restored) as db:
        assert db.execute("SELECT count(*) FROM appeals_appeal").fetchone()[0] == 9
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    result = verify_audit(f"sqlite:///{restored}", history, tmp_path)
    assert result.returncode == 0, result.stderr
    # The check is real: a history changed in the copy is reported.
    with sqlite3.connect(restored) as db:
        db.execute("UPDATE appeals_event SET actor_label = 'someone else' WHERE seq = 2")
    result = verify_audit(f"sqlite:///{restored}", history, tmp_path)
    assert result.returncode != 0 and "BROKEN" in result.stderr


def _psql(*args, database="postgres"):
    db = connection.settings_dict
    return subprocess.run(
        [
            "psql",
            "-h",
            db["HOST"] or "127.0.0.1",
            "-U",
            db["USER"] or "postgres",
            "-d",
            database,
            "-tAc",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_postgresql_dump_restores_into_a_new_database_and_verifies(history, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    folder, manifest = run_backup(tmp_path)
    assert set(manifest["files"]) == {"database.dump", "media.tar.gz"}
    db = connection.settings_dict
    host, user = db["HOST"] or "127.0.0.1", db["USER"] or "postgres"
    _psql(f"DROP DATABASE IF EXISTS {RESTORED}")
    _psql(f"CREATE DATABASE {RESTORED}")
    try:
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                "-h",
                host,
                "-U",
                user,
                "--dbname",
                RESTORED,
                str(folder / "database.dump"),
            ],
            check=True,
            capture_output=True,
        )
        assert _psql("SELECT count(*) FROM appeals_appeal", database=RESTORED) == "9"
        # Step 4 of the guide: statistics and the visibility map before the site reads it.
        subprocess.run(
            ["vacuumdb", "--analyze", "-h", host, "-U", user, "--dbname", RESTORED],
            check=True,
            capture_output=True,
        )
        assert (
            _psql(
                "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'appeals_appeal' "
                "AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL",
                database=RESTORED,
            )
            == "1"
        )
        url = f"postgres://{user}@{host}:{db['PORT'] or 5432}/{RESTORED}"
        result = verify_audit(url, history, tmp_path)
        assert result.returncode == 0, result.stderr
        _psql(
            "UPDATE appeals_event SET actor_label = 'someone else' WHERE seq = 2",
            database=RESTORED,
        )
        result = verify_audit(url, history, tmp_path)
        assert result.returncode != 0 and "BROKEN" in result.stderr
    finally:
        _psql(f"DROP DATABASE IF EXISTS {RESTORED}")
