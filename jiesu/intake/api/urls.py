# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""URLs of the native API, mounted at /api/v1/ (namespace "api")."""

from django.urls import path, re_path, register_converter

from jiesu.intake.api import views
from jiesu.intake.api.fields import APPEAL_NUMBER_PATTERN


class AppealNumberConverter:
    """Appeal numbers: letters, digits and dashes (PS20261102000001)."""

    regex = APPEAL_NUMBER_PATTERN

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(AppealNumberConverter, "appeal_number")

app_name = "api"

urlpatterns = [
    path("", views.ApiRootView.as_view(), name="root"),
    path("appeals/", views.AppealCollectionView.as_view(), name="appeal-list"),
    path("appeals/<appeal_number:number>/", views.AppealDetailView.as_view(), name="appeal-detail"),
    path(
        "appeals/<appeal_number:number>/history/",
        views.AppealHistoryView.as_view(),
        name="appeal-history",
    ),
    path(
        "appeals/<appeal_number:number>/unmask/",
        views.AppealUnmaskView.as_view(),
        name="appeal-unmask",
    ),
    *[
        path(
            f"appeals/<appeal_number:number>/actions/{name}/",
            view.as_view(),
            name=f"appeal-action-{name}",
        )
        for name, view in views.ACTION_VIEWS.items()
    ],
    path(
        "appeals/<appeal_number:number>/actions/<str:name>/",
        views.UnknownActionView.as_view(),
        name="appeal-action-unknown",
    ),
    path("attachments/", views.AttachmentUploadView.as_view(), name="attachment-upload"),
    re_path(r"^", views.NotFoundView.as_view(), name="not-found"),
]
