# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The console with the dispatch room: suggestions at the intake desk and on the appeal page,
one-click apply, override reasons, the auto-dispatch administration and the rule test panel.
Pages are read in English (/en/...), so assertions read the source strings."""

import re

import pytest

from jiesu.appeals import workflow
from jiesu.appeals.states import Status
from jiesu.appeals.tests.conftest import MONDAY_10, new_appeal
from jiesu.catalog.models import Category
from jiesu.dispatch import auto
from jiesu.dispatch.models import CategoryPolicy, ChannelPolicy, Override, RoutingRule, Triage
from jiesu.intake.models import Channel

BUILDING = {
    "title": "道路施工扬尘严重",
    "description": "道路施工扬尘严重，工地围挡破损，晚上还有噪音",
}
AUTO_URL = "/en/console/manage/dispatch/auto/"
TEST_URL = "/en/console/manage/dispatch/rules/test/"


@pytest.fixture
def queued(world, active_model, at):
    with at(MONDAY_10):
        appeal = new_appeal(world, **BUILDING)
        triage = auto.triage(appeal.pk)
    assert triage.outcome == Triage.Outcome.QUEUED
    return appeal


def test_intake_desk_shows_suggestions_with_confidence_and_reasons(client, world, queued):
    client.force_login(world.u("intake"))
    page = client.get("/en/console/intake/").content.decode()
    assert f'data-testid="dispatch-suggestions-{queued.number}"' in page
    assert world.leaf.name in page and "category-v1" in page
    assert world.urban.name in page
    assert f'data-testid="apply-register-{queued.number}"' in page


def test_one_click_register_applies_the_suggestion(client, world, queued):
    client.force_login(world.u("intake"))
    page = client.get(f"/en/console/appeals/{queued.number}/").content.decode()
    assert 'data-testid="dispatch-panel"' in page
    assert "No threshold is set for this category." in page
    triage = Triage.objects.get(appeal=queued)
    s = triage.suggestions
    response = client.post(
        f"/en/console/appeals/{queued.number}/act/register/",
        {
            "appeal_type": s["type"]["id"],
            "category": s["category"][0]["id"],
            "grade": s["grade"]["id"],
            "expected_version": queued.version,
        },
    )
    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.status == Status.REGISTERED and queued.category == world.leaf


def _register(world, appeal):
    return workflow.register(
        appeal.pk,
        world.u("intake"),
        appeal_type=world.complaint,
        category=world.leaf,
        grade=world.grade_c,
    )


def test_dispatch_form_preselects_the_suggested_unit(client, world, queued):
    appeal = _register(world, queued)
    client.force_login(world.u("dispatcher"))
    page = client.get(f"/en/console/appeals/{appeal.number}/").content.decode()
    assert f'data-testid="apply-dispatch-{world.urban.code}"' in page
    assert f'<option value="{world.urban.pk}" selected' in page


def test_override_needs_a_reason_and_is_recorded(client, world, queued):
    appeal = _register(world, queued)
    client.force_login(world.u("dispatcher"))
    url = f"/en/console/appeals/{appeal.number}/act/dispatch/"
    refused = client.post(url, {"lead_unit": world.water.pk, "expected_version": appeal.version})
    assert refused.status_code == 400
    assert "pick the reason" in refused.content.decode()
    appeal.refresh_from_db()
    assert appeal.status == Status.REGISTERED
    assert not Override.objects.exists()
    done = client.post(
        url,
        {
            "lead_unit": world.water.pk,
            "override_reason": Override.Reason.REMIT,
            "expected_version": appeal.version,
        },
    )
    assert done.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == Status.DISPATCHED
    override = Override.objects.get()
    assert (override.suggested_unit, override.chosen_unit, override.reason) == (
        world.urban,
        world.water,
        "remit",
    )
    assert override.actor == world.u("dispatcher")


def test_following_the_suggestion_records_no_override(client, world, queued):
    appeal = _register(world, queued)
    client.force_login(world.u("dispatcher"))
    response = client.post(
        f"/en/console/appeals/{appeal.number}/act/dispatch/",
        {"lead_unit": world.urban.pk, "expected_version": appeal.version},
    )
    assert response.status_code == 302
    assert not Override.objects.exists()


# -- administration --------------------------------------------------------------------------


def test_policies_page_shows_the_precision_table_beside_each_category(client, world, active_model):
    client.force_login(world.u("admin"))
    page = client.get(AUTO_URL).content.decode()
    assert "category-v1" in page
    assert f'data-testid="policy-{world.leaf.code}"' in page
    assert "0.95" in page  # a threshold row of the measured table


def test_each_category_table_is_folded_under_its_figures_at_the_threshold_in_force(
    client, world, active_model
):
    """One line per category (its precision and coverage where its threshold sits); the full
    table opens on demand, so the page stays short with dozens of categories."""
    import re

    from jiesu.console.views.auto_dispatch import _at_threshold
    from jiesu.dispatch.models import ModelVersion

    client.force_login(world.u("admin"))
    assert client.get(AUTO_URL).status_code == 200
    version = ModelVersion.objects.get(pk=active_model.pk)
    table = auto.precision_table(version, auto.label_of(world.leaf, version))
    assert table
    # Below every measured threshold: no row applies; the summary says how many were measured.
    CategoryPolicy.objects.create(category=world.leaf, threshold=0.0, auto_dispatch=True)
    page = client.get(AUTO_URL).content.decode()
    block = re.search(
        rf'<details data-testid="measured-{world.leaf.code}"><summary>(.*?)</summary>', page, re.S
    )
    assert block is not None
    lowest = min(r["threshold"] for r in table)
    if lowest > 0:
        assert f"Measured at {len(table)} threshold" in block.group(1)
    # A threshold in force falls on the highest measured threshold not above it.
    pick = sorted(table, key=lambda r: r["threshold"])[-1]
    CategoryPolicy.objects.filter(category=world.leaf).update(threshold=pick["threshold"] + 0.001)
    page = client.get(AUTO_URL).content.decode()
    block = re.search(
        rf'<details data-testid="measured-{world.leaf.code}"><summary>(.*?)</summary>', page, re.S
    )
    row = _at_threshold(table, pick["threshold"] + 0.001)
    assert row["threshold"] == pick["threshold"]
    assert f"At {pick['threshold']}: precision" in block.group(1)
    assert f"coverage {round(pick['coverage'] * 100)}%" in block.group(1)


def test_triage_and_override_lists_in_the_admin_name_their_columns_in_chinese(
    client, world, queued
):
    """The triage's outcome is the dispatch's (分拨结果), not a return visit's (回访结果), and
    no column header is left as an English field name."""
    from django.utils import translation

    client.force_login(world.u("admin"))
    with translation.override("zh-hans"):
        page = client.get("/admin/dispatch/triage/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    text = page.content.decode()
    assert "分拨结果" in text and "回访结果" not in text
    headers = re.findall(r'<th scope="col"[^>]*>.*?<a[^>]*>([^<]+)</a>', text, re.S)
    assert headers and all(not h.strip().isascii() for h in headers), headers
    with translation.override("zh-hans"):
        page = client.get("/admin/dispatch/override/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    headers = re.findall(
        r'<th scope="col"[^>]*>.*?<a[^>]*>([^<]+)</a>', page.content.decode(), re.S
    )
    assert headers and all(not h.strip().isascii() for h in headers), headers


def test_auto_dispatch_tables_name_each_cell_for_the_phone_layout(client, world, active_model):
    """At 390 px the console's tables become one card per row, each cell headed by its
    data-label: the precision tables showed bare numbers."""
    client.force_login(world.u("admin"))
    page = client.get(AUTO_URL).content.decode()
    for label in ("Threshold", "Precision", "Coverage", "Predictions", "Category"):
        assert f'data-label="{label}"' in page, label
    cells = re.findall(r"<td[^>]*>", page)
    assert cells and all("data-label=" in c for c in cells if "colspan" not in c)


def test_policies_page_is_for_administrators_only(client, world, active_model):
    client.force_login(world.u("dispatcher"))
    assert client.get(AUTO_URL).status_code == 403


def test_threshold_is_saved_and_bad_input_changes_nothing(client, world, active_model):
    client.force_login(world.u("admin"))
    bad = client.post(
        AUTO_URL, {"category": world.leaf.pk, "threshold": "1.5", "auto_dispatch": "on"}
    )
    assert bad.status_code == 400
    assert "A threshold lies between 0 and 1." in bad.content.decode()
    bad = client.post(AUTO_URL, {"category": world.leaf.pk, "threshold": "abc"})
    assert bad.status_code == 400
    assert not CategoryPolicy.objects.exists()
    ok = client.post(
        AUTO_URL, {"category": world.leaf.pk, "threshold": "0.8", "auto_dispatch": "on"}
    )
    assert ok.status_code == 302
    policy = CategoryPolicy.objects.get(category=world.leaf)
    assert (policy.threshold, policy.auto_dispatch) == (0.8, True)
    assert auto.threshold_for(world.leaf) == 0.8


def test_channel_switch(client, world, active_model):
    Channel.objects.create(code="hotline", name="热线", kind=Channel.Kind.HOTLINE)
    client.force_login(world.u("admin"))
    assert client.post(AUTO_URL, {"channel": "hotline"}).status_code == 302
    assert auto.channel_switched_off("hotline")
    client.post(AUTO_URL, {"channel": "hotline", "auto_dispatch": "1"})
    assert not auto.channel_switched_off("hotline")
    bad = client.post(AUTO_URL, {"channel": "nosuch"})
    assert bad.status_code == 400
    assert not ChannelPolicy.objects.filter(channel="nosuch").exists()


def test_rule_test_panel_names_the_deciding_rule(client, world):
    RoutingRule.objects.create(name="夜间噪音", position=1, lead_unit=world.water, keywords="噪音")
    RoutingRule.objects.create(name="全部", position=2, lead_unit=world.centre)
    client.force_login(world.u("admin"))
    page = client.get(TEST_URL, {"category": world.leaf.pk, "text": "工地噪音"}).content.decode()
    assert 'data-testid="rule-test-result"' in page
    assert world.water.name in page
    page = client.get(TEST_URL, {"category": world.leaf.pk, "text": "垃圾"}).content.decode()
    assert "None of the keywords appears" in page


def test_rule_test_panel_from_an_appeal_and_bad_input(client, world, at):
    with at(MONDAY_10):
        appeal = new_appeal(world, **BUILDING)
    client.force_login(world.u("admin"))
    page = client.get(TEST_URL, {"appeal": appeal.number, "category": world.leaf.pk})
    assert page.status_code == 200 and world.urban.name in page.content.decode()
    bad = client.get(TEST_URL, {"appeal": "NOPE", "hour": "25"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "No appeal has this number." in text and "An hour is 0 to 23." in text


def test_rule_edits_in_the_admin_are_kept_in_its_history(client, world):
    from django.contrib.admin.models import LogEntry

    client.force_login(world.u("admin"))
    response = client.post(
        "/en/admin/dispatch/routingrule/add/",
        {
            "name": "夜间噪音",
            "position": "1",
            "active": "on",
            "keywords": "噪音",
            "lead_unit": world.water.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = RoutingRule.objects.get(name="夜间噪音")
    bad = client.post(
        f"/en/admin/dispatch/routingrule/{rule.pk}/change/",
        {"name": "夜间噪音", "position": "1", "hour_from": "22", "lead_unit": world.water.pk},
    )
    assert bad.status_code == 200 and "Give both hours of the window, or neither." in (
        bad.content.decode()
    )
    rule.refresh_from_db()
    assert rule.hour_from is None and rule.active
    entries = LogEntry.objects.filter(object_id=str(rule.pk), user=world.u("admin"))
    assert entries.count() == 1


def test_registered_under_another_category_the_suggestion_follows_it(client, world, queued):
    appeal = workflow.register(
        queued.pk,
        world.u("intake"),
        appeal_type=world.complaint,
        category=world.other_leaf,  # no handling rule: the backstop leads
        grade=world.grade_c,
    )
    client.force_login(world.u("dispatcher"))
    page = client.get(f"/en/console/appeals/{appeal.number}/").content.decode()
    assert f'data-testid="apply-dispatch-{world.centre.code}"' in page
    assert f'data-testid="apply-dispatch-{world.urban.code}"' not in page
    response = client.post(
        f"/en/console/appeals/{appeal.number}/act/dispatch/",
        {"lead_unit": world.centre.pk, "expected_version": appeal.version},
    )
    assert response.status_code == 302
    assert not Override.objects.exists()


def test_policies_page_suggests_thresholds_and_sets_them_in_bulk(client, world, active_model):
    """Each category shows the threshold its measurements support (95% confidence) and the
    table shows the precision each row proves; one button sets every suggestion."""
    from jiesu.dispatch.models import ModelVersion

    client.force_login(world.u("admin"))
    page = client.get(AUTO_URL).content.decode()
    assert "At least (95% confidence)" in page
    assert 'data-testid="auto-overall-suggested"' in page
    version = ModelVersion.objects.get(pk=active_model.pk)
    overall = auto.precision_table(version)
    table = auto.precision_table(version, auto.label_of(world.leaf, version))
    suggested = auto.suggested_threshold(table, overall)
    if suggested is None:
        assert "Suggested: none (not automatic)" in page
    else:
        assert f"Suggested: {suggested}" in page
    assert not CategoryPolicy.objects.exists()

    response = client.post(AUTO_URL, {"apply_suggestions": "1"})
    assert response.status_code == 302
    written = {p.category_id: p.threshold for p in CategoryPolicy.objects.all()}
    expected = {}
    for leaf in Category.objects.filter(level=Category.Level.LEAF):
        label = auto.label_of(leaf, version)
        value = auto.suggested_threshold(auto.precision_table(version, label), overall)
        if label and value is not None:
            expected[leaf.pk] = value
    assert written == expected


def test_setting_suggestions_without_a_model_says_so_and_changes_nothing(client, world):
    client.force_login(world.u("admin"))
    response = client.post(AUTO_URL, {"apply_suggestions": "1"}, follow=True)
    assert "No threshold was set" in response.content.decode()
    assert not CategoryPolicy.objects.exists()


def test_only_administrators_set_suggested_thresholds(client, world, active_model):
    client.force_login(world.u("dispatcher"))
    response = client.post(AUTO_URL, {"apply_suggestions": "1"})
    assert response.status_code in (302, 403)
    assert not CategoryPolicy.objects.exists()


def test_the_target_precision_of_the_suggestions_can_be_chosen(client, world, active_model):
    from jiesu.dispatch.models import ModelVersion

    client.force_login(world.u("admin"))
    version = ModelVersion.objects.get(pk=active_model.pk)
    overall = auto.precision_table(version)
    table = auto.precision_table(version, auto.label_of(world.leaf, version))
    page = client.get(AUTO_URL, {"target": "60"}).content.decode()
    suggested = auto.suggested_threshold(table, overall, 0.6)
    assert (f"Suggested: {suggested}" if suggested is not None else "Suggested: none") in page
    assert 'name="target" value="60"' in page
    client.post(AUTO_URL, {"apply_suggestions": "1", "target": "60"})
    policy = CategoryPolicy.objects.filter(category=world.leaf).first()
    assert (policy.threshold if policy else None) == suggested


@pytest.mark.parametrize("bad", ["abc", "20", "101"])
def test_a_target_outside_50_100_percent_is_refused_and_changes_nothing(
    client, world, active_model, bad
):
    client.force_login(world.u("admin"))
    response = client.get(AUTO_URL, {"target": bad})
    assert response.status_code == 400
    assert "between 50 and 100 percent" in response.content.decode()
    response = client.post(AUTO_URL, {"apply_suggestions": "1", "target": bad}, follow=True)
    assert "between 50 and 100 percent" in response.content.decode()
    assert not CategoryPolicy.objects.exists()


def test_the_target_error_reads_in_chinese(client, world, active_model):
    client.force_login(world.u("admin"))
    response = client.get(AUTO_URL.replace("/en/", "/"), {"target": "20"})
    assert response.status_code == 400
    assert "目标准确率应在 50 到 100 之间" in response.content.decode()
