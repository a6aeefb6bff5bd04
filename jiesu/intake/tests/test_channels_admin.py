# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The channel admin: issuing a key shows it once, revoking stops it, only administrators."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from jiesu.intake import channels
from jiesu.intake.models import Channel
from jiesu.intake.tests.api_support import FAST_HASHERS
from jiesu.org.models import User, UserRole
from jiesu.org.roles import Role

pytestmark = pytest.mark.django_db

URL = reverse("admin:intake_channel_changelist")


@pytest.fixture
def admin_client(client, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    user = User.objects.create_user(username="admin", password="x-Passw0rd!")
    UserRole.objects.create(user=user, role=Role.ADMINISTRATOR)
    client.force_login(user)
    return client


@pytest.fixture
def app():
    return Channel.objects.create(
        code="beautiful_shenzhen", name="美丽深圳", kind=Channel.Kind.APP, is_machine=True
    )


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_issue_key_action_shows_the_key_once(admin_client, app):
    response = admin_client.post(
        URL, {"action": "issue_new_key", "_selected_action": [app.pk]}, follow=True
    )
    assert response.status_code == 200
    app.refresh_from_db()
    shown = [m for m in _messages(response) if "beautiful_shenzhen" in m]
    assert len(shown) == 1
    key = shown[0].split("<code>")[1].split("</code>")[0]
    assert channels.authenticate_key(key) == app
    # The key is nowhere afterwards: not in the list, not in the change form.
    listing = admin_client.get(URL).content.decode()
    change = admin_client.get(reverse("admin:intake_channel_change", args=[app.pk]))
    assert key not in listing and key not in change.content.decode()
    assert f"js_{app.key_prefix}_" in listing


def test_issue_key_refuses_non_machine_channels(admin_client):
    mailbox = Channel.objects.create(code="mailbox", name="政府信箱", kind="mailbox")
    response = admin_client.post(
        URL, {"action": "issue_new_key", "_selected_action": [mailbox.pk]}, follow=True
    )
    assert any("no key issued" in m or "未签发" in m for m in _messages(response))
    mailbox.refresh_from_db()
    assert mailbox.key_hash == ""


def test_revoke_action(admin_client, app):
    key = channels.issue_key(app)
    response = admin_client.post(
        URL, {"action": "revoke_key", "_selected_action": [app.pk]}, follow=True
    )
    assert response.status_code == 200
    assert channels.authenticate_key(key) is None


def test_only_administrators_use_the_channel_admin(client, settings, app):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    user = User.objects.create_user(username="op", password="x-Passw0rd!")
    UserRole.objects.create(user=user, role=Role.INTAKE_OPERATOR)
    client.force_login(user)
    response = client.post(URL, {"action": "issue_new_key", "_selected_action": [app.pk]})
    assert response.status_code in (302, 403)
    app.refresh_from_db()
    assert app.key_hash == ""
