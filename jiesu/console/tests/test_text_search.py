# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Free-text search gives exactly the substring matches, also through the gram index that
narrows it on PostgreSQL (jiesu.appeals.textsearch): 1- and 2-character Chinese terms, mixed
Latin letters and digits in any case, LIKE's own wildcard characters, and terms that only
appear across two fields (which must not match)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiesu.appeals import textsearch
from jiesu.appeals.models import Appeal
from jiesu.appeals.tests.conftest import new_appeal
from jiesu.console.views import search as search_view

URL = "/console/search/"
API = "/api/v1/appeals/"

TEXTS = [
    # (title, description, address)
    ("垃圾", "小区门口垃圾三天没人清理", "坪山街道A栋"),
    ("噪音扰民", "工地夜间施工，302室投诉", "龙田街道b栋12号"),
    ("路灯不亮", "Road lamp OFF near Exit 3", "坑梓街道"),
    ("积水", "下雨后积水50%以上", "碧岭_社区"),
    ("垃", "单字标题", "马峦街道"),
    ("停车难", "车位不足", "石井街道C区"),
]

TERMS = [
    "垃",  # one character, also a title of its own
    "垃圾",  # the common two-character word
    "圾三天",
    "噪",
    "音扰",
    "a栋",  # mixed, lower case for an upper-case letter
    "B栋12",
    "302",
    "3",
    "12号",
    "road LAMP",
    "exit",
    "50%",  # LIKE's wildcard, taken literally
    "%",
    "_社",
    "灯不亮 ",  # the search strips the space, then the title matches
    "圾小区",  # title "垃圾" + description: only across two fields, so no match
    "清理 坪山",  # description end + address start: no match
    "不存在的词",
]


def expected(appeals, term, fields=("title", "description", "address")):
    term = term.strip()
    return {a.number for a in appeals if any(term.upper() in getattr(a, f).upper() for f in fields)}


def numbers(response) -> set[str]:
    return set(re.findall(r'<a href="/console/appeals/(\w+)/">', response.content.decode()))


@pytest.fixture
def corpus(world):
    appeals = [
        new_appeal(world, title=t, description=d, address=a, reporter_phone="13912345678")
        for t, d, a in TEXTS
    ]
    return [Appeal.objects.get(pk=a.pk) for a in appeals]


@pytest.mark.parametrize("term", TERMS)
def test_the_quick_box_finds_exactly_the_appeals_containing_the_term(as_user, corpus, term):
    response = as_user("supervisor").get(URL, {"q": term})
    assert response.status_code == 200
    assert numbers(response) == expected(corpus, term)


@pytest.mark.parametrize("term", ["垃", "垃圾", "a栋", "302", "%", "_社", "圾小区"])
def test_the_text_and_address_fields_search_their_own_columns(as_user, corpus, term):
    client = as_user("supervisor")
    text = numbers(client.get(URL, {"text": term}))
    assert text == expected(corpus, term, ("title", "description"))
    address = numbers(client.get(URL, {"address": term}))
    assert address == expected(corpus, term, ("address",))


def test_some_terms_really_match_and_others_really_do_not(corpus):
    # The comparisons above mean something only if the corpus holds both cases.
    assert len(expected(corpus, "垃")) == 2
    assert len(expected(corpus, "a栋")) == 1 and len(expected(corpus, "B栋12")) == 1
    assert expected(corpus, "圾小区") == set() and expected(corpus, "%") != set()


@pytest.mark.parametrize("term", ["垃圾", "垃", "exit", "PS", "50%"])
def test_the_api_q_filter_finds_exactly_the_same(client, world, corpus, term):
    client.force_login(world.u("supervisor"))
    response = client.get(API, {"q": term, "page_size": 100})
    assert response.status_code == 200, response.content[:300]
    found = {row["number"] for row in response.json()["results"]}
    wanted = expected(corpus, term, ("title", "description", "number"))
    assert found == wanted


def test_edited_text_is_found_by_its_new_words_only(as_user, corpus):
    appeal = corpus[5]
    client = as_user("supervisor")
    assert numbers(client.get(URL, {"q": "停车"})) == {appeal.number}
    # Edited by SQL, not through the model: the index must follow whatever wrote the row.
    Appeal.objects.filter(pk=appeal.pk).update(title="违章建筑", description="楼顶加建")
    assert numbers(client.get(URL, {"q": "停车"})) == set()
    assert numbers(client.get(URL, {"q": "加建"})) == {appeal.number}
    assert numbers(client.get(URL, {"q": "违"})) == {appeal.number}


def test_postgresql_narrows_with_the_gram_index(as_user, corpus):
    client = as_user("supervisor")
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, {"q": "垃圾"})
    gram_reads = [q["sql"] for q in queries if "appeals_appeal_grams" in q["sql"]]
    assert bool(gram_reads) == (connection.vendor == "postgresql")
    listing = [q["sql"] for q in queries if "LIKE" in q["sql"] and "appeals_appeal" in q["sql"]]
    narrowed = all('"appeals_appeal"."id" IN (' in sql for sql in listing)
    assert listing and narrowed == (connection.vendor == "postgresql")


@pytest.mark.parametrize("term", ["垃", "垃圾", "a栋", "302", "50%", "圾小区"])
def test_a_common_term_lists_the_same_without_the_index(as_user, corpus, monkeypatch, term):
    # Above the threshold the search reads the list in its own order with LIKE alone.
    monkeypatch.setattr(textsearch, "NARROW_BELOW", 0)
    with CaptureQueriesContext(connection) as queries:
        found = numbers(as_user("supervisor").get(URL, {"q": term}))
    assert found == expected(corpus, term)
    assert not any('"appeals_appeal"."id" IN (' in q["sql"] for q in queries)


@pytest.mark.parametrize(
    ("language", "capped", "note"),
    [("zh-hans", "5+ 件诉求", "计数到此为止"), ("en", "5+ appeals", "Counting stops here")],
)
def test_a_capped_count_reads_well_in_both_languages(
    as_user, world, corpus, monkeypatch, language, capped, note
):
    for i in range(5):
        new_appeal(world, title=f"垃圾桶满了 {i}")
    monkeypatch.setattr(search_view, "TEXT_COUNT_CAP", 5)  # free-text searches
    client = as_user("supervisor")
    url = {"zh-hans": URL, "en": "/en" + URL}[language]  # URLs carry the language
    page = client.get(url, {"q": "垃"}).content.decode()
    count = re.search(r'data-testid="result-count">([^<]*)<', page).group(1)
    assert count.strip() == capped
    assert note in page
    # Under the cap the count is exact, in words of the language.
    page = client.get(url, {"q": "噪音"}).content.decode()
    count = re.search(r'data-testid="result-count">([^<]*)<', page).group(1)
    assert count.strip() == {"zh-hans": "1 件诉求", "en": "1 appeal"}[language]
    assert note not in page
