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

TEXT_FIELDS = ("number", "title", "description", "address")
GRAMS_TABLE = "appeals_appeal_grams"


def uses_grams(using: str = "default") -> bool:
    return connections[using].vendor == "postgresql"


# Up to this many candidates the gram index goes first; with more, the term is common, and a
# list in its own order finds a page of matches after a few hundred rows (see ADR 0021).
NARROW_BELOW = 10_000


def candidate_ids(term: str, limit: int, using: str = "default") -> list[int] | None:
    """The ids of the appeals holding all the term's grams, or None when there are more than
    `limit` of them."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"SELECT appeal_id FROM {GRAMS_TABLE} "  # noqa: S608 (a constant table name)
            "WHERE grams @> jiesu_query_grams(UPPER(%s)) LIMIT %s",
            [term, limit + 1],
        )
        ids = [row[0] for row in cursor.fetchall()]
    return None if len(ids) > limit else ids


def candidates(term: str, using: str = "default", narrow_below: int | None = None) -> Q:
    """Appeals whose number, title, description or address may contain `term` (ignoring
    case): a superset of the matches. On PostgreSQL, when at most `narrow_below` appeals hold
    the term's grams, exactly those (read from the gram index first, then given to the query
    as a list of ids: the database plans the rest knowing how few they are); otherwise, and
    elsewhere, every appeal. Combine it with AND and the exact condition."""
    if not term or not uses_grams(using):
        return Q()
    ids = candidate_ids(term, NARROW_BELOW if narrow_below is None else narrow_below, using)
    return Q() if ids is None else Q(pk__in=ids)


def contains(
    term: str,
    fields=("title", "description", "address"),
    using="default",
    narrow_below: int | None = None,
) -> Q:
    """Appeals any of whose `fields` contains `term`, ignoring case (as `icontains`)."""
    unknown = set(fields) - set(TEXT_FIELDS)
    if unknown:
        raise ValueError(f"No gram index covers {sorted(unknown)}.")
    match = Q()
    for field in fields:
        match |= Q(**{f"{field}__icontains": term})
    return candidates(term, using, narrow_below) & match
