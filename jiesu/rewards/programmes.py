# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Reward programmes and their versions: the only way terms change.

`save_terms` checks the terms (`terms.normalise`) and records a new version when they differ
from the current one; rewards keep the version they were decided under. `covering` finds the
programme that decides about an appeal.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from jiesu.appeals import timesource
from jiesu.rewards import terms as terms_module
from jiesu.rewards.models import Programme, ProgrammeVersion


@transaction.atomic
def save_terms(programme: Programme, raw_terms: dict, *, user=None, note: str = "", at=None):
    """Record `raw_terms` as the programme's new version (TermsError if invalid). Returns the
    new version, or the current one when nothing changed."""
    clean = terms_module.normalise(raw_terms)
    Programme.objects.select_for_update().filter(pk=programme.pk).first()
    current = programme.versions.order_by("-number").first()
    if current is not None and current.terms == clean:
        return current
    return ProgrammeVersion.objects.create(
        programme=programme,
        number=(current.number + 1) if current else 1,
        terms=clean,
        note=note[:200],
        created_at=at or timesource.now(),
        created_by=user,
    )


def create(code: str, name: str, raw_terms: dict, *, user=None, priority=100, active=True):
    with transaction.atomic():
        programme = Programme.objects.create(code=code, name=name, priority=priority, active=active)
        save_terms(programme, raw_terms, user=user, note="created")
    return programme


def version_at(programme: Programme, at) -> ProgrammeVersion | None:
    """The version in force at `at`: the latest one made at or before it. A moment before the
    first version (a replayed or simulated past) falls under the first version; when the
    programme starts is its `valid_from`, not the date it was typed in."""
    versions = programme.versions.order_by("-number")
    return versions.filter(created_at__lte=at).first() or versions.last()


def _categories(appeal) -> set[str]:
    codes, node = set(), appeal.category
    while node is not None:
        codes.add(node.code)
        node = node.parent
    return codes


def in_scope(t: dict, appeal, at, *, partial=False) -> bool:
    """Whether the appeal falls under terms `t` at `at`. `partial`: type and category may
    still be unknown (an appeal refused before registration); unknown ones do not exclude."""
    day = timezone.localdate(at).isoformat()
    if t["valid_from"] and day < t["valid_from"]:
        return False
    if t["valid_until"] and day > t["valid_until"]:
        return False
    if t["channels"] and appeal.channel not in t["channels"]:
        return False
    if t["types"]:
        if appeal.appeal_type_id is None:
            if not partial:
                return False
        elif appeal.appeal_type.code not in t["types"]:
            return False
    if t["categories"]:
        if appeal.category_id is None:
            if not partial:
                return False
        elif not (_categories(appeal) & set(t["categories"])):
            return False
    return True


def covering(appeal, at, *, partial=False) -> ProgrammeVersion | None:
    """The version that decides about `appeal` at `at`: of the active programmes whose terms
    cover it, the one with the lowest priority number."""
    for programme in Programme.objects.filter(active=True).order_by("priority", "id"):
        version = version_at(programme, at)
        if version is not None and in_scope(version.terms, appeal, at, partial=partial):
            return version
    return None
