# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jiesu.rewards.models import PayeeAccount


class Command(BaseCommand):
    help = (
        "Bind a reporter's phone number to the account a provider pays (a WeChat openid), as "
        "the WeChat channel does when a citizen links their account. Re-binding replaces."
    )

    def add_arguments(self, parser):
        parser.add_argument("phone")
        parser.add_argument("account", help="The provider's account id (WeChat: the openid).")
        parser.add_argument("--provider", default="wechat")
        parser.add_argument("--device", default="", help="The device it was bound from.")

    def handle(self, *args, phone, account, provider, device, **options):
        phone, account = phone.strip(), account.strip()
        if not phone.lstrip("+").isdigit():
            raise CommandError(f"Not a phone number: {phone!r}")
        if not account or len(account) > 64:
            raise CommandError("The account must be 1 to 64 characters.")
        _, created = PayeeAccount.objects.update_or_create(
            provider=provider,
            phone=phone,
            defaults={"account": account, "device": device[:64], "bound_at": timezone.now()},
        )
        self.stdout.write(("Bound" if created else "Re-bound") + f" {phone} → {provider}:{account}")
