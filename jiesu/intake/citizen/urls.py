# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Citizen pages, at the site root inside i18n_patterns (Chinese at /, English at /en/)."""

from django.urls import path

from jiesu.intake.citizen import views

app_name = "citizen"

urlpatterns = [
    path("", views.home, name="home"),
    path("report/", views.report, name="report"),
    path("report/done/<str:token>/", views.report_done, name="report-done"),
    path("report/photo/<int:pk>/", views.pending_photo, name="pending-photo"),
    path("track/", views.track, name="track"),
    path("track/<str:number>/", views.track_detail, name="track-detail"),
    path("track/<str:number>/status/", views.track_status, name="track-status"),
    path("track/<str:number>/rate/", views.rate, name="rate"),
    path("track/<str:number>/photo/<int:pk>/", views.track_photo, name="track-photo"),
]
