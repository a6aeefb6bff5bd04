from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "jiesu.org"
    label = "org"
    verbose_name = _("Organisation")

    def ready(self):
        from jiesu.org import geo
        from jiesu.org.models import Region

        post_save.connect(geo.regions_changed, sender=Region, dispatch_uid="org.regions.saved")
        post_delete.connect(geo.regions_changed, sender=Region, dispatch_uid="org.regions.deleted")
