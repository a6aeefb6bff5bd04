from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "jiesu.insights"
    label = "insights"
    verbose_name = _("Insights")

    def ready(self):
        from jiesu.appeals.hooks import appeal_event
        from jiesu.insights import facts

        # Every change to an appeal marks it for the fact refresh (one row, same transaction).
        appeal_event.connect(facts.mark_changed, dispatch_uid="insights.mark_changed")
