# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Settings of the rewards room, with safe embedded defaults.

`settings.JIESU_REWARDS` (filled from the environment in `jiesu/settings.py`) overrides these
key by key; `WECHAT` is merged key by key too. Read at every call, never cached.

Secrets (the merchant's private key, the APIv3 key) are never in the settings file or the
repository: they are read from files whose paths come from the environment, or from the
environment itself (see docs/operations.md, "Reward payouts").
"""

from copy import deepcopy
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS = {
    # "embedded" (the demo's own book, nothing leaves the machine), "wechat" (WeChat Pay
    # merchant transfer, API v3), or the dotted path of a `Provider` subclass.
    "PROVIDER": "embedded",
    # Seconds to wait after the 1st, 2nd, … failed attempt; the last value repeats.
    "BACKOFF": [60, 300, 1800, 7200, 43200],
    # Attempts before a payout is given up (its reservation is then released).
    "MAX_ATTEMPTS": 8,
    # Seconds a worker may hold a claimed payout before another may take it over.
    "LEASE": 300,
    # Seconds between two status queries of a transfer the provider accepted but has not
    # finished.
    "POLL": 60,
    # Seconds a provider call may take.
    "TIMEOUT": 10,
    "BATCH": 50,
    # Prefix of the request ids (out_batch_no / out_detail_no): unique per installation.
    "REQUEST_PREFIX": "JS",
    "WECHAT": {
        "BASE_URL": "https://api.mch.weixin.qq.com",
        "MCHID": "",
        "APPID": "",
        # The merchant API certificate's serial number and private key (PEM file).
        "SERIAL_NO": "",
        "PRIVATE_KEY_FILE": "",
        # The APIv3 key (decrypts the platform certificates): a file, or the value itself.
        "APIV3_KEY_FILE": "",
        "APIV3_KEY": "",
        # Platform certificates (PEM files) trusted without downloading, by serial number:
        # {"<serial>": "/path/cert.pem"}; others are fetched from /v3/certificates.
        "PLATFORM_CERTS": {},
        "TRANSFER_SCENE_ID": "",
        "BATCH_NAME": "接诉红包",
        "REMARK": "诉求奖励",
    },
}


def config() -> dict:
    merged = deepcopy(DEFAULTS)
    for key, value in (getattr(settings, "JIESU_REWARDS", None) or {}).items():
        if key == "WECHAT" and isinstance(value, dict):
            merged["WECHAT"].update(value)
        else:
            merged[key] = value
    return merged


def backoff(attempts: int, schedule=None) -> timedelta:
    schedule = list(schedule if schedule is not None else config()["BACKOFF"]) or [60]
    index = min(max(attempts, 1), len(schedule)) - 1
    return timedelta(seconds=float(schedule[index]))


def secret(value: str, path: str, name: str) -> bytes:
    """A secret from its file (preferred) or its value; ImproperlyConfigured if neither."""
    if path:
        try:
            return Path(path).read_bytes().strip()
        except OSError as e:
            raise ImproperlyConfigured(f"{name}: cannot read {path}: {e}") from None
    if value:
        return value.encode()
    raise ImproperlyConfigured(f"{name} is not configured.")
