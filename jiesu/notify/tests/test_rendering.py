# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Message texts: a template per event and language, a generic fallback, plain text."""

import pytest

from jiesu.notify import outbox
from jiesu.notify.rendering import render_event, render_message

pytestmark = pytest.mark.django_db

# Every event the appeals room sends, with the context keys it gives (see jiesu/appeals/workflow).
CITIZEN = {
    "citizen.accepted": {},
    "citizen.dispatched": {"unit": "坪山区城市管理和综合执法局"},
    "citizen.extended": {"due": "2026-12-03 18:00"},
    "citizen.feedback": {"reply": "经现场核查，垃圾已于今日清运完毕，并安排保洁员每日巡查。"},
    "citizen.closed": {},
    "citizen.rejected": {"reason": "不属于本平台受理范围，请通过诉讼途径解决该纠纷"},
    "citizen.answered": {"reply": "办理居住证需携带身份证、租赁合同到社区工作站申请。"},
    "citizen.merged": {"into": "PS20261101000045"},
}
STAFF = {
    "unit.new_work": {"role": "lead"},
    "unit.clock_warning": {"clock": "办理", "due": "2026-12-03 18:00"},
    "unit.clock_breach": {"clock": "办理", "due": "2026-12-03 18:00"},
    "unit.supervision": {"reason": "办理超期"},
    "unit.reopened": {"reason": "群众不满意"},
    "unit.sent_back": {"reason": "缺少现场照片"},
    "unit.return_refused": {"reason": "属于本单位职责"},
    "unit.extension_approved": {},
    "unit.extension_refused": {"reason": "理由不充分"},
    "unit.completion_awaiting_approval": {},
    "supervisor.clock_warning": {"clock": "签收", "due": "2026-12-03 18:00"},
    "supervisor.clock_breach": {"clock": "签收", "due": "2026-12-03 18:00"},
    "supervisor.supervision": {"reason": "办理超期"},
    "supervisor.supervision_answered": {},
}
BASE = {"number": "PS20261102000001", "title": "小区门口垃圾堆放三天无人清理", "status": "已派单"}
TRACKED = {"citizen.accepted", "citizen.dispatched", "citizen.extended", "citizen.merged"}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("event", sorted(CITIZEN | STAFF))
def test_every_event_has_its_own_template_in_both_languages(event, language):
    context = {**BASE, **{**CITIZEN, **STAFF}[event]}
    rendered = render_event(event, language, context)
    assert rendered.template == f"notify/{event}.{language}.txt" and not rendered.generic
    assert rendered.subject and rendered.body
    assert "{" not in rendered.body and "\n\n\n" not in rendered.body
    assert "PS20261102000001" in rendered.body + rendered.subject
    for value in {**CITIZEN, **STAFF}[event].values():
        if event == "unit.new_work":
            continue
        # Every value given is shown (long ones may be shortened for an SMS).
        assert value[:10] in rendered.body or value in rendered.subject


@pytest.mark.parametrize("event", sorted(CITIZEN))
def test_citizen_sms_is_short_with_number_and_tracking_hint(event):
    body = render_event(event, "zh-hans", {**BASE, **CITIZEN[event]}).body
    # One SMS is 70 Chinese characters, the signature (【坪山区民生诉求】) included.
    assert len(body) <= 70 - 9, body
    assert "PS20261102000001" in body
    if event in TRACKED:
        assert "可凭诉求编号查询进度" in body
    assert BASE["title"] not in body  # no appeal content in an SMS beyond the number


def test_assisting_unit_wording():
    lead = render_event("unit.new_work", "zh-hans", {**BASE, "role": "lead"}).body
    assist = render_event("unit.new_work", "zh-hans", {**BASE, "role": "assist"}).body
    assert "主办" in lead and "协办" in assist


def test_unknown_event_uses_the_generic_template():
    rendered = render_event("rewards.paid", "zh-hans", {**BASE, "reason": "举报属实"})
    assert rendered.generic and rendered.template == "notify/_generic.zh-hans.txt"
    assert rendered.subject == "接诉通知：PS20261102000001"
    assert "诉求编号：PS20261102000001" in rendered.body and "说明：举报属实" in rendered.body
    english = render_event("rewards.paid", "en", {"x": 1}, about="batch 7")
    assert english.subject == "接诉 notice: batch 7" and english.body == "About: batch 7"


@pytest.mark.parametrize("event", ["../../settings", "citizen/accepted", "", "A.B"])
def test_odd_event_codes_never_reach_the_file_system(event):
    assert render_event(event, "zh-hans", BASE).generic


@pytest.mark.parametrize(
    "language, template",
    [
        ("en-us", "citizen.accepted.en"),
        ("zh-cn", "citizen.accepted.zh-hans"),
        ("fr", "citizen.accepted.zh-hans"),
        ("", "citizen.accepted.zh-hans"),
    ],
)
def test_language_variants_and_fallback(language, template):
    assert render_event("citizen.accepted", language, BASE).template == f"notify/{template}.txt"


def test_text_is_not_html_escaped():
    body = render_event("unit.sent_back", "zh-hans", {**BASE, "reason": "<b>照片</b> & 说明"}).body
    assert "<b>照片</b> & 说明" in body


def test_project_templates_override_and_site_settings(settings, tmp_path):
    (tmp_path / "notify").mkdir()
    (tmp_path / "notify" / "citizen.closed.zh-hans.txt").write_text(
        "结案\n【{{ site_name }}】{{ number }}已结案，查询：{{ tracking_url }}\n"
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    settings.JIESU_NOTIFY = {"SITE_NAME": "坪山民生", "TRACKING_URL": "https://ps.example/t"}
    rendered = render_event("citizen.closed", "zh-hans", BASE)
    assert rendered.template == "notify/citizen.closed.zh-hans.txt"
    assert rendered.body == "【坪山民生】PS20261102000001已结案，查询：https://ps.example/t"


def test_render_message_of_a_row(staff):
    n = outbox.enqueue(
        "supervisor.supervision_answered",
        user=staff["leader"],
        context=BASE,
        idempotency_key="r",
        language="en",
    )
    subject, body = render_message(n)
    assert subject == "Supervision answered: PS20261102000001"
    assert body.startswith(BASE["title"])
