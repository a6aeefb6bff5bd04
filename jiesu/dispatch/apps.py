from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "jiesu.dispatch"
    label = "dispatch"
    verbose_name = _("Dispatch")

    def ready(self):
        from jiesu.dispatch import receivers  # noqa: F401  (connects to appeals.hooks)
