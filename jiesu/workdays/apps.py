# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
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
