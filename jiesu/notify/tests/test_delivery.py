# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Delivery: claiming, sending, retries with backoff, giving up, leases and crashes."""

import json
from datetime import timedelta

import pytest

from jiesu.notify import delivery, outbox
from jiesu.notify.models import Notification
from jiesu.notify.tests.conftest import CONTEXT, T0, notify_settings, row, sms

pytestmark = pytest.mark.django_db
S = Notification.Status
MINUTE = timedelta(minutes=1)


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def hook(key="h1", now=T0, **kwargs):
    return outbox.enqueue(
        "unit.new_work",
        channel=Notification.Channel.WEBHOOK,
        # the receiver's URL, as a subscriber would have registered it
        address=kwargs.pop("address", None) or delivery.conf.config()["WEBHOOK"]["URL"],
        context=CONTEXT,
        idempotency_key=key,
        now=now,
        **kwargs,
    )


def test_due_message_is_sent_and_recorded(files):
    n = sms("PS20261102000001:2:citizen.accepted")
    counts = delivery.deliver_due(now=T0)
    assert counts == {"claimed": 1, "reclaimed": 0, "sent": 1, "failed": 0, "dead": 0, "lost": 0}
    n = row(n.pk)
    assert n.status == S.SENT and n.attempts == 1 and n.sent_at >= T0
    assert n.claim_token == "" and n.claimed_at is None and n.last_error == ""
    assert n.template == "notify/citizen.accepted.zh-hans.txt"
    assert "PS20261102000001" in n.body and "可凭诉求编号查询进度" in n.body
    [line] = lines(files / "sms.log")
    assert line["key"] == "PS20261102000001:2:citizen.accepted"
    assert line["to"] == "13800001234" and line["body"] == n.body
    # Nothing is due any more: a second run sends nothing.
    assert delivery.deliver_due(now=T0 + MINUTE)["claimed"] == 0
    assert len(lines(files / "sms.log")) == 1


def test_rows_not_yet_due_wait(files):
    sms("later", now=T0 + timedelta(hours=1))
    assert delivery.deliver_due(now=T0)["claimed"] == 0
    assert delivery.deliver_due(now=T0 + timedelta(hours=1))["sent"] == 1


def test_batch_limits_a_run_oldest_first(files):
    for i in range(5):
        sms(f"k{i}", now=T0 + timedelta(seconds=i))
    assert delivery.deliver_due(now=T0 + MINUTE, batch=3)["sent"] == 3
    assert [x["key"] for x in lines(files / "sms.log")] == ["k0", "k1", "k2"]
    assert delivery.deliver_due(now=T0 + MINUTE, batch=3)["sent"] == 2


def test_a_claimed_row_is_not_claimed_again(files):
    n = sms()
    Notification.objects.filter(pk=n.pk).update(
        status=S.SENDING, claim_token="other-worker", claimed_at=T0, attempts=1
    )
    # Within the lease (10 minutes) nobody else takes it.
    assert delivery.deliver_due(now=T0 + 9 * MINUTE)["claimed"] == 0
    assert row(n.pk).claim_token == "other-worker"


def test_failures_back_off_then_give_up(http):
    """1 min, 5 min, 30 min, 2 h, 12 h, then given up after the sixth attempt."""
    n = hook()
    http.script(*["http500"] * 6)
    now = T0
    waits = [60, 300, 1800, 7200, 43200]
    for attempt, wait in enumerate(waits, start=1):
        assert delivery.deliver_due(now=now)["failed"] == 1
        n = row(n.pk)
        assert n.status == S.FAILED and n.attempts == attempt
        assert f"Attempt {attempt}: Webhook: HTTP 500" in n.last_error
        assert n.next_attempt_at - now - timedelta(seconds=wait) < timedelta(seconds=5)
        # Not before its time …
        early = n.next_attempt_at - timedelta(seconds=1)
        assert delivery.deliver_due(now=early)["claimed"] == 0
        now = n.next_attempt_at
    counts = delivery.deliver_due(now=now)
    assert counts["dead"] == 1
    n = row(n.pk)
    assert n.status == S.DEAD and n.attempts == 6 and n.next_attempt_at is None
    assert n.last_error.startswith("Given up after 6 attempts: ")
    assert "HTTP 500" in n.last_error
    assert delivery.deliver_due(now=now + timedelta(days=1))["claimed"] == 0
    assert len(http.requests) == 0  # every request was refused before it was taken


def test_a_failure_then_success_clears_the_error(http):
    n = hook()
    http.script("http500")
    delivery.deliver_due(now=T0)
    assert row(n.pk).status == S.FAILED
    delivery.deliver_due(now=T0 + 2 * MINUTE)
    n = row(n.pk)
    assert n.status == S.SENT and n.attempts == 2 and n.last_error == ""
    assert n.provider_ref == "HTTP 201"


def test_backoff_and_attempts_are_settings(http, settings):
    settings.JIESU_NOTIFY = {
        **settings.JIESU_NOTIFY,
        "BACKOFF": [10, 20],
        "MAX_ATTEMPTS": 3,
    }
    n = hook()
    http.script("http500", "http500", "http500")
    delivery.deliver_due(now=T0)
    first = row(n.pk).next_attempt_at
    assert timedelta(seconds=10) <= first - T0 < timedelta(seconds=15)
    delivery.deliver_due(now=first)
    second = row(n.pk).next_attempt_at
    assert timedelta(seconds=20) <= second - first < timedelta(seconds=25)
    delivery.deliver_due(now=second)
    assert row(n.pk).status == S.DEAD


def test_permanent_error_gives_up_at_once(http):
    n = sms()
    http.script("permanent")
    assert delivery.deliver_due(now=T0)["dead"] == 1
    n = row(n.pk)
    assert n.status == S.DEAD and n.attempts == 1
    assert "Permanent error" in n.last_error and "isv.MOBILE_NUMBER_ILLEGAL" in n.last_error


def test_crash_after_send_is_resent_with_the_same_key_and_received_once(http, settings):
    """The worker dies after the gateway took the SMS, before the row says `sent`."""
    settings.JIESU_NOTIFY = {
        **settings.JIESU_NOTIFY,
        "ADAPTERS": {"sms": "jiesu.notify.tests.doubles.CrashAfterSendSms"},
    }
    n = sms("PS20261102000001:2:citizen.accepted")
    with pytest.raises(KeyboardInterrupt):
        delivery.deliver_due(now=T0)
    n = row(n.pk)
    assert n.status == S.SENDING and n.attempts == 1 and n.claim_token
    assert http.keys() == ["PS20261102000001:2:citizen.accepted"]

    # The worker is restarted (without the crash). Within the lease the row is left alone …
    settings.JIESU_NOTIFY = {**settings.JIESU_NOTIFY, "ADAPTERS": {"sms": "http"}}
    assert delivery.deliver_due(now=T0 + 5 * MINUTE)["claimed"] == 0
    # … after it, the row is claimed again and sent again, with the same key.
    counts = delivery.deliver_due(now=T0 + 11 * MINUTE)
    assert counts["reclaimed"] == 1 and counts["sent"] == 1
    n = row(n.pk)
    assert n.status == S.SENT and n.attempts == 2
    assert http.keys() == ["PS20261102000001:2:citizen.accepted"] * 2
    first, second = (r.payload for r in http.requests)
    assert first == second  # the same text, the same OutId
    assert list(http.delivered) == ["PS20261102000001:2:citizen.accepted"]  # the citizen: once
    assert n.provider_ref.startswith("biz-")


def test_system_exit_during_webhook_loses_nothing(http, settings):
    settings.JIESU_NOTIFY = {
        **settings.JIESU_NOTIFY,
        "ADAPTERS": {"webhook": "jiesu.notify.tests.doubles.ExitAfterSendWebhook"},
    }
    rows = [hook("w1"), hook("w2")]
    with pytest.raises(SystemExit):
        delivery.deliver_due(now=T0)
    # The first was taken by the receiver, the second never tried: both wait for the lease.
    assert [row(r.pk).status for r in rows] == [S.SENDING, S.SENDING]
    settings.JIESU_NOTIFY = {**settings.JIESU_NOTIFY, "ADAPTERS": {"webhook": "http"}}
    assert delivery.deliver_due(now=T0 + 11 * MINUTE)["sent"] == 2
    assert http.keys() == ["w1", "w1", "w2"]
    assert sorted(http.delivered) == ["w1", "w2"]
    assert [r.headers["Idempotency-Key"] for r in http.requests] == ["w1", "w1", "w2"]


def test_worker_lost_on_the_last_attempt_gives_up(files, settings):
    n = sms()
    Notification.objects.filter(pk=n.pk).update(
        status=S.SENDING, claim_token="dead-worker", claimed_at=T0, attempts=6
    )
    counts = delivery.deliver_due(now=T0 + 11 * MINUTE)
    assert counts["dead"] == 1 and counts["claimed"] == 0
    n = row(n.pk)
    assert n.status == S.DEAD and "stopped during attempt 6" in n.last_error
    assert not (files / "sms.log").exists()


def test_a_worker_whose_lease_ran_out_does_not_send(files):
    """Worker A claims, stalls past its lease; B takes the row over and sends it. When A
    wakes up, its claim is gone: it sends nothing and leaves B's result alone."""
    n = sms()
    clock_a = delivery._Clock(T0)
    counts_a = dict.fromkeys(delivery.COUNT_KEYS, 0)
    rows_a = delivery._claim(clock_a, 10, delivery.conf.config(), "token-a", counts_a, None)
    assert [r.pk for r in rows_a] == [n.pk]
    assert delivery.deliver_due(now=T0 + 11 * MINUTE)["sent"] == 1  # worker B
    delivery._deliver_one(rows_a[0], "token-a", clock_a, delivery.conf.config(), counts_a)
    assert counts_a["lost"] == 1 and counts_a["sent"] == 0
    assert row(n.pk).status == S.SENT and row(n.pk).attempts == 2
    assert len(lines(files / "sms.log")) == 1


def test_text_is_rendered_once_and_resent_unchanged(http, settings, tmp_path):
    n = sms()
    http.script("http500")
    delivery.deliver_due(now=T0)
    rendered = row(n.pk).body
    assert rendered and "PS20261102000001" in rendered
    # The template changes between the attempts: the retry still sends the first text.
    custom = tmp_path / "templates" / "notify"
    custom.mkdir(parents=True)
    (custom / "citizen.accepted.zh-hans.txt").write_text("新标题\n新的正文 {{ number }}\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates"]}]
    delivery.deliver_due(now=T0 + 2 * MINUTE)
    assert row(n.pk).status == S.SENT
    sent = json.loads(http.requests[0].payload["TemplateParam"])
    assert sent["content"] == rendered


def test_unknown_event_is_sent_with_the_generic_text_and_recorded(files, caplog):
    n = sms(event="citizen.something_new")
    delivery.deliver_due(now=T0)
    n = row(n.pk)
    assert n.status == S.SENT
    assert n.template == "notify/_generic.zh-hans.txt"
    assert "PS20261102000001" in n.body
    assert "No template for notification event 'citizen.something_new'" in caplog.text


def test_broken_template_fails_visibly_and_is_retried(files, settings, tmp_path):
    custom = tmp_path / "templates" / "notify"
    custom.mkdir(parents=True)
    (custom / "citizen.accepted.zh-hans.txt").write_text("{% if %}\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates"]}]
    n = sms()
    assert delivery.deliver_due(now=T0)["failed"] == 1
    n = row(n.pk)
    assert n.status == S.FAILED and "TemplateSyntaxError" in n.last_error
    (custom / "citizen.accepted.zh-hans.txt").write_text("已受理\n编号{{ number }}\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path / "templates"]}]
    delivery.deliver_due(now=T0 + 2 * MINUTE)
    assert row(n.pk).status == S.SENT and row(n.pk).body == "编号PS20261102000001"


def test_unknown_adapter_fails_with_a_configuration_error(files, settings):
    settings.JIESU_NOTIFY = {**settings.JIESU_NOTIFY, "ADAPTERS": {"sms": "carrier-pigeon"}}
    n = sms()
    delivery.deliver_due(now=T0)
    n = row(n.pk)
    assert n.status == S.FAILED and "Configuration: Unknown adapter 'carrier-pigeon'" in (
        n.last_error
    )


def test_staff_and_unit_addresses(files, staff, units):
    to_user = outbox.enqueue(
        "unit.new_work", channel="sms", user=staff["handler"], idempotency_key="u1", now=T0
    )
    no_phone = outbox.enqueue(
        "unit.new_work", channel="sms", user=staff["leader"], idempotency_key="u2", now=T0
    )
    units["water"].phone = "0755-84551234"
    units["water"].save()
    to_unit = outbox.enqueue(
        "unit.new_work", channel="sms", unit=units["water"], idempotency_key="u3", now=T0
    )
    counts = delivery.deliver_due(now=T0)
    assert counts["sent"] == 2 and counts["dead"] == 1
    assert [x["to"] for x in lines(files / "sms.log")] == ["13900000001", "0755-84551234"]
    assert row(to_user.pk).status == row(to_unit.pk).status == S.SENT
    dead = row(no_phone.pk)
    assert dead.status == S.DEAD and "No sms address for leader" in dead.last_error


def test_pending_in_app_rows_are_marked_sent(files, staff):
    n = Notification.objects.create(
        event="supervisor.supervision",
        channel="in_app",
        recipient_user=staff["leader"],
        idempotency_key="legacy",
        created_at=T0,
        next_attempt_at=T0,
        context=CONTEXT,
    )
    assert delivery.deliver_due(now=T0)["sent"] == 1
    n = row(n.pk)
    assert n.status == S.SENT and n.subject == "已发督办：PS20261102000001"


def test_retry_now_revives_failed_and_dead_rows(http):
    dead, failed, sent = hook("d"), hook("f"), hook("s")
    Notification.objects.filter(pk=dead.pk).update(
        status=S.DEAD, attempts=6, body="old", last_error="x"
    )
    Notification.objects.filter(pk=failed.pk).update(
        status=S.FAILED, attempts=2, next_attempt_at=T0 + timedelta(hours=2)
    )
    Notification.objects.filter(pk=sent.pk).update(status=S.SENT, attempts=1)
    assert delivery.retry_now(Notification.objects.all(), now=T0) == 2
    assert (row(dead.pk).status, row(dead.pk).attempts, row(dead.pk).body) == (S.PENDING, 0, "")
    assert (row(failed.pk).status, row(failed.pk).attempts) == (S.PENDING, 2)
    assert row(sent.pk).status == S.SENT
    assert delivery.deliver_due(now=T0)["sent"] == 2
    assert sorted(http.delivered) == ["d", "f"]


def test_settings_are_merged_over_the_defaults(settings, tmp_path):
    settings.JIESU_NOTIFY = notify_settings(tmp_path, SMS={"SIGN_NAME": "坪山"})
    cfg = delivery.conf.config()
    assert cfg["SMS"]["SIGN_NAME"] == "坪山"
    assert cfg["SMS"]["PERMANENT_ERRORS"]  # the rest of SMS keeps its defaults
    assert cfg["LEASE"] == 600 and cfg["BACKOFF"] == [60, 300, 1800, 7200, 43200]
    del settings.JIESU_NOTIFY
    assert delivery.conf.config()["OUTBOX_DIR"].endswith("outbox")
