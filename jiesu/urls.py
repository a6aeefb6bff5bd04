# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from jiesu.intake.api.views import ApiReferenceView
from jiesu.ops.metrics import metrics
from jiesu.views import favicon, healthz

admin.site.site_header = admin.site.site_title = "接诉 Jiesu"
admin.site.index_title = "参考数据管理"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("metrics", metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/insights/", include("jiesu.insights.api_urls")),
    path("api/v1/", include("jiesu.intake.api.urls")),
    path("open311/", include("jiesu.intake.open311.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", ApiReferenceView.as_view(url_name="schema"), name="api-docs"),
    # "/" is the citizen landing page: jiesu.intake.citizen, in i18n_patterns below.
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("console/insights/", include("jiesu.insights.urls")),
    path("console/", include("jiesu.console.urls")),
    # Citizen pages: 随手拍 submission, public tracking, rating.
    path("", include("jiesu.intake.citizen.urls")),
    prefix_default_language=False,
)

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
