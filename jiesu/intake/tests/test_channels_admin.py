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


def test_a_second_channel_with_the_same_name_is_refused(admin_client, app):
    response = admin_client.post(
        reverse("admin:intake_channel_add"),
        {
            "code": "another_app",
            "name": "美丽深圳",
            "kind": Channel.Kind.APP,
            "rate_limit_per_minute": 60,
            "max_attachments": 9,
            "max_attachment_mb": 10,
            "sort_order": 0,
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    assert "Channel with this Name already exists." in response.content.decode()
    assert list(Channel.objects.filter(name="美丽深圳").values_list("code", flat=True)) == [
        "beautiful_shenzhen"
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_renames_channels_that_share_a_name():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = [("intake", "0002_one_web_channel")], [("intake", "0003_channel_name_unique")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old_channel = executor.loader.project_state(before).apps.get_model("intake", "Channel")
        for code in ("wechat", "wechat_b", "hotline"):
            old_channel.objects.create(
                code=code, name="热线" if code == "hotline" else "微信", kind="other"
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
    names = dict(Channel.objects.values_list("code", "name"))
    assert names["wechat"] == "微信"
    assert names["wechat_b"] == "微信 (wechat_b)"
    assert names["hotline"] == "热线"
    Channel.objects.filter(code__in=["wechat", "wechat_b", "hotline"]).delete()
