# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The appeal and everything that happens to it.

State changes happen only through `jiesu.appeals.workflow`; every one of them appends an
`Event` to the appeal's hash-chained history (`jiesu.appeals.audit`).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from jiesu.appeals.states import FINAL_STATES, OPEN_STATUS_LIST, Status
from jiesu.catalog.models import AppealType, Category, Grade, HandlingRuleVersion
from jiesu.org.models import Region, Unit
from jiesu.permanent import PermanentRecord
from jiesu.workdays.units import DurationUnit


class AppealQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=FINAL_STATES)


class Appeal(models.Model):
    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASIC = "basic", _("Basically satisfied")
        UNSATISFIED = "unsatisfied", _("Not satisfied")
        UNREACHABLE = "unreachable", _("Unreachable")

    number = models.CharField(_("number"), max_length=32, unique=True)
    channel = models.CharField(
        _("channel"), max_length=32, help_text=_("Code of the intake channel.")
    )
    external_ref = models.CharField(_("reference in the channel"), max_length=128, blank=True)
    # Reporter 诉求人
    reporter_name = models.CharField(_("reporter name"), max_length=100, blank=True)
    reporter_phone = models.CharField(_("reporter phone"), max_length=32, blank=True)
    reporter_is_enterprise = models.BooleanField(_("reporter is an enterprise"), default=False)
    reporter_credit_code = models.CharField(
        _("unified social credit code"), max_length=18, blank=True
    )
    anonymous = models.BooleanField(_("anonymous"), default=False)
    confidential = models.BooleanField(
        _("confidential"),
        default=False,
        help_text=_("The reporter is hidden from handling units."),
    )
    # The matter
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT
    )
    appeal_type = models.ForeignKey(
        AppealType, verbose_name=_("type"), null=True, blank=True, on_delete=models.PROTECT
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        limit_choices_to={"level": Category.Level.LEAF},
        db_index=False,  # (category, received_at) below serves lookups by category
    )
    grade = models.ForeignKey(
        Grade, verbose_name=_("grade"), null=True, blank=True, on_delete=models.PROTECT
    )
    # Where it stands
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )  # indexed with received_at below
    status_before_return = models.CharField(max_length=20, blank=True, editable=False)
    rule_version = models.ForeignKey(
        HandlingRuleVersion,
        verbose_name=_("rule version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("The handling rule in force when the appeal was dispatched."),
    )
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_appeals",
    )
    satisfaction = models.CharField(
        _("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    reply = models.TextField(
        _("public reply"), blank=True, help_text=_("The answer the citizen reads.")
    )
    closing_reason = models.CharField(_("closing note"), max_length=300, blank=True)
    # Public tracking: the citizen gets a query code once; only its keyed hash is stored.
    query_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    # Not a column: the plain code, set by `workflow.receive` on the appeal it returns only.
    query_code: str
    # The citizen's own rating after completion (it feeds the return visit).
    citizen_rating = models.CharField(
        _("citizen's rating"), max_length=12, choices=Satisfaction.choices[:3], blank=True
    )
    citizen_comment = models.TextField(_("citizen's comment"), blank=True)
    citizen_rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    visit_attempts = models.PositiveSmallIntegerField(_("visit attempts"), default=0)
    # Time stamps of the main steps (the history has all of them)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("filed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Optimistic concurrency: every transition increments it; a caller may pass the version
    # it saw and is refused with a conflict when somebody acted in between.
    version = models.PositiveIntegerField(_("version"), default=0)
    # Head of the appeal's hash chain: hash and count of its last event.
    audit_head = models.CharField(max_length=64, blank=True, editable=False)
    audit_count = models.PositiveIntegerField(default=0, editable=False)

    objects = AppealQuerySet.as_manager()

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-received_at", "-id"]
        # Every index is paid on every filing and transition (ADR 0029): no single-column index
        # where a composite one starts with the column, no LIKE (pattern_ops) copy of a column
        # nobody searches by prefix. The number keeps its pattern index (search by prefix).
        indexes = [
            models.Index(fields=["status", "received_at"]),
            models.Index(fields=["category", "received_at"]),
            models.Index(fields=["channel", "external_ref"], name="appeals_channel_ref"),
            # The supervision desk's "closed, citizen not satisfied" list, newest rating first.
            models.Index(
                fields=["citizen_rating", "citizen_rated_at"], name="appeals_rating_rated"
            ),
            # Open appeals, oldest first (the supervision desk's lights, the open lists). Open
            # appeals are the recent few of a long history, so walking every appeal by its
            # received time to find them read a million rows for four (1 s at 1M appeals), and
            # the status index cannot give them in time order across several statuses. The
            # queries filter on exactly `OPEN_STATUS_LIST`, which is what lets PostgreSQL use it.
            models.Index(
                fields=["received_at", "id"],
                name="appeals_open_by_received",
                condition=models.Q(status__in=OPEN_STATUS_LIST),
            ),
            # Dispatched appeals in time order: what a unit may see (console.access) is among
            # them, and the newest appeals, still waiting at the centre with no unit, are left
            # out of the walk (a burst of intake put tens of thousands of them in front of a
            # unit's first page: 95 ms of its 150 ms of SQL at a million appeals).
            models.Index(
                fields=["received_at", "id"],
                name="appeals_dispatched_by_received",
                condition=models.Q(dispatched_at__isnull=False),
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATES

    @property
    def lead_assignment(self):
        return self.assignments.filter(role=Assignment.Role.LEAD, active=True).first()


def attachment_path(instance, filename):
    return f"appeals/{instance.uploaded_at:%Y/%m}/{instance.sha256[:2]}/{instance.sha256}{filename}"


class Attachment(models.Model):
    """A photo or short video: a citizen's report, or a unit's evidence of the result.

    Files are checked by their bytes (not their names), stored without EXIF metadata, and
    photos get a thumbnail (see `jiesu.appeals.attachments`).
    """

    class Purpose(models.TextChoices):
        REPORT = "report", _("Citizen's report")
        EVIDENCE = "evidence", _("Evidence of handling")

    class Kind(models.TextChoices):
        IMAGE = "image", _("Photo")
        VIDEO = "video", _("Video")

    appeal = models.ForeignKey(
        Appeal, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    assignment = models.ForeignKey(
        "Assignment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence_files",
    )
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=255)
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=attachment_path, max_length=255, blank=True
    )
    content_type = models.CharField(_("content type"), max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64, db_index=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    original_name = models.CharField(_("original name"), max_length=255, blank=True)
    # Where the photo says it was taken (from its EXIF, before EXIF is stripped): a hint only.
    exif_lat = models.FloatField(null=True, blank=True)
    exif_lng = models.FloatField(null=True, blank=True)
    # An evidence photo the unit chose to show the citizen (on the tracking page, with the
    # result, once the centre has let the result go). Never set on a citizen's own photos.
    public = models.BooleanField(
        _("shown to the citizen"),
        default=False,
        help_text=_("Evidence the unit marked public when completing: the tracking page shows it."),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["appeal_id", "uploaded_at", "id"]

    def __str__(self):
        return self.original_name or self.sha256[:12]


class AppealNumberSequence(models.Model):
    """Last sequence number used per day, for `PS20261126000123`-style appeal numbers."""

    day = models.DateField(unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.day}: {self.last}"


class Assignment(models.Model):
    """One unit's share of an appeal: the lead 主办 or an assisting unit 协办."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead unit")
        ASSIST = "assist", _("Assisting unit")

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting sign-for")
        SIGNED = "signed", _("Signed for")
        AWAITING_APPROVAL = "awaiting_approval", _("Completion awaiting leader approval")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="assignments")
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="assignments",
        db_index=False,  # (unit, active, state) below serves lookups by unit
    )
    role = models.CharField(_("role"), max_length=8, choices=Role.choices)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.PENDING
    )
    active = models.BooleanField(_("active"), default=True)
    first_asked = models.BooleanField(
        _("first-ask backstop"),
        default=False,
        help_text=_("Leads under first-ask responsibility because ownership was unclear."),
    )
    dispatched_at = models.DateTimeField(_("dispatched at"))
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contacted_at = models.DateTimeField(_("first contact at"), null=True, blank=True)
    result = models.TextField(_("handling result"), blank=True)
    evidence = models.TextField(_("evidence"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["appeal_id", "-role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appeal"],
                condition=models.Q(role="lead", active=True),
                name="appeals_one_active_lead",
                violation_error_message=_("An appeal has one lead unit at a time."),
            )
        ]
        indexes = [
            models.Index(fields=["unit", "active", "state"]),
            # A unit's appeals (its search, its scope in reports): read from the index alone,
            # without visiting each of a busy unit's tens of thousands of assignment rows.
            models.Index(fields=["unit", "appeal"], name="appeals_assignment_unit_appeal"),
        ]

    def __str__(self):
        return f"{self.appeal} → {self.unit} ({self.get_role_display()})"


class Clock(models.Model):
    """An SLA clock: a stored deadline with a warning point (yellow) and a breach (red)."""

    class Kind(models.TextChoices):
        SIGN = "sign", _("Sign for")
        CONTACT = "contact", _("First contact")
        HANDLE = "handle", pgettext_lazy("deadline clock", "Handling")
        VISIT = "visit", _("Return visit")

    class Light(models.TextChoices):
        GREEN = "green", _("On time")
        YELLOW = "yellow", _("Due soon")
        RED = "red", _("Overdue")

    class Outcome(models.TextChoices):
        """How a stopped clock ended: met only when its step happened."""

        DONE = "done", _("Step done")
        MISSED = "missed", _("Step not done")
        NOT_APPLICABLE = "n/a", _("Not applicable")

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="clocks")
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.CASCADE, related_name="clocks"
    )
    kind = models.CharField(_("clock"), max_length=8, choices=Kind.choices)
    started_at = models.DateTimeField(_("started at"))
    limit_amount = models.PositiveIntegerField(_("limit"))
    limit_unit = models.CharField(_("counted in"), max_length=4, choices=DurationUnit.choices)
    warn_at = models.DateTimeField(_("warning at"))
    due_at = models.DateTimeField(_("due at"), db_index=True)
    original_due_at = models.DateTimeField(
        _("original deadline"), help_text=_("Before any approved extension.")
    )
    provisional = models.BooleanField(
        _("provisional"),
        default=False,
        help_text=_(
            "The deadline runs into a year whose official holidays and make-up working days are "
            "not entered yet: it was computed on the provisional calendar (statutory holidays "
            "only) and is recomputed when the year is entered."
        ),
    )
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    outcome = models.CharField(
        _("how it ended"),
        max_length=8,
        choices=Outcome.choices,
        blank=True,
        help_text=_(
            "How the clock stopped: its step done (then on time or late), the step never done "
            "before the work ended (never on time), or not applicable (e.g. nobody to contact)."
            " Empty while running."
        ),
    )
    cancelled = models.BooleanField(
        _("cancelled"), default=False, help_text=_("No longer counts (e.g. re-dispatched).")
    )
    warned_at = models.DateTimeField(_("warning raised at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breach raised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["appeal_id", "started_at", "id"]
        indexes = [
            models.Index(fields=["stopped_at", "cancelled", "due_at"]),
            models.Index(
                fields=["due_at"],
                condition=models.Q(provisional=True),
                name="appeals_clock_provisional_due",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(due_at__gte=models.F("started_at")),
                name="appeals_clock_due_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(warn_at__lte=models.F("due_at")),
                name="appeals_clock_warn_before_due",
            ),
        ]

    def __str__(self):
        return f"{self.appeal} {self.get_kind_display()} → {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def running(self) -> bool:
        return self.stopped_at is None and not self.cancelled

    def light(self, now) -> str:
        """Green, yellow or red: for a stopped clock, as it stood when it stopped; red when
        its step was never done."""
        if self.stopped_at is not None and self.outcome == self.Outcome.MISSED:
            return self.Light.RED
        at = self.stopped_at or now
        if at > self.due_at:
            return self.Light.RED
        if at >= self.warn_at:
            return self.Light.YELLOW
        return self.Light.GREEN

    @property
    def met(self) -> bool | None:
        """Whether the clock's step was done in time: None while running, if cancelled or not
        applicable; False when the step was never done, whenever the clock stopped."""
        if self.stopped_at is None or self.cancelled or self.outcome == self.Outcome.NOT_APPLICABLE:
            return None
        if self.outcome == self.Outcome.MISSED:
            return False
        return self.stopped_at <= self.due_at


class UnitRequest(models.Model):
    """A unit's request to return an appeal (退单) or to extend its deadline (延期)."""

    class Kind(models.TextChoices):
        RETURN = "return", _("Return")
        EXTENSION = "extension", _("Extension")

    class Decision(models.TextChoices):
        PENDING = "pending", pgettext_lazy("decision on a request", "Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="unit_requests")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reason = models.TextField(_("reason"))
    extension_days = models.PositiveSmallIntegerField(
        _("working days asked"), null=True, blank=True
    )
    requested_at = models.DateTimeField(_("requested at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decision_note = models.TextField(_("decision note"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("unit request")
        verbose_name_plural = _("unit requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "kind"],
                condition=models.Q(decision="pending"),
                name="appeals_one_pending_request_per_kind",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.appeal}"


class SupervisionNotice(models.Model):
    """A supervision notice 督办单 that the unit must answer."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="supervisions")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT)
    reason = models.TextField(_("reason"))
    automatic = models.BooleanField(_("issued automatically"), default=False)
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("supervision notice")
        verbose_name_plural = _("supervision notices")
        ordering = ["-issued_at", "-id"]

    def __str__(self):
        return f"{self.appeal} 督办 {self.issued_at:%Y-%m-%d}"


class ReturnVisit(models.Model):
    """One return-visit attempt 回访 and its outcome."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="visits")
    outcome = models.CharField(_("outcome"), max_length=12, choices=Appeal.Satisfaction.choices)
    unit_at_fault = models.BooleanField(
        _("unsatisfied for reasons on the unit's side"), default=False
    )
    note = models.TextField(_("note"), blank=True)
    visited_at = models.DateTimeField(_("visited at"))
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")
        ordering = ["appeal_id", "visited_at", "id"]

    def __str__(self):
        return f"{self.appeal} {self.get_outcome_display()}"


class Event(PermanentRecord, models.Model):
    """One entry of an appeal's append-only, hash-chained history 全程留痕."""

    change_refused = _("History events are permanent and cannot be changed.")
    delete_refused = _("History events are permanent and cannot be deleted.")

    # Indexed by the unique (appeal, seq) below, which starts with the appeal.
    appeal = models.ForeignKey(
        Appeal, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    seq = models.PositiveIntegerField(_("sequence in the appeal"))
    kind = models.CharField(_("what"), max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("who (as recorded)"), max_length=120)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT
    )
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"))
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("history event")
        verbose_name_plural = _("history events")
        ordering = ["appeal_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["appeal", "seq"], name="appeals_event_seq_unique"),
            # A constraint, not `unique=True`: PostgreSQL then keeps no second (LIKE) index of
            # the hashes, which no query reads (ADR 0029).
            models.UniqueConstraint(fields=["hash"], name="appeals_event_hash_unique"),
        ]
        indexes = [models.Index(fields=["kind"], name="appeals_event_kind")]

    def __str__(self):
        return f"{self.appeal} #{self.seq} {self.kind}"


class AuditCheckpoint(PermanentRecord, models.Model):
    """A signed anchor of every appeal's history (ADR 0005): the heads of the chains that
    changed since the previous checkpoint, chained to it by digest and signed with a key that is
    not in the database. See `jiesu.appeals.checkpoints`."""

    change_refused = _("Audit checkpoints are permanent and cannot be changed.")
    delete_refused = _("Audit checkpoints are permanent and cannot be deleted.")

    number = models.PositiveIntegerField(unique=True)
    created_at = models.DateTimeField()
    previous_digest = models.CharField(max_length=64, blank=True)
    digest = models.CharField(max_length=64, unique=True)
    entry_count = models.PositiveIntegerField()
    signature = models.CharField(max_length=128)
    key_id = models.CharField(max_length=16)

    class Meta:
        ordering = ["number"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self):
        return f"#{self.number} {self.digest[:12]}"


class AuditCheckpointEntry(PermanentRecord, models.Model):
    """One appeal's chain head as a checkpoint saw it. `appeal_id` is a plain number, not a
    foreign key: an appeal deleted behind the application's back must still be reported."""

    change_refused = AuditCheckpoint.change_refused
    delete_refused = AuditCheckpoint.delete_refused

    checkpoint = models.ForeignKey(
        AuditCheckpoint, on_delete=models.PROTECT, related_name="entries"
    )
    appeal_id = models.BigIntegerField()
    count = models.PositiveIntegerField()
    head = models.CharField(max_length=64)

    class Meta:
        ordering = ["checkpoint_id", "appeal_id"]
        indexes = [models.Index(fields=["appeal_id", "checkpoint"])]

    def __str__(self):
        return f"{self.appeal_id}:{self.count}"
