# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Similar cases and the knowledge base: loading (and refusing wrong files), ranking, the
handler's similar cases, and the intake desk's one-click answer."""

import csv
import gzip
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from jiesu.appeals import workflow
from jiesu.appeals.models import Appeal
from jiesu.appeals.states import Status
from jiesu.appeals.tests.conftest import (
    dispatched,
    new_appeal,
)
from jiesu.dispatch import knowledge
from jiesu.dispatch.models import KnowledgeEntry

HEADER = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "答复意见", "答复时间"]
ROWS = [
    [
        "1",
        "A1",
        "咨询新生儿医保办理流程",
        "2019/4/25 9:32:09",
        "请问新生儿怎么办理医保，需要带哪些材料？",
        "新生儿参保请携带户口本和出生医学证明到社区服务中心办理。",
        "2019/5/10 14:56:53",
    ],
    [
        "2",
        "A2",
        "公积金提取需要什么条件",
        "2019/4/26 10:00:00",
        "想提取住房公积金用于租房，需要满足什么条件？",
        "租房提取公积金需连续缴存满三个月，并提供租赁合同。",
        "2019/5/12 09:00:00",
    ],
    ["3", "A3", "没有答复的留言", "2019/4/27 10:00:00", "这条没有答复。", "", ""],
]
DEMO_FILE = Path(__file__).resolve().parents[2] / "demo" / "data" / "knowledge_base.csv.gz"


def write_csv(path, header=HEADER, rows=ROWS, encoding="utf-8"):
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def kb(db, tmp_path):
    call_command("load_knowledge", csv=str(write_csv(tmp_path / "kb.csv")), verbosity=0)
    return KnowledgeEntry.objects.order_by("id")


def test_load_knowledge_reads_the_shared_layout_and_replaces_on_reload(kb, tmp_path):
    assert [e.title for e in kb] == ["咨询新生儿医保办理流程", "公积金提取需要什么条件"]
    first = kb[0]
    assert first.answer.startswith("新生儿参保") and str(first.answered_at) == "2019-05-10"
    assert first.source == "kb.csv"
    call_command("load_knowledge", csv=str(tmp_path / "kb.csv"), verbosity=0)
    assert KnowledgeEntry.objects.count() == 2  # replaced, not doubled
    # English column names and gzip work too; another source adds to the base.
    english = tmp_path / "en.csv.gz"
    with gzip.open(english, "wt", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["title", "question", "answer"], ["Q", "How?", "Like this."]])
    call_command("load_knowledge", csv=str(english), verbosity=0)
    assert KnowledgeEntry.objects.count() == 3


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p / "missing.csv", "missing.csv"),
        (lambda p: write_csv(p / "wrong.csv", header=["title", "text", "category_l1"]), "答复意见"),
        (lambda p: write_csv(p / "gbk.csv", encoding="gbk"), "UTF-8"),
        (lambda p: write_csv(p / "empty.csv", rows=[ROWS[2]]), "empty.csv"),
    ],
    ids=["no file", "wrong columns", "not utf-8", "no answers"],
)
def test_load_knowledge_refuses_wrong_files_and_changes_nothing(db, tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(CommandError) as exc:
        call_command("load_knowledge", csv=str(path), verbosity=0)
    assert message in str(exc.value)
    assert not KnowledgeEntry.objects.exists()


def test_the_demo_file_loads(db):
    count = knowledge.load(DEMO_FILE, source="demo")
    assert count > 2000 and KnowledgeEntry.objects.filter(source="demo").count() == count
    found = knowledge.search("小区物业管理停车收费问题")
    assert found and "物业" in found[0].entry.title + found[0].entry.question


def test_search_ranks_the_matching_question_first_and_sees_new_entries(kb):
    found = knowledge.search("新生儿医保怎么办理？")
    assert [a.entry.title for a in found][:1] == ["咨询新生儿医保办理流程"]
    assert 0 < found[0].similarity <= 1
    assert knowledge.search("火星探测器发射时间") == []
    KnowledgeEntry.objects.create(
        title="路灯报修", question="路灯不亮怎么报修", answer="拨打12345。"
    )
    assert knowledge.search("路灯不亮了找谁报修")[0].entry.title == "路灯报修"


def test_similar_closed_cases_with_replies_for_the_handler(world, as_handler):
    done = []
    for title, description, reply in [
        ("小区门口垃圾堆积", "某小区门口垃圾没人清理，气味很大。", "已安排环卫工人清运。"),
        ("街道垃圾桶满了", "路边垃圾桶满溢，垃圾散落。", "已增加清运频次。"),
    ]:
        appeal = new_appeal(world, title=title, description=description)
        workflow.register(
            appeal,
            world.u("intake"),
            appeal_type=world.consultation,
            category=world.leaf,
            grade=world.grade_c,
        )
        done.append(workflow.answer(appeal, world.u("intake"), reply=reply))
    still_open = dispatched(world, title="小区门口垃圾又堆积了")
    other = dispatched(world)
    cases = knowledge.similar_cases(other)
    assert [c.appeal for c in cases] == done
    assert still_open not in [c.appeal for c in cases]
    page = as_handler.get(f"/console/appeals/{other.number}/").content.decode()
    assert 'data-testid="similar-cases"' in page and "已安排环卫工人清运。" in page


@pytest.fixture
def as_handler(client, world):
    client.force_login(world.u("handler"))
    return client


def test_one_click_answer_from_the_knowledge_base(world, kb, client):
    appeal = new_appeal(
        world, title="新生儿医保怎么办", description="孩子刚出生，想问新生儿医保怎么办理。"
    )
    client.force_login(world.u("intake"))
    page = client.get(f"/console/appeals/{appeal.number}/").content.decode()
    entry = kb[0]
    assert 'data-testid="knowledge-answers"' in page
    assert f'data-testid="kb-answer-{entry.pk}"' in page and entry.answer in page
    response = client.post(
        f"/console/appeals/{appeal.number}/act/answer/",
        {"reply": entry.answer, "expected_version": appeal.version},
    )
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == Status.ANSWERED and appeal.reply == entry.answer
    # A complaint gets no answers offered, and neither does a role that may not answer.
    complaint = new_appeal(world, title="新生儿医保怎么办", description="新生儿医保怎么办理。")
    workflow.register(
        complaint,
        world.u("intake"),
        appeal_type=world.complaint,
        category=world.leaf,
        grade=world.grade_c,
    )
    page = client.get(f"/console/appeals/{complaint.number}/").content.decode()
    assert 'data-testid="knowledge-answers"' not in page
    fresh = new_appeal(world, title="新生儿医保怎么办", description="新生儿医保怎么办理。")
    client.force_login(world.u("supervisor"))
    page = client.get(f"/console/appeals/{fresh.number}/").content.decode()
    assert 'data-testid="knowledge-answers"' not in page
    assert Appeal.objects.get(pk=fresh.pk).status == Status.RECEIVED
