from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """Operations: the metrics endpoint, structured logs, backups. Below every room (it reads
    their state for the metrics); no models."""

    name = "jiesu.ops"
    label = "ops"
    verbose_name = _("Operations")
