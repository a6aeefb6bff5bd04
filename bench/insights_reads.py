# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The insights figures of issue 11, measured in-process on whatever database Django uses:
`overview_ms` (指挥大屏), `ranking_ms` (考核排名, a year by unit), `hotspots_ms` (热点追踪) as the
analyst opens them, and `kpi_year_ms` (a year of KPIs by unit, computed), each with
`appeals_loaded`. Used by bench/run.py (its small database) and bench/scale.py (after the bulk
load, on PostgreSQL: the figures of the 10-million-appeal target)."""

from __future__ import annotations

import time
from datetime import timedelta
from statistics import median


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return round(median(samples) * 1000, 2)


def measure(repeat: int = 5, baseline_ms: float | None = None) -> dict:
    from django.test import Client
    from django.utils import timezone

    from jiesu.appeals.models import Appeal
    from jiesu.insights import kpis, overview, refresh, topics
    from jiesu.org.models import User

    refresh.catch_up()
    loaded = Appeal.objects.count()
    analyst_user = User.objects.get(username="analyst")
    analyst = Client(HTTP_HOST="localhost")
    analyst.force_login(analyst_user)
    results = {}
    for key, url in (
        ("overview_ms", "/console/insights/"),
        ("ranking_ms", "/console/insights/ranking/?period=year"),
        ("hotspots_ms", "/console/insights/hotspots/"),
    ):
        status = analyst.get(url, secure=True).status_code
        assert status == 200, (url, status)
        results[key] = {
            "value": _median_ms(lambda u=url: analyst.get(u, secure=True), repeat),
            "appeals_loaded": loaded,
        }
        if baseline_ms is not None:
            results[key]["baseline_healthz_ms"] = baseline_ms
    # The hotspots page keeps its topic clusters for a few minutes (topics.TOPIC_CACHE_SECONDS):
    # the figure above is the page as analysts open it again; this one is a view that clusters
    # afresh (the first in those minutes).
    from django.core.cache import cache

    def uncached():
        cache.delete(topics.cache_key(kpis.scope_for(analyst_user), overview.today()))
        analyst.get("/console/insights/hotspots/", secure=True)

    results["hotspots_uncached_ms"] = {
        "value": _median_ms(uncached, repeat),
        "appeals_loaded": loaded,
        "cache_seconds": topics.TOPIC_CACHE_SECONDS,
    }
    year_end = timezone.localdate()
    year_start = year_end - timedelta(days=364)
    scope = kpis.Scope_(True)
    results["kpi_year_ms"] = {
        "value": _median_ms(
            lambda: kpis.compute(year_start, year_end, scope=scope, by="unit"), repeat
        ),
        "appeals_loaded": loaded,
    }
    results["appeals_loaded"] = loaded
    return results
