# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""In-app notifications: who sees them, and per-reader read state."""

import pytest

from jiesu.notify import inbox, outbox
from jiesu.notify.models import Notification, Reading
from jiesu.notify.tests.conftest import CONTEXT, T0

pytestmark = pytest.mark.django_db


def tell_unit(unit, key):
    return outbox.enqueue("unit.new_work", unit=unit, context=CONTEXT, idempotency_key=key, now=T0)


def tell_user(user, key):
    return outbox.enqueue(
        "supervisor.supervision", user=user, context=CONTEXT, idempotency_key=key, now=T0
    )


def test_staff_see_their_own_and_their_units_notifications(staff, units):
    to_urban = tell_unit(units["urban"], "u")
    to_team = tell_unit(units["team"], "t")
    to_handler = tell_user(staff["handler"], "h")
    # An SMS to the same person is not an in-app notification.
    outbox.enqueue("unit.new_work", channel="sms", user=staff["handler"], idempotency_key="s")

    assert list(inbox.unread_for(staff["handler"])) == [to_handler, to_urban]
    assert list(inbox.unread_for(staff["leader"])) == [to_urban]
    # Neither the parent unit's staff see the team's rows, nor the team the parent's.
    assert list(inbox.unread_for(staff["team_handler"])) == [to_team]
    assert list(inbox.unread_for(staff["water_handler"])) == []
    assert inbox.unread_count(staff["handler"]) == 2


def test_reading_is_per_reader(staff, units):
    n = tell_unit(units["urban"], "u")
    assert inbox.mark_read(staff["handler"], [n], now=T0) == 1
    assert list(inbox.unread_for(staff["handler"])) == []
    assert list(inbox.unread_for(staff["leader"])) == [n]  # the leader has not read it
    assert Notification.objects.get(pk=n.pk).read_at == T0
    assert [x.is_read for x in inbox.for_user(staff["handler"])] == [True]
    # Reading again changes nothing.
    assert inbox.mark_read(staff["handler"], [n.pk]) == 0
    assert Reading.objects.count() == 1


def test_mark_all_read_and_only_what_one_may_see(staff, units):
    mine = [tell_unit(units["urban"], "u"), tell_user(staff["handler"], "h")]
    theirs = tell_unit(units["water"], "w")
    assert inbox.mark_read(staff["handler"], [theirs.pk]) == 0  # not the handler's to read
    assert inbox.mark_read(staff["handler"]) == 2
    assert inbox.unread_count(staff["handler"]) == 0
    assert {r.notification_id for r in Reading.objects.all()} == {n.pk for n in mine}
    assert list(inbox.unread_for(staff["water_handler"])) == [theirs]


def test_inactive_or_anonymous_users_see_nothing(staff, units):
    from django.contrib.auth.models import AnonymousUser

    tell_unit(units["urban"], "u")
    staff["leader"].is_active = False
    assert list(inbox.unread_for(staff["leader"])) == []
    assert list(inbox.unread_for(AnonymousUser())) == []
    assert list(inbox.unread_for(None)) == []


def test_display_renders_title_and_text(staff, units):
    n = tell_unit(units["urban"], "u")
    title, text = inbox.display(n)
    assert title == "新派单：PS20261102000001" and "主办" in text
