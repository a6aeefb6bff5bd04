# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Fixtures of the notify tests: adapter settings, the local receiver, staff and units."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from jiesu.notify import outbox
from jiesu.notify.models import Notification
from jiesu.notify.tests import receiver as rx
from jiesu.org.models import Unit, User

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)
CONTEXT = {"number": "PS20261102000001", "title": "小区门口垃圾堆放", "status": "已受理"}


@pytest.fixture
def receiver():
    server = rx.Receiver().start()
    yield server
    server.stop()


def notify_settings(outbox_dir, receiver=None, **overrides) -> dict:
    """A JIESU_NOTIFY for tests: files under `outbox_dir`, HTTP adapters to `receiver`."""
    cfg = {
        "OUTBOX_DIR": str(outbox_dir),
        "ADAPTERS": {"sms": "file", "wechat": "file", "email": "file", "webhook": "http"},
        "TIMEOUT": 0.5,
        "WEBHOOK": {"SECRET": rx.HOOK_SECRET},
    }
    if receiver is not None:
        cfg["ADAPTERS"] = {"sms": "http", "wechat": "http", "email": "django", "webhook": "http"}
        cfg["SMS"] = {
            "URL": receiver.url("/sms"),
            "ACCESS_KEY_ID": rx.SMS_KEY_ID,
            "ACCESS_KEY_SECRET": rx.SMS_SECRET,
            "SIGN_NAME": "坪山区民生诉求",
            "TEMPLATES": {"citizen.accepted": "SMS_270001"},
            "DEFAULT_TEMPLATE": "SMS_270000",
        }
        cfg["WECHAT"] = {
            "URL": receiver.url("/wechat/send"),
            "ACCESS_TOKEN": rx.WECHAT_TOKEN,
            "DEFAULT_TEMPLATE": "TPL-generic",
        }
        cfg["WEBHOOK"] = {"SECRET": rx.HOOK_SECRET, "URL": receiver.url("/hook")}
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key] = {**cfg[key], **value}
        else:
            cfg[key] = value
    return cfg


@pytest.fixture
def files(settings, tmp_path):
    """Embedded mode: SMS and WeChat to JSON-line files under a temporary directory."""
    settings.JIESU_NOTIFY = notify_settings(tmp_path / "outbox")
    return tmp_path / "outbox"


@pytest.fixture
def http(settings, tmp_path, receiver):
    """Every channel through its real adapter to the local receiver."""
    settings.JIESU_NOTIFY = notify_settings(tmp_path / "outbox", receiver)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return receiver


@pytest.fixture
def units(db):
    urban = Unit.objects.create(code="D01", name="城市管理局", kind=Unit.Kind.DEPARTMENT)
    team = Unit.objects.create(code="D01-T1", name="执法队", kind=Unit.Kind.TEAM, parent=urban)
    water = Unit.objects.create(code="D02", name="水务局", kind=Unit.Kind.DEPARTMENT)
    return {"urban": urban, "team": team, "water": water}


@pytest.fixture
def staff(units, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    def make(username, unit, **fields):
        return User.objects.create_user(username=username, password="x", unit=unit, **fields)

    return {
        "handler": make("handler", units["urban"], phone="13900000001", email="h@example.org"),
        "leader": make("leader", units["urban"]),
        "team_handler": make("team_handler", units["team"]),
        "water_handler": make("water_handler", units["water"]),
    }


def sms(key="k1", address="13800001234", event="citizen.accepted", now=T0, **kwargs):
    return outbox.enqueue(
        event,
        channel=Notification.Channel.SMS,
        address=address,
        context=kwargs.pop("context", CONTEXT),
        subject_ref=CONTEXT["number"],
        idempotency_key=key,
        now=now,
        **kwargs,
    )


def row(pk) -> Notification:
    return Notification.objects.get(pk=pk)
