# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The operator's door (settings, management commands, logs): issue 8's items that are decided
by how a server is configured and run rather than by one request, each checked the way an
operator following docs/operations.md's production checklist meets it.

The exhaustive variants: jiesu/tests/test_settings.py, test_log_secrets.py, test_multiprocess.py
and jiesu/appeals/tests/test_checkpoints.py.
"""

import io
import logging

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from jiesu.appeals import checkpoints
from jiesu.appeals.models import AuditCheckpoint, AuditCheckpointEntry
from jiesu.appeals.tests.conftest import MONDAY_10, new_appeal
from jiesu.appeals.timesource import frozen_at
from jiesu.tests.test_settings import (
    DATE_DEPENDENT,
    DOCUMENTED_PRODUCTION,
    STRONG_KEY,
    check_deploy,
    run_settings,
)

# -- item 4: limits and lockouts in a store every process shares -----------------------------


def test_4_production_refuses_a_per_process_cache(tmp_path):
    result = run_settings(
        tmp_path, DEBUG="false", SECRET_KEY=STRONG_KEY, CACHE_URL="locmemcache://"
    )
    assert result.returncode != 0
    assert "per-process cache" in result.stderr


# -- item 8: the Open311 api_key never reaches a log -----------------------------------------


def test_8_djangos_log_handler_masks_keys_in_request_lines(settings):
    from jiesu.logsafety import MaskSecrets

    assert "mask_secrets" in settings.LOGGING["handlers"]["console"]["filters"]
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: /open311/v2/requests.json?api_key=js_live_secret&x=1",
        None,
        None,
    )
    MaskSecrets().filter(record)
    assert "js_live_secret" not in record.getMessage()


# -- item 9: production settings ------------------------------------------------------------


def test_9_the_documented_production_environment_passes_check_deploy(tmp_path):
    result, ids = check_deploy(tmp_path, **DOCUMENTED_PRODUCTION)
    assert result.returncode == 0 and ids <= DATE_DEPENDENT, result.stdout + result.stderr


def test_9_a_weak_secret_key_is_refused(tmp_path):
    result = run_settings(tmp_path, DEBUG="false", SECRET_KEY="abc")
    assert result.returncode != 0
    assert "weak SECRET_KEY" in result.stderr


# -- item 10: the audit chain is anchored outside the database -----------------------------------


@pytest.fixture
def signed(world, settings):
    settings.JIESU = {**settings.JIESU, "AUDIT_SIGNING_KEY": checkpoints.new_key()}
    with frozen_at(MONDAY_10):
        new_appeal(world)
    checkpoints.create()
    with frozen_at(MONDAY_10):
        new_appeal(world)
    checkpoints.create()


def test_10_an_exported_copy_finds_a_checkpoint_deleted_from_the_database(signed, tmp_path):
    exported = tmp_path / "checkpoints.jsonl"
    call_command("audit_checkpoint", export=str(exported), stderr=io.StringIO())
    public = checkpoints.public_key_text(checkpoints.signing_key().public_key())
    verify = ["verify_audit", "--checkpoints", str(exported), "--public-key", public]
    call_command(*verify, stdout=io.StringIO())
    newest = AuditCheckpoint.objects.order_by("-number").first()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {AuditCheckpointEntry._meta.db_table} WHERE checkpoint_id = %s",
            [newest.pk],
        )
        cursor.execute(f"DELETE FROM {AuditCheckpoint._meta.db_table} WHERE id = %s", [newest.pk])
    with pytest.raises(CommandError):
        call_command(*verify, stdout=io.StringIO(), stderr=io.StringIO())


def test_10_checkpoints_need_a_key_that_is_not_in_the_database(world, settings):
    settings.DEBUG = False
    settings.JIESU = {**settings.JIESU, "AUDIT_SIGNING_KEY": "", "AUDIT_SIGNING_KEY_FILE": ""}
    with pytest.raises(checkpoints.KeyMissing, match="audit_checkpoint --new-key"):
        checkpoints.signing_key()
