# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""seed_demo: what the demo district contains, and that loading it twice changes nothing.

The demo is seeded once per test class (setUpTestData, rolled back afterwards); each test runs in
its own savepoint, so the tests that edit demo records do not disturb the others.
"""

import csv
import io
import re
from collections import Counter
from pathlib import Path

from django.core.management import call_command
from django.test import TestCase
from django.utils import translation

from jiesu.catalog.models import Category, HandlingRule, HandlingRuleVersion, TimeLimit
from jiesu.catalog.services import current_version, lead_unit_for, resolve_time_limit
from jiesu.demo.seeding import (
    ACCOUNTS,
    CATALOGUE_FILE,
    DEMO_PASSWORD,
    ORG_FILE,
    seed_demo,
)
from jiesu.org.geo import resolve_point
from jiesu.org.models import Region, Unit, User, UserRole
from jiesu.org.roles import Role

DOCS = Path(__file__).resolve().parents[3] / "docs" / "demo.md"


def signs_in(client, username, password) -> bool:
    """Sign in through the console's sign-in page (as a person does; django-axes watches it)."""
    response = client.post("/console/login/", {"username": username, "password": password})
    return response.status_code == 302


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def database_state() -> dict:
    """Every row the demo touches, field by field (password hashes and timestamps included)."""
    state = {}
    for model in (Region, Unit, User, UserRole, Category, HandlingRule, TimeLimit):
        state[model.__name__] = sorted(model.objects.values_list(), key=repr)
    state["assisting"] = sorted(HandlingRule.assisting_units.through.objects.values_list())
    state["versions"] = sorted(HandlingRuleVersion.objects.values_list("rule_id", "number"))
    return state


class SeedDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.first = seed_demo()
        cls.state_after_first = database_state()
        out = io.StringIO()
        with translation.override("en"):
            call_command("seed_demo", stdout=out)
        cls.second_output = out.getvalue()
        cls.state_after_second = database_state()

    # -- idempotence ---------------------------------------------------------------------

    def test_first_run_creates_everything(self):
        assert self.first.regions.created == 127
        assert self.first.units.created == Unit.objects.count()
        assert self.first.accounts.created == len(ACCOUNTS)
        assert self.first.passwords_set == len(ACCOUNTS)
        assert self.first.catalogue.rules_created == HandlingRule.objects.count()
        assert self.first.catalogue.versions_recorded == HandlingRule.objects.count()
        assert self.first.changed > 0

    def test_second_run_changes_nothing_and_says_so(self):
        assert self.state_after_second == self.state_after_first
        text = self.second_output
        assert "regions:   127 (0 created, 0 updated, 127 unchanged)" in text
        assert f"units:     {Unit.objects.count()} (0 created, 0 updated," in text
        assert "roles 9 (0 created, 0 updated, 9 unchanged); passwords set 0" in text
        assert "rules 0 created, 0 updated, 350 unchanged; 0 rule versions recorded" in text
        assert "nothing changed" in text

    def test_rerun_restores_edited_demo_records_but_keeps_passwords(self):
        Unit.objects.filter(code="D01").update(name="改名的单位")
        Unit.objects.filter(code="C00").update(is_backstop=False)
        Unit.objects.filter(code="D18").update(is_backstop=True)
        handler = User.objects.get(username="handler")
        handler.set_password("Changed-2026!")
        handler.save()

        report = seed_demo()
        assert report.units.updated == 3  # D01 renamed back, D18 released, C00 the backstop again
        assert report.changed == 3
        assert Unit.objects.get(code="D01").name == "坪山区城市管理和综合执法局"
        assert list(Unit.objects.filter(is_backstop=True).values_list("code", flat=True)) == ["C00"]
        assert report.passwords_set == 0
        assert signs_in(self.client, "handler", "Changed-2026!")

        report = seed_demo(reset_passwords=True)
        assert report.passwords_set == 1
        assert report.changed == 1
        assert signs_in(self.client, "handler", DEMO_PASSWORD)

    # -- regions -------------------------------------------------------------------------

    def test_region_tree(self):
        counts = Counter(Region.objects.values_list("level", flat=True))
        assert counts == {"district": 1, "subdistrict": 6, "community": 24, "grid": 96}
        district = Region.objects.get(level="district")
        assert (district.code, district.name) == ("440310", "深圳市坪山区")
        subdistricts = Region.objects.filter(level="subdistrict").order_by("code")
        assert [(s.code, s.name) for s in subdistricts] == [
            ("440310001", "坪山街道"),
            ("440310002", "马峦街道"),
            ("440310003", "碧岭街道"),
            ("440310004", "石井街道"),
            ("440310005", "坑梓街道"),
            ("440310006", "龙田街道"),
        ]
        assert all(s.parent_id == district.pk for s in subdistricts)

    def test_communities_have_the_codes_of_org_csv(self):
        expected = {}
        for row in read_csv(ORG_FILE):
            if row["kind"] == "community":
                code = re.search(r"440310\d{6}", row["remit"]).group(0)
                expected[code] = (row["name"], row["parent"])
        actual = {
            c.code: (c.name, c.parent.name)
            for c in Region.objects.filter(level="community").select_related("parent")
        }
        assert actual == expected
        for grid in Region.objects.filter(level="grid").select_related("parent"):
            assert re.fullmatch(re.escape(grid.parent.code) + r"\d{3}", grid.code)

    def test_every_region_has_a_boundary_labelled_as_demo_geometry(self):
        for region in Region.objects.all():
            assert region.boundary is not None, region
            assert "approximate demo geometry" in region.geometry_note
            assert "示意边界，非官方" in region.geometry_note

    def test_subdistrict_points_resolve_to_their_own_subdistrict(self):
        subdistricts = {r.name: r for r in Region.objects.filter(level="subdistrict")}
        rows = [r for r in read_csv(ORG_FILE) if r["kind"] == "subdistrict"]
        assert len(rows) == 6
        for row in rows:
            found = resolve_point(float(row["lat"]), float(row["lng"]))
            assert found is not None, row["name"]
            assert found.level == "grid"  # the smallest region: the map is tiled to the bottom
            assert found.is_within(subdistricts[row["name"]]), (row["name"], found)

    def test_points_outside_the_district_resolve_to_nothing(self):
        assert resolve_point(22.55, 114.05) is None  # Futian, central Shenzhen

    # -- units ---------------------------------------------------------------------------

    def test_units(self):
        assert 25 <= Unit.objects.count() <= 45
        backstop = Unit.backstop()
        assert backstop is not None and backstop.code == "C00"
        assert backstop.kind == Unit.Kind.CENTRE
        assert Unit.objects.filter(is_backstop=True).count() == 1
        assert Unit.objects.filter(requires_leader_approval=True).exists()
        org_departments = {r["name"] for r in read_csv(ORG_FILE) if r["kind"] == "department"}
        assert org_departments <= set(Unit.objects.values_list("name", flat=True))
        assert Unit.objects.filter(kind=Unit.Kind.ENTERPRISE).count() >= 2
        assert all(u.remit for u in Unit.objects.all())

    def test_subdistrict_offices_are_bound_to_their_subdistricts_with_teams(self):
        offices = Unit.objects.filter(kind=Unit.Kind.SUBDISTRICT_OFFICE).select_related("region")
        assert sorted(o.region.code for o in offices) == [f"44031000{i}" for i in range(1, 7)]
        for office in offices:
            assert office.region.name[:2] in office.name
            teams = list(office.children.all())
            assert len(teams) >= 2
            assert all(t.kind == Unit.Kind.TEAM and t.region_id == office.region_id for t in teams)

    # -- accounts ------------------------------------------------------------------------

    def test_one_account_per_role_and_each_can_log_in(self):
        assert {a.role for a in ACCOUNTS} == set(Role)
        for account in ACCOUNTS:
            user = User.objects.get(username=account.username)
            assert user.has_role(account.role), account.username
            assert user.unit.code == account.unit_code
            assert re.fullmatch(r"1380000\d{4}", user.phone)
            assert user.full_name and not user.full_name.isascii()
            assert signs_in(self.client, account.username, DEMO_PASSWORD)
            self.client.logout()
        admin = User.objects.get(username="admin")
        assert admin.is_superuser and admin.is_staff
        assert not User.objects.get(username="handler").is_superuser

    def test_handler_and_leader_share_a_busy_department_and_handler_ps_a_subdistrict(self):
        handler = User.objects.get(username="handler")
        leader = User.objects.get(username="leader")
        assert handler.unit == leader.unit
        assert handler.unit.kind == Unit.Kind.DEPARTMENT
        assert handler.unit.lead_rules.exists() or handler.unit.assisting_rules.exists()
        assert User.objects.get(username="handler_ps").unit.kind == Unit.Kind.SUBDISTRICT_OFFICE

    def test_docs_list_every_account(self):
        text = DOCS.read_text(encoding="utf-8")
        documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))
        assert documented == {a.username for a in ACCOUNTS}
        assert DEMO_PASSWORD in text

    # -- catalogue -----------------------------------------------------------------------

    def test_catalogue_matches_the_committed_file(self):
        rows = read_csv(CATALOGUE_FILE)
        assert Category.objects.filter(level=1).count() == len({r["一级编码"] for r in rows}) == 18
        assert Category.objects.filter(level=2).count() == len({r["二级编码"] for r in rows})
        leaves = Category.objects.filter(level=3)
        assert leaves.count() == len(rows)
        assert 340 <= len(rows) <= 372
        assert set(leaves.values_list("code", flat=True)) == {r["三级编码"] for r in rows}

    def test_every_leaf_has_a_rule_with_a_usable_lead(self):
        communities = list(Region.objects.filter(level="community").select_related("parent"))
        offices = {u.region_id: u for u in Unit.objects.filter(kind=Unit.Kind.SUBDISTRICT_OFFICE)}
        modes = Counter()
        leaves = Category.objects.filter(level=3).select_related("rule__lead_unit")
        for i, leaf in enumerate(leaves):
            rule = leaf.rule
            modes[rule.lead_mode] += 1
            assert rule.default_grade is not None
            assert rule.plan and rule.filing_condition and rule.closing_condition
            assert leaf.keywords
            if rule.lead_mode == HandlingRule.LeadMode.FIXED:
                assert rule.lead_unit is not None and rule.lead_unit.active, leaf
                assert lead_unit_for(leaf) == rule.lead_unit
            else:
                assert rule.lead_unit is None
                community = communities[i % len(communities)]
                assert lead_unit_for(leaf, community) == offices[community.parent_id], leaf
            assert rule.versions.count() == 1
        assert modes["fixed"] > 50 and modes["area"] > 50

    def test_frequent_cases_follow_the_2018_handlers(self):
        def rule(name):
            return HandlingRule.objects.select_related("lead_unit").get(
                category__level=3, category__name=name
            )

        # Street vending and exposed garbage were handled by the subdistricts' teams.
        assert rule("无照经营游商").lead_mode == "area"
        assert rule("暴露垃圾").lead_mode == "area"
        # Industrial noise: the environment bureau; bus lines: the transport bureau.
        assert rule("工业红线内噪声").lead_unit.code == "D11"
        assert rule("公共交通管理").lead_unit.code == "D09"
        assert rule("燃气管道破裂").default_grade.code == "A"

    def test_specific_time_limits_and_district_defaults(self):
        garbage = Category.objects.get(level=3, name="暴露垃圾")
        version = current_version(garbage)
        assert resolve_time_limit("handle", "complaint", "C", version) == (4, "wh")
        road = Category.objects.get(level=3, name="道路保洁")
        assert resolve_time_limit("handle", "complaint", "C", current_version(road)) == (2, "wh")
        building = Category.objects.get(level=3, name="违法在建建筑")
        assert resolve_time_limit("handle", "report", "B", current_version(building)) == (4, "wh")
        # A leaf without its own limits falls back to the district defaults.
        noise = Category.objects.get(level=3, name="工业红线内噪声")
        assert not noise.rule.time_limits.exists()
        assert resolve_time_limit("handle", "complaint", "C", current_version(noise)) == (5, "wd")
