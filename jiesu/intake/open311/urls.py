# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Open311 GeoReport v2 under /open311/: the discovery document and the v2 endpoint.

The format is the resource's extension (`.xml` or `.json`); without one the answer is XML.
"""

from django.urls import path, re_path

from jiesu.intake.open311 import views

app_name = "open311"

FMT = r"(?:\.(?P<fmt>[A-Za-z0-9]+))?"
ITEM_FMT = r"(?:\.(?P<fmt>xml|json|XML|JSON))?"

urlpatterns = [
    re_path(rf"^discovery{FMT}$", views.discovery, name="discovery"),
    path("", views.discovery, name="home"),
    path("v2/", views.discovery, name="root"),
    re_path(rf"^v2/services{FMT}$", views.service_list, name="services"),
    re_path(rf"^v2/services/(?P<code>[^/]+?){ITEM_FMT}$", views.service_definition, name="service"),
    re_path(rf"^v2/requests{FMT}$", views.requests_view, name="requests"),
    re_path(
        rf"^v2/requests/(?P<request_id>[^/]+?){ITEM_FMT}$", views.request_detail, name="request"
    ),
    re_path(rf"^v2/tokens/(?P<token>[^/]+?){ITEM_FMT}$", views.token_detail, name="token"),
    re_path(r"^(?P<path>v2/.*)$", views.not_found, name="not-found"),
]
