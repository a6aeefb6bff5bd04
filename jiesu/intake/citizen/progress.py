# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""What a citizen sees of their appeal: status in plain words and the steps with their times.

Built from the appeal's history, translated to citizen-friendly labels. It leaves out what
is internal to the staff: who acted (staff names), units' notes and requests, supervision,
SLA lights, unmasking. Units appear only by their unit name. A merged appeal shows the
progress of the appeal it was merged into, without that appeal's own text or reporter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from jiesu.appeals.models import Appeal, Attachment, Event
from jiesu.appeals.states import Status
from jiesu.appeals.workflow import citizen_may_rate

# Status -> (headline in plain words, what happens next). Internal states read as the state
# the citizen would recognise (a return request is still "being handled").
PLAIN_STATUS = {
    Status.RECEIVED: (
        pgettext_lazy("appeal status told to the citizen", "Received"),
        gettext_lazy("We have your appeal. The service centre will check it shortly."),
    ),
    Status.REGISTERED: (
        pgettext_lazy("appeal status told to the citizen", "Accepted"),
        gettext_lazy("Your appeal has been accepted and is being passed to the right unit."),
    ),
    Status.REJECTED: (
        gettext_lazy("Not accepted"),
        gettext_lazy("The service centre could not accept this appeal. The reason is below."),
    ),
    Status.MERGED: (
        gettext_lazy("Handled together with an earlier appeal"),
        gettext_lazy("Another citizen reported the same matter; it is handled as one."),
    ),
    Status.ANSWERED: (
        gettext_lazy("Answered"),
        gettext_lazy("The service centre has answered your appeal. The answer is below."),
    ),
    Status.DISPATCHED: (
        gettext_lazy("Passed to the responsible unit"),
        gettext_lazy("The responsible unit will take it on and contact you if needed."),
    ),
    Status.IN_PROGRESS: (
        gettext_lazy("Being handled"),
        gettext_lazy("The responsible unit is working on it."),
    ),
    Status.RETURN_REQUESTED: (
        gettext_lazy("Being handled"),
        gettext_lazy("The responsible unit is working on it."),
    ),
    Status.COMPLETED: (
        gettext_lazy("Handled, result under review"),
        gettext_lazy("The unit reports it has been handled; the service centre is checking."),
    ),
    Status.VISITING: (
        gettext_lazy("Handled"),
        gettext_lazy("The result is below. We will ask whether you are satisfied."),
    ),
    Status.CLOSED: (
        gettext_lazy("Closed"),
        gettext_lazy("This appeal is finished. Thank you for your report."),
    ),
}

# Where a status sits on the simple progress bar: submitted, accepted, handling, done.
STAGE = {
    Status.RECEIVED: 0,
    Status.REGISTERED: 1,
    Status.DISPATCHED: 2,
    Status.IN_PROGRESS: 2,
    Status.RETURN_REQUESTED: 2,
    Status.COMPLETED: 2,
    Status.VISITING: 3,
    Status.CLOSED: 3,
    Status.ANSWERED: 3,
    Status.REJECTED: 3,
    Status.MERGED: 3,
}
# One grammatical form for all four (已提交 · 已受理 · 办理中 · 已办结), hence their own context.
STAGES = [
    pgettext_lazy("citizen stage", "Submitted"),
    pgettext_lazy("citizen stage", "Accepted"),
    pgettext_lazy("citizen stage", "Being handled"),
    pgettext_lazy("citizen stage", "Finished"),
]

# The reply is public once the centre has let it go to the citizen.
REPLY_STATES = {Status.ANSWERED, Status.REJECTED, Status.VISITING, Status.CLOSED}


@dataclass
class Step:
    at: datetime
    label: str
    detail: str = ""


@dataclass
class Progress:
    appeal: Appeal  # the citizen's own appeal
    shown: Appeal  # whose progress is shown: the appeal itself, or the one it was merged into
    headline: str
    explanation: str
    stage: int
    steps: list[Step] = field(default_factory=list)
    reply: str = ""
    photos: list[Attachment] = field(default_factory=list)
    videos: int = 0
    # The unit's evidence photos marked public, shown with the reply (of `shown`).
    result_photos: list[Attachment] = field(default_factory=list)
    can_rate: bool = False

    @property
    def merged(self) -> bool:
        return self.shown.pk != self.appeal.pk

    @property
    def version(self) -> str:
        """Changes whenever anything the citizen sees may have changed."""
        return f"{self.appeal.audit_count}.{self.shown.audit_count}"

    @property
    def stages(self):
        return [
            {"label": label, "done": i <= self.stage, "current": i == self.stage}
            for i, label in enumerate(STAGES)
        ]


def _unit_name(event: Event) -> str:
    return event.unit.name if event.unit_id else _("the responsible unit")


def _local(value) -> str:
    when = parse_datetime(value) if isinstance(value, str) else value
    if when is None:
        return ""
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M")


def step_for(event: Event) -> Step | None:
    """The citizen's label for one history event, or None when it is internal."""
    kind, payload, to = event.kind, event.payload or {}, event.to_status
    label = detail = ""
    if kind == "receive":
        label = _("Appeal submitted")
    elif kind == "register":
        label = _("Accepted by the service centre")
    elif kind == "reject":
        label = _("Not accepted")
    elif kind == "merge":
        label = _("Merged with an earlier appeal about the same matter")
    elif kind == "answer":
        label = _("Answered by the service centre")
    elif kind == "dispatch":
        label = _("Passed to %(unit)s") % {"unit": _unit_name(event)}
    elif kind in ("redispatch", "approve_return"):
        label = _("Passed on to %(unit)s") % {"unit": _unit_name(event)}
    elif kind == "sign" and payload.get("role") == "lead":
        label = _("%(unit)s has taken it on") % {"unit": _unit_name(event)}
    elif kind == "contact":
        label = _("%(unit)s has contacted you") % {"unit": _unit_name(event)}
    elif kind == "approve_extension":
        label = _("More time granted to handle it")
        if payload.get("due_after"):
            detail = _("New deadline: %(due)s") % {"due": _local(payload["due_after"])}
    elif (kind == "complete" and to == Status.COMPLETED) or kind == "approve_completion":
        label = _("%(unit)s reports it handled") % {"unit": _unit_name(event)}
    elif kind == "send_back":
        label = _("Sent back to the unit for further handling")
    elif kind == "approve_review":
        label = _("Result checked by the service centre")
    elif kind == "record_visit" and to == Status.CLOSED:
        label = _("Return visit done; appeal closed")
    elif kind == "record_visit" and to == Status.IN_PROGRESS:
        label = _("Return visit: to be handled again")
    elif kind == "close":
        label = _("Appeal closed")
    elif kind == "reopen":
        label = _("Reopened to be handled again")
    elif kind == "citizen_rating":
        label = _("You rated the result")
    if not label:
        return None
    return Step(at=event.created_at, label=label, detail=detail)


def steps_of(appeal: Appeal) -> list[Step]:
    events = appeal.events.select_related("unit").order_by("seq")
    return [step for step in map(step_for, events) if step is not None]


def public_result_photos(shown: Appeal):
    """The evidence photos the unit marked public (thumbnails only), whatever the state: the
    callers decide whether the result is public yet (`REPLY_STATES`)."""
    return (
        shown.attachments.filter(
            purpose=Attachment.Purpose.EVIDENCE,
            public=True,
            kind=Attachment.Kind.IMAGE,
        )
        .exclude(thumbnail="")
        .order_by("id")
    )


def followed(appeal: Appeal) -> Appeal:
    """The appeal whose progress the citizen sees: for a merged appeal, the one that carries
    the matter on (following a chain of merges)."""
    shown, seen = appeal, {appeal.pk}
    while shown.status == Status.MERGED and shown.merged_into_id and len(seen) < 10:
        shown = shown.merged_into
        if shown.pk in seen:
            break
        seen.add(shown.pk)
    return shown


def progress(appeal: Appeal) -> Progress:
    shown = followed(appeal)
    headline, explanation = PLAIN_STATUS.get(shown.status, (shown.get_status_display(), ""))
    steps = steps_of(appeal)
    if shown.pk != appeal.pk:
        # The earlier appeal's steps from the moment ours joined it.
        joined = steps[-1].at if steps else appeal.received_at
        steps += [s for s in steps_of(shown) if s.at >= joined]
    files = list(appeal.attachments.filter(purpose=Attachment.Purpose.REPORT).order_by("id"))
    photos = [f for f in files if f.kind == Attachment.Kind.IMAGE and f.thumbnail]
    reply_public = shown.status in REPLY_STATES
    return Progress(
        appeal=appeal,
        shown=shown,
        headline=str(headline),
        explanation=str(explanation),
        stage=STAGE.get(shown.status, 0),
        steps=steps,
        reply=shown.reply if reply_public else "",
        photos=photos,
        result_photos=list(public_result_photos(shown)) if reply_public else [],
        videos=sum(1 for f in files if f.kind == Attachment.Kind.VIDEO),
        can_rate=citizen_may_rate(appeal),
    )
