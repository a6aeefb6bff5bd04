# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The outbox in the admin: read-only, filters, and the "retry now" action."""

import pytest
from django.urls import reverse

from jiesu.notify.models import Notification
from jiesu.notify.tests.conftest import sms
from jiesu.org.roles import Role

pytestmark = pytest.mark.django_db
S = Notification.Status
CHANGELIST = "admin:notify_notification_changelist"


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create(username="admin", is_staff=True, is_active=True)
    user.roles.create(role=Role.ADMINISTRATOR)
    client.force_login(user)
    return client


@pytest.fixture
def rows(files):
    dead, failed, sent = sms("dead-1"), sms("failed-1"), sms("sent-1")
    Notification.objects.filter(pk=dead.pk).update(
        status=S.DEAD, attempts=6, last_error="Given up after 6 attempts: SMS: HTTP 500"
    )
    Notification.objects.filter(pk=failed.pk).update(status=S.FAILED, attempts=1)
    Notification.objects.filter(pk=sent.pk).update(status=S.SENT, attempts=1)
    return {"dead": dead, "failed": failed, "sent": sent}


def test_list_and_filter_by_status(admin_client, rows):
    response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    response = admin_client.get(reverse(CHANGELIST), {"status__exact": "dead"})
    assert [n.idempotency_key for n in response.context["cl"].result_list] == ["dead-1"]
    assert "Given up after 6 attempts" in response.content.decode()


def test_retry_now_action(admin_client, rows):
    response = admin_client.post(
        reverse(CHANGELIST),
        {
            "action": "retry_now",
            "_selected_action": [n.pk for n in rows.values()],
        },
        follow=True,
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "2" in text
    assert Notification.objects.get(pk=rows["dead"].pk).status == S.PENDING
    assert Notification.objects.get(pk=rows["dead"].pk).attempts == 0
    assert Notification.objects.get(pk=rows["failed"].pk).status == S.PENDING
    assert Notification.objects.get(pk=rows["sent"].pk).status == S.SENT


def test_rows_are_read_only(admin_client, rows):
    url = reverse("admin:notify_notification_change", args=[rows["dead"].pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert not response.context["adminform"].form.fields  # every field read-only
    admin_client.post(url, {"status": "sent"})
    assert Notification.objects.get(pk=rows["dead"].pk).status == S.DEAD
    delete = reverse("admin:notify_notification_delete", args=[rows["dead"].pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.get(reverse("admin:notify_notification_add")).status_code == 403


def test_other_staff_may_not_see_the_outbox(client, django_user_model, rows):
    user = django_user_model.objects.create(username="handler", is_staff=True, is_active=True)
    user.roles.create(role=Role.UNIT_HANDLER)
    client.force_login(user)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code in (302, 403)
    assert "dead-1" not in response.content.decode()
