# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""manage.py import_catalog / export_catalog, including their exit codes."""

from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiesu.catalog.management.commands import export_catalog, import_catalog
from jiesu.catalog.models import Category
from jiesu.catalog.tests.conftest import TEDDY_CSV, fingerprint

pytestmark = pytest.mark.django_db


def run(command_module, *args):
    """Run a command as manage.py does; return (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    command = command_module.Command(stdout=out, stderr=err)
    name = command_module.__name__.rsplit(".", 1)[-1]
    # run_from_argv closes the database connections when done; keep the test's transaction.
    with mock.patch("django.core.management.base.connections.close_all"):
        try:
            command.run_from_argv(["manage.py", name, *map(str, args), "--skip-checks"])
            code = 0
        except SystemExit as exit:
            code = exit.code
    return code, out.getvalue(), err.getvalue()


def test_import_succeeds_with_exit_code_0():
    code, out, _err = run(import_catalog, TEDDY_CSV)
    assert code == 0
    assert "517 rows" in out and "650 created" in out
    assert Category.objects.filter(level=3).count() == 517


def test_dry_run_saves_nothing():
    code, out, _err = run(import_catalog, TEDDY_CSV, "--dry-run")
    assert code == 0
    assert "650 created" in out and "Dry run" in out
    assert not Category.objects.exists()


def test_bad_file_exits_non_zero_and_prints_each_problem(csv_file):
    call_command("import_catalog", str(TEDDY_CSV), stdout=StringIO())
    before = fingerprint()
    path = csv_file(
        [
            ["一级分类", "二级分类", "三级分类", "默认等级"],
            ["甲", "", "丙", "Q"],
            ["甲", "乙", "丙", ""],
        ]
    )
    code, _out, err = run(import_catalog, path)
    assert code == 1
    assert f"{path}: row 2, column 二级分类: A name is required." in err
    assert f"{path}: row 2, column 默认等级: Unknown grade Q" in err
    assert "2 problem(s)" in err and "nothing was changed" in err
    assert fingerprint() == before


def test_unknown_user(csv_file):
    with pytest.raises(CommandError, match="nobody"):
        call_command("import_catalog", str(TEDDY_CSV), user="nobody")


def test_user_option(org, django_user_model, tmp_path):
    from jiesu.catalog.tests.conftest import write_csv
    from jiesu.catalog.tests.test_import import full_rows

    user = django_user_model.objects.create(username="admin1")
    path = write_csv(tmp_path / "full.csv", full_rows())
    call_command("import_catalog", str(path), user="admin1", stdout=StringIO())
    assert {
        v.created_by
        for c in Category.objects.filter(rule__isnull=False)
        for v in c.rule.versions.all()
    } == {user}


def test_export(tmp_path):
    call_command("import_catalog", str(TEDDY_CSV), stdout=StringIO())
    path = tmp_path / "out.xlsx"
    code, out, _err = run(export_catalog, path)
    assert code == 0
    assert "517" in out
    assert path.stat().st_size > 0


def test_export_bad_name(tmp_path):
    code, _out, err = run(export_catalog, tmp_path / "out.ods")
    assert code == 1
    assert ".csv or .xlsx" in err
    code, _out, err = run(export_catalog, tmp_path / "missing-dir" / "out.csv")
    assert code == 1
    assert "Cannot write" in err
