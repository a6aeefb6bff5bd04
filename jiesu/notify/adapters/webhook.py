# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Webhooks: the message as JSON, POSTed to a URL, with an idempotency key and a signature.

Request: POST <the row's address, or WEBHOOK URL>, JSON body

    {"id": "<idempotency key>", "event": "…", "about": "…", "language": "zh-hans",
     "subject": "…", "body": "…", "context": {…}, "created_at": "…"}

with the headers `Idempotency-Key: <key>`, `X-Jiesu-Event: <event>`, `X-Jiesu-Timestamp:
<unix seconds>` and, when a secret is set, `X-Jiesu-Signature: sha256=<hex HMAC-SHA256(secret,
"<timestamp>." + body)>`. Any 2xx answer means taken; the receiver must treat a repeated
Idempotency-Key as the same message (answer 2xx, act once).
"""

import hashlib
import hmac
import time

from jiesu.notify.adapters.base import Adapter, DeliveryError, Message, external_id
from jiesu.notify.adapters.http import encode, post

KEY_MAX = 128


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


class WebhookAdapter(Adapter):
    name = "http"

    def payload(self, message: Message) -> dict:
        return {
            "id": message.key,
            "event": message.event,
            "about": message.subject_ref,
            "language": message.language,
            "subject": message.subject,
            "body": message.body,
            "context": message.context,
            "created_at": message.created_at.isoformat() if message.created_at else None,
        }

    def send(self, message: Message) -> str:
        url = message.address or self.config["WEBHOOK"]["URL"]
        if not url:
            raise DeliveryError("No webhook URL (neither on the message nor configured).")
        body = encode(self.payload(message))
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": external_id(message.key, KEY_MAX),
            "X-Jiesu-Event": external_id(message.event, KEY_MAX),
            "X-Jiesu-Timestamp": timestamp,
        }
        secret = self.config["WEBHOOK"]["SECRET"]
        if secret:
            headers["X-Jiesu-Signature"] = signature(secret, timestamp, body)
        status, _ = post(url, body, headers, self.config["TIMEOUT"], "Webhook")
        return f"HTTP {status}"
