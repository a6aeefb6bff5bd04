# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Signed checkpoints of every appeal's history: the anchor ADR 0005 asked for.

Each appeal's history is a hash chain whose newest hash (the head) and length are kept on the
appeal row. Somebody with write access to the database could still delete the newest events and
rewrite the head to match: the chain would verify. A checkpoint closes that gap:

- `create()` records the head and length of every chain that changed since the previous
  checkpoint, chains the checkpoint to the previous one by digest, and signs the digest with an
  Ed25519 key that is *not* in the database (JIESU_AUDIT_SIGNING_KEY, or a key file).
- `verify()` checks the checkpoints (their chain, their entries against their digest, the
  signatures against the configured public key) and then every appeal against the newest
  entry a checkpoint holds for it: the event at that position must still exist with that hash
  (otherwise the history was truncated or rewritten).
- `export()` writes the checkpoints as JSON lines a third party (an auditor, another office)
  can keep; `verify_export()` compares such a file with the database, so even deleting the
  newest checkpoints is found, with only the public key.

Appeals created after the newest checkpoint are covered by their own chains until the next one.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery

from jiesu.appeals import timesource
from jiesu.appeals.models import Appeal, AuditCheckpoint, AuditCheckpointEntry, Event


class KeyMissing(Exception):
    """No signing key is configured (production never invents one)."""


def _setting(name, default=None):
    return getattr(settings, "JIESU", {}).get(name, default)


# -- keys --------------------------------------------------------------------------------------


def _dev_key_file() -> Path:
    return Path(settings.VAR_DIR) / "audit-signing.key"


def signing_key() -> Ed25519PrivateKey:
    """The private key: JIESU_AUDIT_SIGNING_KEY (base64 of the 32-byte seed), or the PEM file
    named by JIESU_AUDIT_SIGNING_KEY_FILE. In embedded mode (DEBUG) a key is generated once
    into var/audit-signing.key; in production a missing key is an error."""
    raw = _setting("AUDIT_SIGNING_KEY") or ""
    if raw:
        try:
            return Ed25519PrivateKey.from_private_bytes(base64.b64decode(raw, validate=True))
        except ValueError as exc:
            raise KeyMissing(
                "JIESU_AUDIT_SIGNING_KEY is not the base64 of a 32-byte Ed25519 seed."
            ) from exc
    path = _setting("AUDIT_SIGNING_KEY_FILE") or ""
    if not path and settings.DEBUG:
        path = str(_dev_key_file())
        if not Path(path).exists():
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            pem = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            Path(path).write_bytes(pem)
            Path(path).chmod(0o600)
    if not path:
        raise KeyMissing(
            "No audit signing key: set JIESU_AUDIT_SIGNING_KEY (or JIESU_AUDIT_SIGNING_KEY_FILE); "
            "`manage.py audit_checkpoint --new-key` prints one. See docs/operations.md."
        )
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise KeyMissing(f"The audit signing key file {path} cannot be read: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyMissing(f"The audit signing key file {path} does not hold an Ed25519 key.")
    return key


def new_key() -> str:
    """A fresh private key as JIESU_AUDIT_SIGNING_KEY expects it (base64 seed)."""
    seed = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(seed).decode()


def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def load_public_key(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))


def key_id(key: Ed25519PublicKey) -> str:
    return hashlib.sha256(public_key_text(key).encode()).hexdigest()[:16]


# -- the canonical form ------------------------------------------------------------------------


def digest_of(number: int, created_at, previous: str, entries) -> str:
    body = {
        "number": number,
        "at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "previous": previous,
        "entries": [[int(a), int(c), h] for a, c, h in entries],
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# -- making checkpoints ------------------------------------------------------------------------


def _changed_heads():
    """(appeal id, event count, head) of every chain whose head differs from the newest entry
    a checkpoint holds for it: one query, compared in the database (entries are indexed by
    appeal and checkpoint), not every entry ever read into memory."""
    seen = AuditCheckpointEntry.objects.filter(appeal_id=OuterRef("pk")).order_by("-checkpoint_id")
    return (
        Appeal.objects.filter(audit_count__gt=0)
        .annotate(
            seen_count=Subquery(seen.values("count")[:1]),
            seen_head=Subquery(seen.values("head")[:1]),
        )
        .filter(
            Q(seen_head__isnull=True)
            | ~Q(seen_head=F("audit_head"))
            | ~Q(seen_count=F("audit_count"))
        )
        .order_by("pk")
        .values_list("pk", "audit_count", "audit_head")
    )


@transaction.atomic
def create(now=None) -> AuditCheckpoint | None:
    """Sign the heads of every chain that changed since the last checkpoint; None when none did."""
    key = signing_key()
    now = now or timesource.now()
    # One checkpoint at a time (the scheduler and a manual run may meet).
    last = AuditCheckpoint.objects.select_for_update().order_by("-number").first()
    changed = list(_changed_heads())
    if not changed:
        return None
    number = (last.number + 1) if last else 1
    previous = last.digest if last else ""
    digest = digest_of(number, now, previous, changed)
    checkpoint = AuditCheckpoint.objects.create(
        number=number,
        created_at=now,
        previous_digest=previous,
        digest=digest,
        entry_count=len(changed),
        signature=base64.b64encode(key.sign(digest.encode())).decode(),
        key_id=key_id(key.public_key()),
    )
    AuditCheckpointEntry.objects.bulk_create(
        [
            AuditCheckpointEntry(checkpoint=checkpoint, appeal_id=a, count=c, head=h)
            for a, c, h in changed
        ],
        batch_size=2000,
    )
    return checkpoint


def due(now=None) -> bool:
    """Is a new checkpoint due (JIESU["AUDIT_CHECKPOINT_MINUTES"] since the last, default 60)?"""
    now = now or timesource.now()
    last = AuditCheckpoint.objects.order_by("-number").values_list("created_at", flat=True).first()
    minutes = int(_setting("AUDIT_CHECKPOINT_MINUTES", 60))
    return last is None or (now - last).total_seconds() >= minutes * 60


# -- verifying ---------------------------------------------------------------------------------


@dataclass
class Problem:
    what: str  # "checkpoint", "truncated", "rewritten", "missing_appeal", "export"
    text: str

    def __str__(self):
        return self.text


def _entries_by_checkpoint() -> dict[int, list[tuple[int, int, str]]]:
    """Every checkpoint's entries in one query (not one query per checkpoint)."""
    grouped: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for checkpoint_id, appeal_id, count, head in AuditCheckpointEntry.objects.order_by(
        "checkpoint_id", "appeal_id"
    ).values_list("checkpoint_id", "appeal_id", "count", "head"):
        grouped[checkpoint_id].append((appeal_id, count, head))
    return grouped


def _check_signature(public: Ed25519PublicKey, digest: str, signature: str) -> bool:
    try:
        public.verify(base64.b64decode(signature), digest.encode())
    except (InvalidSignature, ValueError):
        return False
    return True


def verify(public: Ed25519PublicKey | None = None) -> list[Problem]:
    """Check every checkpoint and every appeal against the newest entry for it."""
    problems: list[Problem] = []
    checkpoints = list(AuditCheckpoint.objects.order_by("number"))
    if not checkpoints:
        return problems
    if public is None:
        public = signing_key().public_key()
    previous = ""
    latest: dict[int, tuple[int, str, int]] = {}
    entries_of = _entries_by_checkpoint()
    for expected_number, checkpoint in enumerate(checkpoints, start=1):
        label = f"checkpoint #{checkpoint.number}"
        if checkpoint.number != expected_number:
            problems.append(
                Problem(
                    "checkpoint",
                    f"checkpoint #{expected_number} is missing (found #{checkpoint.number})",
                )
            )
        entries = entries_of.get(checkpoint.pk, [])
        if checkpoint.previous_digest != previous:
            problems.append(Problem("checkpoint", f"{label} does not follow the one before it"))
        if (
            digest_of(checkpoint.number, checkpoint.created_at, checkpoint.previous_digest, entries)
            != checkpoint.digest
        ):
            problems.append(Problem("checkpoint", f"{label}: its entries do not match its digest"))
        if not _check_signature(public, checkpoint.digest, checkpoint.signature):
            problems.append(
                Problem("checkpoint", f"{label}: the signature does not verify with the key")
            )
        previous = checkpoint.digest
        for appeal_id, count, head in entries:
            latest[appeal_id] = (count, head, checkpoint.number)
    problems.extend(_check_appeals(latest))
    return problems


def _check_appeals(latest: dict[int, tuple[int, str, int]]) -> list[Problem]:
    problems = []
    ids = sorted(latest)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        rows = Appeal.objects.filter(pk__in=chunk).values_list("pk", "number", "audit_count")
        appeals = {pk: number for pk, number, _ in rows}
        counts = {pk: count for pk, _, count in rows}
        wanted = {(a, latest[a][0]) for a in chunk}
        found = {
            (a, s): h
            for a, s, h in Event.objects.filter(appeal_id__in=chunk)
            .filter(seq__in={latest[a][0] for a in chunk})
            .values_list("appeal_id", "seq", "hash")
            if (a, s) in wanted
        }
        for appeal_id in chunk:
            count, head, number = latest[appeal_id]
            name = appeals.get(appeal_id)
            if name is None:
                problems.append(
                    Problem(
                        "missing_appeal",
                        f"appeal id {appeal_id} (in checkpoint #{number}) no longer exists",
                    )
                )
                continue
            stored = found.get((appeal_id, count))
            if stored is None or counts[appeal_id] < count:
                problems.append(
                    Problem(
                        "truncated",
                        f"{name}: history truncated — checkpoint #{number} counted {count} "
                        f"events, {counts[appeal_id]} remain",
                    )
                )
            elif stored != head:
                problems.append(
                    Problem(
                        "rewritten",
                        f"{name}: history rewritten — event {count} differs from checkpoint "
                        f"#{number}",
                    )
                )
    return problems


# -- export for third parties ------------------------------------------------------------------


def export(stream) -> int:
    """Write every checkpoint as one JSON line (with its entries, signature and public key)."""
    public = None
    written = 0
    entries_of = _entries_by_checkpoint()
    for checkpoint in AuditCheckpoint.objects.order_by("number"):
        if public is None:
            public = public_key_text(signing_key().public_key())
        entries = entries_of.get(checkpoint.pk, [])
        line = {
            "number": checkpoint.number,
            "at": checkpoint.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "previous": checkpoint.previous_digest,
            "digest": checkpoint.digest,
            "signature": checkpoint.signature,
            "key_id": checkpoint.key_id,
            "public_key": public,
            "entries": [list(e) for e in entries],
        }
        stream.write(json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n")
        written += 1
    return written


def verify_export(lines, public: Ed25519PublicKey | None = None) -> list[Problem]:
    """Check an exported file on its own (digests, chain, signatures with the given public key)
    and against the database (every exported checkpoint must still be there, unchanged)."""
    from datetime import datetime

    problems = []
    previous = ""
    in_db = {c.number: c.digest for c in AuditCheckpoint.objects.all()}
    for index, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            item = json.loads(text)
            at = datetime.fromisoformat(item["at"])
            entries = [tuple(e) for e in item["entries"]]
            number, digest = int(item["number"]), item["digest"]
            key = public or load_public_key(item["public_key"])
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(Problem("export", f"line {index}: not a checkpoint ({exc})"))
            continue
        if digest_of(number, at, item["previous"], entries) != digest:
            problems.append(Problem("export", f"line {index}: entries do not match the digest"))
        if item["previous"] != previous:
            problems.append(Problem("export", f"line {index}: does not follow the line before"))
        if not _check_signature(key, digest, item["signature"]):
            problems.append(Problem("export", f"line {index}: the signature does not verify"))
        previous = digest
        if number not in in_db:
            problems.append(
                Problem(
                    "checkpoint", f"checkpoint #{number} is in the export but not in the database"
                )
            )
        elif in_db[number] != digest:
            problems.append(
                Problem(
                    "checkpoint",
                    f"checkpoint #{number} differs between the export and the database",
                )
            )
    return problems
