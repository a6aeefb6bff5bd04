# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The insights desks, mounted at /console/insights/ (namespace "insights")."""

from django.urls import path

from jiesu.insights import reports, views

app_name = "insights"

urlpatterns = [
    path("", views.overview_page, name="overview"),
    path("ranking/", views.ranking_page, name="ranking"),
    path("trends/", views.trends_page, name="trends"),
    path("hotspots/", views.hotspots_page, name="hotspots"),
    path("trends/<str:by>.<str:fmt>", views.trend_export, name="trend_export"),
    path("regions.geojson", views.regions_geojson, name="regions"),
    path("export.<str:fmt>", views.kpi_export, name="export"),
    path("hotspots/<str:table>.<str:fmt>", views.hotspot_export, name="hotspot_export"),
    path("reports/", reports.report_list, name="reports"),
    path("reports/<str:kind>/", reports.report_page, name="report"),
    path("reports/<str:kind>/pdf/", reports.report_pdf, name="report_pdf"),
    path("recommendations/<int:pk>/", reports.recommendation, name="recommendation"),
]
