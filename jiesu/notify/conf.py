# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Settings of the notify room, with safe embedded defaults.

`settings.JIESU_NOTIFY` (a dict, normally filled from the environment in `jiesu/settings.py`)
overrides these defaults key by key; the dicts of one level below (`ADAPTERS`, `SMS`, `WECHAT`,
`EMAIL`, `WEBHOOK`) are merged key by key too, so a deployment sets only what differs.

The values are read at every call, never cached, so that `override_settings` and a changed
environment after a restart take effect without further ado.
"""

from copy import deepcopy
from datetime import timedelta
from pathlib import Path

from django.conf import settings

DEFAULTS = {
    # The adapter of each channel: "file" (one JSON line per message under OUTBOX_DIR),
    # "console" (the same line on standard output), "http" (the channel's HTTP API: SMS gateway,
    # WeChat template message, webhook), "django" (e-mail through Django's mail backend), or the
    # dotted path of an `Adapter` subclass. In-app messages need no adapter.
    "ADAPTERS": {
        "sms": "file",
        "wechat": "file",
        "email": "file",
        "webhook": "http",
    },
    # Where the file adapter writes <channel>.log (default: <JIESU_VAR_DIR>/outbox).
    "OUTBOX_DIR": "",
    # Seconds to wait after the 1st, 2nd, … failed attempt; the last value repeats.
    "BACKOFF": [60, 300, 1800, 7200, 43200],
    # Attempts (the first one included) before a message is given up (`dead`).
    "MAX_ATTEMPTS": 6,
    # Seconds a worker may hold a claimed message (`sending`) before another may take it over.
    "LEASE": 600,
    # Seconds an HTTP adapter waits for the receiver.
    "TIMEOUT": 10,
    # Messages one delivery run claims at a time.
    "BATCH": 100,
    # Seconds one `deliver_outbox` task keeps delivering while more messages are due.
    "TASK_TIME_BUDGET": 50,
    # Given to every template as {{ site_name }} and {{ tracking_url }}.
    "SITE_NAME": "接诉",
    "TRACKING_URL": "",
    "SMS": {
        # A JSON API shaped like the Chinese cloud SMS services (see docs/guide/notifications.md).
        "URL": "",
        "ACCESS_KEY_ID": "",
        "ACCESS_KEY_SECRET": "",
        "SIGN_NAME": "接诉",
        # Event code → the template code approved by the provider, e.g.
        # {"citizen.accepted": "SMS_270001"}; events without one use DEFAULT_TEMPLATE.
        "TEMPLATES": {},
        "DEFAULT_TEMPLATE": "",
        # The facts passed as template parameters (besides `content`, the rendered text). Not the
        # appeal's title: the provider gets no more of the appeal than the texts need.
        "PARAMS": ["number", "status", "unit", "due", "into", "reason", "reply"],
        # Error codes after which retrying cannot help: the message is given up at once.
        "PERMANENT_ERRORS": ["isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT"],
    },
    "WECHAT": {
        "URL": "https://api.weixin.qq.com/cgi-bin/message/template/send",
        "ACCESS_TOKEN": "",
        # Event code → template id, or {"template_id": …, "fields": {template key: context key},
        # "url": link}; events without one use DEFAULT_TEMPLATE.
        "TEMPLATES": {},
        "DEFAULT_TEMPLATE": "",
        # Longest value of one data field (WeChat refuses longer "thing" values).
        "FIELD_MAX": 20,
        "PERMANENT_ERRORS": [40003, 43004, 43101],
    },
    "EMAIL": {
        # The sender; empty means settings.DEFAULT_FROM_EMAIL.
        "FROM": "",
        # The domain part of the stable Message-ID (<hash@domain>).
        "MESSAGE_ID_DOMAIN": "jiesu.invalid",
    },
    "WEBHOOK": {
        # Used when a webhook row carries no URL of its own.
        "URL": "",
        # Shared secret of the HMAC-SHA256 signature header; empty: requests are not signed.
        "SECRET": "",
    },
}

SUBSECTIONS = ("ADAPTERS", "SMS", "WECHAT", "EMAIL", "WEBHOOK")


def config() -> dict:
    """The effective settings: the defaults overridden by `settings.JIESU_NOTIFY`."""
    merged = deepcopy(DEFAULTS)
    overrides = getattr(settings, "JIESU_NOTIFY", None) or {}
    for key, value in overrides.items():
        if key in SUBSECTIONS and isinstance(value, dict):
            merged[key].update(value)
        else:
            merged[key] = value
    if not merged["OUTBOX_DIR"]:
        var_dir = getattr(settings, "VAR_DIR", None) or Path(settings.BASE_DIR) / "var"
        merged["OUTBOX_DIR"] = str(Path(var_dir) / "outbox")
    return merged


def backoff(attempts: int, schedule=None) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt (1 for the first)."""
    schedule = list(schedule if schedule is not None else config()["BACKOFF"]) or [60]
    index = min(max(attempts, 1), len(schedule)) - 1
    return timedelta(seconds=float(schedule[index]))
