# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Weekly and monthly reports (HTML and PDF) and the recommendations to units drafted from the
figures: edited and issued by a supervisor, answered by the unit, kept with the response."""

import datetime as dt

import pytest

from jiesu.appeals import timesource
from jiesu.appeals.tests.conftest import SHANGHAI
from jiesu.insights import reports
from jiesu.insights.models import Recommendation
from jiesu.insights.tests.test_emerging import WEDNESDAY, rising  # noqa: F401
from jiesu.tests.pdf import readable

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture
def draft(world):
    return Recommendation.objects.create(
        unit=world.urban,
        title="Rising: 暴露垃圾",
        text="草稿",
        period_start=dt.date(2026, 11, 16),
        period_end=dt.date(2026, 11, 22),
        created_at=NOW,
    )


def test_edit_issue_and_answer(client, world, draft):
    url = f"/console/insights/recommendations/{draft.pk}/"
    client.force_login(world.u("supervisor"))
    with timesource.frozen_at(NOW):
        r = client.post(url, {"action": "save", "title": "垃圾清运", "text": "增加清运频次"})
    assert r.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.text, draft.state) == ("垃圾清运", "增加清运频次", "draft")
    # An empty text is refused and changes nothing.
    r = client.post(url, {"action": "issue", "title": "垃圾清运", "text": ""})
    assert r.status_code == 200
    draft.refresh_from_db()
    assert draft.state == "draft" and draft.text == "增加清运频次"
    with timesource.frozen_at(NOW):
        client.post(url, {"action": "issue", "title": "垃圾清运", "text": "增加清运频次"})
    draft.refresh_from_db()
    assert draft.state == "issued" and draft.issued_by == world.u("supervisor")
    # Issued: no more editing.
    r = client.post(url, {"action": "save", "title": "改", "text": "改"})
    assert r.status_code == 403
    # Another unit's leader does not see it; the unit's leader answers.
    client.force_login(world.u("water_leader"))
    assert client.get(url).status_code == 404
    client.force_login(world.u("leader"))
    page = client.get(url).content.decode()
    assert "增加清运频次" in page and 'data-testid="answer"' in page
    with timesource.frozen_at(NOW + dt.timedelta(days=2)):
        client.post(url, {"action": "answer", "response": "已增加为每日两次"})
    draft.refresh_from_db()
    assert draft.state == "answered" and draft.response == "已增加为每日两次"
    assert draft.responded_by == world.u("leader")
    client.force_login(world.u("supervisor"))
    listing = client.get("/console/insights/reports/").content.decode()
    assert "已增加为每日两次" in listing or "垃圾清运" in listing


def test_only_supervisors_draft_and_issue(client, world, draft):
    client.force_login(world.u("analyst"))
    assert client.post("/console/insights/reports/week/").status_code == 403
    r = client.post(
        f"/console/insights/recommendations/{draft.pk}/",
        {"action": "issue", "title": "x", "text": "y"},
    )
    assert r.status_code == 403
    draft.refresh_from_db()
    assert draft.state == "draft"


def test_weekly_report_html_and_pdf(client, rising):  # noqa: F811
    client.force_login(rising.u("supervisor"))
    with timesource.frozen_at(WEDNESDAY):
        page = client.get("/console/insights/reports/week/?day=2026-11-30")
        pdf = client.get("/console/insights/reports/week/pdf/?day=2026-11-30")
    text = page.content.decode()
    assert page.status_code == 200 and 'data-testid="report"' in text
    assert "环境卫生" in text  # the emerging issue of the week (23-29 Nov) is in the report
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # The document says its language (readers and screen readers use it): the page's own.
    assert b"/Lang (zh-hans)" in readable(pdf.content)
    with timesource.frozen_at(WEDNESDAY):
        english = client.get("/en/console/insights/reports/week/pdf/?day=2026-11-30")
    assert b"/Lang (en)" in readable(english.content)


def test_recommendations_drafted_from_a_rising_category(world):
    """A category in one region: 5 appeals in the last four weeks against 2 in the four
    before (+150%, above the 40% rule; the appeal of 1 October is older than eight weeks) is
    drafted for the unit that led most of them, with its evidence."""
    from jiesu.insights.tests.test_emerging import _file

    start = dt.datetime(2026, 10, 1, 10, tzinfo=SHANGHAI)
    for i in range(3):
        _file(world, start + dt.timedelta(days=7 * i), world.leaf, title=f"早{i}")
    end = dt.date(2026, 11, 27)
    for i in range(5):
        appeal = _file(
            world,
            dt.datetime(2026, 11, 2 + i, 10, tzinfo=SHANGHAI),
            world.leaf,
            title=f"近{i}",
        )
        from jiesu.appeals import workflow

        with timesource.frozen_at(dt.datetime(2026, 11, 2 + i, 11, tzinfo=SHANGHAI)):
            workflow.dispatch(appeal, world.u("dispatcher"))
    from jiesu.insights import refresh

    refresh.catch_up()
    drafts = reports.draft_recommendations(end - dt.timedelta(days=6), end)
    rising_ones = [d for d in drafts if d["category_id"] == world.leaf.pk]
    assert rising_ones, drafts
    assert rising_ones[0]["unit_id"] == world.urban.pk
    assert "150%" in rising_ones[0]["text"] and "2 → 5" in rising_ones[0]["text"]
