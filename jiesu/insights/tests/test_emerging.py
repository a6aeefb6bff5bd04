# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Emerging issues 新发问题: a category x subdistrict above its own baseline (a Poisson upper
tail with a Bonferroni correction, numbers worked out by hand), topic clusters of similar
appeals, and the supervisors told once per issue through the notify outbox."""

import math
from datetime import datetime, timedelta

import pytest

from jiesu.appeals import timesource, workflow
from jiesu.appeals.tests.conftest import SHANGHAI, SQUARE, new_appeal, world  # noqa: F401
from jiesu.catalog.models import Category
from jiesu.insights import alerts, hotspots, kpis, topics
from jiesu.insights.models import EmergingFlag
from jiesu.notify.models import Notification
from jiesu.org.models import Region

# Wednesday 25 November 2026: this week runs from Monday 23 November.
WEDNESDAY = datetime(2026, 11, 25, 15, 0, tzinfo=SHANGHAI)
DAY = WEDNESDAY.date()


def _file(w, when, category, **kwargs):
    with timesource.frozen_at(when):
        appeal = new_appeal(w, **kwargs)
        return workflow.register(
            appeal, w.u("intake"), appeal_type=w.complaint, category=category, grade=w.grade_c
        )


@pytest.fixture
def rising(world):  # noqa: F811
    """Subdistrict 坪山街道 covers the whole map. 环境卫生 (0101): one appeal a week in each of
    the 8 weeks before this one, then 6 on Monday to Wednesday of this week. 道路设施 (0201):
    two a week all along, and one so far this week."""
    Region.objects.create(
        code="440310001",
        name="坪山街道",
        level=Region.Level.SUBDISTRICT,
        parent=world.district,
        boundary=SQUARE,
    )
    major = Category.objects.create(code="02", name="市政设施", level=1)
    middle = Category.objects.create(code="0201", name="道路设施", level=2, parent=major)
    road = Category.objects.create(code="0201001", name="井盖缺失", level=3, parent=middle)
    monday = WEDNESDAY - timedelta(days=2)
    for week in range(1, 9):
        start = monday - timedelta(weeks=week)
        _file(world, start + timedelta(days=1), world.leaf, title=f"垃圾清运不及时{week}")
        _file(world, start + timedelta(days=2), road, title=f"路面破损{week}a")
        _file(world, start + timedelta(days=3), road, title=f"路面破损{week}b")
    similar = [
        "和平路口井盖缺失行人摔伤",
        "和平路路口井盖缺失有人摔伤",
        "和平路口的井盖缺失已经有行人摔伤",
        "和平路口井盖缺失多日行人摔伤",
        "反映和平路口井盖缺失行人摔伤",
        "和平路口井盖缺失导致行人摔伤",
    ]
    for i, title in enumerate(similar):
        _file(
            world,
            monday + timedelta(days=i // 3, hours=i % 3),
            world.leaf,
            title=title,
            description="和平路口的井盖丢失，晚上看不见，已经有人摔倒受伤，请尽快处理。",
            reporter_phone=f"1390000{i:04d}",
        )
    _file(world, monday + timedelta(hours=5), road, title="路面破损本周")
    return world


def _poisson_tail(count, mean):
    """P(X >= count) for X ~ Poisson(mean), by hand."""
    return 1 - sum(math.exp(-mean) * mean**k / math.factorial(k) for k in range(count))


def test_the_rising_pair_is_flagged_with_its_hand_worked_test(rising):
    result = hotspots.emerging(rising.u("analyst"), DAY)
    assert result["week"] == "2026-11-23"
    # Two pairs seen in the nine weeks: 0101 x 坪山街道 and 0201 x 坪山街道.
    assert result["tests"] == 2
    [issue] = result["issues"]
    assert issue["category"]["code"] == "0101" and issue["region"]["code"] == "440310001"
    assert issue["count"] == 6
    # Baseline: (8 past appeals + 1) / 8 weeks, times 3 of 7 days of the week elapsed.
    baseline = 9 / 8 * 3 / 7
    assert issue["baseline"] == pytest.approx(round(baseline, 3))
    assert issue["p_value"] == pytest.approx(_poisson_tail(6, baseline), rel=1e-6)
    assert issue["p_value"] < 0.05 / 2
    assert len(issue["numbers"]) == 6


def test_each_issue_lists_its_own_appeals_read_at_once(rising):
    """The numbers behind every issue come from one read, however many issues there are (one
    query per issue made the hotspots page take seconds at a million appeals)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jiesu.insights import refresh

    analyst = rising.u("analyst")
    hotspots.emerging(analyst, DAY)  # the user's roles read once
    with CaptureQueriesContext(connection) as one:
        [issue] = hotspots.emerging(analyst, DAY)["issues"]
    road = Category.objects.get(code="0201001")
    monday = WEDNESDAY - timedelta(days=2)
    newer = [
        _file(rising, monday + timedelta(days=1, hours=i), road, title=f"路面塌陷{i}")
        for i in range(6)
    ]
    refresh.catch_up()
    with CaptureQueriesContext(connection) as two:
        issues = {i["category"]["code"]: i for i in hotspots.emerging(analyst, DAY)["issues"]}
    assert set(issues) == {"0101", "0201"}
    assert len(two.captured_queries) == len(one.captured_queries)
    # Newest first: this week's seven road appeals (six new, one from Monday).
    assert issues["0201"]["numbers"][:6] == [a.number for a in reversed(newer)]
    assert len(issues["0201"]["numbers"]) == 7
    assert issues["0101"]["numbers"] == issue["numbers"]
    assert not set(issues["0101"]["numbers"]) & set(issues["0201"]["numbers"])


def test_a_steady_pair_is_not_flagged(rising):
    # 道路设施: baseline (16 + 1) / 8 x 3/7 = 0.91 a week so far; 1 appeal is ordinary.
    baseline = 17 / 8 * 3 / 7
    assert _poisson_tail(1, baseline) > 0.05 / 2
    codes = {i["category"]["code"] for i in hotspots.emerging(rising.u("analyst"), DAY)["issues"]}
    assert "0201" not in codes


def test_a_spatial_hotspot_names_its_top_categories(rising):
    """The fixture's 31 appeals share one point; six more lie each in a cell of its own. The
    hot cell names its categories by code and name with their volumes, most first."""
    for i in range(6):
        _file(rising, WEDNESDAY, rising.leaf, title=f"散点{i}", lat=22.2 + 0.1 * i, lng=114.2)
    result = hotspots.spatial(rising.u("analyst"), DAY - timedelta(weeks=10), DAY)
    assert result["total"] == 37
    [hot] = result["hotspots"]
    assert hot["count"] == 31
    assert hot["categories"] == [
        {"code": "0201001", "name": "井盖缺失", "volume": 17},
        {"code": rising.leaf.code, "name": rising.leaf.name, "volume": 14},
    ]


def test_topic_cluster_of_similar_appeals(rising):
    found = topics.appeal_topics(None, DAY, scope=kpis.Scope_(True))
    [topic] = found
    assert topic.messages == 6 and topic.writers == 6
    assert "井盖" in topic.title
    assert topic.places == [("坪山街道", 6)]


def test_topics_are_kept_per_scope_and_day_for_a_few_minutes(rising, monkeypatch):
    """The page, its export and the API share one clustering per scope and day for
    TOPIC_CACHE_SECONDS (a clustering of thousands of texts takes about a second)."""
    from django.core.cache import cache

    _topic_keys = set()
    real_set = cache.set

    def remember(key, *args, **kwargs):
        if key.startswith("insights:topics:"):
            _topic_keys.add(key)
            assert args[1] == topics.TOPIC_CACHE_SECONDS == 300
        return real_set(key, *args, **kwargs)

    monkeypatch.setattr(cache, "set", remember)
    analyst, leader = rising.u("analyst"), rising.u("leader")
    with timesource.frozen_at(WEDNESDAY):
        [topic], at = topics.recent_topics(analyst, DAY)
    assert topic.messages == 6 and at == WEDNESDAY
    _file(
        rising,
        WEDNESDAY - timedelta(hours=1),
        rising.leaf,
        title="和平路口井盖缺失又有行人摔伤",
        description="和平路口的井盖丢失，晚上看不见，已经有人摔倒受伤，请尽快处理。",
        reporter_phone="13900009999",
    )
    for i in range(4):  # other matters (a gram in more than 30% of the texts says nothing)
        _file(rising, WEDNESDAY - timedelta(hours=2, minutes=i), rising.leaf, title=f"路灯不亮{i}")
    with timesource.frozen_at(WEDNESDAY + timedelta(minutes=1)):
        [kept], kept_at = topics.recent_topics(analyst, DAY)
        # Another scope is computed on its own (the leader's unit holds none of these).
        assert topics.recent_topics(leader, DAY)[0] == []
    assert kept.messages == 6 and kept_at == WEDNESDAY
    cache.delete_many(list(_topic_keys))  # as when TOPIC_CACHE_SECONDS have passed
    with timesource.frozen_at(WEDNESDAY + timedelta(minutes=6)):
        [fresh], fresh_at = topics.recent_topics(analyst, DAY)
    assert fresh.messages == 7 and fresh_at == WEDNESDAY + timedelta(minutes=6)


def test_supervisors_are_told_once_per_issue(rising):
    with timesource.frozen_at(WEDNESDAY):
        first = alerts.flag_emerging(DAY)
    assert first == {"ran": True, "flags": 2, "messages": 2}  # one supervisor, two issues
    kinds = set(EmergingFlag.objects.values_list("kind", flat=True))
    assert kinds == {"volume", "topic"}
    rows = Notification.objects.filter(event="supervisor.emerging_issue")
    assert {r.recipient_user.username for r in rows} == {"supervisor"}
    volume = rows.get(context__kind="volume")
    assert "环境卫生" in volume.context["title"] and "坪山街道" in volume.context["title"]
    # Half an hour later: nothing new; another similar appeal joins the known topic.
    later = WEDNESDAY + timedelta(minutes=31)
    _file(
        rising,
        later,
        rising.leaf,
        title="和平路口井盖缺失还没修",
        description="和平路口的井盖丢失，晚上看不见，已经有人摔倒受伤，请尽快处理。",
        reporter_phone="13900009999",
    )
    with timesource.frozen_at(later):
        again = alerts.flag_emerging(DAY)
    assert again == {"ran": True, "flags": 0, "messages": 0}
    assert rows.count() == 2


def test_the_search_runs_at_most_every_half_hour(rising):
    with timesource.frozen_at(WEDNESDAY):
        assert alerts.flag_emerging(DAY)["ran"]
    with timesource.frozen_at(WEDNESDAY + timedelta(minutes=10)):
        assert alerts.flag_emerging(DAY) == {"ran": False, "flags": 0, "messages": 0}


def test_the_message_reads_in_chinese(rising):
    with timesource.frozen_at(WEDNESDAY):
        alerts.flag_emerging(DAY)
    from jiesu.notify import inbox

    row = Notification.objects.filter(event="supervisor.emerging_issue").first()
    title, text = inbox.display(row)
    assert title.startswith("新发问题")
    assert "热点追踪" in text


def test_the_hotspots_page_shows_topics_and_flags(rising, client):
    with timesource.frozen_at(WEDNESDAY):
        alerts.flag_emerging(DAY)
        client.force_login(rising.u("supervisor"))
        page = client.get("/console/insights/hotspots/").content.decode()
    assert 'data-testid="topic"' in page and "和平路" in page
    assert "15:00" in page.split('data-testid="topics-at"')[1][:60]  # when they were computed
    assert page.count('data-testid="flag"') == 2
    with timesource.frozen_at(WEDNESDAY):
        client.force_login(rising.u("analyst"))
        page = client.get("/console/insights/hotspots/").content.decode()
    assert 'data-testid="topic"' in page
    assert 'data-testid="flag"' not in page  # the flags are the supervisors' business


def test_the_api_lists_emerging_issues_and_topics(rising, client):
    client.force_login(rising.u("analyst"))
    with timesource.frozen_at(WEDNESDAY):
        emerging = client.get("/api/v1/insights/emerging/").json()
        found = client.get("/api/v1/insights/topics/").json()
        bad = client.get("/api/v1/insights/topics/?day=yesterday")
    assert [i["category"]["code"] for i in emerging["issues"]] == ["0101"]
    assert found["day"] == "2026-11-25" and found["days"] == 28
    [topic] = found["topics"]
    assert topic["messages"] == 6 and topic["writers"] == 6
    assert topic["places"] == [{"name": "坪山街道", "messages": 6}]
    assert bad.status_code == 400
    client.force_login(rising.u("handler"))
    assert client.get("/api/v1/insights/topics/").status_code == 403
