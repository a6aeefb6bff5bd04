# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""`manage.py check --deploy` warns while a server cannot yet take appeals.

Following the operations guide on a new server, `check --deploy` passed with an empty
catalogue and no backstop unit: the first appeal could be received but neither registered nor
dispatched, and only the console's overview said so."""

import pytest
from django.core import checks

from jiesu.catalog.models import Category
from jiesu.org.models import Unit

pytestmark = pytest.mark.django_db


def deploy_warnings() -> dict[str, checks.CheckMessage]:
    found = checks.run_checks(include_deployment_checks=True, tags=["catalog"])
    return {m.id: m for m in found if m.id.startswith("catalog.")}


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    return settings


def _leaf(active=True):
    major = Category.objects.create(code="01", name="城乡建设", level=1)
    middle = Category.objects.create(code="0101", name="市政设施", level=2, parent=major)
    return Category.objects.create(
        code="010101", name="路灯", level=3, parent=middle, active=active
    )


def test_an_empty_server_is_named_twice(production):
    found = deploy_warnings()
    assert set(found) == {"catalog.W001", "catalog.W002"}
    assert "import_catalog" in found["catalog.W001"].hint
    assert "step 10" in found["catalog.W002"].hint


def test_a_server_with_leaves_and_a_backstop_passes(production):
    _leaf()
    Unit.objects.create(code="ZX", name="区指挥中心", kind="centre", is_backstop=True)
    assert deploy_warnings() == {}


def test_inactive_leaves_or_an_inactive_backstop_do_not_count(production):
    _leaf(active=False)
    Unit.objects.create(code="ZX", name="区指挥中心", kind="centre", is_backstop=True, active=False)
    assert set(deploy_warnings()) == {"catalog.W001", "catalog.W002"}


def test_embedded_mode_says_nothing(settings):
    settings.DEBUG = True
    assert deploy_warnings() == {}
