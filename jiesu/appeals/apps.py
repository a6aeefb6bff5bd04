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


class AppealsConfig(AppConfig):
    name = "jiesu.appeals"
    label = "appeals"
    verbose_name = _("Appeals")

    def ready(self):
        from jiesu.appeals import checks, clocks  # noqa: F401 (checks registers itself)
        from jiesu.workdays.signals import calendar_changed

        # Deadlines computed on the provisional calendar are recomputed when it changes.
        calendar_changed.connect(
            clocks._calendar_changed, dispatch_uid="appeals-recompute-provisional"
        )
