# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""What the console keeps of its own: saved search filters and the record of every export."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedFilter(models.Model):
    """A staff member's named search: the search page's query string, re-applied with one click."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="saved_filters",
    )
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(_("query string"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("saved at"), auto_now=True)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["user", "name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="console_savedfilter_unique_name")
        ]

    def __str__(self):
        return self.name


class ExportLog(models.Model):
    """One export of appeal data from the console (an audit note; never edited)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("username (as recorded)"), max_length=150)
    query = models.CharField(_("filter"), max_length=2000, blank=True)
    row_count = models.PositiveIntegerField(_("rows"))
    masked = models.BooleanField(_("contact data masked"), default=True)
    created_at = models.DateTimeField(_("exported at"), db_index=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.username} {self.created_at:%Y-%m-%d %H:%M} ({self.row_count})"
