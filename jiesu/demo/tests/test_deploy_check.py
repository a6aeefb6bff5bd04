# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""`manage.py check --deploy` warns while demo accounts keep the published password.

Following the operations guide once, a server started from the demo (`seed_demo`, which the
guide offered as a start) let anybody sign in to the admin as `admin` / the published demo
password, and `check --deploy` said nothing."""

import pytest
from django.core import checks

from jiesu.demo.seeding import DEMO_PASSWORD
from jiesu.org.models import User

pytestmark = pytest.mark.django_db


def deploy_warnings() -> list[checks.CheckMessage]:
    found = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
    return [m for m in found if m.id == "demo.W001"]


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    return settings


def test_a_demo_account_with_the_published_password_is_named(production):
    User.objects.create_superuser("admin", password=DEMO_PASSWORD)
    User.objects.create_user("handler", password=DEMO_PASSWORD)
    User.objects.create_user("analyst", password="another-long-passphrase-2026")
    [warning] = deploy_warnings()
    assert "admin, handler" in warning.msg
    assert "analyst" not in warning.msg
    assert "changepassword" in warning.hint


def test_changed_or_deactivated_demo_accounts_pass(production):
    admin = User.objects.create_superuser("admin", password=DEMO_PASSWORD)
    User.objects.create_user("handler", password=DEMO_PASSWORD, is_active=False)
    assert deploy_warnings()
    admin.set_password("a-new-and-long-passphrase-2026")
    admin.save()
    assert deploy_warnings() == []


def test_only_the_demo_accounts_are_checked(production):
    """A staff account that happens to have the same password is not the demo's to name (its
    password policy is the validators' work); the check costs one hash per demo account."""
    User.objects.create_user("zhang.wei", password=DEMO_PASSWORD)
    assert deploy_warnings() == []


def test_embedded_mode_is_the_demo(settings):
    settings.DEBUG = True
    User.objects.create_superuser("admin", password=DEMO_PASSWORD)
    assert deploy_warnings() == []
