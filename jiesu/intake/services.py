# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Filing appeals from any channel: one function every door uses.

`submit` validates nothing the workflow validates itself; it adds what belongs to intake:
the channel must be active, and a retried submission with the same idempotency key returns
the first appeal (and refuses a different submission reusing a key).
"""

from __future__ import annotations

import hashlib
import json
from contextlib import nullcontext
from dataclasses import dataclass

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from jiesu.appeals import workflow
from jiesu.appeals.errors import InvalidInput
from jiesu.appeals.models import Appeal, Attachment
from jiesu.intake.models import Channel, ChannelSubmission


class IdempotencyConflict(InvalidInput):
    code = "idempotency_conflict"
    http_status = 409


@dataclass
class Submitted:
    appeal: Appeal
    created: bool
    query_code: str | None  # only when created: shown to the citizen once


def _digest(fields: dict, attachment_ids) -> str:
    body = json.dumps(
        {"fields": fields, "attachments": sorted(attachment_ids)},
        sort_keys=True,
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def submit(
    channel: Channel,
    *,
    fields: dict,
    idempotency_key: str = "",
    attachments=(),
    actor=None,
) -> Submitted:
    """File an appeal through `channel`. `fields` are the keyword arguments of
    `workflow.receive` (title, description, reporter_*, anonymous, confidential, address, lat,
    lng, appeal_type, category, grade, external_ref). `attachments` are stored, not yet linked
    `Attachment` rows (or their ids) with purpose "report"."""
    if not channel.active:
        raise InvalidInput(_("This channel is closed."))
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > 128:
        raise InvalidInput(
            _("The idempotency key is longer than 128 characters."),
            field_errors={"idempotency_key": [_("At most 128 characters.")]},
        )
    ids = sorted({a.pk if isinstance(a, Attachment) else int(a) for a in attachments or ()})
    if len(ids) > channel.max_attachments:
        msg = _("At most %(n)d attachments are allowed on this channel.") % {
            "n": channel.max_attachments
        }
        raise InvalidInput(msg, field_errors={"attachments": [msg]})
    digest = _digest({k: (v.pk if hasattr(v, "pk") else v) for k, v in fields.items()}, ids)
    if idempotency_key:
        previous = _previous(channel, idempotency_key, digest)
        if previous is not None:
            return previous
    # With no attachments and no key, the filing is `receive`'s own transaction (opening one
    # here as well would add a savepoint, two more round trips on every machine filing).
    outer = transaction.atomic() if (ids or idempotency_key) else nullcontext()
    try:
        with outer:
            appeal = workflow.receive(channel=channel.code, actor=actor, **fields)
            if ids:
                files = list(Attachment.objects.select_for_update(of=("self",)).filter(pk__in=ids))
                if len(files) != len(ids) or any(
                    f.appeal_id is not None or f.purpose != Attachment.Purpose.REPORT for f in files
                ):
                    raise InvalidInput(
                        _("An attachment is unknown or already used."),
                        field_errors={"attachments": [_("Unknown attachment.")]},
                    )
                Attachment.objects.filter(pk__in=ids).update(appeal=appeal)
            if idempotency_key:
                ChannelSubmission.objects.create(
                    channel=channel,
                    idempotency_key=idempotency_key,
                    request_digest=digest,
                    appeal=appeal,
                )
    except IntegrityError:
        # Somebody filed the same key at the same moment: theirs is the first appeal.
        previous = _previous(channel, idempotency_key, digest) if idempotency_key else None
        if previous is None:
            raise
        return previous
    return Submitted(appeal, True, getattr(appeal, "query_code", None))


def _previous(channel, key, digest) -> Submitted | None:
    done = (
        ChannelSubmission.objects.filter(channel=channel, idempotency_key=key)
        .select_related("appeal")
        .first()
    )
    if done is None:
        return None
    if done.request_digest != digest:
        raise IdempotencyConflict(
            _("This idempotency key was already used for a different submission.")
        )
    return Submitted(done.appeal, False, None)
