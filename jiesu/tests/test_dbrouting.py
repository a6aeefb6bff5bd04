# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Reports and exports read from the replica when DATABASE_REPLICA_URL is set."""

import os
import subprocess
import sys
from pathlib import Path

from jiesu import dbrouting

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import shutil, django
django.setup()
from django.core.management import call_command
from django.db import connections
from jiesu import dbrouting
from jiesu.catalog.models import Grade
call_command("migrate", verbosity=0)
Grade.objects.create(code="X1", name="X1", importance=1, urgency=1)
connections.close_all()
shutil.copyfile(PRIMARY, REPLICA)            # the replica catches up ...
Grade.objects.create(code="X2", name="X2", importance=2, urgency=2)  # ... and lags again
with dbrouting.analytics():
    in_report = sorted(Grade.objects.filter(code__startswith="X").values_list("code", flat=True))
    Grade.objects.create(code="X3", name="X3", importance=3, urgency=3)  # writes: primary
outside = sorted(Grade.objects.filter(code__startswith="X").values_list("code", flat=True))
print(in_report, outside)
"""


def test_reads_inside_analytics_go_to_the_replica_and_writes_to_the_primary(tmp_path):
    primary, replica = tmp_path / "primary.sqlite3", tmp_path / "replica.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "jiesu.settings",
            "JIESU_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{primary}",
            "DATABASE_REPLICA_URL": f"sqlite:///{replica}",
            "CACHE_URL": "locmemcache://",
        }
    )
    script = f"PRIMARY, REPLICA = {str(primary)!r}, {str(replica)!r}\n" + SCRIPT
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['X1'] ['X1', 'X2', 'X3']"


def test_without_a_replica_analytics_changes_nothing(db):
    router = dbrouting.AnalyticsRouter()
    assert not dbrouting.replica_configured()
    with dbrouting.analytics():
        assert dbrouting.in_analytics()
        assert router.db_for_read(None) is None
    assert not dbrouting.in_analytics()
