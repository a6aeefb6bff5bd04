# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""E-mail through Django's mail framework (EMAIL_BACKEND, EMAIL_HOST, … in the settings).

Every message carries a Message-ID made from its idempotency key, the same at every attempt:
mail systems and clients treat two messages with one Message-ID as one message, so a re-send
after a crash does not show up twice in the recipient's mailbox.
"""

import hashlib
import smtplib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email

from jiesu.notify.adapters.base import Adapter, DeliveryError, Message


def message_id(key: str, domain: str) -> str:
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


class DjangoEmailAdapter(Adapter):
    name = "django"

    def build(self, message: Message) -> EmailMessage:
        try:
            validate_email(message.address)
        except ValidationError:
            raise DeliveryError(
                f"Not an e-mail address: {message.address!r}", permanent=True
            ) from None
        email = self.config["EMAIL"]
        return EmailMessage(
            subject=" ".join(message.subject.split()),
            body=message.body,
            from_email=email["FROM"] or settings.DEFAULT_FROM_EMAIL,
            to=[message.address],
            headers={
                "Message-ID": message_id(message.key, email["MESSAGE_ID_DOMAIN"]),
                "X-Jiesu-Event": message.event,
            },
        )

    def send(self, message: Message) -> str:
        email = self.build(message)
        try:
            connection = get_connection(fail_silently=False, timeout=self.config["TIMEOUT"])
        except TypeError:  # a backend without a timeout argument
            connection = get_connection(fail_silently=False)
        try:
            sent = connection.send_messages([email])
        except smtplib.SMTPRecipientsRefused as e:
            raise DeliveryError(
                f"E-mail refused for {message.address}: {e}", permanent=True
            ) from None
        except (smtplib.SMTPException, OSError) as e:
            raise DeliveryError(f"E-mail: {type(e).__name__}: {e}") from None
        if not sent:
            raise DeliveryError("E-mail: the mail backend sent nothing.")
        return email.extra_headers["Message-ID"]
