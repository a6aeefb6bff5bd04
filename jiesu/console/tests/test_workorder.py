# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The work order (工单): print view and PDF, with the appeal's history; scope and masking hold."""

import re
import sys

import pytest

from jiesu.appeals.tests.conftest import completed, new_appeal
from jiesu.console.views import appeal as appeal_views
from jiesu.tests.pdf import readable


def test_print_view_has_facts_units_and_history(as_user, world):
    appeal = completed(world)
    page = as_user("supervisor").get(f"/console/appeals/{appeal.number}/workorder/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "工单" in html and appeal.number in html and appeal.title in html
    assert "现场照片两张" in html and "已清理完毕" in html  # the unit's result and evidence
    assert "城市管理局" in html
    assert html.count('<tr><td class="when">') == appeal.events.count()  # every history event
    assert "13800001234" not in html  # the reporter stays masked
    assert 'style="' not in html and "<script" not in html


def test_pdf_is_a_real_pdf_with_the_number(as_user, world):
    pytest.importorskip("weasyprint")
    appeal = completed(world)
    response = as_user("supervisor").get(f"/console/appeals/{appeal.number}/workorder.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = readable(response.content)
    assert re.search(rb"/Type\s*/Page\b", text)  # at least one page
    assert b"NotoSansCJK" in text  # the Chinese text is set in an embedded CJK font
    # The document title (the page's <title>) names the appeal.
    utf16 = appeal.number.encode("utf-16-be")
    forms = (utf16, appeal.number.encode(), utf16.hex().encode(), utf16.hex().upper().encode())
    assert any(form in text for form in forms)


def test_work_order_respects_the_scope(as_user, world):
    appeal = new_appeal(world)  # not dispatched: no unit may see it
    client = as_user("handler")
    # Out of scope answers like a number that does not exist (issue 8, item 11).
    assert client.get(f"/console/appeals/{appeal.number}/workorder/").status_code == 404
    assert client.get(f"/console/appeals/{appeal.number}/workorder.pdf").status_code == 404


def test_missing_pdf_library_gives_a_clear_message(as_user, world, monkeypatch):
    """Without WeasyPrint (or its pango library) the console still works and says why."""
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # `import weasyprint` now fails
    appeal = completed(world)
    client = as_user("supervisor")
    response = client.get(f"/console/appeals/{appeal.number}/workorder.pdf", follow=True)
    assert response.redirect_chain[-1][0] == f"/console/appeals/{appeal.number}/workorder/"
    assert "无法生成 PDF" in response.content.decode()
    assert appeal_views._weasyprint()[0] is None
