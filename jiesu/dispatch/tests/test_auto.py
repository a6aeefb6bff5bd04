# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Selective auto-dispatch: confident appeals are registered and dispatched by the system actor
with an audit event naming the model version and scores; the rest are queued with reasons;
switches, idempotence, an operator acting first, hot reload of the active model."""

import pytest

from jiesu.appeals import workflow
from jiesu.appeals.models import Appeal, Event
from jiesu.appeals.states import Status
from jiesu.appeals.tests.conftest import MONDAY_10, new_appeal
from jiesu.dispatch import auto, duplicates, registry
from jiesu.dispatch.bounds import share_low
from jiesu.dispatch.models import (
    CategoryPolicy,
    ChannelPolicy,
    DuplicateShortlist,
    ModelVersion,
    Triage,
)
from jiesu.dispatch.tasks import triage_appeal

BUILDING = {
    "title": "道路施工扬尘严重",
    "description": "道路施工扬尘严重，工地围挡破损，晚上还有噪音",
}
SCHOOL = {"title": "学校食堂", "description": "学校食堂饭菜质量差，孩子们吃不饱，希望教育局管一管"}


def confidence_of(world, **text):
    appeal = new_appeal(world, **text)
    return auto.needed_confidence(auto.propose(appeal)), appeal


@pytest.fixture
def confident(world, active_model, at):
    """A received 城乡建设 appeal whose category policy threshold lies just below its
    confidence."""
    with at(MONDAY_10):
        conf, appeal = confidence_of(world, **BUILDING)
    assert conf is not None
    CategoryPolicy.objects.create(category=world.leaf, threshold=max(0.01, conf - 0.05))
    return appeal, conf


def test_above_threshold_dispatched_by_the_system_with_audit_event(world, confident, at):
    appeal, conf = confident
    with at(MONDAY_10):
        result = triage_appeal.call(appeal.pk)
    assert result == Triage.Outcome.AUTO
    appeal.refresh_from_db()
    assert appeal.status == Status.DISPATCHED
    assert appeal.category == world.leaf
    lead = appeal.assignments.get(role="lead", active=True)
    assert lead.unit == world.urban
    event = Event.objects.get(appeal=appeal, kind="dispatch")
    assert event.actor.username == auto.SYSTEM_USERNAME
    decision = event.payload["decision"]
    assert decision["model"] == "category-v1"
    assert decision["confidence"] == pytest.approx(conf, abs=1e-3)
    assert decision["scores"][0]["category"] == world.leaf.code
    assert Event.objects.get(appeal=appeal, kind="register").payload["decision"]["auto"] is True
    triage = Triage.objects.get(appeal=appeal)
    assert triage.outcome == Triage.Outcome.AUTO and triage.unit == world.urban


def test_below_threshold_queued_with_top3_and_reasons(world, active_model, at):
    with at(MONDAY_10):
        conf, appeal = confidence_of(world, **BUILDING)
        CategoryPolicy.objects.create(category=world.leaf, threshold=min(1.0, conf + 0.01))
        triage = auto.triage(appeal.pk)
    appeal.refresh_from_db()
    assert appeal.status == Status.RECEIVED
    assert triage.outcome == Triage.Outcome.QUEUED
    assert "below the threshold" in auto.why_text(triage)
    s = triage.suggestions
    assert len(s["category"]) == 3
    assert s["category"][0]["code"] == world.leaf.code
    assert s["category"][0]["reason"] == {"kind": "model", "model": "category-v1"}
    assert [c["confidence"] for c in s["category"]] == sorted(
        [c["confidence"] for c in s["category"]], reverse=True
    )
    top_unit = s["lead_unit"][0]
    assert top_unit["id"] == world.urban.pk
    assert top_unit["reasons"][0]["kind"] == "catalogue"
    assert "Text classifier category-v1" in auto.describe(s["category"][0]["reason"])


def test_a_queued_appeal_s_duplicates_are_searched_by_the_worker(
    world, active_model, at, settings, django_assert_max_num_queries
):
    """The worker searches the duplicates of an appeal it leaves for the desk: the desk's first
    view reuses that shortlist (no search of the open appeals) and shows the earlier copy."""
    with at(MONDAY_10):
        earlier = new_appeal(world, **BUILDING)
        appeal = new_appeal(world, **BUILDING)
        # No threshold: never automatic.
        triage = auto.triage(appeal.pk)
    assert triage.outcome == Triage.Outcome.QUEUED
    assert DuplicateShortlist.objects.get(appeal=appeal).candidates == [earlier.pk]
    with django_assert_max_num_queries(8) as queries:
        found = duplicates.find_many([appeal])
    assert [d.appeal.pk for d in found[appeal.pk]] == [earlier.pk]
    assert "dispatch_signatureband" not in " ".join(q["sql"] for q in queries.captured_queries)
    # Switched off: the worker keeps nothing.
    settings.JIESU = {**settings.JIESU, "DUPLICATE_SHORTLIST_SECONDS": 0}
    with at(MONDAY_10):
        third = new_appeal(world, **BUILDING)
        assert auto.triage(third.pk).outcome == Triage.Outcome.QUEUED
    assert not DuplicateShortlist.objects.filter(appeal=third).exists()


def test_a_text_too_short_to_classify_waits_whatever_the_confidence(
    world, leaves, active_model, at
):
    """The defect: "测试" (a test) was classified with 0.99 and dispatched by the system."""
    with at(MONDAY_10):
        for leaf in leaves.values():
            CategoryPolicy.objects.create(category=leaf, threshold=0.01)
        short = new_appeal(world, title="施工", description="扬尘。")
        triage = auto.triage(short.pk)
        long_enough = new_appeal(world, title="施工扬尘", description="工地扬尘")
        other = auto.triage(long_enough.pk)
    short.refresh_from_db()
    assert auto.text_length(short) == 4
    assert short.status == Status.RECEIVED
    assert triage.outcome == Triage.Outcome.QUEUED
    assert auto.why_text(triage) == "The text is too short to classify with confidence."
    assert triage.suggestions["category"], "the desk still gets the suggestions"
    assert auto.text_length(long_enough) == 8
    assert other.outcome == Triage.Outcome.AUTO, auto.why_text(other)


def test_history_of_the_same_leaf_and_region_is_a_reason(world, active_model, at):
    with at(MONDAY_10):
        for _i in range(2):
            earlier = new_appeal(world, **BUILDING)
            workflow.register(
                earlier,
                world.u("intake"),
                appeal_type=world.complaint,
                category=world.leaf,
                grade=world.grade_c,
            )
            workflow.dispatch(earlier.pk, world.u("dispatcher"), lead_unit=world.water)
        appeal = new_appeal(world, **BUILDING)
        proposal = auto.propose(appeal)
    water = next(u for u in proposal["lead_unit"] if u["id"] == world.water.pk)
    history = [r for r in water["reasons"] if r["kind"] == "history"]
    assert history == [{"kind": "history", "n": 2, "total": 2}]
    assert "2 of 2" in auto.describe(history[0])


def test_why_is_stored_as_a_code_and_read_in_the_readers_language(world, active_model, at):
    from django.utils import translation

    with at(MONDAY_10), translation.override("zh-hans"):  # a worker running in Chinese
        triage = auto.triage(new_appeal(world, **BUILDING).pk)
    assert triage.reason == "no_threshold"
    with translation.override("en"):
        assert auto.why_text(triage) == "No threshold is set for this category."
    with translation.override("zh-hans"):
        chinese = auto.why_text(triage)
    assert chinese != "No threshold is set for this category." and "阈值" in chinese
    # A row written before reasons were codes keeps its sentence.
    triage.reason = "置信度过低"
    assert auto.why_text(triage) == "置信度过低"


def test_no_threshold_set_means_never_automatic(world, active_model, at):
    with at(MONDAY_10):
        appeal = new_appeal(world, **BUILDING)
        triage = auto.triage(appeal.pk)
    assert triage.outcome == Triage.Outcome.QUEUED
    assert "No threshold" in auto.why_text(triage)


def test_district_default_threshold_from_settings(world, active_model, at, settings):
    settings.JIESU = {**settings.JIESU, "AUTO_DISPATCH_THRESHOLD": 0.01}
    with at(MONDAY_10):
        appeal = new_appeal(world, **BUILDING)
        assert auto.triage(appeal.pk).outcome == Triage.Outcome.AUTO


@pytest.mark.parametrize("switch", ["global", "channel", "category", "major"])
def test_switches_keep_confident_appeals_at_the_desk(world, confident, at, settings, switch):
    appeal, _conf = confident
    if switch == "global":
        settings.JIESU = {**settings.JIESU, "AUTO_DISPATCH": False}
    elif switch == "channel":
        ChannelPolicy.objects.create(channel="hotline", auto_dispatch=False)
    elif switch == "category":
        CategoryPolicy.objects.filter(category=world.leaf).update(auto_dispatch=False)
    else:  # a policy on the major category above, more general, does not override the leaf's
        CategoryPolicy.objects.filter(category=world.leaf).update(auto_dispatch=False)
        CategoryPolicy.objects.create(category=world.leaf.parent.parent, auto_dispatch=True)
    with at(MONDAY_10):
        triage = auto.triage(appeal.pk)
    appeal.refresh_from_db()
    assert appeal.status == Status.RECEIVED
    assert triage.outcome == Triage.Outcome.QUEUED
    assert "switched off" in auto.why_text(triage)


def test_triage_is_idempotent(world, confident, at):
    appeal, _conf = confident
    with at(MONDAY_10):
        first = auto.triage(appeal.pk)
        again = auto.triage(appeal.pk)
    assert again is None or again.pk == first.pk
    assert Triage.objects.filter(appeal=appeal).count() == 1
    assert Event.objects.filter(appeal=appeal, kind="dispatch").count() == 1


def test_operator_acting_first_wins(world, confident, at, monkeypatch):
    appeal, _conf = confident
    real_propose = auto.propose

    def operator_registers_meanwhile(a):
        proposal = real_propose(a)
        workflow.register(
            a.pk,
            world.u("intake"),
            appeal_type=world.complaint,
            category=world.other_leaf,
            grade=world.grade_b,
        )
        return proposal

    monkeypatch.setattr(auto, "propose", operator_registers_meanwhile)
    with at(MONDAY_10):
        triage = auto.triage(appeal.pk)
    appeal.refresh_from_db()
    assert appeal.status == Status.REGISTERED
    assert appeal.category == world.other_leaf
    assert triage.outcome == Triage.Outcome.FAILED
    assert not Event.objects.filter(appeal=appeal, kind="dispatch").exists()


def test_appeal_no_longer_received_is_left_alone(world, active_model, at):
    with at(MONDAY_10):
        appeal = new_appeal(world, **BUILDING)
        workflow.reject(appeal.pk, world.u("intake"), reason="重复")
        assert auto.triage(appeal.pk) is None
    assert not Triage.objects.filter(appeal=appeal).exists()


def test_receive_enqueues_the_triage_after_commit(
    world, active_model, at, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with at(MONDAY_10), django_capture_on_commit_callbacks(execute=True):
        appeal = new_appeal(world, **BUILDING)
    task = DBTaskResult.objects.get(task_path="jiesu.dispatch.tasks.triage_appeal")
    assert task.args_kwargs["args"] == [appeal.pk]


def test_without_a_model_no_task_is_enqueued(world, leaves, at, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with at(MONDAY_10), django_capture_on_commit_callbacks(execute=True):
        new_appeal(world, **BUILDING)
    assert not DBTaskResult.objects.exists()


def test_whether_a_model_is_active_is_asked_once_not_per_appeal(
    world, active_model, at, steady_process_copies, django_assert_num_queries
):
    """Intake asks whether a category model is active for every new appeal: a process copy
    answers, so filing appeals costs no extra query; a deactivation here is seen at once."""
    assert registry.has_active(ModelVersion.Kind.CATEGORY)
    with django_assert_num_queries(0):
        assert registry.has_active(ModelVersion.Kind.CATEGORY)
    active_model.active = False
    active_model.save()
    assert not registry.has_active(ModelVersion.Kind.CATEGORY)
    registry.activate_version(active_model)
    assert registry.has_active(ModelVersion.Kind.CATEGORY)


def test_a_version_activated_by_another_process_is_seen_within_seconds(world, active_model):
    assert registry.has_active(ModelVersion.Kind.CATEGORY)
    # Another process deactivates it (no signal reaches this one).
    ModelVersion.objects.filter(pk=active_model.pk).update(active=False)
    assert registry.has_active(ModelVersion.Kind.CATEGORY)  # this process's copy, for now
    registry._active_kinds._checked -= 3  # two seconds later
    assert not registry.has_active(ModelVersion.Kind.CATEGORY)


def test_without_a_model_appeals_are_queued(world, leaves, at):
    with at(MONDAY_10):
        appeal = new_appeal(world, **BUILDING)
        triage = auto.triage(appeal.pk)
    assert triage.outcome == Triage.Outcome.QUEUED
    assert "No category model" in auto.why_text(triage)


def test_hot_reload_uses_the_newly_activated_version(world, active_model, small_model_bytes, at):
    with at(MONDAY_10):
        first = auto.propose(new_appeal(world, **SCHOOL))
        data, meta = small_model_bytes
        registry.register(ModelVersion.Kind.CATEGORY, data, meta=meta, activate=True)
        second = auto.propose(new_appeal(world, **SCHOOL))
        registry.activate_version(active_model)
        third = auto.propose(new_appeal(world, **SCHOOL))
    assert (first["model"], second["model"], third["model"]) == (
        "category-v1",
        "category-v2",
        "category-v1",
    )


def test_activating_another_model_triages_the_waiting_appeals_again(
    world, active_model, small_model_bytes, at, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from jiesu.dispatch import tasks

    with at(MONDAY_10):
        waiting = new_appeal(world, **SCHOOL)
        auto.triage(waiting.pk)
        handled = new_appeal(world, **SCHOOL)
        auto.triage(handled.pk)
    assert Triage.objects.get(appeal=waiting).model_id == active_model.pk
    data, meta = small_model_bytes
    with django_capture_on_commit_callbacks(execute=True):
        second = registry.register(ModelVersion.Kind.CATEGORY, data, meta=meta, activate=True)
    assert DBTaskResult.objects.filter(task_path="jiesu.dispatch.tasks.retriage_waiting").exists()
    # A person registered one of them meanwhile: it is left alone.
    Appeal.objects.filter(pk=handled.pk).update(status=Status.REGISTERED)
    with at(MONDAY_10):
        done = tasks.retriage_waiting.call()
    assert sum(done.values()) == 1
    fresh = Triage.objects.get(appeal=waiting)
    assert fresh.model_id == second.pk
    assert fresh.suggestions["model"] == "category-v2"
    assert Triage.objects.get(appeal=handled).model_id == active_model.pk
    # Nothing stale left: a second run changes nothing.
    with at(MONDAY_10):
        assert sum(auto.retriage_waiting().values()) == 0


def test_activating_a_routing_model_does_not_triage_again(
    world, active_model, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        _learned_routing(world, "街道办")
    assert not DBTaskResult.objects.filter(
        task_path="jiesu.dispatch.tasks.retriage_waiting"
    ).exists()


def test_real_precision_counts_redispatched_automatic_dispatches(world, confident, at):
    appeal, _conf = confident
    with at(MONDAY_10):
        auto.triage(appeal.pk)
        second = new_appeal(world, **BUILDING)
        auto.triage(second.pk)
        workflow.redispatch(second.pk, world.u("dispatcher"), lead_unit=world.water, reason="错派")
        weeks = auto.real_precision_by_week(now=MONDAY_10)
    assert weeks == [{"week": MONDAY_10.date(), "auto": 2, "undone": 1, "precision": 0.5}]


def test_suggested_thresholds_come_from_the_measured_table(world, active_model):
    written = auto.apply_suggested_thresholds(0.5)
    assert {p.category.code for p in written} <= set(active_model.meta["label_counts"])
    assert written, "the model's labels are the world's leaves"
    overall = auto.precision_table(active_model)
    for policy in written:
        rows = auto.precision_table(active_model, auto.label_of(policy.category, active_model))
        assert policy.threshold == auto.suggested_threshold(rows, overall, 0.5)
        assert policy.threshold in [r["threshold"] for r in rows + overall]


def _rows(*measured):
    """Threshold rows as the model's table keeps them, from (threshold, right, predictions)."""
    return [
        {
            "threshold": t,
            "predictions": n,
            "precision": round(right / n, 4) if n else None,
            "precision_low": share_low(right, n),
        }
        for t, right, n in measured
    ]


def test_the_precision_bound_is_the_wilson_interval_s_lower_end():
    assert share_low(0, 0) is None
    # Five right of five shows little; the same share over many predictions shows much more.
    assert share_low(5, 5) == pytest.approx(0.5655, abs=1e-4)
    assert share_low(500, 500) == pytest.approx(0.9924, abs=1e-4)
    assert share_low(190, 200) == pytest.approx(0.9103, abs=1e-4)
    assert share_low(0, 10) == 0.0


def test_a_handful_of_right_predictions_does_not_prove_a_low_threshold():
    """The defect: five right of five at 0.3 made 0.3 the category's threshold, so vague texts
    the model placed there at 0.36 were dispatched without a person."""
    own = _rows((0.3, 5, 5), (0.5, 5, 5), (0.9, 4, 4))
    overall = _rows((0.3, 700, 1000), (0.5, 640, 800), (0.9, 588, 600), (0.95, 495, 500))
    assert auto.lowest_threshold_for(own, 0.95) is None
    assert auto.suggested_threshold(own, overall, 0.95) == 0.9  # the overall suggestion


def test_enough_evidence_of_the_category_s_own_sets_its_threshold():
    own = _rows((0.3, 300, 320), (0.5, 290, 295), (0.9, 200, 200))
    overall = _rows((0.3, 700, 1000), (0.5, 640, 800), (0.9, 588, 600), (0.95, 495, 500))
    # 290 of 295 shows at least 96%: lower than the overall suggestion, and proven.
    assert auto.suggested_threshold(own, overall, 0.95) == 0.5


def test_a_category_measured_worse_than_the_rest_does_not_inherit_their_threshold():
    overall = _rows((0.5, 640, 800), (0.9, 588, 600), (0.95, 495, 500), (0.99, 300, 300))
    worse = _rows((0.5, 5, 8), (0.9, 6, 8), (0.95, 7, 8), (0.99, 4, 4))
    assert auto.suggested_threshold(worse, overall, 0.95) == 0.99
    never = _rows((0.5, 5, 8), (0.9, 6, 8), (0.95, 7, 8), (0.99, 3, 4))
    assert auto.suggested_threshold(never, overall, 0.95) is None
    # Nothing measured for the category at a threshold: the overall figure stands.
    assert auto.suggested_threshold(_rows((0.5, 0, 0), (0.9, 0, 0)), overall, 0.95) == 0.9
    # No threshold of the model reaches the target overall: nothing to suggest.
    assert auto.suggested_threshold([], _rows((0.9, 80, 100)), 0.95) is None


def test_set_auto_thresholds_command_writes_the_suggestions(world, active_model):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("set_auto_thresholds", "--precision", "0.5", stdout=out)
    written = {p.category.code: p.threshold for p in CategoryPolicy.objects.all()}
    assert written
    for line in out.getvalue().splitlines():
        code, threshold = line.split("\t")
        assert written[code] == float(threshold)


def test_set_auto_thresholds_refuses_a_target_outside_0_1(world, active_model):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="between 0 and 1"):
        call_command("set_auto_thresholds", "--precision", "1.5")
    assert not CategoryPolicy.objects.exists()


def test_demo_thresholds_do_nothing_without_a_model(world, leaves):
    assert auto.apply_suggested_thresholds() == []
    assert not CategoryPolicy.objects.exists()


def test_triage_waiting_handles_appeals_received_before_the_model(
    world, leaves, small_model_bytes, at
):
    with at(MONDAY_10):
        waiting = [new_appeal(world, **BUILDING), new_appeal(world, **SCHOOL)]
        data, meta = small_model_bytes
        registry.register(ModelVersion.Kind.CATEGORY, data, meta=meta, activate=True)
        CategoryPolicy.objects.create(category=world.leaf, threshold=0.01)
        done = auto.triage_waiting()
        again = auto.triage_waiting()
    assert done == {"auto": 1, "queued": 1}
    assert not again
    statuses = [a.__class__.objects.get(pk=a.pk).status for a in waiting]
    assert statuses == [Status.DISPATCHED, Status.RECEIVED]


def _learned_routing(world, unit_name, n=6):
    """An active routing model learned from `n` past dispatches of the world's leaf to
    `unit_name` (names as the history file gives them)."""
    from jiesu.dispatch.history import RoutingTable

    l2 = world.leaf.parent
    l1 = l2.parent if l2 else None
    row = {
        "channel": "hotline",
        "nature": "",
        "l1": l1.name if l1 else "",
        "l2": l2.name if l2 else "",
        "l3": world.leaf.name,
        "subdistrict": "",
        "community": "",
        "place": "",
        "unit": unit_name,
        "time": "2026-01-01T10:00:00",
    }
    table = RoutingTable.fit([row] * n)
    return registry.register(ModelVersion.Kind.ROUTING, table.dumps(), meta={}, activate=True)


def test_routing_learned_from_history_is_a_reason_never_a_dispatch(world, confident, at):
    """The active routing model (ADR 0017) names the unit past dispatches went to, with its
    probability, beside the rule's unit; auto-dispatch still follows the rule, since the model
    is not precise enough to dispatch alone."""
    appeal, _conf = confident
    version = _learned_routing(world, f" {world.water.name} ")
    proposal = auto.propose(appeal)
    water = next(u for u in proposal["lead_unit"] if u["id"] == world.water.pk)
    learned = [r for r in water["reasons"] if r["kind"] == "learned"]
    assert learned == [{"kind": "learned", "model": version.label, "p": 1.0}]
    assert f"({version.label}): 100%" in auto.describe(learned[0])
    with at(MONDAY_10):
        assert triage_appeal.call(appeal.pk) == Triage.Outcome.AUTO
    assert appeal.assignments.get(role="lead", active=True).unit == world.urban


def test_without_a_routing_model_no_learned_reason(world, active_model, at):
    with at(MONDAY_10):
        appeal = new_appeal(world, **BUILDING)
    proposal = auto.propose(appeal)
    assert not any(r["kind"] == "learned" for u in proposal["lead_unit"] for r in u["reasons"])


def test_the_bound_is_what_scipy_s_wilson_interval_gives():
    from scipy.stats import binomtest

    for cases in (1, 2, 5, 9, 20, 73, 200, 1000):
        for successes in sorted({0, 1, cases // 3, cases // 2, cases - 1, cases}):
            for level in (0.9, 0.95, 0.99):
                expected = binomtest(successes, cases).proportion_ci(level, method="wilson")
                assert share_low(successes, cases, level) == round(float(expected.low), 4)
