# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


def healthz(request):
    """Liveness and database reachability, for load balancers and `make run` checks.

    The shared cache is reported too: while Redis is unreachable the service runs on (limits
    fail open, jiesu.cache), so the answer stays 200 with `"status": "degraded"`."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    body = {"status": "ok", "database": connection.vendor}
    reachable = getattr(cache, "reachable", None)
    if reachable is not None:
        body["cache"] = "ok" if reachable() else "unreachable"
        if body["cache"] != "ok":
            body["status"] = "degraded"
    return JsonResponse(body)


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    """Browsers ask for /favicon.ico on every page without an icon link (the admin, JSON and XML
    endpoints opened in a tab): answered "no content", cached for a day, instead of a logged 404
    and a console error. The console's and citizens' pages declare no icon themselves."""
    return HttpResponse(status=204)
