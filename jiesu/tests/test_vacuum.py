# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Tables written in bulk are vacuumed and analysed on PostgreSQL outside a transaction,
analysed inside one and on SQLite; the duplicate finder's rebuild settles its tables."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from jiesu import vacuum
from jiesu.dispatch.models import AppealSignature, SignatureBand
from jiesu.org.models import Unit
from jiesu.tests.plans import maintenance_counts


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_outside_a_transaction_postgresql_tables_are_vacuumed_and_analysed(postgres_only):
    Unit.objects.create(name="单位", code="U1", kind=Unit.Kind.DEPARTMENT)
    table = Unit._meta.db_table
    before = maintenance_counts(table)[table]
    assert vacuum.settle([Unit]) is True
    assert maintenance_counts(table)[table] == (before[0] + 1, before[1] + 1)
    # Inside a transaction VACUUM cannot run: analysed only.
    with transaction.atomic():
        assert vacuum.settle([table]) is False
    assert maintenance_counts(table)[table] == (before[0] + 1, before[1] + 2)


@pytest.mark.django_db
def test_elsewhere_the_database_is_analysed():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    Unit.objects.create(name="单位", code="U1", kind=Unit.Kind.DEPARTMENT)
    assert vacuum.settle([Unit]) is False
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rebuilding_the_signatures_settles_their_tables(postgres_only, capsys):
    tables = (AppealSignature._meta.db_table, SignatureBand._meta.db_table)
    before = maintenance_counts(*tables)
    call_command("rebuild_signatures")
    assert "Vacuumed and analysed the signature tables." in capsys.readouterr().out
    after = maintenance_counts(*tables)
    for table in tables:
        assert after[table][0] == before[table][0] + 1
