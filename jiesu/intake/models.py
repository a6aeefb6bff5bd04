# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Intake channels and their submissions.

A channel is one door into the platform: the hotline, WeChat, the web page, an app, a mailbox,
grid patrols, the city 12345 platform, digital urban management. Machine channels authenticate
with an API key; only a keyed hash of the key is stored.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from jiesu.appeals.models import Appeal


class Channel(models.Model):
    class Kind(models.TextChoices):
        HOTLINE = "hotline", _("Hotline")
        WECHAT = "wechat", _("WeChat")
        WEB = "web", _("Web")
        APP = "app", _("Mobile app")
        MAILBOX = "mailbox", _("Mailbox")
        GRID_PATROL = "grid_patrol", _("Grid patrol")
        CITY_12345 = "city_12345", _("City 12345 platform")
        URBAN_MANAGEMENT = "urban_management", _("Digital urban management")
        OTHER = "other", _("Other")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    # Unique: operators pick channels by name in filters, reports and the intake form.
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    is_machine = models.BooleanField(
        _("machine channel"),
        default=False,
        help_text=_("Submits through the API with its own key (e.g. an app or a platform)."),
    )
    # API key: only a prefix (to find the key) and a keyed hash are stored.
    key_prefix = models.CharField(max_length=12, blank=True, db_index=True, editable=False)
    key_hash = models.CharField(max_length=128, blank=True, editable=False)
    key_created_at = models.DateTimeField(_("key issued at"), null=True, blank=True)
    key_revoked_at = models.DateTimeField(_("key revoked at"), null=True, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField(
        _("submissions per minute"), default=60, help_text=_("0 means no limit.")
    )
    max_attachments = models.PositiveSmallIntegerField(_("attachments per appeal"), default=9)
    max_attachment_mb = models.PositiveSmallIntegerField(_("largest attachment (MB)"), default=10)
    allow_video = models.BooleanField(_("videos allowed"), default=False)
    sort_order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class ChannelSubmission(models.Model):
    """A channel's submission, keyed by the idempotency key the channel sent with it.

    A retried submission with the same key returns the first appeal instead of filing a second.
    """

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="submissions")
    idempotency_key = models.CharField(_("idempotency key"), max_length=128)
    request_digest = models.CharField(max_length=64, help_text=_("SHA-256 of the submitted data"))
    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="submissions")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel submission")
        verbose_name_plural = _("channel submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "idempotency_key"], name="intake_submission_idempotent"
            )
        ]
        indexes = [
            # Open311 finds an identical earlier POST by the prefix of its derived key
            # (`open311:<digest>:`); PostgreSQL answers a prefix (LIKE) from a btree only in
            # pattern order, so without this the lookup read every submission of the channel.
            models.Index(
                fields=["idempotency_key"],
                name="intake_submission_key_prefix",
                opclasses=["varchar_pattern_ops"],
            )
        ]

    def __str__(self):
        return f"{self.channel.code}:{self.idempotency_key} → {self.appeal}"
