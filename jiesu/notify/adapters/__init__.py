# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Delivery adapters, one per channel, chosen by settings (`JIESU_NOTIFY["ADAPTERS"]`).

Names: "file" and "console" for every channel; "http" for SMS (cloud SMS API), WeChat (template
message API) and webhook; "django" (alias "smtp") for e-mail; or the dotted path of an `Adapter`
subclass for anything else.
"""

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from jiesu.notify import conf
from jiesu.notify.adapters.base import Adapter, DeliveryError, Message, external_id
from jiesu.notify.adapters.email import DjangoEmailAdapter
from jiesu.notify.adapters.file import ConsoleAdapter, FileAdapter
from jiesu.notify.adapters.sms import SmsHttpAdapter
from jiesu.notify.adapters.webhook import WebhookAdapter
from jiesu.notify.adapters.wechat import WechatTemplateAdapter

__all__ = ["Adapter", "DeliveryError", "Message", "external_id", "get_adapter", "BUILTIN"]

# (channel, name) → adapter class; (None, name) serves every channel.
BUILTIN = {
    (None, "file"): FileAdapter,
    (None, "console"): ConsoleAdapter,
    ("sms", "http"): SmsHttpAdapter,
    ("wechat", "http"): WechatTemplateAdapter,
    ("webhook", "http"): WebhookAdapter,
    ("email", "django"): DjangoEmailAdapter,
    ("email", "smtp"): DjangoEmailAdapter,
}


def adapter_class(channel: str, name: str) -> type[Adapter]:
    cls = BUILTIN.get((channel, name)) or BUILTIN.get((None, name))
    if cls is None and "." in name:
        try:
            cls = import_string(name)
        except ImportError as e:
            raise ImproperlyConfigured(f"Notification adapter {name!r}: {e}") from e
        if not (isinstance(cls, type) and issubclass(cls, Adapter)):
            raise ImproperlyConfigured(f"{name!r} is not a notification Adapter subclass.")
    if cls is None:
        choices = sorted({n for (c, n) in BUILTIN if c in (None, channel)})
        raise ImproperlyConfigured(
            f"Unknown adapter {name!r} for channel {channel!r}; choose one of {choices} "
            "or give the dotted path of an Adapter subclass."
        )
    return cls


def get_adapter(channel: str, config: dict | None = None) -> Adapter:
    """The adapter configured for `channel` (raises ImproperlyConfigured if there is none)."""
    config = config if config is not None else conf.config()
    name = config["ADAPTERS"].get(channel)
    if not name:
        raise ImproperlyConfigured(f"No notification adapter is configured for {channel!r}.")
    return adapter_class(channel, name)(channel, config)
