# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Issue 9 defects 1 and 2 through the test client: clock states on the appeal page, the
supervision desk's list of closed appeals the citizen rated not satisfied, both ratings in the
Excel export, and names instead of raw labels in the history."""

import io

from openpyxl import load_workbook

from jiesu.appeals import workflow
from jiesu.appeals.tests.conftest import completed, in_progress, visiting
from jiesu.intake.models import Channel


def closed_then_unsatisfied(world):
    appeal = visiting(world, channel="web_snap", actor=None)
    workflow.record_visit(appeal, world.u("visitor"), outcome="satisfied")
    return workflow.citizen_rate(appeal, rating="unsatisfied", comment="还是没修好")


def test_supervision_desk_lists_closed_appeals_the_citizen_rated_unsatisfied(as_user, world):
    rated = closed_then_unsatisfied(world)
    happy = visiting(world)
    workflow.record_visit(happy, world.u("visitor"), outcome="satisfied")
    workflow.citizen_rate(happy, rating="satisfied")
    page = as_user("supervisor").get("/console/supervision/?tab=unsatisfied").content.decode()
    assert "已结案但市民不满意" in page
    listed = page.split('data-testid="appeal-list"')[1]
    assert rated.number in listed and happy.number not in listed
    # Reopened by the supervisor: the decision is taken, it leaves the list.
    workflow.reopen(rated, world.u("supervisor"), reason="市民不满意")
    page = as_user("supervisor").get("/console/supervision/?tab=unsatisfied").content.decode()
    assert rated.number not in page.split('data-testid="appeal-list"')[1]


def test_export_has_the_visit_and_the_citizen_rating(as_user, world):
    rated = closed_then_unsatisfied(world)
    response = as_user("supervisor").post("/console/search/export/", {"query": ""})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    row = dict(zip(header, next(r for r in rows if r[0] == rated.number), strict=True))
    assert row["回访评价"] == "满意"
    assert row["诉求人评价"] == "不满意"
    assert row["诉求人留言"] == "还是没修好"


def test_history_names_citizens_by_channel(as_user, world):
    Channel.objects.update_or_create(
        code="web_snap", defaults={"name": "网页随手拍", "kind": Channel.Kind.WEB}
    )
    rated = closed_then_unsatisfied(world)
    page = as_user("supervisor").get(f"/console/appeals/{rated.number}/").content.decode()
    timeline = page.split('class="timeline"')[1].split("</ol>")[0]
    assert timeline.count("市民（网页随手拍）") == 2  # the report and the rating
    assert "channel:web_snap" not in page and ">citizen<" not in timeline
    assert "不满意: 还是没修好" in timeline  # what the citizen said
    workorder = as_user("supervisor").get(f"/console/appeals/{rated.number}/workorder/")
    assert "市民（网页随手拍）" in workorder.content.decode()


def test_clock_states_say_missed_and_not_applicable(as_user, world):
    missed = completed(world)
    page = as_user("supervisor").get(f"/console/appeals/{missed.number}/").content.decode()
    clocks = page.split('class="list spaced"')[1].split("</table>")[0]
    contact_row = clocks.split("先行联系")[1].split("</tr>")[0]
    assert "未履行" in contact_row and "按时完成" not in contact_row
    nobody = in_progress(world, anonymous=True, reporter_name="", reporter_phone="")
    workflow.complete(nobody, world.u("handler"), result="已处理", evidence="照片")
    page = as_user("supervisor").get(f"/console/appeals/{nobody.number}/").content.decode()
    contact_row = page.split('class="list spaced"')[1].split("先行联系")[1].split("</tr>")[0]
    assert "不适用" in contact_row and "按时完成" not in contact_row
