from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppealsConfig(AppConfig):
    name = "jiesu.appeals"
    label = "appeals"
    verbose_name = _("Appeals")

    def ready(self):
        from jiesu.appeals import clocks
        from jiesu.workdays.signals import calendar_changed

        # Deadlines computed on the provisional calendar are recomputed when it changes.
        calendar_changed.connect(
            clocks._calendar_changed, dispatch_uid="appeals-recompute-provisional"
        )
