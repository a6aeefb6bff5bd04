# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Routing learned from history: unit-name merging, the back-off model, the learn_routing and
route commands, handling-rule proposals and their review page in the console."""

import csv
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from jiesu.appeals.tests.conftest import MONDAY_10, at, dispatched, world  # noqa: F401
from jiesu.catalog.models import HandlingRule, HandlingRuleVersion
from jiesu.dispatch import history, proposals, registry
from jiesu.dispatch.models import ModelVersion, RoutingProposal

FIXTURE = Path(__file__).parent / "fixtures" / "routing_history_small.csv"
PAGE = "/console/manage/routing-proposals/"


@pytest.fixture(scope="module")
def rows():
    return history.read_rows(str(FIXTURE), with_unit=True)


@pytest.fixture(scope="module")
def table(rows):
    return history.RoutingTable.fit(rows)


def row(l3="暴露垃圾", sub="龙田街道", com="老坑社区", l2="环境卫生", l1="市容环卫"):
    return {"l1": l1, "l2": l2, "l3": l3, "subdistrict": sub, "community": com}


# -- names and model ------------------------------------------------------------------------


def test_rows_without_a_unit_are_left_out(rows):
    assert len(rows) == 55


def test_spellings_of_one_unit_are_merged_and_reported(rows):
    names = history.UnitNames(rows)
    assert names("市政服务中心(坪山街道办事处)") == "市政服务中心（坪山街道办事处）"
    assert names("市政服务中心 （龙田街道办事处）") == "市政服务中心（龙田街道办事处）"
    assert names(" 城市管理局") == "城市管理局"
    assert names("六联社区（坪山街道办事处）") == "六联社区"
    # Two subdistricts' teams of the same kind stay two units.
    assert names("市政服务中心（坪山街道办事处）") != names("市政服务中心（龙田街道办事处）")
    report = {r["spelling"]: r for r in names.report()}
    assert report["六联社区（坪山街道办事处）"]["rule"] == "community unit"
    assert report["市政服务中心（龙田街道办事处）"]["rule"] == "kept"


def test_area_category_goes_to_the_team_of_the_appeals_subdistrict(table):
    top = table.predict_one(row(sub="龙田街道", com="竹坑社区"))
    assert top[0][0] == "市政服务中心（龙田街道办事处）"
    top = table.predict_one(row(sub="坪山街道", com="和平社区"))
    assert top[0][0] == "市政服务中心（坪山街道办事处）"
    assert 0 < top[0][1] < 1
    assert [p for _u, p in top] == sorted((p for _u, p in top), reverse=True)
    assert len(top) == 3 and sum(p for _u, p in top) <= 1.0001


def test_backs_off_to_coarser_keys(table):
    # A community never seen with this leaf: the subdistrict decides.
    assert table.predict_one(row(sub="龙田街道", com="南布社区"))[0][0].endswith(
        "（龙田街道办事处）"
    )
    # A leaf never seen: its middle category decides (城市管理局 leads 环境卫生 overall).
    unseen = table.predict_one(row(l3="新的小类", sub="坪山街道", com="六联社区"))
    assert unseen and unseen[0][0] in {"城市管理局", "市政服务中心（坪山街道办事处）"}
    # The community's own workstation, resolved for a community with that role.
    top = table.predict_one(row(l2="街面秩序", l3="占道经营", sub="龙田街道", com="老坑社区"))
    assert top[0][0] == "老坑社区"


def test_model_file_round_trip_and_damage(table):
    data = table.dumps()
    again = history.RoutingTable.loads(data)
    assert again.predict_one(row()) == table.predict_one(row())
    with pytest.raises(ValueError):
        history.RoutingTable.loads(b"JSRT1" + b"not zlib")
    with pytest.raises(ValueError):
        history.RoutingTable.loads(b"something else")


def _dispatch(l3, sub, com, unit, l2="街面秩序", when="2018-10-01 10:00:00"):
    return {
        "channel": "12345",
        "nature": "投诉",
        "l1": "城市管理",
        "l2": l2,
        "l3": l3,
        "subdistrict": sub,
        "community": com,
        "place": "",
        "unit": unit,
        "time": when,
    }


def _counterpart_history(**teams):
    """坪山 calls its street-order team 综合执法队, 坑梓 calls it 城管办; 坑梓 never had a
    占道经营 appeal, and three went to 城市管理局 in 坪山."""
    rows = [
        _dispatch("乱摆卖", "坑梓街道", "秀新社区", teams.get("kengzi", "城管办（坑梓街道办事处）"))
    ] * 25
    rows += [_dispatch("乱摆卖", "坪山街道", "六联社区", "坪山街道综合执法队")] * 25
    rows += [_dispatch("占道经营", "坪山街道", "六联社区", "坪山街道综合执法队")] * 25
    rows += [_dispatch("占道经营", "坪山街道", "和平社区", "城市管理局")] * 3
    return rows


def test_counterpart_team_kinds_route_each_others_categories():
    table = history.RoutingTable.fit(_counterpart_history())
    assert table.kinds == {"<subdistrict>城管办": "<subdistrict>综合执法队"}
    top = table.predict_one(_dispatch("占道经营", "坑梓街道", "秀新社区", ""))
    assert top[0][0] == "城管办（坑梓街道办事处）"
    assert table.predict_one(_dispatch("占道经营", "坪山街道", "六联社区", ""))[0][0] == (
        "坪山街道综合执法队"
    )
    # Same name everywhere: nothing to merge, and a role no subdistrict shares stays apart.
    assert history.counterpart_kinds([]) == {}


def test_team_kinds_are_not_merged_when_a_subdistrict_has_both_or_the_work_differs():
    rows = _counterpart_history()
    both = rows + [_dispatch("乱摆卖", "坑梓街道", "秀新社区", "坑梓街道综合执法队")]
    assert history.RoutingTable.fit(both).kinds == {}
    other_work = [
        {**r, "l2": "劳动保障"} if "城管办" in r["unit"] else r for r in _counterpart_history()
    ]
    assert history.RoutingTable.fit(other_work).kinds == {}
    few = [r for r in rows if "城管办" not in r["unit"]] + rows[:10]
    assert history.RoutingTable.fit(few).kinds == {}
    # Appeals of area-bound categories (from the database) are a rule, not a team kind.
    bound = [{**r, "area_bound": True} if "城管办" in r["unit"] else r for r in rows]
    assert history.RoutingTable.fit(bound).kinds == {}


def test_smoothing_strength_is_chosen_on_the_learning_rows_only(rows):
    # Too few rows to choose: the strength of format 1.
    small = history.RoutingTable.fit(rows)
    assert small.strength == 1.0 and "strength_choice" not in small.meta
    assert history.RoutingTable.fit(rows, strength=4.0).strength == 4.0
    # Enough rows: every candidate is scored on the latest fifth, and the best one is kept.
    many = [
        {**r, "time": f"2018-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:00:00"}
        for i, r in enumerate(rows * 10)
    ]
    table = history.RoutingTable.fit(many)
    choice = table.meta["strength_choice"]
    assert choice["rows"] == len(many) // 5
    scores = {float(s): (v["top1"], v["top3"]) for s, v in choice["scores"].items()}
    assert set(scores) == set(history.STRENGTHS)
    assert scores[table.strength] == max(scores.values())
    assert table.meta["strength"] == table.strength


def test_format_1_files_still_load_and_unknown_formats_say_so(table):
    import zlib

    body = json.loads(zlib.decompress(table.dumps()[5:]).decode())
    assert body["format"] == 2
    old = {k: v for k, v in body.items() if k not in ("kinds", "strength")} | {"format": 1}
    data = b"JSRT1" + zlib.compress(json.dumps(old, ensure_ascii=False).encode())
    again = history.RoutingTable.loads(data)
    assert again.strength == 1.0 and again.kinds == {}
    assert again.predict_one(row()) == history.RoutingTable.fit(
        history.read_rows(str(FIXTURE), with_unit=True), strength=1.0
    ).predict_one(row())
    future = b"JSRT1" + zlib.compress(json.dumps({**body, "format": 9}).encode())
    with pytest.raises(ValueError, match="format 9.*learn_routing"):
        history.RoutingTable.loads(future)


def test_evaluate_reports_both_figures_and_the_baseline(rows):
    figures = history.evaluate(rows, "random", share=0.3, seed=1)
    assert figures["train_rows"] + figures["test_rows"] == len(rows)
    assert 0 <= figures["majority_top1"] <= 1
    assert figures["top1"] <= figures["top3"] <= 1
    # Area routing wins over the plain per-leaf majority on this history.
    assert figures["top1"] > figures["majority_top1"]


# -- commands -------------------------------------------------------------------------------


def test_learn_and_route_commands(tmp_path, db):
    model = tmp_path / "routing.bin"
    names = tmp_path / "names.csv"
    call_command("learn_routing", csv=str(FIXTURE), out=str(model), names=str(names), register=True)
    version = ModelVersion.objects.get(kind=ModelVersion.Kind.ROUTING)
    assert version.meta["rows"] == 55 and len(version.meta["data_sha256"]) == 64
    assert not version.active
    assert "六联社区（坪山街道办事处）" in names.read_text(encoding="utf-8")
    infile = tmp_path / "in.csv"
    infile.write_text(
        "EVENT_SRC_NAME,EVENT_PROPERTY_NAME,EVENT_TYPE_NAME,MAIN_TYPE_NAME,SUB_TYPE_NAME,"
        "STREET_NAME,COMMUNITY_NAME,OCCUR_PLACE\n"
        "@坪山,投诉,市容环卫,环境卫生,暴露垃圾,龙田街道,老坑社区,-\n"
        "12319,投诉,市容环卫,环境卫生,道路不洁,坪山街道,六联社区,-\n"
        "@坪山,投诉,市容环卫,环境卫生,暴露垃圾,坪山街道,六联社区,-\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.csv"
    call_command("route", model=str(model), infile=str(infile), out=str(out))
    result = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["unit"] for r in result] == [
        "市政服务中心（龙田街道办事处）",
        "城市管理局",
        "市政服务中心（坪山街道办事处）",
    ]
    top3 = json.loads(result[0]["top3"])
    assert top3[0] == {"unit": result[0]["unit"], "confidence": float(result[0]["confidence"])}
    assert len(top3) == 3
    # The registered version, once active, routes the same way.
    registry.activate_version(version)
    out2 = tmp_path / "out2.csv"
    call_command("route", model="active", infile=str(infile), out=str(out2))
    assert out2.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


def test_missing_columns_are_refused_in_the_users_language(tmp_path, db):
    bad = tmp_path / "bad.csv"
    bad.write_text("title,text\na,b\n", encoding="utf-8")
    out = tmp_path / "out.bin"
    with translation.override("zh-hans"), pytest.raises(CommandError, match="没有"):
        call_command("learn_routing", csv=str(bad), out=str(out))
    with pytest.raises(CommandError, match="SUB_TYPE_NAME"):
        call_command("learn_routing", csv=str(bad), out=str(out))
    assert not out.exists()
    assert not ModelVersion.objects.exists()


def test_route_refuses_a_wrong_model_or_input_and_writes_nothing(tmp_path, db):
    model = tmp_path / "routing.bin"
    call_command("learn_routing", csv=str(FIXTURE), out=str(model))
    out = tmp_path / "out.csv"
    not_a_model = tmp_path / "x.bin"
    not_a_model.write_bytes(b"hello")
    with pytest.raises(CommandError, match="routing model"):
        call_command("route", model=str(not_a_model), infile=str(FIXTURE), out=str(out))
    with pytest.raises(CommandError, match="nowhere.bin"):
        call_command(
            "route", model=str(tmp_path / "nowhere.bin"), infile=str(FIXTURE), out=str(out)
        )
    bad = tmp_path / "bad.csv"
    bad.write_bytes("EVENT_TYPE_NAME\n\xff".encode("latin-1"))
    with pytest.raises(CommandError):
        call_command("route", model=str(model), infile=str(bad), out=str(out))
    with pytest.raises(CommandError, match="No routing model is active"):
        call_command("route", model="active", infile=str(FIXTURE), out=str(out))
    assert not out.exists()


# -- proposals ------------------------------------------------------------------------------


@pytest.fixture
def proposed(world):  # noqa: F811
    counts = proposals.propose(
        history.RoutingTable.fit(history.read_rows(str(FIXTURE), with_unit=True)), source="fixture"
    )
    return counts


def test_proposals_per_leaf(world, proposed):  # noqa: F811
    area = RoutingProposal.objects.get(category=world.leaf)  # 暴露垃圾: today fixed 城市管理局
    assert area.mode == RoutingProposal.Mode.AREA and area.unit is None
    assert area.support == 24 and area.share == pytest.approx(21 / 24, abs=1e-3)
    assert area.evidence["current"]["unit"] == "城市管理局"
    assert {a["area"] for a in area.evidence["areas"]} == {"坪山街道", "龙田街道"}
    fixed = RoutingProposal.objects.get(category=world.other_leaf)  # 道路不洁: no rule yet
    assert fixed.mode == RoutingProposal.Mode.FIXED and fixed.unit == world.urban
    assert fixed.support == 16
    assert proposed["proposed"] == 2 and proposed["unknown_leaf"] == 2


def test_proposal_equal_to_the_rule_is_not_made(world):  # noqa: F811
    HandlingRule.objects.create(category=world.other_leaf, lead_unit=world.urban)
    counts = proposals.propose(
        history.RoutingTable.fit(history.read_rows(str(FIXTURE), with_unit=True))
    )
    assert counts["same"] == 1
    assert not RoutingProposal.objects.filter(category=world.other_leaf).exists()


def test_unit_map_names_the_organisations_unit(world, tmp_path):  # noqa: F811
    mapping = tmp_path / "map.csv"
    mapping.write_text("raw_name,main_type_ids,unit_code\n城市管理局,,D02\n", encoding="utf-8")
    call_command("propose_routing", csv=str(FIXTURE), unit_map=str(mapping))
    assert RoutingProposal.objects.get(category=world.other_leaf).unit == world.water


def test_page_lists_evidence_for_administrators_only(world, proposed, client):  # noqa: F811
    client.force_login(world.u("admin"))
    page = client.get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    assert "暴露垃圾" in text and "道路不洁" in text and "龙田街道" in text
    for name in ("dispatcher", "handler", "supervisor"):
        client.force_login(world.u(name))
        assert client.get(PAGE).status_code == 403
        pk = RoutingProposal.objects.first().pk
        assert client.post(PAGE, {"verb": "accept", "ids": [pk]}).status_code == 403
    assert not RoutingProposal.objects.exclude(status="pending").exists()


def test_each_proposal_shows_what_its_share_proves(world, proposed, client):  # noqa: F811
    """A share measured on a handful of appeals is shown with the little it proves (ADR 0035):
    the page gives each proposal the lower end of its share's 95% interval."""
    from jiesu.dispatch.bounds import share_low

    client.force_login(world.u("admin"))
    text = client.get(PAGE).content.decode()
    assert "至少（95% 置信度）" in text
    for p in RoutingProposal.objects.all():
        low = share_low(round(p.share * p.support), p.support)
        assert p.share_low == low
        assert low <= p.share
        cell = re.search(rf'data-testid="share-low-{p.pk}">([^<]*)<', text).group(1)
        assert cell == f"{round(low * 100)}%"
    proposal = RoutingProposal(support=5, share=0.6)
    assert proposal.share_low == pytest.approx(0.2307, abs=1e-4)
    assert RoutingProposal(support=200, share=0.95).share_low == pytest.approx(0.9103, abs=1e-4)


def test_accepting_in_bulk_makes_rule_versions(world, proposed, client):  # noqa: F811
    client.force_login(world.u("admin"))
    before = HandlingRuleVersion.objects.count()
    ids = list(RoutingProposal.objects.values_list("pk", flat=True))
    response = client.post(PAGE, {"verb": "accept", "ids": ids}, follow=True)
    assert response.status_code == 200
    assert HandlingRuleVersion.objects.count() == before + 2
    rule = HandlingRule.objects.get(category=world.leaf)
    assert rule.lead_mode == HandlingRule.LeadMode.AREA and rule.lead_unit is None
    latest = rule.versions.order_by("-number").first()
    assert latest.number == 2 and latest.snapshot["lead_mode"] == "area"
    assert latest.created_by == world.u("admin")
    other = HandlingRule.objects.get(category=world.other_leaf)
    assert other.lead_unit == world.urban and other.versions.count() == 1
    assert set(RoutingProposal.objects.values_list("status", flat=True)) == {"accepted"}
    # Accepting again changes nothing: they are no longer pending.
    again = client.post(PAGE, {"verb": "accept", "ids": ids})
    assert again.status_code == 400
    assert HandlingRuleVersion.objects.count() == before + 2


def test_accept_all_pending(world, proposed, client):  # noqa: F811
    client.force_login(world.u("admin"))
    client.post(PAGE, {"verb": "accept_all"})
    assert not RoutingProposal.objects.filter(status="pending").exists()


def test_dismissing_leaves_the_rules_alone(world, proposed, client):  # noqa: F811
    client.force_login(world.u("admin"))
    before = HandlingRuleVersion.objects.count()
    pk = RoutingProposal.objects.get(category=world.leaf).pk
    client.post(PAGE, {"verb": "dismiss", "ids": [pk]})
    assert RoutingProposal.objects.get(pk=pk).status == "dismissed"
    assert HandlingRuleVersion.objects.count() == before
    assert HandlingRule.objects.get(category=world.leaf).lead_unit == world.urban
    listed = client.get(PAGE + "?status=dismissed").content.decode()
    assert "暴露垃圾" in listed


@pytest.mark.parametrize(
    "data",
    [{"verb": "accept"}, {"verb": "accept", "ids": ["x1"]}, {"verb": "burn", "ids": ["1"]}],
)
def test_bad_input_changes_nothing(world, proposed, client, data):  # noqa: F811
    client.force_login(world.u("admin"))
    before = HandlingRuleVersion.objects.count()
    response = client.post(PAGE, data)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert HandlingRuleVersion.objects.count() == before
    assert set(RoutingProposal.objects.values_list("status", flat=True)) == {"pending"}


def test_proposals_from_the_platforms_own_dispatches(world, at):  # noqa: F811
    with at(MONDAY_10):
        for _ in range(5):
            dispatched(world)
    rows = proposals.rows_from_database()
    assert len(rows) == 5
    assert {(r["l3"], r["unit"], r["area_bound"]) for r in rows} == {
        ("暴露垃圾", "城市管理局", False)
    }
    # The rule says the same as the history: nothing to propose.
    call_command("propose_routing", database=True)
    assert not RoutingProposal.objects.exists()
    # Once the rule says "by area", the history proposes its fixed unit back.
    HandlingRule.objects.filter(category=world.leaf).update(lead_mode="area", lead_unit=None)
    call_command("propose_routing", database=True)
    proposal = RoutingProposal.objects.get()
    assert proposal.mode == "fixed" and proposal.unit == world.urban and proposal.support == 5


def test_propose_refuses_bad_files(db, tmp_path):
    with pytest.raises(CommandError, match="nowhere.csv"):
        call_command("propose_routing", csv=str(tmp_path / "nowhere.csv"))
    bad_map = tmp_path / "map.csv"
    bad_map.write_text("name,code\n", encoding="utf-8")
    with pytest.raises(CommandError, match="raw_name"):
        call_command("propose_routing", csv=str(FIXTURE), unit_map=str(bad_map))
    assert not RoutingProposal.objects.exists()


def test_a_unit_bound_to_an_area_is_proposed_by_area(world):  # noqa: F811
    from jiesu.org.models import Region

    sub = Region.objects.create(
        code="440310001", name="坪山街道", level=Region.Level.SUBDISTRICT, parent=world.district
    )
    world.urban.region = sub
    world.urban.save()
    proposals.propose(history.RoutingTable.fit(history.read_rows(str(FIXTURE), with_unit=True)))
    proposal = RoutingProposal.objects.get(category=world.other_leaf)
    assert proposal.mode == RoutingProposal.Mode.AREA and proposal.unit is None
    assert proposal.evidence["learned_unit"] == "城市管理局"


def test_unit_map_override_by_middle_category(world, tmp_path):  # noqa: F811
    with FIXTURE.open(encoding="utf-8") as fh:
        source = list(csv.DictReader(fh))
    history_file = tmp_path / "history.csv"
    with history_file.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, [*source[0].keys(), "MAIN_TYPE_ID"])
        writer.writeheader()
        for r in source:
            writer.writerow(
                {**r, "MAIN_TYPE_ID": "186" if r["MAIN_TYPE_NAME"] == "环境卫生" else "1"}
            )
    mapping = tmp_path / "map.csv"
    mapping.write_text(
        "raw_name,main_type_ids,unit_code\n城市管理局,,D01\n城市管理局,185;186,D02\n",
        encoding="utf-8",
    )
    call_command("propose_routing", csv=str(history_file), unit_map=str(mapping))
    assert RoutingProposal.objects.get(category=world.other_leaf).unit == world.water


def test_precision_of_the_most_confident(rows):
    figures = history.evaluate(rows, "random", share=0.5, seed=2)
    cover = figures["precision_at_coverage"]
    assert set(cover) == {"30", "50", "70"}
    assert cover["30"]["min_confidence"] >= cover["50"]["min_confidence"]
    assert cover["50"]["min_confidence"] >= cover["70"]["min_confidence"]
    assert all(0 <= v["precision"] <= 1 for v in cover.values())
