# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Background tasks of the insights room."""

from django_tasks import task

from jiesu.insights import alerts, refresh


@task()
def refresh_facts() -> int:
    """Bring the KPI facts up to date with the appeals changed since the last run."""
    return refresh.catch_up()


@task()
def flag_emerging_issues() -> dict:
    """Tell the supervisors about emerging issues as they form (at most every half hour)."""
    return alerts.flag_emerging()


PERIODIC = [refresh_facts, flag_emerging_issues]
