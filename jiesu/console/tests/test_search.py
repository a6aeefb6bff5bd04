# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Search across appeals: every filter, scope, capped counting, saved filters, Excel export."""

import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from jiesu.appeals import workflow
from jiesu.appeals.states import Status
from jiesu.appeals.tests.conftest import MONDAY_10, dispatched, new_appeal, registered
from jiesu.console.models import ExportLog, SavedFilter
from jiesu.console.views import search as search_view
from jiesu.org.models import Unit

URL = "/console/search/"


@pytest.fixture
def cases(world, at):
    """A few appeals with different phones, places, categories, units and dates."""
    with at(MONDAY_10 - timedelta(days=10)):
        old = new_appeal(
            world,
            title="噪音扰民",
            description="工地夜间施工",
            address="龙田街道某工地",
            reporter_phone="13711112222",
            lat=None,
            lng=None,
        )
    with at(MONDAY_10):
        garbage = dispatched(world)  # 13800001234, leaf 0101001, urban leads, water assists
        road = registered(world, title="道路不洁", reporter_phone="0755-8888 9999")
        workflow.answer(road, world.u("intake"), reply="已转告")
        secret = dispatched(world, reporter_phone="13600009999", confidential=True)
    return {"old": old, "garbage": garbage, "road": road, "secret": secret}


def numbers(response) -> set[str]:
    return set(re.findall(r'<a href="/console/appeals/(\w+)/">', response.content.decode()))


def test_every_filter(as_user, world, cases):
    client = as_user("supervisor")
    n = {k: v.number for k, v in cases.items()}

    def found(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.content.decode()[:500]
        return numbers(response)

    assert found() == set(n.values())
    assert found(number=n["garbage"]) == {n["garbage"]}
    assert found(number=n["garbage"].lower()) == {n["garbage"]}
    assert found(phone="13711112222") == {n["old"]}
    assert found(phone="2222") == {n["old"]}  # last four digits
    assert found(phone="075588889999") == {n["road"]}  # stored with a dash and a space
    assert found(phone="0755-8888 9999") == {n["road"]}
    assert found(phone="22") == set()  # too short to mean anything
    assert found(text="夜间施工") == {n["old"]}
    assert found(text="噪音") == {n["old"]}
    assert found(address="龙田") == {n["old"]}
    assert found(q="龙田") == {n["old"]}
    assert found(q=n["road"], number=n["road"]) == {n["road"]}  # the exact number alone opens it
    assert found(q="2222") == {n["old"]}
    # Category at any level, by code: leaf, middle, major.
    assert found(category="0101001") == {n["garbage"], n["road"], n["secret"]}
    assert found(category="0101") == {n["garbage"], n["road"], n["secret"]}
    assert found(category="01") == {n["garbage"], n["road"], n["secret"]}
    # Unit: any assignment (and sub-units) or the current lead only.
    assert found(unit=world.water.code) == {n["garbage"], n["secret"]}
    assert found(unit=world.water.code, unit_role="lead") == set()
    assert found(unit=world.urban.code, unit_role="lead") == {n["garbage"], n["secret"]}
    # Asked to assist (协办): the rule adds 水务局 to every dispatch; the lead never assists.
    assert found(unit=world.water.code, unit_role="assist") == {n["garbage"], n["secret"]}
    assert found(unit=world.urban.code, unit_role="assist") == set()
    team_case = dispatched(world)
    workflow.redispatch(
        team_case, world.u("dispatcher"), lead_unit=world.urban_team, reason="归执法队"
    )
    assert n["garbage"] in found(unit=world.urban.code)  # the department includes its team
    assert team_case.number in found(unit=world.urban.code, unit_role="lead")
    assert team_case.number not in found(unit=world.water.code, unit_role="lead")
    assert team_case.number in found(unit=world.water.code, unit_role="assist")  # kept
    # Several statuses at once.
    assert found(status=[Status.ANSWERED, Status.RECEIVED]) == {n["road"], n["old"]}
    # Received dates, inclusive.
    day = (MONDAY_10 - timedelta(days=10)).date().isoformat()
    assert found(received_from=day, received_to=day) == {n["old"]}
    assert n["old"] not in found(received_from=MONDAY_10.date().isoformat())
    # Filters combine.
    assert found(category="01", status=Status.DISPATCHED, phone="9999") == {n["secret"]}


def test_bad_input_is_shown_next_to_the_field(as_user, cases):
    response = as_user("supervisor").get(
        URL, {"received_from": "2026-11-05", "received_to": "2026-11-01"}
    )
    assert response.status_code == 400
    assert 'class="field has-error"' in response.content.decode()
    assert numbers(response) == set()
    assert as_user("supervisor").get(URL, {"category": "nope"}).status_code == 400
    assert as_user("supervisor").get(URL, {"received_to": "9999-12-31"}).status_code == 400


def test_units_search_only_their_appeals_and_not_confidential_phones(as_user, world, cases):
    client = as_user("water_handler")
    assert numbers(client.get(URL)) == {cases["garbage"].number, cases["secret"].number}
    # The confidential reporter's phone must not find the appeal for a handling unit.
    assert numbers(client.get(URL, {"phone": "13600009999"})) == set()
    assert numbers(client.get(URL, {"q": "13600009999"})) == set()
    assert numbers(client.get(URL, {"phone": "13800001234"})) == {cases["garbage"].number}
    # The centre still finds it.
    supervisor = as_user("supervisor")
    assert numbers(supervisor.get(URL, {"phone": "13600009999"})) == {cases["secret"].number}


def test_a_unit_finds_an_appeal_it_was_assigned_twice_once(as_user, world, cases):
    """The water office assisted on the garbage appeal twice (an ended assignment and the
    current one): one result, counted once. The unit's scope is a semi-join; a join made
    unique by DISTINCT compared whole rows, long descriptions included, and cost twice as much
    at a million appeals."""
    from jiesu.appeals.models import Assignment

    unit = world.u("water_handler").unit
    earlier = Assignment.objects.get(appeal=cases["garbage"], unit=unit)
    earlier.pk, earlier.active = None, False
    earlier.save()
    client = as_user("water_handler")
    with CaptureQueriesContext(connection) as queries:
        html = client.get(URL).content.decode()
    assert numbers_listed(html) == [cases["secret"].number, cases["garbage"].number]
    assert re.search(r'data-testid="result-count">\s*2 ', html)
    reads = [q["sql"] for q in queries if '"appeals_appeal"' in q["sql"]]
    assert reads and not [sql for sql in reads if "DISTINCT" in sql.upper()]


def numbers_listed(html: str) -> list[str]:
    return re.findall(r'<a href="/console/appeals/(\w+)/">', html)


def test_search_refuses_roles_without_it(as_user, cases):
    assert as_user("admin").get(URL).status_code == 403
    # Analysts search (the insights drill-down lands here), masked.
    page = as_user("analyst").get(URL, {"phone": "13800001234"}).content.decode()
    main = page.split('data-testid="appeal-list"')[1]
    assert cases["garbage"].number in main and "13800001234" not in main


def test_capped_count_and_pages_keep_the_filter(as_user, world, monkeypatch):
    for i in range(7):
        new_appeal(world, title=f"积水 {i}")
    new_appeal(world, title="别的事")
    monkeypatch.setattr(search_view, "TEXT_COUNT_CAP", 5)  # a search with a text term
    monkeypatch.setattr(search_view, "PAGE_SIZE", 2)
    client = as_user("supervisor")
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"text": "积水"})
    html = response.content.decode()
    assert re.search(r'data-testid="result-count">\s*5\+', html)
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 6" in sql.upper() for sql in counts), counts
    # Pages stop at the cap, and their links carry the filter.
    assert "3+" in html  # page 1 of 3+
    assert "?text=%E7%A7%AF%E6%B0%B4&page=2" in html
    last = client.get(URL, {"text": "积水", "page": 3}).content.decode()
    assert len(numbers(client.get(URL, {"text": "积水", "page": 3}))) == 1
    assert "page=4" not in last
    # Under the cap the count is exact.
    exact = client.get(URL, {"text": "别的"}).content.decode()
    assert re.search(r'data-testid="result-count">\s*1 ', exact)


def test_live_refresh_returns_the_table_only(as_user, cases):
    response = as_user("supervisor").get(URL, {"text": "噪音"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.startswith('<div id="appeal-list"') and "<html" not in html
    assert numbers(response) == {cases["old"].number}


# -- saved filters ------------------------------------------------------------------------


def test_save_apply_and_delete_a_filter(as_user, world, cases):
    client = as_user("supervisor")
    query = "status=received&status=answered&category=0101&junk=1&page=3"
    response = client.post("/console/search/filters/", {"name": "我的筛选", "query": query})
    assert response.status_code == 302
    saved = SavedFilter.objects.get(user=world.u("supervisor"))
    assert saved.name == "我的筛选"
    assert saved.query == "category=0101&status=received&status=answered"  # canonical
    page = client.get(URL).content.decode()
    assert f'href="/console/search/?{saved.query.replace("&", "&amp;")}"' in page
    assert numbers(client.get(f"{URL}?{saved.query}")) == {cases["road"].number}
    # Saving under the same name replaces it.
    client.post("/console/search/filters/", {"name": "我的筛选", "query": "text=噪音"})
    assert SavedFilter.objects.get().query == "text=%E5%99%AA%E9%9F%B3"
    # Nobody else sees or deletes it.
    other = as_user("dispatcher")
    listed = other.get(URL).content.decode().split('data-testid="saved-filters"')[1]
    assert "我的筛选" not in listed.split("</ul>")[0]
    assert other.post(f"/console/search/filters/{saved.pk}/delete/").status_code == 404
    client = as_user("supervisor")
    response = client.post(
        f"/console/search/filters/{saved.pk}/delete/", {"query": "text=a\r\nSet-Cookie: x=1"}
    )
    assert response.status_code == 302 and "\n" not in response["Location"]
    assert not SavedFilter.objects.exists()


def test_a_filter_needs_a_name(as_user):
    client = as_user("supervisor")
    client.post("/console/search/filters/", {"name": " ", "query": "text=x"})
    assert not SavedFilter.objects.exists()


# -- export -------------------------------------------------------------------------------


def read_xlsx(response):
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    assert "attachment" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_export_is_masked_and_logged(as_user, world, cases):
    formula = new_appeal(world, title='=HYPERLINK("http://evil")', reporter_phone="13512345678")
    client = as_user("supervisor")
    response = client.post("/console/search/export/", {"query": "category=01"})
    assert response.status_code == 200
    book = read_xlsx(response)
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert len(data) == 3
    assert any("masked" in str(h) or "脱敏" in str(h) for h in header)
    by_number = {r[0]: dict(zip(header, r, strict=True)) for r in data}
    garbage = by_number[cases["garbage"].number]
    text = " ".join(str(v) for r in data for v in r)
    assert "13800001234" not in text and "138****1234" in text
    assert "张三" not in text and "张*" in text
    assert garbage[header[11]] == "城市管理局"  # lead unit
    assert "市容环卫 > 环境卫生 > 暴露垃圾" in text
    about = book.worksheets[1]
    notes = " ".join(str(c) for row in about.iter_rows(values_only=True) for c in row)
    assert (
        "supervisor" in notes
        and "category=01" in notes
        and ("mask" in notes.lower() or "脱敏" in notes)
    )
    log = ExportLog.objects.get()
    assert (log.user, log.row_count, log.query, log.masked) == (
        world.u("supervisor"),
        3,
        "category=01",
        True,
    )
    # Citizens' text never becomes a formula.
    response = client.post("/console/search/export/", {"query": f"number={formula.number}"})
    cell = read_xlsx(response).worksheets[0]["H2"]
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"


def test_export_names_the_channel(as_user, world, cases):
    """Issue 9 defect 6: the 渠道 column showed codes (hotline, web)."""
    from jiesu.intake.models import Channel

    Channel.objects.create(code="web", name="网页随手拍", kind=Channel.Kind.WEB)
    web = new_appeal(world, title="路灯不亮", channel="web")
    gone = new_appeal(world, title="井盖松动", channel="retired_line")
    response = as_user("supervisor").post("/console/search/export/", {"query": ""})
    rows = list(read_xlsx(response).worksheets[0].iter_rows(values_only=True))
    channel_of = {r[0]: r[2] for r in rows[1:]}
    assert channel_of[web.number] == "网页随手拍"
    assert channel_of[gone.number] == "retired_line"  # a code no channel has any more


def test_export_hides_confidential_reporters_from_units(as_user, cases):
    response = as_user("handler").post("/console/search/export/", {"query": ""})
    rows = list(read_xlsx(response).worksheets[0].iter_rows(values_only=True))
    secret = next(r for r in rows if r[0] == cases["secret"].number)
    assert "136" not in str(secret[13]) and "9999" not in str(secret[13])
    assert ExportLog.objects.get().row_count == 2


def test_export_over_the_cap_is_refused_with_a_message(as_user, cases, monkeypatch):
    monkeypatch.setattr(search_view, "EXPORT_CAP", 2)
    client = as_user("supervisor")
    response = client.post("/console/search/export/", {"query": "text="}, follow=True)
    assert response.redirect_chain and response.redirect_chain[0][1] == 302
    assert "2" in response.content.decode() and 'class="msg-error"' in response.content.decode()
    assert not ExportLog.objects.exists()


def test_export_needs_post_and_the_search_role(as_user, cases):
    assert as_user("supervisor").get("/console/search/export/").status_code == 405
    assert as_user("admin").post("/console/search/export/", {"query": ""}).status_code == 403


def test_units_include_inactive_units_for_history(as_user, world, cases):
    Unit.objects.filter(pk=world.water.pk).update(active=False)
    client = as_user("supervisor")
    assert numbers(client.get(URL, {"unit": world.water.code})) == {
        cases["garbage"].number,
        cases["secret"].number,
    }


def test_exact_number_in_the_quick_box_opens_the_appeal(as_user, cases):
    """Issue 9 defect 9: an exact number showed a one-row list instead of the appeal."""
    number = cases["garbage"].number
    client = as_user("supervisor")
    for typed in (number, number.lower(), f"  {number} "):
        response = client.get(URL, {"q": typed})
        assert response.status_code == 302, typed
        assert response["Location"] == f"/console/appeals/{number}/"
    # A part of a number, or a number with another filter, still lists.
    assert client.get(URL, {"q": number[:-2]}).status_code == 200
    assert client.get(URL, {"q": number, "status": "dispatched"}).status_code == 200


def test_exact_number_outside_the_scope_does_not_open(as_user, world, cases):
    """A unit searching another unit's appeal number gets the (empty) list, not the appeal."""
    client = as_user("handler")
    road = cases["road"].number  # answered by intake, never assigned to a unit
    response = client.get(URL, {"q": road})
    assert response.status_code == 200
    assert numbers(response) == set()


def test_the_export_reads_inside_analytics(as_user, cases, monkeypatch):
    from jiesu import dbrouting
    from jiesu.console import export

    seen = []
    original = export.write_workbook

    def spy(*args, **kwargs):
        seen.append(dbrouting.in_analytics())
        return original(*args, **kwargs)

    monkeypatch.setattr(export, "write_workbook", spy)
    response = as_user("supervisor").post("/console/search/export/", {"query": ""})
    assert response.status_code == 200
    assert seen == [True]


def test_the_units_part_is_offered_as_whole_choices(as_user, world):
    page = as_user("supervisor").get("/console/search/").content.decode()
    assert "单位参与方式" in page
    assert "该单位参与过该诉求（任一派单）" in page and "该单位为当前主办单位" in page
