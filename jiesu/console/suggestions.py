# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Suggestions for the intake desk: what the desk may want to do with a received appeal.

`suggest(appeal)` returns a dict the pages render:

- ``duplicates``: earlier open appeals that may be about the same matter, so that merging is
  one click: the dispatch room's duplicate finder (`jiesu.dispatch.duplicates`), best first,
  each with its score and the reasons (text similarity, distance, same phone, same category).

The dispatch room adds what it proposed when the appeal arrived (`dispatch.presenting`, from
the stored triage): ``category`` (up to three leaves with confidences and reasons),
``appeal_type``, ``grade``, ``lead_unit`` (up to three units with confidences and reasons:
model, rule, area, history) and ``triage`` (the outcome and why it was not dispatched
automatically). Keys are absent when there is nothing to suggest, so an appeal without
suggestions gives ``{}``.

`suggest_many(appeals)` does the same for a page of appeals in a fixed number of queries.
"""

from jiesu.appeals.models import Appeal
from jiesu.appeals.states import Status
from jiesu.dispatch import duplicates as duplicate_finder
from jiesu.dispatch import presenting

MAX_DUPLICATES = 5


def suggest(appeal: Appeal) -> dict:
    return suggest_many([appeal]).get(appeal.pk, {})


def suggest_many(appeals) -> dict[int, dict]:
    """Suggestions for each received appeal in `appeals`, by primary key (a fixed number of
    queries: at most five for the duplicates, five for the dispatch room's suggestions)."""
    received = [a for a in appeals if a.status == Status.RECEIVED]
    if not received:
        return {}
    found = duplicate_finder.find_many(received, limit=MAX_DUPLICATES)
    result = {pk: {"duplicates": dupes} for pk, dupes in found.items()}
    for pk, proposed in presenting.suggestions_for(received).items():
        result.setdefault(pk, {}).update(proposed)
    return result
