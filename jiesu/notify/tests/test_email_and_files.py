# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""E-mail through Django's mail (stable Message-ID) and the embedded file/console adapters."""

import json
from datetime import timedelta

import pytest
from django.core import mail

from jiesu.notify import delivery, outbox
from jiesu.notify.adapters.email import message_id
from jiesu.notify.models import Notification
from jiesu.notify.tests.conftest import CONTEXT, T0, row, sms

pytestmark = pytest.mark.django_db
S = Notification.Status


def email(key="e1", address="citizen@example.org", **kwargs):
    return outbox.enqueue(
        "citizen.accepted",
        channel=Notification.Channel.EMAIL,
        address=address,
        context=CONTEXT,
        subject_ref=CONTEXT["number"],
        idempotency_key=key,
        now=T0,
        **kwargs,
    )


def test_email_has_subject_body_and_a_message_id_from_the_key(http):
    n = email("PS20261102000001:2:citizen.accepted")
    assert delivery.deliver_due(now=T0)["sent"] == 1
    [sent] = mail.outbox
    assert sent.subject == "诉求已受理"
    assert "PS20261102000001" in sent.body and sent.to == ["citizen@example.org"]
    expected = message_id("PS20261102000001:2:citizen.accepted", "jiesu.invalid")
    assert sent.message()["Message-ID"] == expected
    assert row(n.pk).provider_ref == expected


def test_email_resent_after_a_crash_has_the_same_message_id(http, settings):
    settings.JIESU_NOTIFY = {
        **settings.JIESU_NOTIFY,
        "ADAPTERS": {"email": "jiesu.notify.tests.doubles.CrashAfterSendEmail"},
    }
    n = email()
    with pytest.raises(KeyboardInterrupt):
        delivery.deliver_due(now=T0)
    settings.JIESU_NOTIFY = {**settings.JIESU_NOTIFY, "ADAPTERS": {"email": "django"}}
    delivery.deliver_due(now=T0 + timedelta(minutes=11))
    assert row(n.pk).status == S.SENT
    ids = [m.message()["Message-ID"] for m in mail.outbox]
    assert len(ids) == 2 and ids[0] == ids[1]
    # A mailbox keeps one message per Message-ID: the citizen sees it once.
    assert len({m.message()["Message-ID"]: m for m in mail.outbox}) == 1
    assert mail.outbox[0].body == mail.outbox[1].body


def test_email_to_staff_uses_their_address_and_refuses_bad_ones(http, staff):
    to_staff = outbox.enqueue(
        "unit.new_work", channel="email", user=staff["handler"], idempotency_key="s", now=T0
    )
    bad = email("bad", address="not-an-address")
    delivery.deliver_due(now=T0)
    assert row(to_staff.pk).status == S.SENT
    assert [m.to for m in mail.outbox] == [["h@example.org"]]
    assert row(bad.pk).status == S.DEAD and "Not an e-mail address" in row(bad.pk).last_error


def test_email_backend_failure_is_retried(http, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", http.address[1]  # not SMTP
    n = email()
    delivery.deliver_due(now=T0)
    assert row(n.pk).status == S.FAILED and row(n.pk).last_error.startswith("Attempt 1: E-mail")


def test_file_adapter_writes_one_json_line_per_message_and_channel(files):
    sms("a"), sms("b", event="citizen.closed")
    outbox.enqueue("citizen.accepted", channel="wechat", address="oID", idempotency_key="c")
    email("d")
    assert delivery.deliver_due()["sent"] == 4
    by_channel = {
        p.stem: [json.loads(x) for x in p.read_text().splitlines()] for p in files.iterdir()
    }
    assert sorted(by_channel) == ["email", "sms", "wechat"]
    assert [x["key"] for x in by_channel["sms"]] == ["a", "b"]
    line = by_channel["sms"][1]
    assert line["event"] == "citizen.closed" and line["to"] == "13800001234"
    assert line["subject"] == "诉求已办结" and "已办结" in line["body"]
    assert line["context"] == CONTEXT and line["about"] == "PS20261102000001"
    assert by_channel["wechat"][0]["to"] == "oID"


def test_file_adapter_cannot_write(files, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.JIESU_NOTIFY = {**settings.JIESU_NOTIFY, "OUTBOX_DIR": str(blocker / "outbox")}
    n = sms()
    delivery.deliver_due(now=T0)
    assert row(n.pk).status == S.FAILED and "Cannot write" in row(n.pk).last_error


def test_console_adapter(files, settings, capsys):
    settings.JIESU_NOTIFY = {**settings.JIESU_NOTIFY, "ADAPTERS": {"sms": "console"}}
    sms("console-1")
    delivery.deliver_due(now=T0)
    out = capsys.readouterr().out
    assert json.loads(out)["key"] == "console-1"
