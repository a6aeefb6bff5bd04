# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""What an Open311 client sent that the appeal itself does not keep.

An appeal filed through `POST requests` gets one `Open311Request` row in the same transaction:
the service code as submitted, the Open311-only location and media fields, the attribute
answers, and a token for `GET tokens/{token}`. Reporter contact data (email, device_id,
account_id) is deliberately not kept here: the appeal holds the reporter, masked as everywhere.
"""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiesu.appeals.models import Appeal
from jiesu.intake.models import Channel


def new_token() -> str:
    return secrets.token_urlsafe(16)


class Open311Request(models.Model):
    appeal = models.OneToOneField(
        Appeal, verbose_name=_("appeal"), on_delete=models.PROTECT, related_name="open311"
    )
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="+"
    )
    token = models.CharField(_("token"), max_length=32, unique=True, default=new_token)
    service_code = models.CharField(_("service code as submitted"), max_length=32)
    jurisdiction_id = models.CharField(_("jurisdiction_id"), max_length=100, blank=True)
    address_id = models.CharField(_("address_id"), max_length=64, blank=True)
    media_url = models.URLField(_("media_url"), max_length=500, blank=True)
    attributes = models.JSONField(_("attribute answers"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 request")
        verbose_name_plural = _("Open311 requests")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Open311 {self.appeal.number}"
