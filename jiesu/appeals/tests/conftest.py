# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A small world for workflow tests: a district, a centre, two departments with a sub-team,
staff for every role, and a catalogue leaf with a rule."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from jiesu.appeals import timesource, workflow
from jiesu.catalog import services as catalog
from jiesu.catalog.models import AppealType, Category, Grade, HandlingRule
from jiesu.org.models import Region, Unit, User, UserRole
from jiesu.org.roles import Role

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday in 2026 at 10:00, inside working hours.
MONDAY_10 = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[114.0, 22.0], [115.0, 22.0], [115.0, 23.0], [114.0, 23.0], [114.0, 22.0]]],
}


@dataclass
class World:
    district: Region
    centre: Unit
    urban: Unit
    urban_team: Unit
    water: Unit
    users: dict
    leaf: Category
    other_leaf: Category
    complaint: AppealType
    consultation: AppealType
    grade_a: Grade
    grade_b: Grade
    grade_c: Grade

    def u(self, name) -> User:
        return self.users[name]


def make_user(username, unit, *roles):
    user = User.objects.create_user(username=username, password="x-Passw0rd!", unit=unit)
    for role in roles:
        UserRole.objects.create(user=user, role=role)
    return user


@pytest.fixture
def world(db, settings):
    # Fast password hashing for the many test users (argon2 is tested in org).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    district = Region.objects.create(
        code="440310", name="坪山区", level=Region.Level.DISTRICT, boundary=SQUARE
    )
    centre = Unit.objects.create(
        code="C00", name="区指挥中心", kind=Unit.Kind.CENTRE, is_backstop=True
    )
    urban = Unit.objects.create(code="D01", name="城市管理局", kind=Unit.Kind.DEPARTMENT)
    urban_team = Unit.objects.create(
        code="D01-T1", name="城管执法队", kind=Unit.Kind.TEAM, parent=urban
    )
    water = Unit.objects.create(code="D02", name="水务局", kind=Unit.Kind.DEPARTMENT)
    users = {
        "intake": make_user("intake", centre, Role.INTAKE_OPERATOR),
        "dispatcher": make_user("dispatcher", centre, Role.DISPATCHER),
        "supervisor": make_user("supervisor", centre, Role.SUPERVISOR),
        "visitor": make_user("visitor", centre, Role.VISIT_AGENT),
        "analyst": make_user("analyst", centre, Role.ANALYST),
        "admin": make_user("admin", centre, Role.ADMINISTRATOR),
        "handler": make_user("handler", urban, Role.UNIT_HANDLER),
        "leader": make_user("leader", urban, Role.UNIT_LEADER),
        "team_handler": make_user("team_handler", urban_team, Role.UNIT_HANDLER),
        "water_handler": make_user("water_handler", water, Role.UNIT_HANDLER),
        "water_leader": make_user("water_leader", water, Role.UNIT_LEADER),
        "backstop_handler": make_user("backstop_handler", centre, Role.UNIT_HANDLER),
    }
    major = Category.objects.create(code="01", name="市容环卫", level=1)
    middle = Category.objects.create(code="0101", name="环境卫生", level=2, parent=major)
    leaf = Category.objects.create(code="0101001", name="暴露垃圾", level=3, parent=middle)
    other_leaf = Category.objects.create(code="0101002", name="道路不洁", level=3, parent=middle)
    rule = HandlingRule.objects.create(category=leaf, lead_unit=urban)
    rule.assisting_units.add(water)
    catalog.record_version(rule)
    return World(
        district=district,
        centre=centre,
        urban=urban,
        urban_team=urban_team,
        water=water,
        users=users,
        leaf=leaf,
        other_leaf=other_leaf,
        complaint=AppealType.objects.get(code="complaint"),
        consultation=AppealType.objects.get(code="consultation"),
        grade_a=Grade.objects.get(code="A"),
        grade_b=Grade.objects.get(code="B"),
        grade_c=Grade.objects.get(code="C"),
    )


@pytest.fixture
def at():
    """Run workflow steps at a given virtual time: `with at(MONDAY_10): ...`."""
    return timesource.frozen_at


def new_appeal(world, **kwargs):
    params = {
        "channel": "hotline",
        "title": "小区门口垃圾堆积",
        "description": "坪山街道某小区门口垃圾三天没人清理，气味很大。",
        "reporter_name": "张三",
        "reporter_phone": "13800001234",
        "lat": 22.7,
        "lng": 114.35,
        "address": "坪山街道某小区",
        "actor": world.u("intake"),
    }
    params.update(kwargs)
    return workflow.receive(**params)


def registered(world, **kwargs):
    appeal = new_appeal(world, **kwargs)
    return workflow.register(
        appeal,
        world.u("intake"),
        appeal_type=world.complaint,
        category=world.leaf,
        grade=world.grade_c,
    )


def dispatched(world, **kwargs):
    appeal = registered(world, **kwargs)
    return workflow.dispatch(appeal, world.u("dispatcher"))


def in_progress(world, **kwargs):
    appeal = dispatched(world, **kwargs)
    return workflow.sign(appeal, world.u("handler"))


def completed(world, **kwargs):
    appeal = in_progress(world, **kwargs)
    return workflow.complete(
        appeal, world.u("handler"), result="已清理完毕", evidence="现场照片两张"
    )


def visiting(world, **kwargs):
    appeal = completed(world, **kwargs)
    return workflow.approve_review(appeal, world.u("supervisor"))


def build_world() -> World:
    """The `world` fixture's world, built outside the fixture: for fixtures of a wider scope
    (a module-wide set of appeals) and for state machines that rebuild it per example.

    The caller opens the database and sets fast password hashing itself (the fixture's own
    `settings.PASSWORD_HASHERS = ...` lands on a throwaway namespace here)."""
    from types import SimpleNamespace

    return world.__wrapped__(None, SimpleNamespace())
