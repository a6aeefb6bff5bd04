# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""/console/rewards/… (included by the console's URLs)."""

from django.urls import path

from jiesu.rewards import views

app_name = "rewards"

urlpatterns = [
    path("", views.programme_list, name="programmes"),
    path("programmes/new/", views.programme_edit, name="programme_add"),
    path("programmes/<int:pk>/", views.programme_edit, name="programme"),
    path("budget/", views.budget, name="budget"),
    path("budget/<int:pk>/reverse/", views.reverse_allocation, name="reverse_allocation"),
    path("ledger/", views.ledger_page, name="ledger"),
    path("payouts/", views.payout_list, name="payouts"),
    path("insight/", views.insight, name="insight"),
    path("review/", views.review_desk, name="review"),
    path("review/<int:pk>/<str:verdict>/", views.review_act, name="review_act"),
]
