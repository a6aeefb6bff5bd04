# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Durations as people read them: one whole phrase per unit, plural by the language's rules."""

import pytest
from django.utils import translation

from jiesu.workdays.units import DurationUnit, duration_text


@pytest.mark.parametrize(
    ("amount", "unit", "english", "chinese"),
    [
        (1, DurationUnit.WORKING_DAYS, "1 working day", "1 个工作日"),
        (5, DurationUnit.WORKING_DAYS, "5 working days", "5 个工作日"),
        (4, DurationUnit.WORKING_HOURS, "4 working hours", "4 个工作小时"),
        (1, DurationUnit.NATURAL_HOURS, "1 hour", "1 小时"),
        (30, DurationUnit.NATURAL_MINUTES, "30 minutes", "30 分钟"),
        (15, DurationUnit.NATURAL_DAYS, "15 natural days", "15 个自然日"),
    ],
)
def test_duration_reads_as_one_phrase(amount, unit, english, chinese):
    with translation.override("en"):
        assert duration_text(amount, unit) == english
    with translation.override("zh-hans"):
        assert duration_text(amount, unit) == chinese


def test_a_unit_it_does_not_know_is_shown_as_stored():
    assert duration_text(3, "fortnights") == "3 fortnights"
