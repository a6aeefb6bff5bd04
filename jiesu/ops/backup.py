# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Backups of the database and the uploaded files (`manage.py backup`), restorable with the
standard tools; docs/operations.md ("Backup and restore") has the procedure.

- PostgreSQL: `pg_dump --format=custom` (one consistent snapshot while the service runs;
  restored with `pg_restore` into an empty database, tables in parallel with `--jobs`).
- SQLite (the embedded mode): SQLite's online backup API, what `sqlite3 FILE ".backup COPY"`
  runs: a consistent page-by-page copy of the database file, WAL included, while the service
  runs. Not `dumpdata`: a JSON dump goes through the models (slow on a large database, not the
  same bytes back: sequences, the cache table, and it needs the same code version to load),
  and a restore must give back exactly what the hash chains were computed over.
- Files: `MEDIA_ROOT` as a tar archive when files are kept on the local disk; on S3-compatible
  storage use the bucket's own versioning or replication instead.

The audit signing key is never part of a backup (it proves that the history was not rewritten,
so it must not travel with the data); keep it as the `SECRET_KEY` is kept.
The folder and its files are readable by the service user only (they hold names and phone
numbers). A `manifest.json` beside the files names them with their SHA-256 and the counts of appeals and
events, to compare after a restore.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone


class BackupError(Exception):
    pass


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_environment() -> dict:
    db = connection.settings_dict
    env = dict(os.environ)
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    return env


def dump_postgresql(target: Path) -> Path:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError("pg_dump is not installed (Debian: apt install postgresql-client).")
    out = target / "database.dump"
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [pg_dump, "--format=custom", "--no-owner", "--no-privileges", "--file", str(out)],
        env=_pg_environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return out


def copy_sqlite(target: Path) -> Path:
    out = target / "database.sqlite3"
    source = sqlite3.connect(str(connection.settings_dict["NAME"]))
    copy = sqlite3.connect(str(out))
    try:
        with copy:
            source.backup(copy)
    finally:
        copy.close()
        source.close()
    return out


def archive_media(target: Path) -> Path | None:
    backend = settings.STORAGES["default"]["BACKEND"]
    if not backend.endswith("FileSystemStorage"):
        return None
    media = Path(settings.MEDIA_ROOT)
    out = target / "media.tar.gz"
    with tarfile.open(out, "w:gz") as tar:
        if media.exists():
            tar.add(media, arcname="media")
    return out


def counts() -> dict:
    from jiesu.appeals.models import Appeal, Event

    return {"appeals": Appeal.objects.count(), "events": Event.objects.count()}


def backup(directory: Path, *, media: bool = True) -> dict:
    """Write a backup into a new folder under `directory`; returns the manifest."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    target = Path(directory) / f"jiesu-{stamp}"
    # Names and phone numbers: for the service user only, whatever the umask.
    target.mkdir(parents=True, exist_ok=False, mode=0o700)
    target.chmod(0o700)
    before = counts()
    vendor = connection.vendor
    if vendor == "postgresql":
        database = dump_postgresql(target)
    elif vendor == "sqlite":
        database = copy_sqlite(target)
    else:
        raise BackupError(f"No backup procedure for the {vendor} database.")
    files = [database]
    if media:
        archive = archive_media(target)
        if archive is not None:
            files.append(archive)
    manifest = {
        "made_at": timezone.localtime().isoformat(),
        "database": vendor,
        "files": {f.name: {"bytes": f.stat().st_size, "sha256": _sha256(f)} for f in files},
        # At least these many: the copy is taken after counting, while the service runs.
        "counts_before": before,
        "restore": (
            "pg_restore --no-owner --role=OWNER --jobs=4 --dbname NEW_DATABASE database.dump"
            if vendor == "postgresql"
            else "copy database.sqlite3 to the database path with the service stopped"
        ),
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    for written in [*files, target / "manifest.json"]:
        written.chmod(0o600)
    return {"folder": str(target), **manifest}
