# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The admin: who may enter, and the organisation's admin pages."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from jiesu.org.models import Region, Unit, User, UserRole

PASSWORD = "Correct-Horse-Battery-42"


def url(name, *args):
    # English pages, so that the assertions read the English source strings.
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def administrator(make_user):
    # is_staff deliberately False: the role alone opens the admin.
    return make_user("administrator", username="admin1", is_staff=False)


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


class TestEntry:
    def test_administrator_without_staff_flag_enters(self, admin_client):
        response = admin_client.get(url("admin:index"))
        assert response.status_code == 200
        content = response.content.decode()
        assert url("admin:org_region_changelist") in content
        assert url("admin:org_unit_changelist") in content
        assert url("admin:org_user_changelist") in content
        assert "/auth/group/" not in content  # groups play no part in Jiesu

    def test_superuser_enters(self, client, make_user):
        client.force_login(make_user(is_superuser=True, is_staff=True))
        assert client.get(url("admin:index")).status_code == 200

    def test_staff_dispatcher_is_turned_away(self, client, make_user):
        client.force_login(make_user("dispatcher", is_staff=True))
        response = client.get(url("admin:index"))
        assert response.status_code == 302
        assert response.url.startswith(url("admin:login"))
        response = client.get(url("admin:org_region_changelist"))
        assert response.status_code == 302 and response.url.startswith(url("admin:login"))

    def test_inactive_administrator_is_turned_away(self, client, make_user):
        client.force_login(make_user("administrator", is_active=True))
        User.objects.update(is_active=False)
        assert client.get(url("admin:index")).status_code == 302

    def test_anonymous_is_sent_to_login(self, client, db):
        response = client.get(url("admin:index"))
        assert response.status_code == 302 and response.url.startswith(url("admin:login"))

    def test_login_form_follows_the_role_not_is_staff(self, client, make_user):
        admin = make_user("administrator", username="a", is_staff=False)
        admin.set_password(PASSWORD)
        admin.save()
        dispatcher = make_user("dispatcher", username="d", is_staff=True)
        dispatcher.set_password(PASSWORD)
        dispatcher.save()

        response = client.post(url("admin:login"), {"username": "d", "password": PASSWORD})
        assert response.status_code == 200  # the form again, with an error
        assert "_auth_user_id" not in client.session

        response = client.post(
            url("admin:login"),
            {"username": "a", "password": PASSWORD, "next": url("admin:index")},
        )
        assert response.status_code == 302 and response.url == url("admin:index")
        assert client.get(url("admin:index")).status_code == 200


class TestRegions:
    def test_changelist_filters_and_search(self, admin_client, district):
        response = admin_client.get(
            url("admin:org_region_changelist"), {"level__exact": "community", "q": "C1"}
        )
        assert response.status_code == 200
        content = response.content.decode()
        assert "West-south" in content and "Grid 1" not in content
        response = admin_client.get(url("admin:org_region_changelist"))
        content = response.content.decode()
        # Tree order: the district first, each subdistrict before its community.
        assert content.index(">District<") < content.index(">West<") < content.index(">West-south<")

    def test_change_page_shows_place_in_tree(self, admin_client, district):
        response = admin_client.get(url("admin:org_region_change", district["G1"].pk))
        assert response.status_code == 200
        assert (
            "District (D) › West (S1) › West-south (C1) › Grid 1 (G1)" in response.content.decode()
        )

    def _post(self, client, **data):
        payload = {"code": "D", "name": "District", "level": "district", "active": "on"}
        payload.update(data)
        return client.post(url("admin:org_region_add"), payload)

    def test_invalid_boundary_is_shown_on_the_field(self, admin_client):
        bow_tie = '{"type": "Polygon", "coordinates": [[[0,0],[1,1],[1,0],[0,1],[0,0]]]}'
        response = self._post(admin_client, boundary=bow_tie)
        assert response.status_code == 200
        assert "The boundary is not a valid polygon: Self-intersection" in response.content.decode()
        assert not Region.objects.exists()

    def test_malformed_json_is_refused(self, admin_client):
        response = self._post(admin_client, boundary="{nope")
        assert response.status_code == 200 and not Region.objects.exists()

    def test_pasted_feature_is_reduced_to_its_geometry(self, admin_client):
        feature = (
            '{"type": "Feature", "properties": {}, "geometry": '
            '{"type": "Polygon", "coordinates": [[[1,1],[3,1],[3,3],[1,3],[1,1]]]}}'
        )
        response = self._post(admin_client, boundary=feature)
        assert response.status_code == 302, response.content.decode()[:3000]
        region = Region.objects.get(code="D")
        assert region.boundary["type"] == "Polygon"
        assert (region.min_lng, region.max_lat, region.center_lng) == (1, 3, 2)

    def test_wrong_level_is_refused(self, admin_client, district):
        response = self._post(
            admin_client, code="G9", level="grid", parent=district["S1"].pk, boundary=""
        )
        assert response.status_code == 200
        assert "A Grid cell must be placed under a Community" in response.content.decode()

    def test_sticking_out_of_the_parent_warns(self, admin_client, district):
        response = self._post(
            admin_client,
            code="C2",
            name="Overhang",
            level="community",
            parent=district["S2"].pk,
            boundary='{"type": "Polygon", "coordinates": [[[9,1],[11,1],[11,2],[9,2],[9,1]]]}',
        )
        assert response.status_code == 302
        follow = admin_client.get(response.url)
        assert "lies 50.0% outside its parent East (S2)" in follow.content.decode()


class TestUnits:
    def _post(self, client, **data):
        payload = {"code": "U1", "name": "Unit one", "kind": "department", "active": "on"}
        payload.update(data)
        return client.post(url("admin:org_unit_add"), payload)

    def test_add_unit(self, admin_client, district):
        response = self._post(admin_client, region=district["S1"].pk, requires_leader_approval="on")
        assert response.status_code == 302
        unit = Unit.objects.get(code="U1")
        assert unit.region == district["S1"] and unit.requires_leader_approval

    def test_second_backstop_gets_a_readable_error(self, admin_client, make_unit):
        make_unit("Centre", code="CENTRE", is_backstop=True)
        response = self._post(admin_client, is_backstop="on")
        assert response.status_code == 200
        content = response.content.decode()
        assert (
            "Only one unit may be the district backstop, and Centre (CENTRE) already is." in content
        )
        assert Unit.objects.filter(is_backstop=True).count() == 1

    def test_backstop_can_be_kept_when_editing_it(self, admin_client, make_unit):
        centre = make_unit("Centre", code="CENTRE", is_backstop=True)
        response = admin_client.post(
            url("admin:org_unit_change", centre.pk),
            {
                "code": "CENTRE",
                "name": "Centre renamed",
                "kind": "centre",
                "is_backstop": "on",
                "active": "on",
            },
        )
        assert response.status_code == 302
        assert Unit.backstop().name == "Centre renamed"

    def test_parent_cycle_refused(self, admin_client, make_unit):
        parent = make_unit("Parent", code="P")
        child = make_unit("Child", code="C", parent=parent)
        response = admin_client.post(
            url("admin:org_unit_change", parent.pk),
            {"code": "P", "name": "Parent", "kind": "department", "parent": child.pk},
        )
        assert response.status_code == 200
        assert (
            "cannot be placed under itself or one of its descendants" in response.content.decode()
        )

    def test_database_refuses_two_backstops(self, make_unit):
        make_unit("Centre", is_backstop=True)
        with pytest.raises(IntegrityError), transaction.atomic():
            make_unit("Other", is_backstop=True)


class TestStaff:
    def _add(self, client, *roles, **data):
        payload = {
            "username": "handler1",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "full_name": "Li Na",
            "phone": "13800000000",
            "email": "",
            "roles-TOTAL_FORMS": str(len(roles)),
            "roles-INITIAL_FORMS": "0",
            "roles-MIN_NUM_FORMS": "0",
            "roles-MAX_NUM_FORMS": "1000",
        }
        for i, role in enumerate(roles):
            payload[f"roles-{i}-role"] = role
        payload.update(data)
        return client.post(url("admin:org_user_add"), payload)

    def test_add_user_with_roles_and_argon2_password(self, admin_client, make_unit):
        unit = make_unit("Water", code="W")
        response = self._add(admin_client, "unit_handler", "visit_agent", unit=unit.pk)
        assert response.status_code == 302, response.content.decode()[:3000]
        user = User.objects.get(username="handler1")
        assert user.password.startswith("argon2$")
        assert user.check_password(PASSWORD)
        assert user.unit == unit and user.full_name == "Li Na"
        assert user.role_set == {"unit_handler", "visit_agent"}
        assert not user.is_staff and not user.is_superuser

    def test_unit_role_needs_a_unit(self, admin_client):
        response = self._add(admin_client, "unit_leader")
        assert response.status_code == 200
        assert "act only within their unit" in response.content.decode()
        assert not User.objects.filter(username="handler1").exists()

    def test_duplicate_role_refused(self, admin_client):
        response = self._add(admin_client, "analyst", "analyst")
        assert response.status_code == 200
        assert not User.objects.filter(username="handler1").exists()

    def test_changelist_lists_roles(self, admin_client, make_user):
        make_user("supervisor", username="sup", full_name="Wang Wei")
        response = admin_client.get(url("admin:org_user_changelist"), {"roles__role": "supervisor"})
        assert response.status_code == 200
        content = response.content.decode()
        assert "Wang Wei" in content and "Supervisor" in content

    def test_administrator_cannot_grant_superuser(self, admin_client, make_user):
        target = make_user("analyst", username="ana")
        role = UserRole.objects.get(user=target)
        response = admin_client.post(
            url("admin:org_user_change", target.pk),
            {
                "username": "ana",
                "full_name": "",
                "phone": "",
                "email": "",
                "is_active": "on",
                "is_superuser": "on",
                "date_joined_0": "2026-01-01",
                "date_joined_1": "09:00:00",
                "roles-TOTAL_FORMS": "1",
                "roles-INITIAL_FORMS": "1",
                "roles-MIN_NUM_FORMS": "0",
                "roles-MAX_NUM_FORMS": "1000",
                "roles-0-id": str(role.pk),
                "roles-0-user": str(target.pk),
                "roles-0-role": "analyst",
            },
        )
        assert response.status_code == 302, response.content.decode()[:3000]
        target.refresh_from_db()
        assert not target.is_superuser

    def test_role_can_be_removed(self, admin_client, make_user):
        target = make_user("analyst", "supervisor", username="ana")
        roles = list(UserRole.objects.filter(user=target).order_by("role"))
        data = {
            "username": "ana",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
            "roles-TOTAL_FORMS": "2",
            "roles-INITIAL_FORMS": "2",
            "roles-MIN_NUM_FORMS": "0",
            "roles-MAX_NUM_FORMS": "1000",
        }
        for i, r in enumerate(roles):
            data.update(
                {
                    f"roles-{i}-id": str(r.pk),
                    f"roles-{i}-user": str(target.pk),
                    f"roles-{i}-role": r.role,
                }
            )
        data["roles-1-DELETE"] = "on"  # supervisor
        response = admin_client.post(url("admin:org_user_change", target.pk), data)
        assert response.status_code == 302, response.content.decode()[:3000]
        target.refresh_from_db()
        assert target.role_set == {"analyst"}

    def test_dispatcher_cannot_manage_users(self, client, make_user):
        client.force_login(make_user("dispatcher", is_staff=True))
        assert client.get(url("admin:org_user_changelist")).status_code == 302
