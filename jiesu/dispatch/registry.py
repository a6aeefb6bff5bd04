# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Model versions: register trained bytes, activate one per kind, load the active one.

Each process keeps the model it loaded and asks the database, at every use, only which version
is active (one indexed row: id and digest). When an administrator activates another version,
every web process and worker sees the change at its next use and loads the new bytes once, so
no restart and no shared memory are needed. The bytes live in the database beside their
SHA-256, which is checked before they are unpickled.
"""

from __future__ import annotations

import hashlib
import logging
import threading

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from jiesu import versions
from jiesu.dispatch.models import ModelVersion

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_loaded: dict[str, tuple[int, str, object]] = {}


class ModelFileError(ValueError):
    """The bytes are not what the version row says (digest mismatch) or cannot be read."""


def _decode(kind: str, data: bytes):
    if kind == ModelVersion.Kind.ROUTING:
        from jiesu.dispatch.history import RoutingTable

        return RoutingTable.loads(data)
    from jiesu.dispatch.textmodel import TextClassifier

    return TextClassifier.loads(data)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@transaction.atomic
def register(
    kind: str, data: bytes, *, meta: dict, source: str = "", user=None, activate: bool = False
) -> ModelVersion:
    """Store trained bytes as the next version of `kind` (and make it active if asked)."""
    kind = ModelVersion.Kind(kind)
    _decode(kind, data)  # refuse what would not load
    ModelVersion.objects.select_for_update().filter(kind=kind).exists()
    top = ModelVersion.objects.filter(kind=kind).aggregate(n=Max("number"))["n"] or 0
    version = ModelVersion.objects.create(
        kind=kind,
        number=top + 1,
        sha256=digest(data),
        size=len(data),
        data=data,
        meta=meta,
        source=source[:300],
        created_by=user if user is not None and getattr(user, "is_authenticated", False) else None,
    )
    if activate:
        return activate_version(version)
    return version


@transaction.atomic
def activate_version(version: ModelVersion) -> ModelVersion:
    ModelVersion.objects.filter(kind=version.kind, active=True).exclude(pk=version.pk).update(
        active=False
    )
    ModelVersion.objects.filter(pk=version.pk).update(active=True, activated_at=timezone.now())
    version.refresh_from_db(fields=["active", "activated_at"])
    _active_kinds.forget()  # now for this transaction, again once others can see it
    transaction.on_commit(_active_kinds.forget)
    if version.kind == ModelVersion.Kind.CATEGORY:
        transaction.on_commit(_retriage_waiting)
    return version


def _retriage_waiting() -> None:
    """The appeals waiting at the desk get suggestions from the model now active."""
    from jiesu.dispatch import tasks

    try:
        tasks.retriage_waiting.enqueue()
    except Exception:  # the activation stands; the desk keeps the older suggestions
        logger.exception("Could not enqueue the triage of the waiting appeals")


def active_row(kind: str) -> tuple[int, str] | None:
    return ModelVersion.objects.filter(kind=kind, active=True).values_list("id", "sha256").first()


def _read_active_kinds() -> frozenset[str]:
    return frozenset(ModelVersion.objects.filter(active=True).values_list("kind", flat=True))


# Which kinds have an active version, asked at every intake (is there a model to triage with?):
# a process copy checked at most every 2 seconds instead of a query per appeal.
_active_kinds = versions.ProcessCopy(_read_active_kinds, _read_active_kinds, max_age=2.0)


def has_active(kind: str) -> bool:
    """Whether a version of `kind` is active. Seen by this process at once after an
    activation through this module, by other processes within 2 seconds."""
    return kind in _active_kinds.get()


def versions_changed(**kwargs) -> None:
    """A version was saved or deleted in this process (connected in apps.py)."""
    _active_kinds.forget()


def load(kind: str):
    """The active model of `kind` as (ModelVersion id, model), or (None, None) when none is
    active. Loads the bytes only when the active version differs from the one in memory."""
    row = active_row(kind)
    if row is None:
        return None, None
    pk, sha = row
    cached = _loaded.get(kind)
    if cached is not None and cached[0] == pk and cached[1] == sha:
        return pk, cached[2]
    with _lock:
        cached = _loaded.get(kind)
        if cached is not None and cached[0] == pk and cached[1] == sha:
            return pk, cached[2]
        data = bytes(ModelVersion.objects.values_list("data", flat=True).get(pk=pk))
        if digest(data) != sha:
            raise ModelFileError(f"Model version {pk}: its bytes do not match their SHA-256.")
        model = _decode(kind, data)
        _loaded[kind] = (pk, sha, model)
        return pk, model


def read_file(path: str, kind: str = ModelVersion.Kind.CATEGORY):
    """A model file written by `train_classifier --out` or `learn_routing --out` (trusted: it
    is the operator's own file)."""
    with open(path, "rb") as fh:
        data = fh.read()
    return data, _decode(kind, data)
