# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The duplicate finder: signatures kept to open appeals, candidates by text, place, phone and
category within the category's radius and window, scores and reasons, a fixed query count."""

import math
import random
from datetime import timedelta

import h3
import pytest
from django.core.management import call_command

from jiesu.appeals import workflow
from jiesu.appeals.models import Appeal
from jiesu.appeals.tests.conftest import (
    MONDAY_10,
    new_appeal,
    registered,
)
from jiesu.dispatch import duplicates
from jiesu.dispatch.models import (
    AppealSignature,
    CategoryPolicy,
    DuplicateShortlist,
    SignatureBand,
    Triage,
)

NOISE = {
    "title": "工地夜间施工噪音",
    "description": "某工地每晚十一点后还在施工，噪音很大，无法休息。",
}
# About 1 km north of the default point (22.7, 114.35).
KM_NORTH = 1000 / 111_195


def test_signature_written_on_receipt_and_removed_when_finished(world):
    appeal = new_appeal(world)
    sig = AppealSignature.objects.get(appeal=appeal)
    assert sig.cell == duplicates.cell_of(22.7, 114.35)
    assert sig.phone_key == duplicates.phone_key("138-0000-1234")
    assert SignatureBand.objects.filter(appeal=appeal).count() == 8
    workflow.register(
        appeal,
        world.u("intake"),
        appeal_type=world.complaint,
        category=world.leaf,
        grade=world.grade_c,
    )
    assert AppealSignature.objects.get(appeal=appeal).category_id == world.leaf.pk
    workflow.reject(new_appeal(world, **NOISE), world.u("intake"), reason="不属实")
    later = new_appeal(world)
    workflow.merge(later, world.u("intake"), into=appeal)
    # Only the open appeal keeps its rows.
    assert list(AppealSignature.objects.values_list("appeal_id", flat=True)) == [appeal.pk]
    assert set(SignatureBand.objects.values_list("appeal_id", flat=True)) == {appeal.pk}


def test_near_copy_nearby_is_a_duplicate_with_score_and_reasons(world, at):
    with at(MONDAY_10 - timedelta(days=2)):
        earlier = new_appeal(world, reporter_phone="13911112222")
        new_appeal(world, reporter_phone="13933334444", **NOISE)
    with at(MONDAY_10):
        appeal = new_appeal(
            world,
            reporter_phone="13955556666",
            description="坪山街道某小区门口垃圾三天没人清理了，气味很大！",
            lat=22.7005,
        )
    found = duplicates.find(appeal)
    assert [d.appeal for d in found] == [earlier]
    d = found[0]
    assert d.text_similarity > 0.7 and 50 < d.distance_m < 60
    assert not d.same_phone and not d.same_category
    assert d.reasons[0].startswith("text ") and d.reasons[1] == f"{d.distance_m} m away"
    assert 0.4 <= d.score <= 0.75
    # Only earlier appeals: the earlier one is offered nothing.
    assert duplicates.find(earlier) == []


def test_radius_and_window_come_from_the_most_specific_category_policy(world, at):
    far = {"lat": 22.7 + KM_NORTH, "lng": 114.35}
    with at(MONDAY_10 - timedelta(days=20)):
        old = new_appeal(world, category=world.leaf)
    with at(MONDAY_10 - timedelta(days=1)):
        distant = new_appeal(world, category=world.leaf, **far)
    with at(MONDAY_10):
        appeal = new_appeal(world, category=world.leaf)
    # District defaults: 500 m, 30 days.
    assert [d.appeal for d in duplicates.find(appeal)] == [old]
    # The middle level sets a 2 km radius and the leaf a 10-day window.
    CategoryPolicy.objects.create(category=world.leaf.parent, duplicate_radius_m=2000)
    CategoryPolicy.objects.create(category=world.leaf, duplicate_window_days=10)
    found = duplicates.find(appeal)
    assert [d.appeal for d in found] == [distant]
    assert 990 < found[0].distance_m < 1010 and found[0].same_category
    assert "same category" in found[0].reasons and "same phone" in found[0].reasons


def test_without_points_text_and_phone_and_area_decide(world, at):
    with at(MONDAY_10 - timedelta(days=1)):
        earlier = new_appeal(world, lat=None, lng=None)
        other = new_appeal(world, lat=None, lng=None, reporter_phone="13911112222", **NOISE)
    with at(MONDAY_10):
        appeal = new_appeal(world, lat=None, lng=None)
        noise_again = new_appeal(world, lat=None, lng=None, reporter_phone="13900000000", **NOISE)
    found = duplicates.find(appeal)
    assert [d.appeal for d in found] == [earlier]
    assert found[0].distance_m is None and found[0].same_phone
    assert [d.appeal for d in duplicates.find(noise_again)] == [other]


def test_finished_appeals_are_never_offered(world, at):
    with at(MONDAY_10 - timedelta(days=1)):
        rejected = new_appeal(world)
    workflow.reject(rejected, world.u("intake"), reason="重复")
    with at(MONDAY_10):
        appeal = new_appeal(world)
    assert duplicates.find(appeal) == []


def test_many_appeals_in_a_fixed_number_of_queries(
    world, at, steady_process_copies, django_assert_max_num_queries
):
    with at(MONDAY_10 - timedelta(days=1)):
        for i in range(3):
            new_appeal(world, lat=22.7 + i * 0.01)
    with at(MONDAY_10):
        page = [new_appeal(world, lat=22.7 + i * 0.01) for i in range(6)]
    with django_assert_max_num_queries(5):
        one = duplicates.find_many(page[:1], reuse=False)
    with django_assert_max_num_queries(5):
        many = duplicates.find_many(page, reuse=False)
    assert set(one) == {page[0].pk}
    # The first three each find the earlier appeal at their point; the others are 1-3 km from
    # any earlier copy of their text, beyond the 500 m radius.
    assert set(many) == {p.pk for p in page[:3]}


def test_a_page_of_appeals_sends_its_cells_and_bands_as_a_few_values(world, at):
    """The intake desk asks for the duplicates of a whole page at once: the place cells around
    every appeal (about ninety each) and their text bands go as one array per appeal on
    PostgreSQL, not as thousands of placeholders (building such a statement took longer than
    running it)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL sends the values as arrays; other databases as IN lists")
    with at(MONDAY_10):
        page = [new_appeal(world, lat=22.7 + i * 0.001) for i in range(20)]
    sent = []

    def count_params(execute, sql, params, many, context):
        sent.append(len(params or ()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count_params):
        found = duplicates.find_many(page)
    assert found  # near each other: each finds the earlier ones within the radius
    # Each appeal's disc is one array and a time window: a few values per appeal per query.
    assert max(sent) <= 4 * len(page) + 10, sent


def test_rebuild_restores_the_signatures_of_open_appeals(world):
    keep = registered(world)
    gone = new_appeal(world)
    workflow.reject(gone, world.u("intake"), reason="不属实")
    AppealSignature.objects.all().delete()
    SignatureBand.objects.all().delete()
    call_command("rebuild_signatures", verbosity=0)
    assert list(AppealSignature.objects.values_list("appeal_id", flat=True)) == [keep.pk]
    assert SignatureBand.objects.filter(appeal=keep).count() == 8
    assert Appeal.objects.count() == 2


@pytest.mark.parametrize("radius", [150, 500, 2000, 8000])
def test_cell_ranges_cover_every_point_within_the_radius(radius):
    rnd = random.Random(radius)
    lat0, lng0 = 22.7, 114.35
    ranges = duplicates.cell_ranges(lat0, lng0, radius)
    assert len(ranges) <= 200
    for _ in range(300):
        bearing, dist = rnd.uniform(0, 2 * math.pi), radius * math.sqrt(rnd.random())
        lat = lat0 + dist * math.cos(bearing) / 111_195
        lng = lng0 + dist * math.sin(bearing) / (111_195 * math.cos(math.radians(lat0)))
        cell = duplicates.cell_of(lat, lng)
        assert any(lo <= cell <= hi for lo, hi in ranges), (lat, lng, dist)
        assert h3.get_resolution(h3.int_to_str(cell)) == duplicates.RESOLUTION


def test_phone_key_ignores_formatting_and_refuses_non_numbers():
    assert duplicates.phone_key("138 0000 1234") == duplicates.phone_key("13800001234")
    assert duplicates.phone_key("") is None and duplicates.phone_key("12") is None
    assert 0 <= duplicates.phone_key("13800001234") < 2**63


def test_a_page_of_appeals_finds_what_scoring_every_open_appeal_finds(world, at):
    """The desk's page of appeals is scored together, each appeal against the rows that can be
    its candidates only (its window, its radius). Checked against the plain definition, every
    earlier open appeal scored exactly, in a scatter of near and far points, old and new
    appeals, copies and other texts, shared and other phones, appeals with and without a point:
    everything offered is a candidate with its exact score, every good candidate is offered
    (unless five better ones are), and the page finds what each appeal finds alone."""
    from jiesu.dispatch import signatures

    rng = random.Random(12)
    texts = [
        NOISE,
        {"title": "小区门口垃圾堆积", "description": "坪山街道某小区门口垃圾三天没人清理。"},
        {"title": "路灯不亮", "description": "某路段路灯连续一周不亮，夜间行人很危险。"},
        {"title": "占道经营", "description": "菜市场门口有人占道经营，堵塞交通。"},
    ]
    page = []
    for day in range(40, -1, -3):
        with at(MONDAY_10 - timedelta(days=day, minutes=rng.randrange(600))):
            for _ in range(3):
                text = dict(rng.choice(texts))
                if rng.random() < 0.5:
                    text["description"] += "请尽快处理" * rng.randrange(3)
                point = (
                    {"lat": None, "lng": None}
                    if rng.random() < 0.15
                    else {
                        "lat": 22.7 + rng.uniform(-1, 1) * KM_NORTH * 0.8,
                        "lng": 114.35 + rng.uniform(-1, 1) * KM_NORTH * 0.8,
                    }
                )
                phone = rng.choice(["13800001234", "13900005678", "13700009999", "13600000000"])
                make = registered if rng.random() < 0.3 else new_appeal
                page.append(make(world, reporter_phone=phone, **text, **point))
    page = list(Appeal.objects.filter(pk__in=[a.pk for a in page]).order_by("pk"))
    by_pk = {a.pk: a for a in page}

    def expected(appeal):
        """Every earlier open appeal within the window and radius, scored exactly."""
        radius, window = duplicates.policy_for([appeal.category_id])[appeal.category_id or None]
        since = appeal.received_at - timedelta(days=window)
        mine = signatures.shingles(duplicates.appeal_text(appeal))
        out = {}
        for other in page:
            if (other.received_at, other.pk) >= (appeal.received_at, appeal.pk):
                continue
            if other.received_at < since:
                continue
            distance = None
            if None not in (appeal.lat, appeal.lng, other.lat, other.lng):
                distance = duplicates.distance_m(appeal.lat, appeal.lng, other.lat, other.lng)
                if distance > radius:
                    continue
            theirs = signatures.shingles(duplicates.appeal_text(other))
            same_area = (
                distance is None and bool(appeal.region_id) and appeal.region_id == other.region_id
            )
            facts = {
                "text": len(mine & theirs) / len(mine | theirs),
                "nearness": max(0.0, 1 - distance / radius)
                if distance is not None
                else (duplicates.SAME_AREA_NEARNESS if same_area else 0.0),
                "category": bool(appeal.category_id) and appeal.category_id == other.category_id,
                "phone": duplicates.phone_key(appeal.reporter_phone) is not None
                and duplicates.phone_key(appeal.reporter_phone)
                == duplicates.phone_key(other.reporter_phone),
            }
            out[other.pk] = round(duplicates._score(facts), 3)
        return out

    together = duplicates.find_many(page)
    offered = 0
    for appeal in page:
        found = {d.appeal.pk: d.score for d in together.get(appeal.pk, [])}
        truth = expected(appeal)
        for pk, score in found.items():
            assert truth.get(pk) == score, (appeal.pk, pk)
        good = {pk for pk, score in truth.items() if score >= 0.6}
        if len(found) < duplicates.MAX_RESULTS:
            assert good <= set(found), (appeal.pk, good - set(found))
        alone = {d.appeal.pk: d.score for d in duplicates.find(by_pk[appeal.pk])}
        floor = min(found.values()) if len(found) == duplicates.MAX_RESULTS else 0
        assert {(pk, sc) for pk, sc in alone.items() if sc > floor} <= found.items(), appeal.pk
        offered += len(found)
    assert offered >= 30  # the scatter has duplicates to find


def _key(found):
    return {pk: [(d.appeal.pk, d.score, tuple(d.reasons)) for d in ds] for pk, ds in found.items()}


def test_a_shortlist_is_reused_with_the_candidates_facts_as_they_are_now(
    world, at, steady_process_copies, django_assert_max_num_queries
):
    """The desk viewed again within a few minutes rescores the candidates found the first time
    (no search of the open appeals): the same suggestions in a few queries, and a candidate's
    change (registered in a category, finished) shows at once."""
    with at(MONDAY_10 - timedelta(days=1)):
        earlier = [new_appeal(world, lat=22.7 + i * 0.01) for i in range(3)]
    with at(MONDAY_10):
        page = [new_appeal(world, lat=22.7 + i * 0.01) for i in range(6)]
    # The dispatch room suggested page[1]'s category when it arrived.
    Triage.objects.create(
        appeal=page[1], created_at=MONDAY_10, outcome=Triage.Outcome.QUEUED, category=world.leaf
    )
    full = duplicates.find_many(page, reuse=False)
    assert not DuplicateShortlist.objects.exists()  # a full search on request writes nothing
    first = duplicates.find_many(page)
    assert _key(first) == _key(full) and len(first) == 3
    assert DuplicateShortlist.objects.count() == len(page)  # one per appeal, even with none
    # The suggested categories and their policies (3), the shortlists, their rows, the appeals.
    with django_assert_max_num_queries(6) as queries:
        again = duplicates.find_many(page)
    assert _key(again) == _key(full)
    assert "dispatch_signatureband" not in " ".join(q["sql"] for q in queries.captured_queries)

    # The candidate of page[1] is registered in the appeal's suggested category: the
    # reused shortlist scores it with the category as it is now.
    workflow.register(
        earlier[1],
        world.u("intake"),
        appeal_type=world.complaint,
        category=world.leaf,
        grade=world.grade_c,
    )
    before = {d.appeal.pk: d for d in again[page[1].pk]}[earlier[1].pk]
    after = {d.appeal.pk: d for d in duplicates.find_many(page)[page[1].pk]}[earlier[1].pk]
    assert not before.same_category and after.same_category
    # A finished candidate is no longer offered.
    workflow.merge(earlier[0], world.u("intake"), into=earlier[2])
    assert page[0].pk not in duplicates.find_many(page)


def test_a_shortlist_is_not_reused_for_other_inputs_or_when_old(
    world, at, settings, django_assert_max_num_queries
):
    with at(MONDAY_10 - timedelta(days=1)):
        far_copy = new_appeal(world, lat=22.7 + KM_NORTH * 2)
    with at(MONDAY_10):
        appeal = new_appeal(world)
    assert duplicates.find(appeal) == []  # its copy lies 2 km away, beyond the radius
    # The appeal's point is corrected to its copy's street: its own inputs changed, so the
    # shortlist made for the old point is not used and the copy is found.
    Appeal.objects.filter(pk=appeal.pk).update(lat=22.7 + KM_NORTH * 2)
    appeal.refresh_from_db()
    assert [d.appeal.pk for d in duplicates.find(appeal)] == [far_copy.pk]
    # An old shortlist is searched again (here: found nothing new, written anew).
    DuplicateShortlist.objects.update(computed_at=MONDAY_10 - timedelta(days=30), candidates=[])
    assert [d.appeal.pk for d in duplicates.find(appeal)] == [far_copy.pk]
    assert DuplicateShortlist.objects.get(appeal=appeal).candidates == [far_copy.pk]
    # Switched off: every view searches and nothing is kept.
    settings.JIESU = {**settings.JIESU, "DUPLICATE_SHORTLIST_SECONDS": 0}
    DuplicateShortlist.objects.all().delete()
    assert [d.appeal.pk for d in duplicates.find(appeal)] == [far_copy.pk]
    assert not DuplicateShortlist.objects.exists()


def test_shortlists_go_with_the_appeal_when_it_finishes(world):
    appeal = new_appeal(world)
    duplicates.find(appeal)
    assert DuplicateShortlist.objects.filter(appeal=appeal).exists()
    workflow.reject(appeal, world.u("intake"), reason="不属实")
    assert not DuplicateShortlist.objects.filter(appeal=appeal).exists()


def test_a_shortlist_is_reused_whichever_time_zone_the_appeal_carries(world, at):
    """The defect: the digest of a search's inputs wrote the time received as text, so the
    appeal just filed (Asia/Shanghai) and the same appeal read back (UTC) never matched and the
    shortlist the worker made was searched again at the desk."""
    with at(MONDAY_10):
        appeal = new_appeal(world)
    read_back = Appeal.objects.get(pk=appeal.pk)
    assert appeal.received_at.utcoffset() != read_back.received_at.utcoffset()
    [made] = duplicates._probes([appeal])
    [read] = duplicates._probes([read_back])
    assert duplicates._inputs(made) == duplicates._inputs(read)
