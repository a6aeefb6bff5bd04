# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.conf import settings

from jiesu.console.navigation import desks_for

# Seconds between two refreshes of a workbench list (htmx polling); tests may set it lower.
DEFAULT_POLL_SECONDS = 30


def poll_seconds() -> int:
    value = getattr(settings, "JIESU", {}).get("CONSOLE_POLL_SECONDS", DEFAULT_POLL_SECONDS)
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return DEFAULT_POLL_SECONDS


def console(request):
    if not request.path.startswith(("/console", "/en/console")):
        return {}
    user = request.user
    return {
        "console_desks": desks_for(user) if user.is_authenticated else [],
        "console_poll_seconds": poll_seconds(),
    }
