# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Free-text search over appeals that stays fast with millions of rows, also for Chinese.

A search for text in the title, description, address or number is a case-insensitive
substring match (Django's `icontains`: `UPPER(col) LIKE UPPER('%term%')`), and that stays
the rule: it alone decides what matches. On PostgreSQL a gram index narrows the rows first:

- `appeals_appeal_grams` holds, per appeal, the set of 1- and 2-character substrings
  ("grams") of `UPPER(number || ' ' || title || ' ' || description || ' ' || address)`, with
  a GIN index. A trigger on `appeals_appeal` keeps it current when one of those four
  columns changes (intake, edits, the bulk loader's COPY), so the appeal table's own updates
  (every workflow step) never rewrite hundreds of index keys.
- A term of 1 character needs its 1-gram, a longer term all its 2-grams
  (`jiesu_query_grams(UPPER(term))`). Every appeal whose text contains the term contains all
  of the term's grams, so the index never drops a match; the `icontains` condition then
  drops the few rows that have the grams but not the term. Results are therefore exactly
  those of the plain `LIKE` search, which is what SQLite (the embedded default) runs.

pg_trgm was not enough: it cannot use terms shorter than three characters, and most Chinese
search words are two characters long (垃圾, 噪音, 停车). See ADR 0021.
"""

from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL

TEXT_FIELDS = ("number", "title", "description", "address")
GRAMS_TABLE = "appeals_appeal_grams"


def uses_grams(using: str = "default") -> bool:
    return connections[using].vendor == "postgresql"


def contains(term: str, fields=("title", "description", "address"), using="default") -> Q:
    """Appeals any of whose `fields` contains `term`, ignoring case (as `icontains`)."""
    unknown = set(fields) - set(TEXT_FIELDS)
    if unknown:
        raise ValueError(f"No gram index covers {sorted(unknown)}.")
    match = Q()
    for field in fields:
        match |= Q(**{f"{field}__icontains": term})
    if not term or not uses_grams(using):
        return match
    # The term is a parameter; the table name is a constant.
    narrowed = RawSQL(  # noqa: S611
        f"SELECT appeal_id FROM {GRAMS_TABLE} WHERE grams @> jiesu_query_grams(UPPER(%s))",  # noqa: S608
        [term],
    )
    return Q(pk__in=narrowed) & match
