# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A small history made by hand through the real workflow, whose KPIs are worked out by hand
in test_kpis.py (and in docs/kpis.md's worked example)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from jiesu.appeals import timesource, workflow
from jiesu.appeals.models import Appeal
from jiesu.appeals.tests.conftest import SHANGHAI, new_appeal, world  # noqa: F401
from jiesu.insights import refresh


def t(day, hour, minute=0):
    """An instant in November 2026 (Shanghai time)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@dataclass
class History:
    clean: Appeal
    reopened: Appeal
    extended: Appeal
    merged: Appeal
    returned: Appeal
    rejected: Appeal
    waiting: Appeal
    answered: Appeal


def _registered(w, appeal, appeal_type=None):
    return workflow.register(
        appeal,
        w.u("intake"),
        appeal_type=appeal_type or w.complaint,
        category=w.leaf,
        grade=w.grade_c,
    )


def build_history(w) -> History:
    """Eight appeals received on Monday 2 November 2026, their steps in time order.
    Grade C complaint limits: sign 4 working hours, contact 1 working day, handle 5 working
    days; return visit 2 working days. Working time 09:00-12:00 and 14:00-18:00."""
    u = w.u
    at = timesource.frozen_at
    with at(t(2, 10)):
        clean = workflow.dispatch(_registered(w, new_appeal(w, title="clean")), u("dispatcher"))
        reopened = workflow.dispatch(
            _registered(w, new_appeal(w, title="reopened")), u("dispatcher")
        )
        extended = workflow.dispatch(
            _registered(w, new_appeal(w, title="extended")), u("dispatcher")
        )
        returned = workflow.dispatch(
            _registered(w, new_appeal(w, title="returned")), u("dispatcher"), assisting_units=[]
        )
        rejected = workflow.reject(new_appeal(w, title="rejected"), u("intake"), reason="不属实")
        waiting = new_appeal(w, title="waiting")
        answered = workflow.answer(
            _registered(w, new_appeal(w, title="answered"), w.consultation),
            u("intake"),
            reply="已答复政策",
        )
    with at(t(2, 10, 30)):
        merged = workflow.merge(new_appeal(w, title="merged"), u("intake"), into=clean)
        workflow.sign(reopened, u("handler"))
        workflow.sign(extended, u("handler"))
    with at(t(2, 11)):
        workflow.sign(clean, u("handler"))
        workflow.contact(extended, u("handler"), method="电话")
        workflow.request_return(returned, u("handler"), reason="不属于本单位职责")
    with at(t(2, 11, 30)):
        workflow.contact(clean, u("handler"), method="电话")
    with at(t(2, 14)):
        workflow.approve_return(returned, u("dispatcher"), lead_unit=w.water)
    with at(t(2, 17)):  # without a first contact
        workflow.complete(reopened, u("handler"), result="已处理", evidence="照片")
    with at(t(3, 9, 30)):
        workflow.sign(returned, u("water_handler"))  # due Monday 18:00: late
        workflow.approve_review(reopened, u("supervisor"))
    with at(t(3, 10)):
        workflow.complete(clean, u("handler"), result="已清理", evidence="照片")
        workflow.record_visit(
            reopened, u("visitor"), outcome="unsatisfied", unit_at_fault=True, note="没处理好"
        )
    with at(t(3, 11)):
        workflow.approve_review(clean, u("supervisor"))
    with at(t(3, 15)):
        workflow.record_visit(clean, u("visitor"), outcome="satisfied")
    with at(t(4, 10)):
        workflow.sweep_clocks()  # the returned appeal's contact deadline (Tue 14:00) passed
    with at(t(5, 10)):
        workflow.request_extension(extended, u("handler"), working_days=3, reason="需协调")
    with at(t(5, 11)):
        workflow.approve_extension(extended, u("dispatcher"))  # due Thu 12 Nov 10:00
    with at(t(11, 10)):
        workflow.complete(extended, u("handler"), result="已修复", evidence="照片")
    with at(t(11, 11)):
        workflow.approve_review(extended, u("supervisor"))
    with at(t(18, 10)):  # the second round was due Tue 10 Nov 10:00: late
        workflow.complete(reopened, u("handler"), result="已彻底处理", evidence="照片")
    with at(t(18, 11)):
        workflow.approve_review(reopened, u("supervisor"))
    with at(t(18, 15)):
        workflow.record_visit(reopened, u("visitor"), outcome="basic")
    return History(
        *(
            Appeal.objects.get(pk=a.pk)
            for a in (clean, reopened, extended, merged, returned, rejected, waiting, answered)
        )
    )


@pytest.fixture
def history(world):  # noqa: F811
    h = build_history(world)
    return h


@pytest.fixture
def refreshed(history):
    refresh.catch_up()
    return history


__all__ = ["History", "build_history", "t", "timedelta"]
