# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""`AnyOf`: `column IN (values)` with the values sent to PostgreSQL as one array.

Django writes `field__in=[...]` as one placeholder per value. With a few thousand values (the
duplicate finder asks for the place cells around fifty appeals at once) building the statement
cost more than running it: Django prepares every value as a lookup, psycopg splits the statement
at each placeholder and quotes each value. PostgreSQL reads `IN (a, b, c)` as `= ANY('{a,b,c}')`
anyway, so `AnyOf` sends that form with the whole list as one parameter: the same plan, the same
rows. Other databases get Django's `IN` list.

Use it as an expression: `Model.objects.filter(AnyOf(F("cell"), cells))`, also inside `Q()`.
"""

from django.core.exceptions import EmptyResultSet
from django.db.models.lookups import In

_PLAIN_INTEGERS = {
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "AutoField",
    "BigAutoField",
}


class AnyOf(In):
    lookup_name = "any_of"

    def as_postgresql(self, compiler, connection):
        if not self.rhs_is_direct_value():
            return self.as_sql(compiler, connection)
        values = list(dict.fromkeys(v for v in self.rhs if v is not None))
        if not values:
            raise EmptyResultSet
        field = self.lhs.output_field
        if not (
            field.get_internal_type() in _PLAIN_INTEGERS and all(type(v) is int for v in values)
        ):  # Python ints go as they are (the array's cast types them): no per-value wrapper
            values = [field.get_db_prep_value(v, connection, prepared=True) for v in values]
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs_sql} = ANY(%s::{field.db_type(connection)}[])", (*lhs_params, values)
