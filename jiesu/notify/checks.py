# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""System checks: the configured adapters exist and have what they need."""

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from jiesu.notify import conf

GUIDE = "See docs/guide/notifications.md."


@checks.register()
def check_adapters(app_configs=None, **kwargs):
    from jiesu.notify.adapters import get_adapter
    from jiesu.notify.models import Notification

    messages = []
    cfg = conf.config()
    for channel in Notification.Channel.values:
        if channel == Notification.Channel.IN_APP:
            continue
        try:
            adapter = get_adapter(channel, cfg)
        except ImproperlyConfigured as e:
            messages.append(checks.Error(str(e), hint=GUIDE, id="notify.E001"))
            continue
        for problem in adapter.check():
            messages.append(checks.Warning(problem, hint=GUIDE, id="notify.W001"))
    schedule = cfg["BACKOFF"]
    if not schedule or any(float(s) <= 0 for s in schedule) or int(cfg["MAX_ATTEMPTS"]) < 1:
        messages.append(
            checks.Error(
                "JIESU_NOTIFY BACKOFF must be a list of positive seconds and MAX_ATTEMPTS at "
                "least 1.",
                hint=GUIDE,
                id="notify.E002",
            )
        )
    return messages
