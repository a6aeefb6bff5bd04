# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Background tasks of the dispatch room."""

from django_tasks import task

from jiesu.dispatch import auto


@task()
def triage_appeal(appeal_id: int) -> str:
    """Classify, grade and route one new appeal; dispatch it when confident."""
    found = auto.triage(appeal_id)
    return found.outcome if found is not None else ""


@task()
def retriage_waiting() -> dict:
    """Triage the waiting appeals again with the category model just activated."""
    return dict(auto.retriage_waiting())
