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
