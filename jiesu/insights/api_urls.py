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
]
