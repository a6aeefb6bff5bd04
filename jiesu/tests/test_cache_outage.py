# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A stopped Redis degrades the service instead of stopping it (jiesu.cache)."""

import json
import logging

import pytest
from django.test import override_settings

from jiesu.appeals.models import Appeal
from jiesu.intake import channels
from jiesu.intake.models import Channel

redis = pytest.importorskip("redis")
DOWN = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
UP = "redis://127.0.0.1:6379/13"


def redis_cache(location):
    return override_settings(
        CACHES={"default": {"BACKEND": "jiesu.cache.ResilientRedisCache", "LOCATION": location}}
    )


@pytest.fixture
def limited_channel(db):
    channel = Channel.objects.create(
        code="app_limited",
        name="限流渠道",
        kind=Channel.Kind.APP,
        is_machine=True,
        rate_limit_per_minute=1,
    )
    return channel, channels.issue_key(channel)


def submit(client, key, n):
    return client.post(
        "/api/v1/appeals/",
        json.dumps({"title": f"井盖缺失 {n}", "description": "某路口井盖缺失", "anonymous": True}),
        content_type="application/json",
        HTTP_X_API_KEY=key,
    )


def test_while_redis_is_down_appeals_are_still_filed_and_the_outage_is_logged(
    client, limited_channel, caplog
):
    _, key = limited_channel
    with redis_cache(DOWN), caplog.at_level(logging.ERROR, logger="jiesu.cache"):
        first, second = submit(client, key, 1), submit(client, key, 2)
        health = client.get("/healthz").json()
    # Limits fail open: both filed (with Redis up, the second would be 429).
    assert (first.status_code, second.status_code) == (201, 201)
    assert Appeal.objects.count() == 2
    assert "cannot be reached" in caplog.text
    assert health["status"] == "degraded" and health["cache"] == "unreachable"


def test_when_redis_is_back_limits_count_again(client, limited_channel):
    try:
        redis.Redis.from_url(UP, socket_connect_timeout=2).flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    _, key = limited_channel
    with redis_cache(UP):
        first, second = submit(client, key, 1), submit(client, key, 2)
        health = client.get("/healthz").json()
    assert (first.status_code, second.status_code) == (201, 429)
    assert health["status"] == "ok" and health["cache"] == "ok"
    redis.Redis.from_url(UP).flushdb()
