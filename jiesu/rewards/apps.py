from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RewardsConfig(AppConfig):
    name = "jiesu.rewards"
    label = "rewards"
    verbose_name = _("Rewards")

    def ready(self):
        from jiesu.appeals import hooks
        from jiesu.rewards import decisions

        hooks.appeal_event.connect(decisions.on_appeal_event, dispatch_uid="rewards.decide")
