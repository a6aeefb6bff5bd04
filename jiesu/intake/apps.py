# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "jiesu.intake"
    label = "intake"
    verbose_name = _("Intake channels")

    def ready(self):
        from jiesu.intake import channels
        from jiesu.intake.models import Channel

        post_save.connect(channels.channels_changed, sender=Channel, dispatch_uid="intake.ch.saved")
        post_delete.connect(
            channels.channels_changed, sender=Channel, dispatch_uid="intake.ch.deleted"
        )
        from jiesu.catalog.models import AppealType, Category, Grade, HandlingRule
        from jiesu.intake.open311 import catalogue

        for model in (Category, HandlingRule, AppealType, Grade):
            for signal, what in ((post_save, "saved"), (post_delete, "deleted")):
                signal.connect(
                    catalogue.catalogue_changed,
                    sender=model,
                    dispatch_uid=f"intake.open311.{model.__name__}.{what}",
                )
