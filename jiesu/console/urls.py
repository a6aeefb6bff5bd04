from django.urls import path

from jiesu.console.views import appeal, auth, desks

app_name = "console"

urlpatterns = [
    path("", auth.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("no-role/", auth.no_role, name="no_role"),
    path("language/", auth.switch_language, name="switch_language"),
    path("intake/", desks.intake, name="intake"),
    path("dispatch/", desks.dispatch, name="dispatch"),
    path("unit/", desks.unit, name="unit"),
    path("review/", desks.review, name="review"),
    path("visits/", desks.visits, name="visits"),
    path("supervision/", desks.supervision, name="supervision"),
    path("search/", desks.search, name="search"),
    path("manage/", desks.manage, name="manage"),
    path("appeals/<str:number>/", appeal.detail, name="appeal"),
    path("appeals/<str:number>/act/<str:transition>/", appeal.act, name="act"),
    path("appeals/<str:number>/unmask/", appeal.unmask, name="unmask"),
    path("files/<int:pk>/", appeal.attachment, name="attachment"),
    path("files/<int:pk>/thumbnail/", appeal.attachment, {"thumb": True}, name="thumbnail"),
]
