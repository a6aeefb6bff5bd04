# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Jiesu's own settings (`settings.JIESU`, filled from the environment in jiesu/settings.py),
read in one way by every room: `setting("MAX_EXTENSION_DAYS", 15)`."""

from django.conf import settings

#: The district's time zone: settings.TIME_ZONE, and the time of log lines written where
#: Django's settings are not loaded (gunicorn's master process).
TIME_ZONE = "Asia/Shanghai"


def setting(name: str, default):
    """`settings.JIESU[name]`, or `default` when it is not set (read at each call, so tests and
    administrators changing the settings are seen at once)."""
    return getattr(settings, "JIESU", {}).get(name, default)
