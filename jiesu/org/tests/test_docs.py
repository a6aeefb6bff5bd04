# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""docs/permissions.md must show the module's table, and the table must say what it means."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from jiesu.org import permissions
from jiesu.org.management.commands.permission_table import replace_table
from jiesu.org.permissions import TABLE_BEGIN, TABLE_END, Action, markdown_table
from jiesu.org.roles import Role

from .test_permissions import EXPECTED, UNIT_SCOPED

DOC = Path(settings.BASE_DIR) / "docs" / "permissions.md"


def documented_table() -> str:
    text = DOC.read_text(encoding="utf-8")
    assert TABLE_BEGIN in text and TABLE_END in text, "the table markers are missing"
    return text.split(TABLE_BEGIN, 1)[1].split(TABLE_END, 1)[0].strip("\n") + "\n"


def test_document_matches_the_module():
    assert documented_table() == markdown_table(), (
        "docs/permissions.md is out of date: run `manage.py permission_table --write`"
    )


def test_table_is_rendered_from_the_module(monkeypatch):
    before = markdown_table()
    changed = dict(permissions.PERMISSIONS)
    changed[Role.ANALYST] = changed[Role.ANALYST] | {Action.DISPATCH}
    monkeypatch.setattr(permissions, "PERMISSIONS", changed)
    after = markdown_table()
    assert after != before
    assert replace_table(f"x\n{TABLE_BEGIN}\n{before}{TABLE_END}\ny", after) != (
        f"x\n{TABLE_BEGIN}\n{before}{TABLE_END}\ny"
    )


def test_documented_cells_mean_the_expected_table():
    lines = documented_table().strip().splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    roles = header[1:-1]
    assert roles == list(Role.values)
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        action = cells[0].split("`")[1]
        for role, cell in zip(roles, cells[1:-1], strict=True):
            want = "–"
            if action in EXPECTED[role]:
                want = "unit" if role in UNIT_SCOPED else "✓"
            assert cell == want, f"{role} / {action}: documented {cell!r}, expected {want!r}"
        superuser = "✓" if action in {"manage_reference_data", "manage_users"} else "–"
        assert cells[-1] == superuser


def test_check_command():
    call_command("permission_table", "--check")
    with pytest.raises(CommandError):
        replace_table("no markers here", markdown_table())
