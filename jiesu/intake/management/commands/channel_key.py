# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""manage.py channel_key CODE [--revoke]"""

from django.core.management.base import BaseCommand, CommandError

from jiesu.intake import channels
from jiesu.intake.models import Channel


class Command(BaseCommand):
    help = (
        "Issue a new API key for a machine channel and print it once (only its hash is kept; "
        "the previous key stops working), or revoke the channel's key with --revoke."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="the channel's code, e.g. wechat_pingshan")
        parser.add_argument(
            "--revoke", action="store_true", help="revoke the current key, issue none"
        )

    def handle(self, *args, code, revoke=False, **options):
        channel = Channel.objects.filter(code=code).first()
        if channel is None:
            known = ", ".join(Channel.objects.values_list("code", flat=True)) or "none"
            raise CommandError(f"No channel with the code {code!r} (known: {known}).")
        if revoke:
            if channels.revoke_key(channel):
                self.stdout.write(f"The API key of {channel.code} ({channel.name}) is revoked.")
            else:
                self.stdout.write(f"{channel.code} ({channel.name}) had no working API key.")
            return
        try:
            key = channels.issue_key(channel)
        except channels.KeyNotAllowed as exc:
            raise CommandError(str(exc)) from exc
        # The key alone on stdout (scripts capture it); the notice goes to stderr.
        self.stderr.write(
            f"New API key for {channel.code} ({channel.name}); it is shown only this once, "
            "and the previous key no longer works:"
        )
        self.stdout.write(key)
