# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Open311 reads its services from a copy kept in each process (ADR 0010's ProcessCopy): an
edit saved here shows at once, an edit made elsewhere (another process, raw SQL) within
CACHE_SECONDS, and requests are checked against the catalogue as it is then."""

import time

from jiesu import versions
from jiesu.catalog.models import AppealType, Category
from jiesu.intake.open311 import catalogue
from jiesu.intake.tests.test_open311 import o311, parse, valid_request, world  # noqa: F401


def _definition(o311):  # noqa: F811
    return parse(o311.api.get(f"services/{o311.leaf.code}", "json"), "json")


def _codes(o311):  # noqa: F811
    return [s["service_code"] for s in parse(o311.api.get("services", "json"), "json")]


def test_an_edit_saved_here_shows_at_once(o311):  # noqa: F811
    assert _codes(o311) == ["0101001", "0101002"]
    o311.rule.filing_condition = "新的立案条件。"
    o311.rule.save()
    condition = [a for a in _definition(o311)["attributes"] if a["code"] == "filing_condition"]
    assert condition[0]["description"] == "新的立案条件。"
    leaf = Category.objects.get(code="0101002")
    leaf.active = False
    leaf.save()
    assert _codes(o311) == ["0101001"]
    assert o311.api.get("services/0101002", "json").status_code == 404


def test_an_edit_made_elsewhere_shows_within_the_cache_time(o311, monkeypatch):  # noqa: F811
    assert _codes(o311) == ["0101001", "0101002"]
    clock = [time.monotonic()]
    monkeypatch.setattr(versions.time, "monotonic", lambda: clock[0])
    Category.objects.filter(code="0101002").update(active=False)  # no signal: raw SQL
    AppealType.objects.filter(code="complaint").update(active=False)
    clock[0] += catalogue.CACHE_SECONDS + 0.1
    assert _codes(o311) == ["0101001"]
    response = o311.api.post(valid_request(o311), "json")
    assert response.status_code == 400
    assert "complaint" in response.content.decode()
