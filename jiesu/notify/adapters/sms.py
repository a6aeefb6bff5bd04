# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
r"""SMS through an HTTP API shaped like the Chinese cloud SMS services (阿里云短信, 腾讯云短信).

Request: POST <URL>, JSON body

    {"PhoneNumbers": "13800001234", "SignName": "接诉", "TemplateCode": "SMS_270001",
     "TemplateParam": "{\"number\":\"PS20261126000123\",…,\"content\":\"…\"}",
     "OutId": "<idempotency key>"}

with the headers `X-Access-Key-Id: <ACCESS_KEY_ID>`, `X-Timestamp: <unix seconds>` and
`X-Signature: hex(HMAC-SHA256(ACCESS_KEY_SECRET, "<timestamp>\n" + body))`.

Answer: JSON `{"Code": "OK", "BizId": "…"}` when taken; any other Code (with its Message) is an
error. `OutId` is the message's idempotency key: the gateway answers a repeated OutId with the
first message's BizId and sends nothing again. Providers sign differently; a small signing proxy
(or a subclass overriding `headers`) adapts this request to a given provider.
"""

import hashlib
import hmac
import json
import time

from jiesu.notify.adapters.base import Adapter, DeliveryError, Message, external_id
from jiesu.notify.adapters.http import decode, encode, post

OUT_ID_MAX = 64


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


class SmsHttpAdapter(Adapter):
    name = "http"

    @property
    def sms(self) -> dict:
        return self.config["SMS"]

    def template_code(self, event: str) -> str:
        return self.sms["TEMPLATES"].get(event) or self.sms["DEFAULT_TEMPLATE"]

    def payload(self, message: Message) -> dict:
        code = self.template_code(message.event)
        if not code:
            raise DeliveryError(
                f"No SMS template code for {message.event!r}: set one in JIESU_SMS_TEMPLATES "
                "or JIESU_SMS_DEFAULT_TEMPLATE."
            )
        params = {
            key: "" if value is None else str(value)
            for key, value in message.context.items()
            if key in self.sms["PARAMS"]
        }
        params["content"] = message.body
        return {
            "PhoneNumbers": message.address,
            "SignName": self.sms["SIGN_NAME"],
            "TemplateCode": code,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
            "OutId": external_id(message.key, OUT_ID_MAX),
        }

    def headers(self, body: bytes) -> dict:
        timestamp = str(int(time.time()))
        return {
            "Content-Type": "application/json",
            "X-Access-Key-Id": self.sms["ACCESS_KEY_ID"],
            "X-Timestamp": timestamp,
            "X-Signature": signature(self.sms["ACCESS_KEY_SECRET"], timestamp, body),
        }

    def send(self, message: Message) -> str:
        if not message.address.strip().lstrip("+").isdigit():
            raise DeliveryError(f"Not a phone number: {message.address!r}", permanent=True)
        body = encode(self.payload(message))
        _, raw = post(self.sms["URL"], body, self.headers(body), self.config["TIMEOUT"], "SMS")
        answer = decode(raw, "SMS gateway")
        if not isinstance(answer, dict):
            raise DeliveryError(f"SMS gateway: unexpected answer {answer!r}")
        code = str(answer.get("Code", ""))
        if code != "OK":
            text = answer.get("Message") or "no message"
            raise DeliveryError(
                f"SMS gateway refused: {code or 'no Code'}: {text}",
                permanent=code in self.sms["PERMANENT_ERRORS"],
            )
        return str(answer.get("BizId") or "")

    def check(self) -> list[str]:
        problems = []
        for key, env in (
            ("URL", "JIESU_SMS_URL"),
            ("ACCESS_KEY_ID", "JIESU_SMS_ACCESS_KEY_ID"),
            ("ACCESS_KEY_SECRET", "JIESU_SMS_ACCESS_KEY_SECRET"),
        ):
            if not self.sms.get(key):
                problems.append(f"The SMS HTTP adapter needs {key} (environment: {env}).")
        if not self.sms.get("DEFAULT_TEMPLATE") and not self.sms.get("TEMPLATES"):
            problems.append(
                "The SMS HTTP adapter has no template codes (JIESU_SMS_TEMPLATES or "
                "JIESU_SMS_DEFAULT_TEMPLATE): every message would fail."
            )
        return problems
