# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Payout providers behind one small adapter (`base.Provider`), chosen by
`JIESU_REWARDS["PROVIDER"]`: "embedded", "wechat", or a dotted path."""

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from jiesu.rewards import conf
from jiesu.rewards.providers.base import (
    FAILED,
    PROCESSING,
    SUCCESS,
    Provider,
    ProviderError,
    Record,
    Result,
    Transfer,
)

__all__ = [
    "FAILED",
    "PROCESSING",
    "SUCCESS",
    "Provider",
    "ProviderError",
    "Record",
    "Result",
    "Transfer",
    "get_provider",
]

BUILTIN = {
    "embedded": "jiesu.rewards.providers.embedded.EmbeddedProvider",
    "wechat": "jiesu.rewards.providers.wechat.WechatTransferProvider",
}


def get_provider(config: dict | None = None, name: str | None = None) -> Provider:
    config = config if config is not None else conf.config()
    name = name or config["PROVIDER"]
    path = BUILTIN.get(name, name)
    try:
        cls = import_string(path)
    except ImportError as e:
        raise ImproperlyConfigured(
            f"Unknown reward provider {name!r}: choose embedded, wechat or a dotted path ({e})."
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise ImproperlyConfigured(f"{name!r} is not a reward Provider subclass.")
    return cls(config)
