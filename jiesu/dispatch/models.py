# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The dispatch room's records: model versions, routing rules, auto-dispatch policies, the
triage of each new appeal, dispatchers' overrides, routing proposals, duplicate signatures and
the knowledge base."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiesu.appeals.models import Appeal
from jiesu.catalog.models import AppealType, Category, Grade
from jiesu.dispatch.bounds import share_low
from jiesu.org.models import Region, Unit


class ModelVersion(models.Model):
    """A trained model (classifier or routing table): its bytes, digest and measured figures.

    One version per kind is active; workers load the active one and reload it when another is
    activated (`jiesu.dispatch.registry`). The bytes are checked against `sha256` before use.
    """

    class Kind(models.TextChoices):
        CATEGORY = "category", _("Category classifier")
        TYPE = "type", _("Appeal type classifier")
        ROUTING = "routing", _("Routing learned from history")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    number = models.PositiveIntegerField(_("version"))
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("size in bytes"))
    data = models.BinaryField(editable=False)
    meta = models.JSONField(_("figures and parameters"), default=dict)
    source = models.CharField(_("trained on"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        ordering = ["kind", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "number"], name="dispatch_model_number"),
            models.UniqueConstraint(
                fields=["kind"], condition=models.Q(active=True), name="dispatch_one_active_model"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} v{self.number}"

    @property
    def label(self) -> str:
        return f"{self.kind}-v{self.number}"


class RoutingRule(models.Model):
    """An ordered routing rule: the first active rule whose conditions all hold decides the lead
    (and assisting) units. Empty conditions hold for every appeal."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("category (any level)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    appeal_type = models.ForeignKey(
        AppealType, verbose_name=_("type"), null=True, blank=True, on_delete=models.PROTECT
    )
    grade = models.ForeignKey(
        Grade, verbose_name=_("grade"), null=True, blank=True, on_delete=models.PROTECT
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region (and everything in it)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    channel = models.CharField(_("channel code"), max_length=32, blank=True)
    keywords = models.CharField(
        _("keywords"),
        max_length=300,
        blank=True,
        help_text=_("Any of these words in the title or text (separated by commas)."),
    )
    hour_from = models.PositiveSmallIntegerField(
        _("from hour"), null=True, blank=True, help_text=_("0-23; with 'to hour', a time window.")
    )
    hour_to = models.PositiveSmallIntegerField(
        _("to hour"), null=True, blank=True, help_text=_("Exclusive; may wrap past midnight.")
    )
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="+"
    )
    assisting_units = models.ManyToManyField(
        Unit, verbose_name=_("assisting units"), blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "id"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        for name in ("hour_from", "hour_to"):
            value = getattr(self, name)
            if value is not None and value > 23:
                raise ValidationError({name: _("An hour is 0 to 23.")})
        if (self.hour_from is None) != (self.hour_to is None):
            raise ValidationError({"hour_to": _("Give both hours of the window, or neither.")})

    def keyword_list(self) -> list[str]:
        import re

        return [k.strip() for k in re.split(r"[,;，；、\s]+", self.keywords) if k.strip()]


class CategoryPolicy(models.Model):
    """Per category (any level; the most specific one applies): whether confident appeals are
    dispatched automatically, above which confidence, and the duplicate search radius/window."""

    category = models.OneToOneField(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="+"
    )
    auto_dispatch = models.BooleanField(_("auto-dispatch"), default=True)
    threshold = models.FloatField(
        _("confidence threshold"),
        null=True,
        blank=True,
        help_text=_("0-1; empty: the district default."),
    )
    duplicate_radius_m = models.PositiveIntegerField(
        _("duplicate radius (m)"), null=True, blank=True
    )
    duplicate_window_days = models.PositiveIntegerField(
        _("duplicate window (days)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("category dispatch policy")
        verbose_name_plural = _("category dispatch policies")

    def __str__(self):
        return str(self.category)

    def clean(self):
        super().clean()
        if self.threshold is not None and not (0 < self.threshold <= 1):
            raise ValidationError({"threshold": _("A threshold lies between 0 and 1.")})


class ChannelPolicy(models.Model):
    """Auto-dispatch switched on or off for appeals from one channel."""

    channel = models.CharField(_("channel code"), max_length=32, unique=True)
    auto_dispatch = models.BooleanField(_("auto-dispatch"), default=True)

    class Meta:
        verbose_name = _("channel dispatch policy")
        verbose_name_plural = _("channel dispatch policies")

    def __str__(self):
        return self.channel


class Triage(models.Model):
    """What the dispatch room proposed for a new appeal, and whether it acted on it."""

    class Outcome(models.TextChoices):
        AUTO = "auto", _("Dispatched automatically")
        QUEUED = "queued", _("Waiting for a person")
        FAILED = "failed", _("Automatic dispatch refused")

    appeal = models.OneToOneField(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="triage"
    )
    created_at = models.DateTimeField(_("created at"))
    model = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggestions = models.JSONField(_("suggestions"), default=dict)
    confidence = models.FloatField(_("confidence"), null=True, blank=True)
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    # Not "outcome": that msgid is the return visit's (回访结果).
    outcome = models.CharField(_("dispatch outcome"), max_length=8, choices=Outcome.choices)
    reason = models.CharField(_("why"), max_length=300, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("suggested lead"), null=True, blank=True, on_delete=models.SET_NULL
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("suggested category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("triage")
        verbose_name_plural = _("triages")
        indexes = [models.Index(fields=["outcome", "created_at"])]

    def __str__(self):
        return f"{self.appeal} {self.outcome}"


class Override(models.Model):
    """A dispatcher chose another unit (or category) than the one suggested, and why."""

    class Reason(models.TextChoices):
        WRONG_CATEGORY = "wrong_category", _("The category was wrong")
        AREA = "area", _("Another area's unit is responsible")
        REMIT = "remit", _("Outside the suggested unit's remit")
        JOINT = "joint", _("Needs a unit that coordinates several")
        INSTRUCTION = "instruction", _("Instruction from a leader or a plan")
        OTHER = "other", _("Other")

    appeal = models.ForeignKey(
        Appeal, verbose_name=_("appeal"), on_delete=models.CASCADE, related_name="+"
    )
    suggested_unit = models.ForeignKey(
        Unit,
        verbose_name=_("suggested lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    chosen_unit = models.ForeignKey(
        Unit, verbose_name=_("chosen lead"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("dispatch override")
        verbose_name_plural = _("dispatch overrides")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.appeal} -> {self.chosen_unit}"


class RoutingProposal(models.Model):
    """A handling-rule lead proposed from history, for an administrator to accept or dismiss."""

    class Mode(models.TextChoices):
        FIXED = "fixed", _("Fixed unit")
        AREA = "area", _("By area (属地)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DISMISSED = "dismissed", _("Dismissed")

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    mode = models.CharField(_("mode"), max_length=6, choices=Mode.choices)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    support = models.PositiveIntegerField(_("past appeals"))
    share = models.FloatField(_("share handled so"))
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    source = models.CharField(_("learned from"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    model = models.ForeignKey(ModelVersion, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("routing proposal")
        verbose_name_plural = _("routing proposals")
        ordering = ["status", "-support"]

    def __str__(self):
        return f"{self.category}: {self.unit or self.get_mode_display()}"

    @property
    def share_low(self) -> float | None:
        """The share the proposal's past appeals show with 95% confidence (ADR 0035): three of
        five measures 0.6 but shows only 0.23."""
        return share_low(round(self.share * self.support), self.support)


class AppealSignature(models.Model):
    """The text signature, place and time of an open appeal (removed when it is finished): what
    the duplicate finder searches (`jiesu.dispatch.duplicates`). Place, category and phone are
    copied here so that scoring a candidate needs no join."""

    appeal = models.OneToOneField(
        Appeal, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    minhash = models.BinaryField()
    # The H3 cell (resolution 10, about 76 m edges) of the appeal's point, as an integer: the
    # cells within a radius are a few integer ranges, so the place search is an index range scan.
    cell = models.BigIntegerField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A 63-bit digest of the reporter's phone digits (never the number itself).
    phone_key = models.BigIntegerField(null=True, blank=True)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            # Covering (PostgreSQL): the place search reads the index only, not the table,
            # so the rows of a crowded disc cost no random reads.
            models.Index(
                fields=["cell", "received_at"],
                include=["minhash", "lat", "lng", "region", "category", "phone_key"],
                name="dispatch_sig_cell_time",
            ),
            models.Index(fields=["phone_key", "received_at"], name="dispatch_sig_phone_time"),
        ]

    def __str__(self):
        return str(self.appeal_id)


class DuplicateShortlist(models.Model):
    """The likely duplicates last found for an appeal (ADR 0036): the ids of the best candidates
    of a full search, kept for a few minutes so that the intake desk, viewed again and again,
    rescores a few rows instead of searching every open appeal on each view. Valid only for
    the same search (`inputs`: a digest of the appeal's text signature, point, area, phone,
    category, radius and window) and while younger than `DUPLICATE_SHORTLIST_SECONDS`."""

    appeal = models.OneToOneField(
        Appeal, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    inputs = models.CharField(max_length=32)
    candidates = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    def __str__(self):
        return str(self.appeal_id)


class SignatureBand(models.Model):
    """One locality-sensitive band key of an open appeal's text signature."""

    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="+")
    key = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["key", "appeal"], name="dispatch_band_key")]

    def __str__(self):
        return f"{self.appeal_id}:{self.key}"


class KnowledgeEntry(models.Model):
    """A past question and the official answer (知识库): similar-case help for handlers and
    one-click answers for consultations at the intake desk."""

    title = models.CharField(_("title"), max_length=200)
    question = models.TextField(_("question"))
    answer = models.TextField(_("answer"))
    answered_at = models.DateField(_("answered on"), null=True, blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(_("source"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("knowledge-base entry")
        verbose_name_plural = _("knowledge base")

    def __str__(self):
        return self.title
