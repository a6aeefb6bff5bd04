# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Deployment check of the demo room: `manage.py check --deploy` warns while a demo account
(`seed_demo`: `admin` is a superuser) can still sign in with the published demo password on a
server in production mode. A trial server started from the demo keeps those accounts until
someone changes their passwords or deactivates them; this says so before the server is
reachable."""

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core import checks
from django.db import DatabaseError

GUIDE = (
    "Change their passwords (manage.py changepassword NAME) or deactivate them in the admin; "
    "docs/operations.md, Install on a server, step 6."
)


@checks.register(checks.Tags.security, deploy=True)
def check_demo_passwords(app_configs: object = None, **kwargs: object) -> list[checks.CheckMessage]:
    if settings.DEBUG:
        return []  # embedded mode: the demo is the point
    from jiesu.demo.seeding import ACCOUNTS, DEMO_PASSWORD
    from jiesu.org.models import User

    names = [a.username for a in ACCOUNTS]
    try:
        users = list(User.objects.filter(username__in=names, is_active=True).order_by("username"))
    except DatabaseError:
        return []  # no database yet (before `migrate`): nothing can sign in either
    exposed = [u.username for u in users if check_password(DEMO_PASSWORD, u.password)]
    if not exposed:
        return []
    return [
        checks.Warning(
            f"{len(exposed)} demo account(s) can sign in with the published demo password: "
            + ", ".join(exposed)
            + ".",
            hint=GUIDE,
            id="demo.W001",
        )
    ]
