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

`suggest(appeal)` returns a dict the pages render. Today it holds only what the console finds
by itself, simply:

- ``duplicates``: earlier open appeals that may be about the same matter, so that merging is
  one click. Two plain rules, each named in the result so the operator sees why:
  the same reporter phone within the last 30 days, or the same leaf category in the same region.

The dispatch room adds what it proposed when the appeal arrived (`dispatch.presenting`, from
the stored triage): ``category`` (up to three leaves with confidences and reasons),
``appeal_type``, ``grade``, ``lead_unit`` (up to three units with confidences and reasons:
model, rule, area, history) and ``triage`` (the outcome and why it was not dispatched
automatically). Keys are absent when there is nothing to suggest, so an appeal without
suggestions gives ``{}``.

`suggest_many(appeals)` does the same for a page of appeals in a fixed number of queries.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jiesu.appeals.models import Appeal
from jiesu.appeals.states import FINAL_STATES, Status
from jiesu.dispatch import presenting

PHONE_WINDOW = timedelta(days=30)
MAX_DUPLICATES = 5
# A bound on the candidate rows read per page (a busy category and region can have many).
MAX_CANDIDATES = 1000

SAME_PHONE = _("same phone within 30 days")
SAME_PLACE = _("same category and area, still open")


def suggest(appeal: Appeal) -> dict:
    return suggest_many([appeal]).get(appeal.pk, {})


def suggest_many(appeals) -> dict[int, dict]:
    """Suggestions for each received appeal in `appeals`, by primary key (a fixed number of
    queries: two for the duplicates, five for the dispatch room's suggestions)."""
    received = [a for a in appeals if a.status == Status.RECEIVED]
    found: dict[int, dict[int, dict]] = {a.pk: {} for a in received}
    if not received:
        return {}
    candidates = Appeal.objects.exclude(status__in=FINAL_STATES).only(
        "id",
        "number",
        "title",
        "status",
        "received_at",
        "reporter_phone",
        "category_id",
        "region_id",
    )

    by_phone = [a for a in received if a.reporter_phone]
    if by_phone:
        since = min(a.received_at for a in by_phone) - PHONE_WINDOW
        rows = candidates.filter(
            reporter_phone__in={a.reporter_phone for a in by_phone}, received_at__gte=since
        ).order_by("-received_at", "-id")[:MAX_CANDIDATES]
        for other in rows:
            for a in by_phone:
                if (
                    other.reporter_phone == a.reporter_phone
                    and _earlier(other, a)
                    and other.received_at >= a.received_at - PHONE_WINDOW
                ):
                    _add(found[a.pk], other, SAME_PHONE)

    by_place = [a for a in received if a.category_id and a.region_id]
    if by_place:
        places = Q()
        for a in by_place:
            places |= Q(category_id=a.category_id, region_id=a.region_id)
        rows = candidates.filter(places).order_by("-received_at", "-id")[:MAX_CANDIDATES]
        for other in rows:
            for a in by_place:
                if (other.category_id, other.region_id) == (
                    a.category_id,
                    a.region_id,
                ) and _earlier(other, a):
                    _add(found[a.pk], other, SAME_PLACE)

    result = {}
    for pk, dupes in found.items():
        if dupes:
            ordered = sorted(dupes.values(), key=lambda d: d["appeal"].received_at, reverse=True)
            result[pk] = {"duplicates": ordered[:MAX_DUPLICATES]}
    for pk, proposed in presenting.suggestions_for(received).items():
        result.setdefault(pk, {}).update(proposed)
    return result


def _earlier(other: Appeal, appeal: Appeal) -> bool:
    """Merging folds a later appeal into an earlier one, so only earlier ones are offered."""
    return other.pk != appeal.pk and (other.received_at, other.pk) < (
        appeal.received_at,
        appeal.pk,
    )


def _add(dupes: dict, other: Appeal, reason):
    entry = dupes.setdefault(other.pk, {"appeal": other, "reasons": []})
    if reason not in entry["reasons"]:
        entry["reasons"].append(reason)
