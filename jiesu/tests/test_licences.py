# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The licence list (scripts/licences.py): compatibility verdicts and an up-to-date docs page."""

from pathlib import Path

import pytest

from jiesu.tests import scripts


@pytest.fixture(scope="module")
def licences():
    return scripts.load("licences")


@pytest.mark.parametrize(
    ("stated", "verdict"),
    [
        ("MIT", "permissive"),
        ("BSD-3-Clause AND 0BSD AND MIT AND Zlib AND CC0-1.0", "permissive"),
        ("BSD 3-Clause OR Apache-2.0", "permissive"),
        ("LGPL-3.0-only", "weak copyleft (used unmodified as a library)"),
        ("GPL-3.0-or-later", "not allowed"),
        ("MIT AND GPL-2.0-only", "not allowed"),
        ("GPL-3.0-only OR MIT", "permissive"),
        ("SomethingNobodyKnows-1.0", "not allowed"),
    ],
)
def test_licence_expressions_are_judged(licences, stated, verdict):
    import re

    parts = [p for p in re.split(r"\s+(?:AND|OR|WITH)\s+|[()]", stated) if p.strip()]
    names = [licences.normalise(p) or p.strip() for p in parts]
    assert licences.family(names, stated) == verdict


def test_vendored_licences_are_read_from_their_files(licences):
    assert licences.licence_from_text("Zero-Clause BSD\n\nPermission to use") == "0BSD"
    assert licences.licence_from_text("Apache License\n Version 2.0, January 2004") == "Apache-2.0"
    assert licences.licence_from_text("no licence here") == ""


def test_every_shipped_dependency_is_listed_and_allowed(licences):
    text, problems = licences.render()
    assert problems == []
    assert "| Django |" in text and "| leaflet |" in text
    assert (Path(licences.ROOT) / "docs" / "licences.md").read_text() == text, (
        "docs/licences.md is out of date: run `make licences`"
    )


def test_license_file_is_the_mulan_psl_v2():
    text = (scripts.SCRIPTS.parent / "LICENSE").read_text()
    assert text.startswith("木兰宽松许可证， 第2版")
    assert "Mulan Permissive Software License，Version 2" in text
