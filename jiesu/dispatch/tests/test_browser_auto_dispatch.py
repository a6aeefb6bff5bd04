# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Selective auto-dispatch at the intake desk, in a real browser on the demo district: a new
appeal waits with its suggestions (confidence and reasons); the operator registers it as
suggested in one click; the dispatcher dispatches it to the suggested unit in one click; the
administrator sets the category's threshold beside its precision table, and the next such
appeal is dispatched by the system actor. Same setup and skips as test_browser_journeys."""

from __future__ import annotations

from jiesu.appeals import workflow
from jiesu.appeals.models import Event
from jiesu.appeals.states import Status
from jiesu.catalog.models import Category
from jiesu.console.tests.browser import PHONE, page_width, shot
from jiesu.console.tests.test_browser_journeys import LEAF, demo, pytestmark, staff  # noqa: F401
from jiesu.dispatch import auto, registry, textmodel
from jiesu.dispatch.classifier import read_csv
from jiesu.dispatch.models import CategoryPolicy, ModelVersion, Triage
from jiesu.dispatch.tests.conftest import FIXTURE

TEXT = {
    "title": "道路施工扬尘严重",
    "description": "道路施工扬尘严重，工地围挡破损，晚上还有噪音",
    "reporter_name": "王先生",
    "reporter_phone": "13700002222",
    "address": "坪山街道六联社区坪山大道",
}


def _train_on_demo_leaves():
    others = list(
        Category.objects.filter(level=Category.Level.LEAF).exclude(code=LEAF).order_by("code")[:2]
    )
    mapping = {"城乡建设": LEAF, "教育文体": others[0].code, "卫生计生": others[1].code}
    texts, labels = read_csv(str(FIXTURE), ["title", "text"], "category_l1")
    model = textmodel.TextClassifier.train(texts, [mapping[label] for label in labels])
    return registry.register(
        ModelVersion.Kind.CATEGORY, model.dumps(), meta=model.meta, activate=True
    )


def _receive(demo):  # noqa: F811
    appeal = workflow.receive(channel="hotline", actor=demo.u("intake"), **TEXT)
    auto.triage(appeal.pk)  # what the task does after the commit
    return appeal


def test_suggestions_one_click_apply_and_automatic_dispatch(staff, demo):  # noqa: F811
    version = _train_on_demo_leaves()
    appeal = _receive(demo)
    assert Triage.objects.get(appeal=appeal).outcome == Triage.Outcome.QUEUED

    intake = staff.login("intake")
    box = intake.locator(f'[data-testid="dispatch-suggestions-{appeal.number}"]')
    assert demo.leaf.name in box.inner_text()
    assert version.label in box.inner_text()
    assert "%" in box.locator('[data-testid="category-confidence"]').first.inner_text()
    shot(intake, "console-intake-dispatch-suggestions", doc=True)
    box.locator(f'[data-testid="apply-register-{appeal.number}"]').click()
    intake.wait_for_url("**/console/intake/**")
    appeal.refresh_from_db()
    assert appeal.status == Status.REGISTERED and appeal.category.code == LEAF

    dispatcher = staff.login("dispatcher")
    dispatcher.goto(f"/console/appeals/{appeal.number}/")
    panel = dispatcher.locator('[data-testid="dispatch-panel"]')
    assert demo.urban.name in panel.inner_text()
    panel.locator(f'[data-testid="apply-dispatch-{demo.urban.code}"]').click()
    dispatcher.wait_for_url(f"**/console/appeals/{appeal.number}/")
    appeal.refresh_from_db()
    assert appeal.status == Status.DISPATCHED
    assert appeal.assignments.get(role="lead", active=True).unit == demo.urban

    admin = staff.login("admin")
    admin.goto("/console/manage/dispatch/auto/")
    form = admin.locator(f'[data-testid="policy-{LEAF}"]')
    form.locator("input[name=threshold]").fill("0.05")
    form.locator("button[type=submit]").click()
    admin.wait_for_url("**/console/manage/dispatch/auto/**")
    assert "0.05" in admin.locator(f"#cat-{demo.leaf.pk}").inner_text()

    second = _receive(demo)
    second.refresh_from_db()
    assert second.status == Status.DISPATCHED
    event = Event.objects.get(appeal=second, kind="dispatch")
    assert event.payload["decision"]["model"] == version.label
    dispatcher.goto(f"/console/appeals/{second.number}/")
    assert "自动分拨" in dispatcher.content()


def test_the_administration_pages_fit_a_phone(staff, demo):  # noqa: F811
    _train_on_demo_leaves()
    appeal = _receive(demo)
    admin = staff.login("admin", viewport=PHONE)
    admin.goto("/console/manage/dispatch/auto/")
    assert admin.locator(f'[data-testid="policy-{LEAF}"]').is_visible()
    assert page_width(admin) <= PHONE["width"]
    shot(admin, "console-auto-dispatch-phone", full_page=True)
    # Suggestions for a target typed in percent, then every category set to its suggestion.
    admin.locator('[data-testid="target-form"] input[name=target]').fill("60")
    admin.locator('[data-testid="target-form"] button[type=submit]').click()
    admin.wait_for_url("**/console/manage/dispatch/auto/?target=60**")
    suggested = admin.locator(f'[data-testid="suggested-{LEAF}"]').inner_text()
    assert suggested.startswith("建议值")
    assert page_width(admin) <= PHONE["width"]
    admin.locator('[data-testid="apply-suggestions"] button').click()
    admin.wait_for_url("**/console/manage/dispatch/auto/")
    policy = CategoryPolicy.objects.filter(category=demo.leaf).first()
    if "无" in suggested:
        assert policy is None
    else:
        assert policy is not None and suggested.endswith(str(policy.threshold))
    admin.goto(
        f"/console/manage/dispatch/rules/test/?appeal={appeal.number}&category={demo.leaf.pk}"
    )
    assert demo.urban.name in admin.locator('[data-testid="rule-test-result"]').inner_text()
    assert page_width(admin) <= PHONE["width"]
    intake = staff.login("intake", viewport=PHONE)
    assert intake.locator(f'[data-testid="dispatch-suggestions-{appeal.number}"]').is_visible()
    assert page_width(intake) <= PHONE["width"]
