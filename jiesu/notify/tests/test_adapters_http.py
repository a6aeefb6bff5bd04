# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The HTTP adapters against a real local server that checks signatures and dedupes by key."""

import json
from datetime import timedelta

import pytest

from jiesu.notify import delivery, outbox
from jiesu.notify.adapters import DeliveryError, Message, external_id, get_adapter
from jiesu.notify.models import Notification
from jiesu.notify.tests.conftest import CONTEXT, T0, row, sms

pytestmark = pytest.mark.django_db
S = Notification.Status
LATER = T0 + timedelta(hours=1)


def wechat(key="wx1", event="citizen.dispatched", context=None):
    return outbox.enqueue(
        event,
        channel=Notification.Channel.WECHAT,
        address="oPENID-citizen-0001",
        context=context or {**CONTEXT, "unit": "城市管理局"},
        subject_ref=CONTEXT["number"],
        idempotency_key=key,
        now=T0,
    )


def webhook(key="wh1", address=""):
    return outbox.enqueue(
        "unit.new_work",
        channel=Notification.Channel.WEBHOOK,
        address=address or delivery.conf.config()["WEBHOOK"]["URL"],
        context={**CONTEXT, "role": "lead"},
        subject_ref=CONTEXT["number"],
        idempotency_key=key,
        now=T0,
    )


# SMS -----------------------------------------------------------------------------------------


def test_sms_request_is_signed_and_carries_the_key(http):
    n = sms("PS20261102000001:2:citizen.accepted")
    assert delivery.deliver_due(now=T0)["sent"] == 1
    [request] = http.requests
    assert request.path == "/sms"
    assert request.payload["PhoneNumbers"] == "13800001234"
    assert request.payload["SignName"] == "坪山区民生诉求"
    assert request.payload["TemplateCode"] == "SMS_270001"  # configured for this event
    assert request.payload["OutId"] == "PS20261102000001:2:citizen.accepted"
    params = json.loads(request.payload["TemplateParam"])
    assert params == {"number": "PS20261102000001", "status": "已受理", "content": row(n.pk).body}
    assert row(n.pk).status == S.SENT and row(n.pk).provider_ref.startswith("biz-")


def test_sms_default_template_for_other_events(http):
    sms(event="citizen.closed")
    delivery.deliver_due(now=T0)
    assert http.requests[0].payload["TemplateCode"] == "SMS_270000"


def test_sms_without_a_template_code_fails_until_configured(http, settings):
    settings.JIESU_NOTIFY = {**settings.JIESU_NOTIFY}
    settings.JIESU_NOTIFY["SMS"] = {**settings.JIESU_NOTIFY["SMS"], "DEFAULT_TEMPLATE": ""}
    n = sms(event="citizen.closed")
    delivery.deliver_due(now=T0)
    assert row(n.pk).status == S.FAILED
    assert "No SMS template code for 'citizen.closed'" in row(n.pk).last_error
    assert http.requests == []


def test_sms_wrong_secret_is_refused_by_the_gateway(http, settings):
    settings.JIESU_NOTIFY = {**settings.JIESU_NOTIFY}
    settings.JIESU_NOTIFY["SMS"] = {**settings.JIESU_NOTIFY["SMS"], "ACCESS_KEY_SECRET": "wrong"}
    n = sms()
    delivery.deliver_due(now=T0)
    n = row(n.pk)
    assert n.status == S.FAILED
    assert "SMS gateway refused: SignatureDoesNotMatch" in n.last_error
    assert http.delivered == {}


@pytest.mark.parametrize(
    "behaviour, error",
    [
        ("http500", "SMS: HTTP 500 Internal Server Error"),
        ("slow", "SMS: no answer within 0.5 s"),
        ("badjson", "SMS gateway: the answer is not JSON: '<html>gateway maintenance</html>'"),
        ("error", "SMS gateway refused: isv.BUSINESS_LIMIT_CONTROL: 触发分钟级流控"),
        ("crash", "SMS: RemoteDisconnected"),
    ],
)
def test_sms_errors_are_recorded_and_retried(http, behaviour, error):
    n = sms()
    http.script(behaviour)
    assert delivery.deliver_due(now=T0)["failed"] == 1
    n = row(n.pk)
    assert n.status == S.FAILED and error in n.last_error
    assert n.next_attempt_at > T0
    delivery.deliver_due(now=LATER)
    assert row(n.pk).status == S.SENT
    assert list(http.delivered) == [n.idempotency_key]


def test_sms_gateway_dedupes_a_resend(http):
    n = sms()
    delivery.deliver_due(now=T0)
    biz = row(n.pk).provider_ref
    # The same message sent again (as after a crash): the gateway answers with the same BizId.
    message = delivery.message_for(row(n.pk))
    assert get_adapter("sms").send(message) == biz
    assert len(http.requests) == 2 and len(http.delivered) == 1


def test_sms_invalid_number_is_given_up_without_a_request(http):
    n = sms(address="not-a-phone")
    delivery.deliver_due(now=T0)
    assert row(n.pk).status == S.DEAD
    assert "Not a phone number" in row(n.pk).last_error
    assert http.requests == []


# WeChat --------------------------------------------------------------------------------------


def test_wechat_template_message(http):
    n = wechat("PS20261102000001:4:citizen.dispatched")
    assert delivery.deliver_due(now=T0)["sent"] == 1
    [request] = http.requests
    payload = request.payload
    assert payload["touser"] == "oPENID-citizen-0001"
    assert payload["template_id"] == "TPL-generic"
    assert payload["client_msg_id"] == "PS20261102000001:4:citizen.dispatched"
    assert payload["data"]["number"] == {"value": "PS20261102000001"}
    assert payload["data"]["unit"] == {"value": "城市管理局"}
    assert len(payload["data"]["content"]["value"]) <= 20  # WeChat's limit for a field
    assert row(n.pk).status == S.SENT and row(n.pk).provider_ref.isdigit()


def test_wechat_field_mapping_per_event(http, settings):
    settings.JIESU_NOTIFY = {**settings.JIESU_NOTIFY}
    settings.JIESU_NOTIFY["WECHAT"] = {
        **settings.JIESU_NOTIFY["WECHAT"],
        "TEMPLATES": {
            "citizen.dispatched": {
                "template_id": "TPL-dispatch",
                "fields": {"character_string1": "number", "thing2": "title", "thing3": "unit"},
                "url": "https://example.org/track",
            }
        },
    }
    wechat()
    delivery.deliver_due(now=T0)
    payload = http.requests[0].payload
    assert payload["template_id"] == "TPL-dispatch"
    assert payload["url"] == "https://example.org/track"
    assert payload["data"] == {
        "character_string1": {"value": "PS20261102000001"},
        "thing2": {"value": "小区门口垃圾堆放"},
        "thing3": {"value": "城市管理局"},
    }


def test_wechat_errors(http, settings):
    temporary, permanent = wechat("a"), wechat("b")
    http.script("error", "permanent")
    delivery.deliver_due(now=T0)
    assert row(temporary.pk).status == S.FAILED
    assert "WeChat refused: errcode 45009: reach max api daily" in row(temporary.pk).last_error
    assert row(permanent.pk).status == S.DEAD
    assert "errcode 43004" in row(permanent.pk).last_error
    settings.JIESU_NOTIFY = {**settings.JIESU_NOTIFY}
    settings.JIESU_NOTIFY["WECHAT"] = {**settings.JIESU_NOTIFY["WECHAT"], "ACCESS_TOKEN": "old"}
    delivery.deliver_due(now=LATER)
    assert "errcode 40001: invalid credential" in row(temporary.pk).last_error
    assert http.requests == []


# Webhook -------------------------------------------------------------------------------------


def test_webhook_is_signed_with_an_idempotency_key(http):
    n = webhook("PS20261102000001:5:unit.new_work:3")
    assert delivery.deliver_due(now=T0)["sent"] == 1
    [request] = http.requests
    assert request.headers["Idempotency-Key"] == "PS20261102000001:5:unit.new_work:3"
    assert request.headers["X-Jiesu-Event"] == "unit.new_work"
    assert request.payload["id"] == "PS20261102000001:5:unit.new_work:3"
    assert request.payload["context"]["number"] == "PS20261102000001"
    assert request.payload["subject"] == "新派单：PS20261102000001"
    assert row(n.pk).provider_ref == "HTTP 201"


def test_webhook_wrong_secret_is_refused(http, settings):
    settings.JIESU_NOTIFY = {**settings.JIESU_NOTIFY}
    settings.JIESU_NOTIFY["WEBHOOK"] = {**settings.JIESU_NOTIFY["WEBHOOK"], "SECRET": "wrong"}
    n = webhook()
    delivery.deliver_due(now=T0)
    assert row(n.pk).status == S.FAILED
    assert "Webhook: HTTP 401 Unauthorized" in row(n.pk).last_error
    assert "bad signature" in row(n.pk).last_error


def test_webhook_to_the_configured_url_for_a_unit(http, units):
    outbox.enqueue(
        "unit.new_work", channel="webhook", unit=units["water"], idempotency_key="unit-hook"
    )
    delivery.deliver_due()
    assert list(http.delivered) == ["unit-hook"]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "not a url"])
def test_webhook_only_http_urls(http, url):
    n = webhook(address=url)
    delivery.deliver_due(now=T0)
    assert row(n.pk).status == S.FAILED
    assert "only http and https URLs are allowed" in row(n.pk).last_error


def test_webhook_connection_refused(http, settings):
    http.stop()
    n = webhook()
    delivery.deliver_due(now=T0)
    assert row(n.pk).status == S.FAILED
    assert "Webhook: cannot connect" in row(n.pk).last_error


# Keys ----------------------------------------------------------------------------------------


def test_external_id_keeps_short_keys_and_hashes_long_ones():
    assert external_id("PS1:2:citizen.accepted") == "PS1:2:citizen.accepted"
    long = "PS20261102000001:12:unit.clock_breach:" + "9" * 60
    hashed = external_id(long)
    assert len(hashed) == 64 and hashed == external_id(long) and hashed != external_id(long + "0")
    assert external_id("诉求:1") != "诉求:1" and external_id("诉求:1").isascii()


def test_adapters_raise_delivery_error_not_crash(http):
    adapter = get_adapter("sms")
    message = Message(
        key="k", event="citizen.accepted", channel="sms", address="", subject="", body=""
    )
    with pytest.raises(DeliveryError) as error:
        adapter.send(message)
    assert error.value.permanent
