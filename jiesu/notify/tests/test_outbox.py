# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Writing to the outbox."""

import pytest

from jiesu.notify import outbox
from jiesu.notify.models import Notification
from jiesu.notify.tests.conftest import T0, sms

pytestmark = pytest.mark.django_db


def test_enqueue_once_per_key():
    first = sms("PS1:3:citizen.accepted")
    again = sms("PS1:3:citizen.accepted", address="13999999999")
    assert again.pk == first.pk and again.recipient_address == "13800001234"
    assert Notification.objects.count() == 1
    assert first.status == Notification.Status.PENDING
    assert first.next_attempt_at == T0 and first.attempts == 0


def test_in_app_rows_are_delivered_at_once(staff, units):
    to_user = outbox.enqueue("supervisor.supervision", user=staff["leader"], idempotency_key="a")
    to_unit = outbox.enqueue("unit.new_work", unit=units["urban"], idempotency_key="b", now=T0)
    for n in (to_user, to_unit):
        n.refresh_from_db()
        assert n.status == Notification.Status.SENT and n.sent_at is not None
        assert n.next_attempt_at is None
    assert to_unit.sent_at == T0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "needs a recipient"),
        ({"address": "x", "channel": "fax"}, "Unknown notification channel"),
        ({"address": "13800001234", "channel": "in_app"}, "staff member or a unit"),
    ],
)
def test_enqueue_refuses_what_cannot_be_delivered(kwargs, message):
    with pytest.raises(ValueError, match=message):
        outbox.enqueue("citizen.accepted", idempotency_key="k", **kwargs)
    assert not Notification.objects.exists()
