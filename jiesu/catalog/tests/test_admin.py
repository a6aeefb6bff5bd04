# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The catalogue admin: saving a rule with its limits records a version; read-only versions."""

import pytest
from django.urls import reverse

from jiesu.catalog.models import (
    Category,
    DistrictDefaultLimit,
    Grade,
    HandlingRule,
    HandlingRuleVersion,
    TimeLimit,
)
from jiesu.catalog.services import record_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create(
        username="root", is_staff=True, is_superuser=True, is_active=True
    )
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def leaf(db):
    major = Category.objects.create(code="01", name="市容环境", level=1)
    middle = Category.objects.create(code="0101", name="环境卫生", level=2, parent=major)
    return Category.objects.create(code="0101001", name="垃圾暴露", level=3, parent=middle)


def _value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, list | tuple):
        return [str(v.pk if hasattr(v, "pk") else v) for v in value]
    return str(value.pk if hasattr(value, "pk") else value)


def form_data(response):
    """The POST data the change form would send as rendered (main form and inlines)."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data[name] = _value(form[name].value())
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = _value(management[name].value())
        for subform in formset.forms:
            for name in subform.fields:
                data[subform.add_prefix(name)] = _value(subform[name].value())
    return {k: v for k, v in data.items() if v not in ("", [])}


def add_limit_rows(data, prefix, rows):
    start = int(data[f"{prefix}-TOTAL_FORMS"])
    for offset, row in enumerate(rows):
        for name, value in row.items():
            data[f"{prefix}-{start + offset}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(start + len(rows))


def grade_pk(code):
    return str(Grade.objects.get(code=code).pk)


def test_add_and_edit_rule_records_versions(admin_client, org, leaf):
    url = reverse("admin:catalog_handlingrule_add")
    response = admin_client.get(url)
    assert response.status_code == 200
    data = form_data(response)
    data.update({"category": str(leaf.pk), "lead_mode": "fixed", "lead_unit": str(org.urban.pk)})
    data["assisting_units"] = [str(org.water.pk)]
    data["count_from"] = "receipt"
    add_limit_rows(
        data,
        "time_limits",
        [
            {"clock": "handle", "amount": "3", "unit": "wd"},
            {"clock": "sign", "grade": grade_pk("A"), "amount": "30", "unit": "min"},
        ],
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    rule = HandlingRule.objects.get(category=leaf)
    version = rule.versions.get()
    # The version was recorded after the inlines were saved: it holds the limits.
    assert version.number == 1
    assert version.created_by == admin_client.user
    assert [(e["clock"], e["amount"]) for e in version.snapshot["limits"]] == [
        ("sign", 30),
        ("handle", 3),
    ]
    assert version.snapshot["assisting_units"] == ["SW"]

    change_url = reverse("admin:catalog_handlingrule_change", args=[rule.pk])
    # Saving without a change records nothing.
    response = admin_client.post(change_url, form_data(admin_client.get(change_url)))
    assert response.status_code == 302
    assert rule.versions.count() == 1

    data = form_data(admin_client.get(change_url))
    handle_row = next(
        key[: -len("-clock")]
        for key, value in data.items()
        if key.startswith("time_limits-") and key.endswith("-clock") and value == "handle"
    )
    data[f"{handle_row}-amount"] = "5"
    response = admin_client.post(change_url, data)
    assert response.status_code == 302
    assert [v.number for v in rule.versions.order_by("number")] == [1, 2]
    assert rule.versions.get(number=2).snapshot["limits"][1]["amount"] == 5
    assert rule.versions.get(number=1).snapshot["limits"][1]["amount"] == 3


def test_duplicate_limits_are_refused(admin_client, org, leaf):
    url = reverse("admin:catalog_handlingrule_add")
    data = form_data(admin_client.get(url))
    data.update({"category": str(leaf.pk), "lead_mode": "fixed", "count_from": "receipt"})
    add_limit_rows(
        data,
        "time_limits",
        [
            {"clock": "sign", "amount": "3", "unit": "wh"},
            {"clock": "sign", "amount": "4", "unit": "wh"},
        ],
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert not HandlingRule.objects.exists()
    assert not HandlingRuleVersion.objects.exists()


def test_new_rule_limit_may_match_a_district_default(admin_client, org, leaf):
    # The default (sign, any type, grade A) exists; a rule may set its own.
    url = reverse("admin:catalog_handlingrule_add")
    data = form_data(admin_client.get(url))
    data.update({"category": str(leaf.pk), "lead_mode": "fixed", "count_from": "receipt"})
    add_limit_rows(
        data,
        "time_limits",
        [{"clock": "sign", "grade": grade_pk("A"), "amount": "15", "unit": "min"}],
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    assert TimeLimit.objects.filter(rule__category=leaf).get().amount == 15


def test_area_mode_with_lead_unit_and_lead_assisting_are_refused(admin_client, org, leaf):
    url = reverse("admin:catalog_handlingrule_add")
    data = form_data(admin_client.get(url))
    data.update(
        {
            "category": str(leaf.pk),
            "lead_mode": "area",
            "lead_unit": str(org.urban.pk),
            "count_from": "receipt",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "lead_unit" in response.context["adminform"].form.errors
    data.update({"lead_mode": "fixed", "assisting_units": [str(org.urban.pk)]})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "assisting_units" in response.context["adminform"].form.errors
    assert not HandlingRule.objects.exists()


def test_versions_are_read_only(admin_client, org, leaf):
    rule = HandlingRule.objects.create(category=leaf, lead_unit=org.urban)
    version = record_version(rule)
    change_url = reverse("admin:catalog_handlingruleversion_change", args=[version.pk])
    response = admin_client.get(change_url)
    assert response.status_code == 200
    assert "CG" in response.content.decode()
    assert admin_client.get(reverse("admin:catalog_handlingruleversion_add")).status_code == 403
    response = admin_client.post(change_url, {"number": "7"})
    assert response.status_code == 403
    delete_url = reverse("admin:catalog_handlingruleversion_delete", args=[version.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    version.refresh_from_db()
    assert version.number == 1


def test_district_defaults(admin_client):
    url = reverse("admin:catalog_districtdefaultlimit_changelist")
    response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 15
    add_url = reverse("admin:catalog_districtdefaultlimit_add")
    # (sign, any type, grade A) exists already.
    data = {"clock": "sign", "grade": grade_pk("A"), "amount": "10", "unit": "min"}
    response = admin_client.post(add_url, data)
    assert response.status_code == 200
    assert DistrictDefaultLimit.objects.count() == 15
    data["clock"] = "contact"
    data["appeal_type"] = ""
    response = admin_client.post(add_url, {**data, "grade": "", "amount": "0"})
    assert response.status_code == 200  # amount must be positive; any/any exists anyway
    response = admin_client.post(
        add_url, {"clock": "handle", "grade": grade_pk("B"), "appeal_type": "", "amount": "2"}
    )
    assert response.status_code == 200  # unit missing
    from jiesu.catalog.models import AppealType

    praise = AppealType.objects.get(code="praise")
    response = admin_client.post(
        add_url,
        {"clock": "handle", "appeal_type": str(praise.pk), "amount": "10", "unit": "wd"},
    )
    assert response.status_code == 302
    created = DistrictDefaultLimit.objects.get(appeal_type=praise)
    assert created.rule is None and created.grade is None


@pytest.mark.parametrize(
    "name",
    [
        "catalog_category_changelist",
        "catalog_appealtype_changelist",
        "catalog_grade_changelist",
        "catalog_handlingrule_changelist",
        "catalog_handlingruleversion_changelist",
    ],
)
def test_changelists(admin_client, org, leaf, name):
    rule = HandlingRule.objects.create(category=leaf, lead_unit=org.urban)
    record_version(rule)
    assert admin_client.get(reverse(f"admin:{name}")).status_code == 200


def test_category_filters_and_search(admin_client, leaf):
    url = reverse("admin:catalog_category_changelist")
    response = admin_client.get(url, {"level": "3"})
    assert list(response.context["cl"].result_list) == [leaf]
    response = admin_client.get(url, {"parent": str(leaf.parent_id)})
    assert list(response.context["cl"].result_list) == [leaf]
    response = admin_client.get(url, {"q": "垃圾"})
    assert list(response.context["cl"].result_list) == [leaf]


def test_non_administrators_are_kept_out(client, django_user_model, leaf):
    user = django_user_model.objects.create(username="clerk", is_staff=True)
    client.force_login(user)
    response = client.get(reverse("admin:catalog_category_changelist"))
    assert response.status_code in (302, 403)  # sent to the login page, or refused
