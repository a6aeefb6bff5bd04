from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    name = "jiesu.console"
    label = "console"
    verbose_name = _("Staff console")
