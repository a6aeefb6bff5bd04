# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""`manage.py kpis`: the same numbers as the API and the pages, as JSON or CSV."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command


def run(*args) -> str:
    out = io.StringIO()
    call_command("kpis", *args, stdout=out)
    return out.getvalue()


def test_json_by_unit(refreshed):
    data = json.loads(run("--from", "2026-11-01", "--to", "2026-11-30", "--by", "unit"))
    assert data["period"] == {"from": "2026-11-01", "to": "2026-11-30"}
    assert data["by"] == "unit"
    rows = {r["group"]["code"]: r for r in data["rows"]}
    assert rows["D01"]["return_rate"] == {"value": 0.25, "numerator": 1, "denominator": 4}
    assert rows["D02"]["on_time_sign_rate"] == {"value": 0.0, "numerator": 0, "denominator": 1}


def test_csv_whole_district(refreshed):
    text = run("--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv")
    [row] = list(csv.DictReader(io.StringIO(text)))
    assert row["volume"] == "8"
    assert row["closure_rate"] == "0.6"
    assert (row["closure_rate_numerator"], row["closure_rate_denominator"]) == ("3", "5")
    assert row["p90_handling_hours"] == "84"


def test_filters_and_errors(refreshed):
    data = json.loads(run("--from", "2026-11-01", "--to", "2026-11-30", "--unit", "D02"))
    assert data["rows"][0]["volume"] == 1 and data["filters"] == {"unit": "D02"}
    with pytest.raises(CommandError, match="before the start"):
        run("--from", "2026-12-01", "--to", "2026-11-30")
    with pytest.raises(CommandError, match="ZZ"):
        run("--from", "2026-11-01", "--to", "2026-11-30", "--category", "ZZ")


def test_refresh_command(history):
    out = io.StringIO()
    call_command("refresh_kpis", stdout=out)
    assert "Refreshed 8 changed appeals" in out.getvalue()
    call_command("refresh_kpis", "--rebuild", stdout=out)
    assert "Rebuilt the KPI facts of 8 appeals" in out.getvalue()
