# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Open311 service requests from the workflow: status and its notes, the responsible agency,
the expected time, the date window and count, and what is never shown (reporters, confidential
appeals, personal data typed into descriptions)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jiesu.appeals import workflow
from jiesu.appeals.models import Appeal, Clock
from jiesu.appeals.tests.conftest import (
    MONDAY_10,
    completed,
    dispatched,
    in_progress,
    new_appeal,
    registered,
    visiting,
)
from jiesu.appeals.timesource import frozen_at
from jiesu.intake.open311 import views
from jiesu.intake.open311.records import mask_personal
from jiesu.intake.tests import test_open311 as base
from jiesu.intake.tests.test_open311 import (
    FORMATS,
    REQUEST,
    check_fields,
    parse,
    valid_request,
)

# Shared fixtures (pytest finds fixtures by module attribute).
world = base.world
o311 = base.o311


def read(o311, number, fmt="json"):
    response = o311.api.get(f"requests/{number}", fmt)
    assert response.status_code == 200, response.content
    (entry,) = parse(response, fmt)
    check_fields(entry, REQUEST, fmt)
    return entry


def _received(w):
    return new_appeal(w, category=w.leaf)


def _closed(w):
    appeal = visiting(w)
    return workflow.record_visit(appeal, w.u("visitor"), outcome=Appeal.Satisfaction.SATISFIED)


def _rejected(w):
    return workflow.reject(_received(w), w.u("intake"), reason="不属于本区管辖，请向市交通局反映。")


def _answered(w):
    return workflow.answer(_received(w), w.u("intake"), reply="垃圾清运时间为每日早晚各一次。")


def _merged(w):
    earlier = _received(w)
    with frozen_at(MONDAY_10 + timedelta(minutes=5)):
        later = _received(w)
        return workflow.merge(later, w.u("intake"), into=earlier)


# state, builder, Open311 status, status_notes (None: the state's label), lead unit code
CASES = [
    ("received", _received, "open", None, "D01"),
    ("registered", registered, "open", None, "D01"),
    ("dispatched", dispatched, "open", None, "D01"),
    ("in_progress", in_progress, "open", None, "D01"),
    ("completed", completed, "open", None, "D01"),  # not yet reviewed: no reply shown
    ("visiting", visiting, "open", "已清理完毕", "D01"),
    ("closed", _closed, "closed", "已清理完毕", "D01"),
    ("rejected", _rejected, "closed", "不属于本区管辖，请向市交通局反映。", None),
    ("answered", _answered, "closed", "垃圾清运时间为每日早晚各一次。", None),
    ("merged", _merged, "closed", "merged", None),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "state,build,status,notes,lead", [pytest.param(*c, id=c[0]) for c in CASES]
)
def test_status_mapping(o311, fmt, state, build, status, notes, lead):
    w = o311.world
    with frozen_at(MONDAY_10):
        appeal = build(w)
        appeal.refresh_from_db()
        assert appeal.status == state
        entry = read(o311, appeal.number, fmt)
    assert entry["status"] == status
    if notes is None:
        assert entry["status_notes"] == appeal.get_status_display()
    elif notes == "merged":
        assert appeal.merged_into.number in entry["status_notes"]
    else:
        assert entry["status_notes"] == notes
    units = {"D01": w.urban.name}
    assert entry["agency_responsible"] == (units[lead] if lead else None)
    handle = (
        Clock.objects.filter(appeal=appeal, kind=Clock.Kind.HANDLE, cancelled=False)
        .order_by("-started_at")
        .first()
    )
    if handle is None:
        assert entry["expected_datetime"] is None
    else:
        assert entry["expected_datetime"] == handle.due_at.astimezone(MONDAY_10.tzinfo).isoformat(
            timespec="seconds"
        )
    if status == "closed":
        assert entry["updated_datetime"] == appeal.closed_at.astimezone(MONDAY_10.tzinfo).isoformat(
            timespec="seconds"
        )
        assert entry["service_notice"] is None
    else:
        assert entry["service_notice"]


def test_expected_datetime_is_the_handling_deadline(o311):
    with frozen_at(MONDAY_10):
        appeal = dispatched(o311.world)
        entry = read(o311, appeal.number)
    due = Clock.objects.get(appeal=appeal, kind=Clock.Kind.HANDLE).due_at
    # Grade C complaint: 5 working days from Monday 10:00 is the next Monday 10:00.
    assert entry["expected_datetime"] == "2026-11-09T10:00:00+08:00"
    assert due == MONDAY_10 + timedelta(days=7)


def test_agency_is_the_actual_lead_after_redispatch(o311):
    w = o311.world
    with frozen_at(MONDAY_10):
        appeal = workflow.redispatch(
            dispatched(w), w.u("dispatcher"), lead_unit=w.water, reason="水务"
        )
        entry = read(o311, appeal.number)
    assert entry["agency_responsible"] == w.water.name


def test_the_backstop_is_agency_for_a_leaf_without_rule(o311):
    w = o311.world
    with frozen_at(MONDAY_10):
        appeal = new_appeal(w, category=w.other_leaf)
        entry = read(o311, appeal.number)
    assert entry["agency_responsible"] == w.centre.name


def test_updated_datetime_follows_the_last_step(o311):
    w = o311.world
    with frozen_at(MONDAY_10):
        appeal = registered(w)
    later = MONDAY_10 + timedelta(hours=3)
    with frozen_at(later):
        workflow.dispatch(appeal, w.u("dispatcher"))
        entry = read(o311, appeal.number)
    assert entry["requested_datetime"] == "2026-11-02T10:00:00+08:00"
    assert entry["updated_datetime"] == "2026-11-02T13:00:00+08:00"


# -- what is never shown ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_reporters_never_appear(o311, fmt):
    fields = valid_request(o311, first_name="小明", last_name="欧阳", phone="13912345678")
    number = parse(o311.api.post(fields, fmt), fmt)[0]["service_request_id"]
    bodies = [
        o311.api.get(f"requests/{number}", fmt).content,
        o311.api.get("requests", fmt).content,
    ]
    for body in bodies:
        text = body.decode("utf-8")
        for secret in ("欧阳小明", "13912345678", "zhang@example.com", "device-001", "acct-42"):
            assert secret not in text


def test_personal_data_in_descriptions_is_masked(o311):
    description = (
        "我是住户，电话13912345678，身份证440301199001011234，邮箱 li.si@qq.com，"
        "物业电话0755-12345678。"
    )
    number = parse(o311.api.post(valid_request(o311, description=description), "json"), "json")[0][
        "service_request_id"
    ]
    entry = read(o311, number)
    assert entry["description"] == (
        "我是住户，电话139****5678，身份证440301********1234，邮箱 ***@qq.com，"
        "物业电话0755-12345678。"
    )
    # Staff keep the full text.
    assert Appeal.objects.get().description == description


def test_mask_leaves_ordinary_numbers_alone():
    assert mask_personal("编号2026110200001，面积120平方米") == "编号2026110200001，面积120平方米"
    assert mask_personal("13800001234") == "138****1234"
    assert mask_personal("44030119900101123X") == "440301********123X"


def test_confidential_and_uncategorised_appeals_are_not_public(o311):
    w = o311.world
    with frozen_at(MONDAY_10):
        secret = new_appeal(w, category=w.leaf, confidential=True)
        unsorted = new_appeal(w)  # no category yet: no service_code
        public = new_appeal(w, category=w.leaf)
        for appeal in (secret, unsorted):
            response = o311.api.get(f"requests/{appeal.number}", "json")
            assert response.status_code == 404
        listed = parse(o311.api.get("requests", "json"), "json")
    assert [e["service_request_id"] for e in listed] == [public.number]


# -- window and count ------------------------------------------------------------------------


def test_default_window_is_the_last_90_days(o311):
    w = o311.world
    made = {}
    for days in (91, 89, 5):
        with frozen_at(MONDAY_10 - timedelta(days=days)):
            made[days] = new_appeal(w, category=w.leaf).number

    def listed(**params):
        return [
            e["service_request_id"]
            for e in parse(o311.api.get("requests", "json", **params), "json")
        ]

    with frozen_at(MONDAY_10):
        assert listed() == [made[5], made[89]]
        # Only a start: the 90 days from it. Only an end: the 90 days up to it.
        assert listed(start_date=(MONDAY_10 - timedelta(days=100)).isoformat()) == [
            made[89],
            made[91],
        ]
        assert listed(end_date=(MONDAY_10 - timedelta(days=90)).isoformat()) == [made[91]]
        # Asked by id, the window does not apply.
        assert listed(service_request_id=made[91]) == [made[91]]


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-02T09:00:00+08:00",
        "2026-11-02T01:00:00Z",
        "2026-11-02T09:00+08:00",
        "2026-11-02T09:00:00.000+08:00",
        "2026-11-02T09:00:00 08:00",  # a "+" sent unencoded arrives as a space
        "2026-11-02T09:00:00",  # no offset: local time
        "2026-11-02",
        "2026-11",
    ],
)
def test_w3c_datetimes_are_accepted(o311, value):
    with frozen_at(MONDAY_10):
        appeal = new_appeal(o311.world, category=o311.world.leaf)
        response = o311.api.get(
            "requests", "json", start_date=value, end_date="2026-11-02T10:00:00+08:00"
        )
    assert response.status_code == 200, response.content
    assert [e["service_request_id"] for e in parse(response, "json")] == [appeal.number]


def test_newest_first_and_the_count_is_capped(o311, monkeypatch):
    w = o311.world
    numbers = []
    for minutes in range(5):
        with frozen_at(MONDAY_10 + timedelta(minutes=minutes)):
            numbers.append(new_appeal(w, category=w.leaf).number)
    monkeypatch.setattr(views, "MAX_REQUESTS", 3)
    with frozen_at(MONDAY_10 + timedelta(hours=1)):
        listed = [e["service_request_id"] for e in parse(o311.api.get("requests", "json"), "json")]
        assert listed == numbers[::-1][:3]
        # The pagination extension reaches the rest.
        page2 = parse(o311.api.get("requests", "json", page="2", page_size="3"), "json")
        assert [e["service_request_id"] for e in page2] == numbers[::-1][3:]


def test_the_list_costs_the_same_queries_for_more_requests(o311, steady_process_copies):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = o311.world
    builders = [_received, registered, dispatched, in_progress, _closed, _rejected]

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = o311.api.get("requests", "json")
        assert response.status_code == 200
        return len(parse(response, "json")), len(queries)

    with frozen_at(MONDAY_10):
        for build in builders:
            build(w)
        few = count()
        for build in builders:
            build(w)
        many = count()
    assert many[0] > few[0]
    assert many[1] == few[1], (few, many)


def test_the_list_costs_the_same_queries_for_more_categories_and_places(
    o311, steady_process_copies
):
    """Appeals waiting for dispatch name the unit the catalogue would send them to: by the
    category's rule, or by the place for an area-bound one. A list of them reads the rules,
    the units bound to places and the district's time limits once, whatever the number of
    categories and places (a thousand appeals needed some 800 queries and 1.3 s at a million
    appeals)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jiesu.catalog import services as catalog
    from jiesu.catalog.models import Category, HandlingRule
    from jiesu.org.models import Region, Unit

    w = o311.world
    middle = w.leaf.parent

    def add(i: int):
        """A category bound to places and a community with its own office, and an appeal
        there waiting for dispatch."""
        leaf = Category.objects.create(
            code=f"01019{i:02d}", name=f"类别{i}", level=3, parent=middle
        )
        rule = HandlingRule.objects.create(category=leaf, lead_mode=HandlingRule.LeadMode.AREA)
        catalog.record_version(rule)
        place = Region.objects.create(
            code=f"4403109{i:02d}", name=f"社区{i}", level=Region.Level.COMMUNITY, parent=w.district
        )
        Unit.objects.create(
            code=f"S{i:02d}", name=f"社区工作站{i}", kind=Unit.Kind.COMMUNITY, region=place
        )
        appeal = new_appeal(w, category=leaf)
        Appeal.objects.filter(pk=appeal.pk).update(region=place)
        return appeal, f"社区工作站{i}"

    def listed():
        with CaptureQueriesContext(connection) as queries:
            response = o311.api.get("requests", "json")
        assert response.status_code == 200
        return parse(response, "json"), len(queries)

    with frozen_at(MONDAY_10):
        made = [add(i) for i in range(2)]
        few, few_queries = listed()
        made += [add(i) for i in range(2, 8)]
        many, many_queries = listed()
    by_number = {e["service_request_id"]: e for e in many}
    for appeal, office in made:
        # Each goes to its own place's office, as the catalogue says.
        assert by_number[appeal.number]["agency_responsible"] == office
    assert len(many) == len(few) + 6
    assert many_queries == few_queries, (few_queries, many_queries)
