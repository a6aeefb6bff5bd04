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
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import translate_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from jiesu.console.navigation import home_url
from jiesu.org import permissions
from jiesu.org.roles import Role


class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return home_url(self.request.user)


class LogoutView(auth_views.LogoutView):
    next_page = "console:login"


def lockout(request, original_response=None, credentials=None):
    """The page shown (429) while django-axes keeps an account or a client locked out after
    repeated wrong passwords, on the console's and the admin's sign-in alike."""
    minutes = max(1, round(float(settings.AXES_COOLOFF_TIME) * 60))
    return render(request, "console/lockout.html", {"cooloff_minutes": minutes}, status=429)


def home(request):
    if not request.user.is_authenticated:
        return redirect("console:login")
    return HttpResponseRedirect(home_url(request.user))


def no_role(request):
    """An account without a console workbench: say truthfully which roles it has and what they
    allow, instead of claiming it has none (the analyst's statistics desk is still to come)."""
    user = request.user
    roles = []
    if user.is_authenticated:
        for code in sorted(getattr(user, "role_set", ())):
            try:
                role = Role(code)
            except ValueError:
                continue
            actions = sorted(str(a.label) for a in permissions.actions_of(role))
            roles.append({"label": role.label, "actions": actions})
    return render(request, "console/no_role.html", {"roles": roles}, status=403)


@require_GET
def switch_language(request):
    """Go to the same page in the other language (URLs carry the language: /en/console/…)."""
    target = request.GET.get("to", "")
    nxt = request.GET.get("next", "/console/")
    if not url_has_allowed_host_and_scheme(nxt, {request.get_host()}):
        nxt = "/console/"
    return HttpResponseRedirect(translate_url(nxt, target) if target else nxt)
