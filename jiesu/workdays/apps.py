from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "jiesu.workdays"
    label = "workdays"
    verbose_name = _("Working calendar")

    def ready(self):
        from django.core import checks
        from django.db.models.signals import post_delete, post_migrate, post_save

        from jiesu.workdays import calendar
        from jiesu.workdays.checks import check_calendar_coverage
        from jiesu.workdays.models import CalendarOverride, CoveredYear, WorkingPeriod

        for model in (CalendarOverride, CoveredYear, WorkingPeriod):
            uid = f"workdays-calendar-changed-{model._meta.model_name}"
            post_save.connect(calendar._calendar_data_changed, sender=model, dispatch_uid=uid)
            post_delete.connect(
                calendar._calendar_data_changed, sender=model, dispatch_uid=uid + "-delete"
            )
        # A flush (TransactionTestCase teardown) empties the tables without signals, then emits
        # post_migrate: drop the calendar this process holds.
        post_migrate.connect(
            calendar._forget_loaded_calendar, dispatch_uid="workdays-calendar-forget"
        )
        checks.register(check_calendar_coverage, "workdays")
