# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""What every adapter shares: the message it is given, the error it raises, the base class."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Message:
    """One message to send, as an adapter sees it (adapters never touch the database)."""

    key: str  # the row's idempotency key: passed to the receiver so that it can deduplicate
    event: str
    channel: str
    address: str  # phone number, WeChat openid, e-mail address or webhook URL
    subject: str
    body: str
    context: dict = field(default_factory=dict)
    language: str = "zh-hans"
    subject_ref: str = ""
    created_at: datetime | None = None


class DeliveryError(Exception):
    """The receiver did not take the message.

    `permanent` errors (an invalid phone number, an unsubscribed WeChat user) cannot be cured by
    retrying: the message is given up at once. Others are retried with backoff.
    """

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Adapter:
    """Sends messages of one channel. Subclasses implement `send`.

    `send` returns the receiver's reference for the message (or "") when the receiver has taken
    it, and raises `DeliveryError` when it has not. It must pass `message.key` (or
    `external_id(message.key)`) to the receiver so that a second send of the same message after
    a crash is recognised there as the same message.
    """

    name = ""

    def __init__(self, channel: str, config: dict):
        self.channel = channel
        self.config = config

    def send(self, message: Message) -> str:
        raise NotImplementedError

    def check(self) -> list[str]:
        """Problems with this adapter's configuration, in words for the operator."""
        return []


def external_id(key: str, max_length: int = 64) -> str:
    """The idempotency key in a form a receiver accepts: the key itself when it is short ASCII
    without spaces, else a stable hash of it (the same key always gives the same id)."""
    if len(key) <= max_length and key.isascii() and key.isprintable() and " " not in key:
        return key
    return "h" + hashlib.sha256(key.encode()).hexdigest()[: max_length - 1]
