# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Helpers shared by the API and channel tests (test_api_*.py, test_channels*.py).

The workflow tests' world (jiesu/appeals/tests/conftest.py) plus machine channels with keys
and REST framework test clients that speak as a channel or as a staff member."""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.cache import cache
from PIL import Image
from rest_framework.test import APIClient

from jiesu.appeals import timesource
from jiesu.appeals.tests.conftest import MONDAY_10, build_world
from jiesu.intake import channels
from jiesu.intake.models import Channel

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
T0 = MONDAY_10
LIST_URL = "/api/v1/appeals/"


def make_world(settings):
    """The workflow tests' world, with fast password hashing and an empty rate-limit cache."""
    settings.PASSWORD_HASHERS = FAST_HASHERS
    cache.clear()
    return build_world()


def machine_channel(code="wechat_pingshan", **kwargs) -> tuple[Channel, str]:
    # Channel names are unique: the default one carries the code.
    values = {"name": f"@坪山 {code}", "kind": Channel.Kind.WECHAT, "is_machine": True}
    values.update(kwargs)
    channel = Channel.objects.create(code=code, **values)
    return channel, channels.issue_key(channel)


def key_client(key: str, language: str = "zh-hans", header: str = "authorization") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    if header == "authorization":
        client.credentials(HTTP_AUTHORIZATION=f"ApiKey {key}")
    else:
        client.credentials(HTTP_X_API_KEY=key)
    return client


def staff_client(user, language: str = "zh-hans") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user=user)
    return client


def session_client(user, language: str = "zh-hans", csrf: bool = True) -> APIClient:
    client = APIClient(enforce_csrf_checks=csrf, HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def body(**overrides) -> dict:
    data = {
        "title": "小区门口垃圾堆积",
        "description": "坪山街道某小区门口垃圾三天没人清理，气味很大。",
        "reporter_name": "张三",
        "reporter_phone": "13800001234",
        "lat": 22.7,
        "lng": 114.35,
        "address": "坪山街道某小区",
    }
    data.update(overrides)
    return data


def jpeg(name="photo.jpg", size=(64, 48), color=(200, 30, 30)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def fake_pdf(name="photo.jpg") -> io.BytesIO:
    buffer = io.BytesIO(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n")
    buffer.name = name
    return buffer


def at(minutes: float = 0):
    """Run at T0 + minutes on the workflow's virtual clock."""
    return timesource.frozen_at(T0 + timedelta(minutes=minutes))


def error(response) -> dict:
    data = response.json()
    assert set(data) == {"error"}, data
    return data["error"]


def field_codes(response) -> dict:
    return {name: [e["code"] for e in errs] for name, errs in error(response)["fields"].items()}
