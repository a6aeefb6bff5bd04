# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""`rowinsert.insert` writes exactly the row `bulk_create` writes, and `batched` holds writes and
sends them together without changing what is stored (SQLite and PostgreSQL)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.forms.models import model_to_dict

from jiesu import rowinsert
from jiesu.appeals import audit
from jiesu.appeals.models import Appeal, Event
from jiesu.appeals.states import Status
from jiesu.org.models import Region

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def _appeal(number, region):
    return Appeal(
        number=number,
        channel="hotline",
        title="路灯不亮",
        description="坪山某路段路灯不亮\n第二行",
        reporter_name="张三",
        reporter_phone="13800001234",
        lat=22.7,
        lng=114.35,
        region=region,
        status=Status.RECEIVED,
        received_at=AT,
        version=1,
    )


def _row(model, pk, *skip):
    return model_to_dict(model.objects.get(pk=pk), exclude=["id", *skip])


def test_an_appeal_row_is_the_same_as_bulk_create_writes():
    region = Region.objects.create(code="440310", name="坪山区", level="district")
    ours = rowinsert.insert(_appeal("PS20261102000001", region))
    theirs = Appeal.objects.bulk_create([_appeal("PS20261102000002", region)])[0]
    assert ours.pk and ours.pk != theirs.pk
    assert not ours._state.adding and ours._state.db == "default"
    assert _row(Appeal, ours.pk, "number") == _row(Appeal, theirs.pk, "number")
    assert Appeal.objects.get(pk=ours.pk).number == "PS20261102000001"


def test_an_event_row_is_the_same_and_chains():
    appeal = rowinsert.insert(_appeal("PS20261102000003", None))
    fields = {"at": AT, "to_status": Status.RECEIVED, "payload": {"channel": "hotline", "n": [1]}}
    event = audit.append(appeal, "receive", **fields)
    stored = Event.objects.get(pk=event.pk)
    assert stored.payload == {"channel": "hotline", "n": [1]}
    assert stored.created_at == AT and stored.hash == event.hash
    assert audit.verify_appeal(Appeal.objects.get(pk=appeal.pk)) is None


def test_an_object_with_its_primary_key_keeps_it():
    appeal = _appeal("PS20261102000004", None)
    appeal.pk = 987654
    rowinsert.insert(appeal)
    assert Appeal.objects.get(pk=987654).number == "PS20261102000004"


# -- held writes (`batched`, ADR 0032) ------------------------------------------------------

_MARK = "INSERT INTO insights_changedappeal (appeal_id) VALUES (%s) ON CONFLICT DO NOTHING"


def _stored_appeal(number):
    return rowinsert.insert(_appeal(number, None))


def _marked(appeal_id) -> bool:
    from jiesu.insights.models import ChangedAppeal

    return ChangedAppeal.objects.filter(appeal_id=appeal_id).exists()


def test_held_writes_go_out_together_at_the_end_of_the_block():
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    a, b = _stored_appeal("PS20261102000011"), _stored_appeal("PS20261102000012")
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        with rowinsert.batched():
            rowinsert.later(_MARK, [a.pk])
            rowinsert.later(_MARK, [b.pk])
            held = len(captured.captured_queries)
        sent = [q["sql"] for q in captured.captured_queries]
    assert _marked(a.pk) and _marked(b.pk)
    if connection.vendor == "postgresql":
        assert held == 0  # nothing sent inside the block
        assert len(sent) == 1 and sent[0].count("insights_changedappeal") == 2
    else:  # SQLite: each write at once
        assert held == 2


def test_a_read_inside_the_block_sees_the_held_writes():
    from django.db import transaction

    a = _stored_appeal("PS20261102000013")
    with transaction.atomic(), rowinsert.batched():
        rowinsert.later(_MARK, [a.pk])
        assert _marked(a.pk)  # the held write went out before this query


def test_an_insert_with_its_key_is_held_and_one_without_is_not():
    from django.db import connection, transaction

    with transaction.atomic(), rowinsert.batched():
        held = _appeal("PS20261102000014", None)
        held.pk = 990001
        rowinsert.insert(held)
        fresh = rowinsert.insert(_appeal("PS20261102000015", None))  # needs its id back
        assert fresh.pk is not None
    assert Appeal.objects.filter(pk__in=[held.pk, fresh.pk]).count() == 2
    assert connection.vendor != "postgresql" or Appeal.objects.get(pk=990001).number.endswith("14")


def test_a_failing_held_write_fails_the_block_and_keeps_nothing():
    from django.db import IntegrityError, transaction

    first = _stored_appeal("PS20261102000016")
    with pytest.raises(IntegrityError), transaction.atomic(), rowinsert.batched():
        rowinsert.later(_MARK, [first.pk])
        rowinsert.insert(_appeal(first.number, None))  # the same number again: refused
    assert not _marked(first.pk)
    assert Appeal.objects.filter(number=first.number).count() == 1


def test_a_block_that_raises_drops_its_held_writes():
    from django.db import transaction

    a = _stored_appeal("PS20261102000017")
    with pytest.raises(RuntimeError), transaction.atomic(), rowinsert.batched():
        rowinsert.later(_MARK, [a.pk])
        raise RuntimeError("changed its mind")
    assert not _marked(a.pk)
    # And the connection holds nothing for the next block.
    with transaction.atomic(), rowinsert.batched():
        pass
    assert not _marked(a.pk)


def test_a_write_outside_any_block_runs_at_once():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a = _stored_appeal("PS20261102000018")
    with CaptureQueriesContext(connection) as captured:
        rowinsert.later(_MARK, [a.pk])
        assert len(captured.captured_queries) == 1
    assert _marked(a.pk)
