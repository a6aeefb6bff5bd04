# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The periodic task through the real database backend and worker; commands; system checks."""

import json

import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from jiesu.notify import tasks
from jiesu.notify.checks import check_adapters
from jiesu.notify.models import Notification
from jiesu.notify.tests.conftest import row, sms

pytestmark = pytest.mark.django_db
S = Notification.Status


def test_periodic_registry():
    assert [tasks.deliver_outbox] == tasks.PERIODIC


# The worker calls close_old_connections(), which closes a connection that is inside a
# transaction: on PostgreSQL the test must not run in the usual test transaction.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_task_delivers_through_the_worker(files):
    rows = [sms(f"k{i}") for i in range(3)]
    result = tasks.deliver_outbox.enqueue()
    assert DBTaskResult.objects.get().status == "READY"
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    result.refresh()
    assert result.status == "SUCCESSFUL"
    assert result.return_value["sent"] == 3
    assert all(row(n.pk).status == S.SENT for n in rows)
    assert len((files / "sms.log").read_text().splitlines()) == 3


def test_task_keeps_going_while_batches_are_full(files, settings):
    settings.JIESU_NOTIFY = {**settings.JIESU_NOTIFY, "BATCH": 2}
    for i in range(5):
        sms(f"k{i}")
    totals = tasks.deliver_outbox.call()
    assert totals["sent"] == 5 and totals["claimed"] == 5


def test_deliver_notifications_command(files, capsys):
    sms("a"), sms("b")
    call_command("deliver_notifications", "--batch", "1")
    assert json.loads(capsys.readouterr().out)["sent"] == 1
    call_command("deliver_notifications", "--all")
    assert json.loads(capsys.readouterr().out)["sent"] == 1


def test_send_test_notification(http, capsys):
    call_command("send_test_notification", "sms", "13800001234")
    assert "Sent through sms (receiver's reference: biz-" in capsys.readouterr().out
    [request] = http.requests
    assert request.payload["TemplateCode"] == "SMS_270000"
    assert "测试消息" in json.loads(request.payload["TemplateParam"])["content"]
    http.script("permanent")
    with pytest.raises(CommandError, match="isv.MOBILE_NUMBER_ILLEGAL"):
        call_command("send_test_notification", "sms", "13800001234")


def test_checks_pass_with_the_embedded_defaults(settings):
    del settings.JIESU_NOTIFY
    assert check_adapters() == []


def test_checks_name_what_is_missing(settings):
    settings.JIESU_NOTIFY = {"ADAPTERS": {"sms": "http", "wechat": "http", "email": "pigeon"}}
    messages = check_adapters()
    ids = [m.id for m in messages]
    assert ids.count("notify.E001") == 1 and "pigeon" in messages[ids.index("notify.E001")].msg
    warnings = " ".join(m.msg for m in messages if m.id == "notify.W001")
    for what in ("JIESU_SMS_URL", "JIESU_SMS_ACCESS_KEY_SECRET", "JIESU_WECHAT_ACCESS_TOKEN"):
        assert what in warnings
    settings.JIESU_NOTIFY = {"BACKOFF": [], "MAX_ATTEMPTS": 0}
    assert [m.id for m in check_adapters()] == ["notify.E002"]
