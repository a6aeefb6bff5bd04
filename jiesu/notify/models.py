# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The notification outbox.

Rooms that decide something worth telling someone write an outbox row in the same database
transaction as the decision (`jiesu.notify.outbox.enqueue`). A worker delivers the rows later
through an adapter (SMS, WeChat, e-mail, webhook; `jiesu.notify.delivery`); in-app rows are
delivered by being visible (`jiesu.notify.inbox`). This room knows nothing of appeals: a row
carries an event code, a recipient and a JSON context for the message template.

Life of a row: pending → sending (claimed by one worker, with a claim token and a lease) →
sent | failed (retried later with backoff) → … → dead (given up). A row whose worker died while
`sending` is claimed again once its lease has expired.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiesu.org.models import Unit


class Notification(models.Model):
    class Channel(models.TextChoices):
        IN_APP = "in_app", _("In-app")
        SMS = "sms", _("SMS")
        WECHAT = "wechat", _("WeChat template message")
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("notification status", "Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", pgettext_lazy("notification status", "Sent")
        FAILED = "failed", _("Failed (retrying)")
        DEAD = "dead", _("Given up")

    event = models.CharField(_("event"), max_length=64)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    # Exactly one kind of recipient: a staff user, a unit (all its staff), or an address
    # (a citizen's phone number, an e-mail address, a webhook URL).
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    recipient_unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit recipient"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    recipient_address = models.CharField(_("address"), max_length=255, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    context = models.JSONField(_("message context"), default=dict, blank=True)
    # What the message is about, for people reading the outbox (e.g. an appeal number).
    subject_ref = models.CharField(_("about"), max_length=64, blank=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # The claim of the worker delivering the row (status `sending`): a random token and the time
    # the worker last confirmed it (its lease runs from there).
    claim_token = models.CharField(_("claim token"), max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # The message as rendered at the first attempt; retries send exactly this text.
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"), blank=True)
    template = models.CharField(
        _("template"),
        max_length=150,
        blank=True,
        help_text=_("The template the text was rendered from (a generic one for unknown events)."),
    )
    # The receiver's reference for the message (an SMS gateway's BizId, a WeChat msgid, …).
    provider_ref = models.CharField(_("receiver's reference"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # In-app rows: when someone first read it (each reader's own reading is a `Reading`).
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        # Declared here rather than with `db_index`/`unique` on the fields: PostgreSQL then keeps
        # no LIKE (pattern_ops) copy of them, which no query reads and every message paid for
        # on insert (ADR 0029).
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["event"], name="notify_notification_event"),
            models.Index(fields=["subject_ref"], name="notify_notification_subject"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"], name="notify_notification_idempotency_unique"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(recipient_user__isnull=False)
                    | models.Q(recipient_unit__isnull=False)
                    | ~models.Q(recipient_address="")
                ),
                name="notify_notification_has_recipient",
            ),
        ]

    def __str__(self):
        return f"{self.event} → {self.recipient_label}"

    @property
    def recipient_label(self) -> str:
        if self.recipient_user_id:
            return str(self.recipient_user)
        if self.recipient_unit_id:
            return str(self.recipient_unit)
        return self.recipient_address


class Reading(models.Model):
    """One staff member has read one in-app notification.

    Per reader, because a row addressed to a unit is read by each of its staff on their own:
    one handler opening it must not hide it from the unit leader.
    """

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="readings"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_readings"
    )
    read_at = models.DateTimeField(_("read at"))

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "user"], name="notify_reading_once_per_user"
            )
        ]

    def __str__(self):
        return f"{self.user} read {self.notification_id}"
