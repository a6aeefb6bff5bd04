# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""`AnyOf` selects exactly the rows `__in` selects, on every database, and on PostgreSQL sends
the values as one array parameter."""

import pytest
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext

from jiesu.lookups import AnyOf
from jiesu.org.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def units():
    return [
        Unit.objects.create(name=f"单位{i}", code=f"U{i:03d}", kind=Unit.Kind.DEPARTMENT)
        for i in range(12)
    ]


@pytest.mark.parametrize(
    "pick",
    [
        lambda ids: ids[:1],
        lambda ids: ids[::3],
        lambda ids: ids + ids,  # repeated values
        lambda ids: [*ids[:4], None],  # None matches nothing, as with __in
        lambda ids: [ids[0], 10**12],  # values with no row
        lambda ids: [str(i) for i in ids[:3]],  # prepared by the field, as with __in
    ],
)
def test_the_same_rows_as_in(units, pick):
    ids = [u.pk for u in units]
    wanted = pick(ids)
    expected = set(Unit.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    got = set(Unit.objects.filter(AnyOf(F("pk"), wanted)).values_list("pk", flat=True))
    assert got == expected and got
    # Inside Q, combined with other conditions, and negated.
    inside = Unit.objects.filter(Q(AnyOf(F("pk"), wanted)) & Q(code__gte="U002"))
    assert set(inside.values_list("pk", flat=True)) == set(
        Unit.objects.filter(pk__in=wanted, code__gte="U002").values_list("pk", flat=True)
    )
    outside = set(Unit.objects.filter(~Q(AnyOf(F("pk"), wanted))).values_list("pk", flat=True))
    assert outside == set(Unit.objects.exclude(pk__in=wanted).values_list("pk", flat=True))


def test_no_values_select_no_rows(units):
    assert not Unit.objects.filter(AnyOf(F("pk"), [])).exists()
    assert not Unit.objects.filter(AnyOf(F("pk"), [None])).exists()
    assert Unit.objects.filter(~Q(AnyOf(F("pk"), []))).count() == Unit.objects.count()


def test_a_subquery_works_as_with_in(units):
    sub = Unit.objects.filter(code__in=["U001", "U005"]).values("pk")
    assert set(Unit.objects.filter(AnyOf(F("pk"), sub)).values_list("code", flat=True)) == {
        "U001",
        "U005",
    }


def test_on_postgresql_the_values_go_as_one_array(units):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    ids = [u.pk for u in units]
    with CaptureQueriesContext(connection) as queries:
        assert Unit.objects.filter(AnyOf(F("pk"), ids)).count() == len(ids)
    sql = queries.captured_queries[-1]["sql"]
    assert "= ANY(" in sql and "::bigint[]" in sql
    assert sql.count(str(ids[-1])) == 1  # the values once, in one array literal
