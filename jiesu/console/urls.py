# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.urls import include, path

from jiesu.console.views import (
    appeal,
    auth,
    auto_dispatch,
    bulk,
    callers,
    desks,
    intake,
    manage,
    proposals,
    search,
)

app_name = "console"

urlpatterns = [
    path("", auth.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("no-role/", auth.no_role, name="no_role"),
    path("language/", auth.switch_language, name="switch_language"),
    path("intake/", desks.intake, name="intake"),
    path("intake/new/", intake.new_call, name="intake_new"),
    path("intake/caller/", callers.caller_history, name="caller_history"),
    path("dispatch/", desks.dispatch, name="dispatch"),
    path("unit/", desks.unit, name="unit"),
    path("review/", desks.review, name="review"),
    path("visits/", desks.visits, name="visits"),
    path("supervision/", desks.supervision, name="supervision"),
    path("search/", search.search, name="search"),
    path("search/export/", search.export_xlsx, name="search_export"),
    path("search/filters/", search.save_filter, name="search_filter_save"),
    path("search/filters/<int:pk>/delete/", search.delete_filter, name="search_filter_delete"),
    path("manage/", desks.manage, name="manage"),
    path("manage/rules/", manage.rules, name="manage_rules"),
    path("manage/rules/<int:pk>/", manage.rule, name="manage_rule"),
    path("manage/calendar/", manage.calendar_page, name="manage_calendar"),
    path("manage/calendar/overrides/new/", manage.override_edit, name="manage_override_add"),
    path("manage/calendar/overrides/<int:pk>/", manage.override_edit, name="manage_override"),
    path(
        "manage/calendar/overrides/<int:pk>/delete/",
        manage.override_delete,
        name="manage_override_delete",
    ),
    path("manage/calendar/years/declare/", manage.year_declare, name="manage_year_declare"),
    path(
        "manage/calendar/years/<int:year>/withdraw/",
        manage.year_undeclare,
        name="manage_year_undeclare",
    ),
    path("manage/calendar/periods/new/", manage.period_edit, name="manage_period_add"),
    path("manage/calendar/periods/<int:pk>/", manage.period_edit, name="manage_period"),
    path(
        "manage/calendar/periods/<int:pk>/delete/",
        manage.period_delete,
        name="manage_period_delete",
    ),
    path("manage/channels/", manage.channel_list, name="manage_channels"),
    path("manage/channels/new/", manage.channel_edit, name="manage_channel_add"),
    path("manage/channels/<int:pk>/", manage.channel_edit, name="manage_channel"),
    path("manage/channels/<int:pk>/key/", manage.channel_issue_key, name="manage_channel_key"),
    path(
        "manage/channels/<int:pk>/revoke/",
        manage.channel_revoke_key,
        name="manage_channel_revoke",
    ),
    path("manage/units/", manage.unit_list, name="manage_units"),
    path("manage/units/new/", manage.unit_edit, name="manage_unit_add"),
    path("manage/units/<int:pk>/", manage.unit_edit, name="manage_unit"),
    path("manage/users/", manage.user_list, name="manage_users"),
    path("manage/users/new/", manage.user_edit, name="manage_user_add"),
    path("manage/users/<int:pk>/", manage.user_edit, name="manage_user"),
    path("manage/users/<int:pk>/password/", manage.user_password, name="manage_user_password"),
    path(
        "manage/users/<int:pk>/deactivate/",
        manage.user_deactivate,
        name="manage_user_deactivate",
    ),
    path(
        "manage/routing-proposals/",
        proposals.routing_proposals,
        name="manage_routing_proposals",
    ),
    path("manage/dispatch/auto/", auto_dispatch.policies, name="manage_auto"),
    path("manage/dispatch/rules/test/", auto_dispatch.rule_test, name="manage_rule_test"),
    path("rewards/", include("jiesu.rewards.urls")),
    path("appeals/<str:number>/", appeal.detail, name="appeal"),
    path("appeals/<str:number>/act/<str:transition>/", appeal.act, name="act"),
    path("appeals/<str:number>/workorder/", appeal.workorder, name="workorder"),
    path("bulk/<str:name>/", bulk.bulk, name="bulk"),
    path("appeals/<str:number>/workorder.pdf", appeal.workorder_pdf, name="workorder_pdf"),
    path("appeals/<str:number>/unmask/", appeal.unmask, name="unmask"),
    path("files/<int:pk>/", appeal.attachment, name="attachment"),
    path("files/<int:pk>/thumbnail/", appeal.attachment, {"thumb": True}, name="thumbnail"),
]
