# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The hash-chained history 全程留痕 and `manage.py verify_audit` (ADR 0005).

A few appeals live full lives through the real workflow; then single rows are altered, removed,
inserted or reordered by raw SQL, as somebody with database access would, and `verify_audit`
must fail naming the first broken event. Also: events refuse the ORM's update and delete, and
unmasking a reporter's contact data is itself on record.
"""

import io
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import ProtectedError

from jiesu.appeals import audit, privacy, workflow
from jiesu.appeals.errors import NotAllowed
from jiesu.appeals.models import Appeal, Event
from jiesu.appeals.tests.conftest import (
    MONDAY_10,
    dispatched,
    in_progress,
    make_user,
    new_appeal,
    registered,
    visiting,
)
from jiesu.org.models import Unit
from jiesu.org.roles import Role

EVENTS = Event._meta.db_table
APPEALS = Appeal._meta.db_table


# --------------------------------------------------------------------------------------------
# Helpers


def sql(statement: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def json_placeholder() -> str:
    return "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"


def db_datetime(value):
    """A datetime as the database stores it (what the ORM would send)."""
    return connection.ops.adapt_datetimefield_value(value)


def rewrite_tail_consistently(appeal, from_seq: int = 3) -> None:
    """What a database administrator could do: forge event `from_seq`, then recompute every
    later hash and the appeal's head so that the chain verifies."""
    events = events_of(appeal)
    prev = events[from_seq - 2].hash
    for event in events[from_seq - 1 :]:
        if event.seq == from_seq:
            event.payload = {**event.payload, "forged": True}
        event.prev_hash = prev
        event.hash = audit.event_hash(event)
        sql(
            f"UPDATE {EVENTS} SET payload = {json_placeholder()}, prev_hash = %s, hash = %s "
            "WHERE id = %s",
            [json.dumps(event.payload), event.prev_hash, event.hash, event.pk],
        )
        prev = event.hash
    sql(f"UPDATE {APPEALS} SET audit_head = %s WHERE id = %s", [prev, appeal.pk])


def verify_ok(*args) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def verify_fails(*args) -> tuple[str, str]:
    """Run verify_audit expecting failure: (the CommandError's message, what went to stderr)."""
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("verify_audit", *args, stdout=io.StringIO(), stderr=err)
    return str(exc.value), err.getvalue()


def names(message: str, event: Event) -> bool:
    return f"{event.appeal.number}: event {event.pk} (#{event.seq})" in message


def events_of(appeal) -> list[Event]:
    return list(Event.objects.filter(appeal_id=appeal.pk).order_by("seq"))


@pytest.fixture
def histories(world, at):
    """Appeals with full lifecycles: closed after a visit, reopened, returned to the backstop,
    rejected, merged, answered; clock warnings and breaches from the sweep; an unmasking."""
    with at(MONDAY_10):
        closed = visiting(world)
        closed = workflow.record_visit(closed, world.u("visitor"), outcome="satisfied")

        reopened = visiting(world)
        reopened = workflow.record_visit(
            reopened, world.u("visitor"), outcome="unsatisfied", unit_at_fault=True, note="没扫"
        )
        reopened = workflow.complete(
            reopened, world.u("handler"), result="再次清理", evidence="照片"
        )

        returned = in_progress(world)
        returned = workflow.request_return(returned, world.u("handler"), reason="非本单位职责")
        returned = workflow.approve_return(returned, world.u("dispatcher"))
        returned = workflow.sign(returned, world.u("backstop_handler"))

        late = dispatched(world)
        privacy.reveal_contact(late, world.u("supervisor"), reason="核实地址")
        rejected = workflow.reject(new_appeal(world), world.u("intake"), reason="无具体诉求")
        merged = workflow.merge(new_appeal(world), world.u("intake"), into=late)
        answered = workflow.answer(registered(world), world.u("intake"), reply="请拨打物业电话处理")
    workflow.sweep_clocks(now=MONDAY_10 + timedelta(days=30))
    appeals = [closed, reopened, returned, rejected, merged, answered, late]
    return [Appeal.objects.get(pk=a.pk) for a in appeals]


# --------------------------------------------------------------------------------------------
# The intact history verifies


def test_full_lifecycles_verify(histories):
    output = verify_ok()
    assert f"Audit chain verified: {len(histories)} appeals" in output
    for appeal in histories:
        assert audit.verify_appeal(appeal) is None
        events = events_of(appeal)
        assert appeal.audit_count == len(events) and appeal.audit_head == events[-1].hash
        assert events[0].prev_hash == audit.GENESIS and events[0].kind == "receive"
        for before, after in zip(events, events[1:], strict=False):
            assert after.prev_hash == before.hash
    kinds = set(Event.objects.values_list("kind", flat=True))
    assert {"record_visit", "approve_return", "merge", "unmask", "clock_breach"} <= kinds


def test_payload_survives_the_database_round_trip(world):
    """What is hashed on append is what reads back: unicode, quotes, nesting, numbers, None,
    datetimes (stored as ISO text), on SQLite's text JSON and PostgreSQL's jsonb alike."""
    appeal = new_appeal(world)
    locked = Appeal.objects.get(pk=appeal.pk)
    audit.append(
        locked,
        "note",
        at=MONDAY_10,
        payload={
            "text": '坪山 "引号" \\ 🙂 \n tab\t',
            "nested": {"b": [1, 2.5, -3, True, None], "a": {"z": "", "y": []}},
            "when": MONDAY_10,
            "big": 2**53 + 1,
            "small": 0.1,
        },
    )
    assert audit.verify_appeal(Appeal.objects.get(pk=appeal.pk)) is None


def test_long_actor_label_fits_its_column(world):
    """The recorded actor label (name, username, unit) is cut to its column's length rather
    than failing the transition on databases that enforce it (PostgreSQL)."""
    unit = Unit.objects.create(
        code="D09", name="坪山区城市管理和综合执法局坑梓街道综合执法队第三中队", kind="department"
    )
    user = make_user("u" * 80, unit, Role.INTAKE_OPERATOR)
    user.full_name = "欧阳" * 15
    user.save()
    appeal = new_appeal(world, actor=user)
    event = appeal.events.get()
    limit = Event._meta.get_field("actor_label").max_length
    assert len(event.actor_label) <= limit
    assert event.actor_label.startswith(user.full_name)
    assert audit.verify_appeal(Appeal.objects.get(pk=appeal.pk)) is None


# --------------------------------------------------------------------------------------------
# Tampering by SQL is detected and the first broken event named


@pytest.mark.parametrize("field", ["payload", "kind", "created_at", "actor_label", "to_status"])
def test_altered_event_is_named(histories, field):
    appeal = histories[0]
    victim = events_of(appeal)[3]
    if field == "payload":
        value = json.dumps({**victim.payload, "forged": True})
        sql(f"UPDATE {EVENTS} SET payload = {json_placeholder()} WHERE id = %s", [value, victim.pk])
    elif field == "created_at":
        value = db_datetime(victim.created_at + timedelta(seconds=1))
        sql(f"UPDATE {EVENTS} SET created_at = %s WHERE id = %s", [value, victim.pk])
    else:
        sql(f"UPDATE {EVENTS} SET {field} = %s WHERE id = %s", ["forged", victim.pk])

    message, stderr = verify_fails()
    assert names(message, victim), message
    assert "altered" in message
    assert f"BROKEN {appeal.number}: event {victim.pk}" in stderr


def test_altered_event_with_recomputed_hash_breaks_the_next_link(histories):
    appeal = histories[0]
    victim, following = events_of(appeal)[2:4]
    victim.payload = {"forged": True}
    forged_hash = audit.event_hash(victim)
    sql(
        f"UPDATE {EVENTS} SET payload = {json_placeholder()}, hash = %s WHERE id = %s",
        [json.dumps(victim.payload), forged_hash, victim.pk],
    )
    message, _ = verify_fails()
    assert names(message, following), message
    assert "does not link" in message


def test_removed_last_event_breaks_the_head(histories):
    appeal = histories[1]
    last = events_of(appeal)[-1]
    sql(f"DELETE FROM {EVENTS} WHERE id = %s", [last.pk])
    message, _ = verify_fails()
    assert f"{appeal.number}: chain head" in message, message
    assert "removed or added" in message


def test_removed_middle_event_names_the_one_after_the_gap(histories):
    appeal = histories[1]
    events = events_of(appeal)
    sql(f"DELETE FROM {EVENTS} WHERE id = %s", [events[4].pk])
    message, _ = verify_fails()
    assert names(message, events[5]), message
    assert "removed or inserted" in message


def _insert(event: Event):
    sql(
        f"INSERT INTO {EVENTS} (appeal_id, seq, kind, actor_id, actor_label, unit_id, "
        "from_status, to_status, payload, created_at, prev_hash, hash) "
        f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, {json_placeholder()}, %s, %s, %s)",
        [
            event.appeal_id,
            event.seq,
            event.kind,
            event.actor_id,
            event.actor_label,
            event.unit_id,
            event.from_status,
            event.to_status,
            json.dumps(event.payload),
            db_datetime(event.created_at),
            event.prev_hash,
            event.hash,
        ],
    )


def _forge(appeal, *, seq, prev_hash, at) -> Event:
    event = Event(
        appeal=appeal,
        seq=seq,
        kind="close",
        actor_label="forger",
        from_status=appeal.status,
        to_status="closed",
        payload={"reason": "forged"},
        created_at=at,
        prev_hash=prev_hash,
    )
    event.hash = audit.event_hash(event)  # a correct-looking hash: whoever forges knows how
    return event


def test_forged_event_appended_with_a_correct_looking_hash(histories):
    appeal = histories[2]
    last = events_of(appeal)[-1]
    _insert(_forge(appeal, seq=last.seq + 1, prev_hash=last.hash, at=last.created_at))
    message, _ = verify_fails()
    assert f"{appeal.number}: chain head" in message, message


def test_forged_event_inserted_in_the_middle(histories):
    appeal = histories[2]
    events = events_of(appeal)
    # Make room at #3 (highest first: (appeal, seq) is unique), then insert a well-formed
    # event that links to #2.
    for event in reversed(events[2:]):
        sql(f"UPDATE {EVENTS} SET seq = seq + 1 WHERE id = %s", [event.pk])
    _insert(_forge(appeal, seq=3, prev_hash=events[1].hash, at=events[1].created_at))
    message, _ = verify_fails()
    # The forged event itself is well formed; the original #3 (now #4) no longer links.
    assert names(message, Event.objects.get(pk=events[2].pk)), message


def test_swapped_events_are_named(histories):
    appeal = histories[0]
    events = events_of(appeal)
    a, b = events[2], events[5]
    sql(f"UPDATE {EVENTS} SET seq = %s WHERE id = %s", [100000, a.pk])
    sql(f"UPDATE {EVENTS} SET seq = %s WHERE id = %s", [a.seq, b.pk])
    sql(f"UPDATE {EVENTS} SET seq = %s WHERE id = %s", [b.seq, a.pk])
    message, _ = verify_fails()
    assert names(message, Event.objects.get(pk=b.pk)), message  # now at a's place


@pytest.mark.parametrize("column", ["audit_head", "audit_count"])
def test_edited_chain_head_on_the_appeal(histories, column):
    appeal = histories[3]
    value = "0" * 64 if column == "audit_head" else appeal.audit_count - 1
    sql(f"UPDATE {APPEALS} SET {column} = %s WHERE id = %s", [value, appeal.pk])
    message, _ = verify_fails()
    assert f"{appeal.number}: chain head" in message, message


def test_first_problem_only_unless_all_problems(histories):
    first, second = histories[0], histories[4]
    for appeal in (first, second):
        victim = events_of(appeal)[0]
        sql(f"UPDATE {EVENTS} SET kind = %s WHERE id = %s", ["forged", victim.pk])
    message, stderr = verify_fails()
    assert first.number in message and second.number not in stderr
    message, stderr = verify_fails("--all-problems")
    assert "2 appeal(s) reported" in message
    assert first.number in stderr and second.number in stderr


def test_consistent_rewrite_of_a_whole_tail_passes_the_chain_check(histories):
    """The chain alone cannot see this (ADR 0005): somebody who rewrites an event, every later
    event and the appeal's head consistently leaves a chain that verifies. The signed
    checkpoints catch it (test_checkpoints.py); without one, it passes."""
    appeal = histories[0]
    head_before = appeal.audit_head
    rewrite_tail_consistently(appeal)
    verify_ok()
    assert Appeal.objects.get(pk=appeal.pk).audit_head != head_before


# --------------------------------------------------------------------------------------------
# Through the ORM, events can be neither changed nor deleted


def test_events_refuse_update_and_delete(histories):
    event = events_of(histories[0])[1]
    event.kind = "forged"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    assert Event.objects.get(pk=event.pk).kind != "forged"
    verify_ok()


def test_appeal_with_history_cannot_be_deleted(histories):
    appeal = histories[0]
    with pytest.raises(ProtectedError):
        appeal.delete()
    assert Appeal.objects.filter(pk=appeal.pk).exists()
    verify_ok()


# --------------------------------------------------------------------------------------------
# Unmasking a reporter's contact data 脱敏 is on record


def test_reveal_contact_writes_a_verified_unmask_event(world):
    appeal = dispatched(world)
    count = appeal.audit_count
    data = privacy.reveal_contact(appeal, world.u("supervisor"), reason="核实地址")
    assert data["name"] == "张三" and data["phone"] == "13800001234"
    event = Appeal.objects.get(pk=appeal.pk).events.order_by("-seq").first()
    assert event.kind == "unmask" and event.seq == count + 1
    assert event.actor == world.u("supervisor")
    assert event.payload == {"reason": "核实地址", "fields": ["reporter_name", "reporter_phone"]}
    assert event.from_status == event.to_status == appeal.status
    # The caller's copy follows the head, so a transition right after it appends correctly.
    assert appeal.audit_count == count + 1 and appeal.audit_head == event.hash
    workflow.sign(appeal, world.u("handler"))
    # The lead unit's handler may see it too (the appeal is not confidential).
    privacy.reveal_contact(appeal, world.u("handler"))
    assert audit.verify_appeal(Appeal.objects.get(pk=appeal.pk)) is None
    verify_ok()


def test_reveal_contact_refuses_an_analyst(world):
    appeal = dispatched(world)
    with pytest.raises(NotAllowed):
        privacy.reveal_contact(appeal, world.u("analyst"))
    assert not Event.objects.filter(kind="unmask").exists()


def test_reveal_contact_refuses_a_unit_on_a_confidential_appeal(world):
    appeal = dispatched(world, confidential=True)
    for name in ("handler", "leader"):
        with pytest.raises(NotAllowed):
            privacy.reveal_contact(appeal, world.u(name))
    assert not Event.objects.filter(kind="unmask").exists()
    assert privacy.reporter_view(appeal, world.u("handler"))["hidden"] is True
    # The centre still may, on record.
    privacy.reveal_contact(appeal, world.u("visitor"), reason="回访")
    assert Event.objects.filter(kind="unmask", appeal=appeal).count() == 1


def test_reveal_contact_refuses_a_unit_the_appeal_is_not_with(world):
    appeal = dispatched(world)
    with pytest.raises(NotAllowed):
        privacy.reveal_contact(appeal, world.u("team_handler"))


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        (" 13812345678 ", "138****5678"),
        ("075528001234", "075*****1234"),
        ("12345678", "123*5678"),
        ("12345", "***45"),
        ("12", "12"),
        ("", ""),
    ],
)
def test_mask_phone(phone, masked):
    assert privacy.mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三丰", "张**"), ("张三", "张*"), ("Li Lei", "L*****"), (" 王 ", "王"), ("", "")],
)
def test_mask_name(name, masked):
    assert privacy.mask_name(name) == masked


def test_reporter_view(world):
    appeal = new_appeal(world)
    assert privacy.reporter_view(appeal, world.u("intake")) == {
        "name": "张*",
        "phone": "138****1234",
        "hidden": False,
    }
    anonymous = new_appeal(world, anonymous=True)
    assert privacy.reporter_view(anonymous, world.u("supervisor"))["hidden"] is True
