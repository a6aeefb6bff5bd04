# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""URLs of the insights API, mounted at /api/v1/insights/ (namespace "insights-api")."""

from django.urls import path

from jiesu.insights import api

app_name = "insights-api"

urlpatterns = [
    path("kpis/", api.KpiView.as_view(), name="kpis"),
    path("overview/", api.OverviewView.as_view(), name="overview"),
    path("trends/", api.TrendView.as_view(), name="trends"),
    path("hotspots/", api.HotspotView.as_view(), name="hotspots"),
    path("emerging/", api.EmergingView.as_view(), name="emerging"),
    path("topics/", api.TopicView.as_view(), name="topics"),
]
