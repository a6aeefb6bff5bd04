# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
import uuid

from django.core.management.base import BaseCommand, CommandError

from jiesu.notify import delivery, outbox
from jiesu.notify.models import Notification

CHANNELS = [c for c in Notification.Channel.values if c != Notification.Channel.IN_APP]


class Command(BaseCommand):
    help = (
        "Send a test message through a channel's configured adapter now, to check its "
        "configuration, and say what happened. Example: send_test_notification sms 13800001234"
    )

    def add_arguments(self, parser):
        parser.add_argument("channel", choices=CHANNELS)
        parser.add_argument("address", help="Phone number, WeChat openid, e-mail or URL.")
        parser.add_argument("--language", default="zh-hans")

    def handle(self, *args, channel, address, language, **options):
        row = outbox.enqueue(
            "notify.test",
            channel=channel,
            address=address,
            language=language,
            subject_ref="test",
            idempotency_key=f"test:{uuid.uuid4().hex}",
        )
        delivery.deliver_due(ids=[row.pk], batch=1)
        row.refresh_from_db()
        if row.status != Notification.Status.SENT:
            raise CommandError(
                f"Not sent ({row.get_status_display()}): {row.last_error}\n"
                f"The message stays in the outbox (id {row.pk}) and is retried as usual."
            )
        reference = f" (receiver's reference: {row.provider_ref})" if row.provider_ref else ""
        self.stdout.write(self.style.SUCCESS(f"Sent through {channel}{reference}: {row.body}"))
