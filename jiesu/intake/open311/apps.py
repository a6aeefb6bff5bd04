from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    """Open311 GeoReport v2: a sub-app of the intake room with its own table of what an
    Open311 client sent beyond the appeal itself (address_id, media_url, attributes, token)."""

    name = "jiesu.intake.open311"
    label = "open311"
    verbose_name = _("Open311 GeoReport v2")
