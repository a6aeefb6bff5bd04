# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Issue 9 defect 6: labels that mixed languages or showed codes in the staff pages."""

import re

from jiesu.appeals.tests.conftest import MONDAY_10


def test_administration_overview_ends_chinese_sentences_with_chinese_full_stops(as_user, world, at):
    """It read "启用的末级分类 2 个. " (an English full stop after Chinese)."""
    with at(MONDAY_10):
        page = as_user("admin").get("/console/manage/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = re.sub(r"<[^>]+>", "", page.content.decode())
    assert "启用的末级分类 2 个。" in text
    assert "启用的渠道" in text and "启用的单位" in text and "启用的账号" in text
    assert not re.search(r"个\s*\.", text), re.findall(r".{12}个\s*\..{4}", text)


def test_admin_names_the_background_tasks_in_chinese(client, world):
    """The Django admin showed "TASKS DATABASE BACKEND / Task Results"."""
    from jiesu.org.models import User

    client.force_login(User.objects.create_superuser("root", password="x-Passw0rd!"))
    index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert index.status_code == 200
    page = index.content.decode()
    assert "后台任务" in page and "任务结果" in page
    assert "Tasks Database Backend" not in page and "Task Results" not in page
    listing = client.get(
        "/admin/django_tasks_database/dbtaskresult/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "优先级" in listing and "队列" in listing  # the filters
    assert "queue name" not in listing and "priority" not in listing
