# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Appeals as Open311 service requests.

What is public: appeals with a category (their `service_code`) that are not confidential, from
every channel. What never leaves: the reporter — name, phone, credit code, the channel's
contact fields; phone numbers, identity-card numbers and e-mail addresses that a citizen typed
into the description are masked too.

Status: the final workflow states (closed 已结案, rejected 不予受理, answered 已直接答复,
merged 已并单) are `closed`, every other state is `open`; `status_notes` carries the public
reply (or the reject reason) once the appeal is finished or its result was accepted, the
appeal it was merged into, or else the workflow state in words.
"""

from __future__ import annotations

import re

from django.db.models import F, OuterRef, Subquery
from django.utils.translation import gettext as _

from jiesu.appeals.models import Appeal, Assignment, Clock, Event
from jiesu.appeals.states import FINAL_STATES, Status
from jiesu.catalog import services as catalog
from jiesu.catalog.models import HandlingRuleVersion
from jiesu.intake.open311 import catalogue
from jiesu.intake.open311.render import w3c_datetime
from jiesu.org.models import Unit

# States in which the appeal's public reply is final enough to show.
REPLY_STATES = {Status.CLOSED, Status.REJECTED, Status.ANSWERED, Status.VISITING}

_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_ID_CARD = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_EMAIL = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")


def mask_personal(text: str) -> str:
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    text = _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    return _EMAIL.sub(lambda m: f"***@{m.group(1)}", text)


def public_appeals():
    return Appeal.objects.filter(category__isnull=False, confidential=False)


# Columns of an appeal no request document shows nor needs (personal data, the audit head,
# …): not read for a list of a thousand requests. The rule version (its snapshot, a JSON
# document per appeal) and the appeal merged into are read apart: `Describer.prime` reads each
# version once, and a merged appeal's number comes with the row.
UNUSED_COLUMNS = (
    "reporter_name",
    "reporter_phone",
    "reporter_credit_code",
    "citizen_comment",
    "closing_reason",
    "query_code_hash",
    "audit_head",
    "external_ref",
    "status_before_return",
)


def with_details(queryset):
    last_event = (
        Event.objects.filter(appeal=OuterRef("pk")).order_by("-seq").values("created_at")[:1]
    )
    return (
        queryset.select_related("category", "appeal_type", "grade", "region", "open311")
        .defer(*UNUSED_COLUMNS)
        .annotate(last_event_at=Subquery(last_event), merged_into_number=F("merged_into__number"))
    )


def sidecar(appeal: Appeal):
    try:
        return appeal.open311
    except Appeal.open311.RelatedObjectDoesNotExist:
        return None


def _lead_units(appeal_ids) -> dict:
    """{appeal pk: its lead unit, the current one first (None: never dispatched)}."""
    leads: dict[int, int] = {}
    for appeal_id, unit_id in (
        Assignment.objects.filter(appeal_id__in=appeal_ids, role=Assignment.Role.LEAD)
        .order_by("appeal_id", "-active", "-dispatched_at", "-id")
        .values_list("appeal_id", "unit_id")
    ):
        leads.setdefault(appeal_id, unit_id)
    units = Unit.objects.in_bulk(set(leads.values()))
    return {pk: units.get(leads.get(pk)) for pk in appeal_ids}


def _handling_deadlines(appeal_ids) -> dict:
    """{appeal pk: the due time of its latest handling clock (None: it has none)}."""
    due: dict = dict.fromkeys(appeal_ids)
    for appeal_id, due_at in (
        Clock.objects.filter(appeal_id__in=appeal_ids, kind=Clock.Kind.HANDLE, cancelled=False)
        .order_by("appeal_id", "-started_at", "-id")
        .values_list("appeal_id", "due_at")
    ):
        if due[appeal_id] is None:
            due[appeal_id] = due_at
    return due


class Describer:
    """Turns appeals into Open311 request dicts, remembering rule and unit look-ups. `prime`
    reads what a list of appeals needs in a few queries (a thousand appeals of a list needed
    some 800 queries, one per category, place and notice, and 1.3 s at a million appeals)."""

    def __init__(self):
        self._versions = {}
        self._leads = {}
        self._notices = {}
        self._snapshots: dict = {}  # rule version pk -> its snapshot
        self._lead_units: dict = {}  # appeal pk -> its lead unit (None: never dispatched)
        self._due: dict = {}  # appeal pk -> its handling deadline (None: no handling clock)
        self._units: dict = {}  # catalog.lead_unit_for's memo: units by region, the backstop
        self._defaults: list[tuple] | None = None

    def prime(self, appeals) -> None:
        """Read what a list of appeals needs at once: each one's lead unit and handling
        deadline (as plain values: a prefetch built ten thousand model instances for a
        thousand requests), the current rule versions of their categories, the versions they
        were dispatched under, and the district's time limits."""
        ids = [a.pk for a in appeals if a.pk not in self._lead_units]
        if ids:
            self._lead_units.update(_lead_units(ids))
            self._due.update(_handling_deadlines(ids))
        versions = {a.rule_version_id for a in appeals if a.rule_version_id} - set(self._snapshots)
        if versions:
            self._snapshots.update(
                HandlingRuleVersion.objects.filter(pk__in=versions).values_list("pk", "snapshot")
            )
        wanted = {a.category_id for a in appeals if a.category_id}
        wanted -= {c for kind, c in self._versions if kind == "current"}
        if wanted:
            found = catalog.current_versions(wanted)
            for category_id in wanted:
                self._versions["current", category_id] = found.get(category_id)
        if self._defaults is None:
            self._defaults = catalog.district_time_limits()

    def _current(self, appeal: Appeal):
        """The current version of the appeal's category's rule (with the rule and its lead
        unit), read once per category."""
        key = ("current", appeal.category_id)
        if key not in self._versions:
            self._versions[key] = catalog.current_version(appeal.category)
        return self._versions[key]

    def _snapshot(self, appeal: Appeal):
        if appeal.rule_version_id:
            if appeal.rule_version_id not in self._snapshots:
                self._snapshots[appeal.rule_version_id] = appeal.rule_version.snapshot
            return appeal.rule_version_id, self._snapshots[appeal.rule_version_id]
        version = self._current(appeal)
        return (version.pk, version.snapshot) if version else (None, None)

    def lead_unit(self, appeal: Appeal):
        if appeal.pk not in self._lead_units:
            self._lead_units.update(_lead_units([appeal.pk]))
        unit = self._lead_units[appeal.pk]
        if unit is not None:
            return unit
        if appeal.status in FINAL_STATES:
            return None
        # Not dispatched yet: the unit the catalogue names for this category and place.
        key = (appeal.category_id, appeal.region_id)
        if key not in self._leads:
            # The rule as read with its current version (one statement fewer than reading it
            # again; `notice` needs the version anyway).
            version = self._current(appeal) if appeal.category_id else None
            self._leads[key] = catalog.lead_unit_for(
                appeal.category,
                appeal.region,
                rule=version.rule if version else None,
                memo=self._units,
            )
        return self._leads[key]

    def notice(self, appeal: Appeal, lead) -> str | None:
        version_pk, snapshot = self._snapshot(appeal)
        type_code = appeal.appeal_type.code if appeal.appeal_type_id else None
        grade_code = appeal.grade.code if appeal.grade_id else None
        key = (version_pk, type_code, grade_code, lead.pk if lead else None)
        if key not in self._notices:
            self._notices[key] = catalogue.notice(
                snapshot=snapshot,
                appeal_type_code=type_code,
                grade_code=grade_code,
                lead=lead,
                defaults=self._defaults,
            )
        return self._notices[key]

    def request(self, appeal: Appeal) -> dict:
        extra = sidecar(appeal)
        lead = self.lead_unit(appeal)
        if appeal.pk not in self._due:
            self._due.update(_handling_deadlines([appeal.pk]))
        due = self._due[appeal.pk]
        closed = appeal.status in FINAL_STATES
        updated = appeal.closed_at if closed and appeal.closed_at else None
        updated = updated or getattr(appeal, "last_event_at", None) or appeal.received_at
        return {
            "service_request_id": appeal.number,
            "status": "closed" if closed else "open",
            "status_notes": status_notes(appeal),
            "service_name": appeal.category.name,
            "service_code": appeal.category.code,
            "description": mask_personal(appeal.description),
            "agency_responsible": lead.name if lead is not None else None,
            "service_notice": self.notice(appeal, lead) if not closed else None,
            "requested_datetime": w3c_datetime(appeal.received_at),
            "updated_datetime": w3c_datetime(updated),
            "expected_datetime": w3c_datetime(due) if due else None,
            "address": appeal.address or None,
            "address_id": (extra.address_id or None) if extra else None,
            "zipcode": None,
            "lat": appeal.lat,
            "long": appeal.lng,
            "media_url": (extra.media_url or None) if extra else None,
        }


def status_notes(appeal: Appeal) -> str:
    if appeal.status == Status.MERGED and appeal.merged_into_id:
        number = getattr(appeal, "merged_into_number", None) or appeal.merged_into.number
        return _("Merged into appeal %(number)s about the same matter.") % {"number": number}
    if appeal.status in REPLY_STATES and appeal.reply.strip():
        return appeal.reply.strip()
    return str(appeal.get_status_display())
