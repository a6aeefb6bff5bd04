# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""`rowinsert.insert` writes exactly the row `bulk_create` writes (SQLite and PostgreSQL)."""

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
