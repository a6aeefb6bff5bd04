# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Signed audit checkpoints (issue 8, item 10; ADR 0005): rewriting or truncating a history
consistently — events and the appeal's head together — passes the chain check but not the
checkpoint; forged checkpoints and deleted ones are found; a third party's export is checked."""

import io

import pytest
from django.core.management import call_command

from jiesu.appeals import checkpoints, workflow
from jiesu.appeals.models import AuditCheckpoint, AuditCheckpointEntry
from jiesu.appeals.tests.conftest import MONDAY_10, new_appeal, visiting
from jiesu.appeals.tests.test_audit import (
    APPEALS,
    EVENTS,
    events_of,
    rewrite_tail_consistently,
    sql,
    verify_fails,
    verify_ok,
)

KEY = checkpoints.new_key()
CHECKPOINTS = AuditCheckpoint._meta.db_table
ENTRIES = AuditCheckpointEntry._meta.db_table


@pytest.fixture(autouse=True)
def signing_key(settings):
    settings.JIESU = {**settings.JIESU, "AUDIT_SIGNING_KEY": KEY}


@pytest.fixture
def anchored(world, at):
    with at(MONDAY_10):
        closed = visiting(world)
        closed = workflow.record_visit(closed, world.u("visitor"), outcome="satisfied")
        other = new_appeal(world)
    made = checkpoints.create()
    assert made is not None and made.entry_count == 2
    return closed, other


def drop_newest_and_rewrite_head(appeal):
    events = events_of(appeal)
    sql(f"DELETE FROM {EVENTS} WHERE id = %s", [events[-1].pk])
    sql(
        f"UPDATE {APPEALS} SET audit_head = %s, audit_count = %s WHERE id = %s",
        [events[-2].hash, events[-2].seq, appeal.pk],
    )


def test_an_untouched_history_verifies_against_its_checkpoint(anchored):
    assert "1 signed checkpoint(s) agree" in verify_ok()


def test_truncation_with_a_rewritten_head_is_found(anchored):
    appeal = anchored[0]
    drop_newest_and_rewrite_head(appeal)
    message, stderr = verify_fails()
    assert f"{appeal.number}: history truncated" in stderr + message


def test_a_consistently_rewritten_tail_is_found(anchored):
    appeal = anchored[0]
    rewrite_tail_consistently(appeal)
    message, stderr = verify_fails()
    assert f"{appeal.number}: history rewritten" in stderr + message


def test_appeals_after_the_checkpoint_are_fine_and_the_next_one_covers_them(anchored, world, at):
    with at(MONDAY_10):
        later = new_appeal(world)
    verify_ok()
    made = checkpoints.create()
    assert made.number == 2 and made.entry_count == 1  # only what changed
    assert checkpoints.create() is None  # nothing changed since
    drop_newest_and_rewrite_head(anchored[0])
    sql(f"DELETE FROM {EVENTS} WHERE appeal_id = %s", [later.pk])
    sql(f"UPDATE {APPEALS} SET audit_head = '', audit_count = 0 WHERE id = %s", [later.pk])
    message, stderr = verify_fails()
    assert anchored[0].number in stderr and later.number in stderr


def test_a_forged_checkpoint_is_refused(anchored):
    appeal = anchored[0]
    drop_newest_and_rewrite_head(appeal)
    # The forger also lowers the checkpoint's entry: its digest and signature no longer agree.
    events = events_of(appeal)
    sql(
        f"UPDATE {ENTRIES} SET count = %s, head = %s WHERE appeal_id = %s",
        [events[-1].seq, events[-1].hash, appeal.pk],
    )
    message, stderr = verify_fails()
    assert "do not match its digest" in stderr + message


def test_a_checkpoint_signed_with_another_key_is_refused(anchored, settings):
    settings.JIESU = {**settings.JIESU, "AUDIT_SIGNING_KEY": checkpoints.new_key()}
    message, stderr = verify_fails()
    assert "signature does not verify" in stderr + message


def test_a_missing_key_is_a_clear_message(anchored, settings):
    settings.DEBUG = False
    settings.JIESU = {**settings.JIESU, "AUDIT_SIGNING_KEY": "", "AUDIT_SIGNING_KEY_FILE": ""}
    message, _ = verify_fails()
    assert "JIESU_AUDIT_SIGNING_KEY" in message
    with pytest.raises(checkpoints.KeyMissing):
        checkpoints.create()


def test_a_third_partys_export_finds_deleted_checkpoints(anchored, world, at, tmp_path):
    with at(MONDAY_10):
        new_appeal(world)
    checkpoints.create()
    exported = tmp_path / "checkpoints.jsonl"
    call_command("audit_checkpoint", export=str(exported), stderr=io.StringIO())
    assert len(exported.read_text().splitlines()) == 2
    public = checkpoints.public_key_text(checkpoints.signing_key().public_key())
    verify_ok("--checkpoints", str(exported), "--public-key", public)
    # Somebody removes the newest checkpoint (and its entries) from the database.
    newest = AuditCheckpoint.objects.order_by("-number").first()
    sql(f"DELETE FROM {ENTRIES} WHERE checkpoint_id = %s", [newest.pk])
    sql(f"DELETE FROM {CHECKPOINTS} WHERE id = %s", [newest.pk])
    message, stderr = verify_fails("--checkpoints", str(exported), "--public-key", public)
    assert "checkpoint #2 is in the export but not in the database" in stderr + message


def test_checkpoints_are_permanent(anchored):
    from django.core.exceptions import ValidationError

    checkpoint = AuditCheckpoint.objects.get()
    with pytest.raises(ValidationError):
        checkpoint.delete()
    checkpoint.digest = "0" * 64
    with pytest.raises(ValidationError):
        checkpoint.save()


def test_the_periodic_task_makes_a_checkpoint_when_due(world, at, settings):
    from jiesu.appeals import tasks

    with at(MONDAY_10):
        new_appeal(world)
    assert tasks.audit_checkpoint.call() == 1
    assert tasks.audit_checkpoint.call() is None  # not due again within the hour
