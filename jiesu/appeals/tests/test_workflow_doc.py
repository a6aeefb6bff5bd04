# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""docs/workflow.md is generated from the code's transition table and must stay equal to it."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from jiesu.appeals import diagram
from jiesu.appeals.states import Status
from jiesu.appeals.workflow import TRANSITIONS

DOC = Path(settings.BASE_DIR) / "docs" / "workflow.md"
HINT = "docs/workflow.md differs from the transition table: run `python manage.py workflow_doc`"


def test_workflow_doc_matches_the_transition_table():
    assert DOC.exists(), HINT
    assert DOC.read_text(encoding="utf-8") == diagram.render(), HINT


def test_workflow_doc_check_command():
    call_command("workflow_doc", "--check", stdout=io.StringIO())


def test_check_command_fails_on_a_stale_doc(settings, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "workflow.md").write_text("stale", encoding="utf-8")
    settings.BASE_DIR = tmp_path
    with pytest.raises(CommandError, match="workflow_doc"):
        call_command("workflow_doc", "--check", stdout=io.StringIO())
    call_command("workflow_doc", stdout=io.StringIO())
    assert (tmp_path / "docs" / "workflow.md").read_text(encoding="utf-8") == diagram.render()


def test_render_shows_every_transition_and_state():
    text = diagram.render()
    for name, transition in TRANSITIONS.items():
        assert f"| `{name}` |" in text
        for source in transition.sources:
            for target in transition.targets:
                edge = next(
                    line for line in text.splitlines() if f"    {source} --> {target}: " in line
                )
                assert name in edge.split(": ", 1)[1].split(", ")
    for status in Status:
        assert f"    {status.value}: {status.value} " in text
