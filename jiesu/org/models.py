"""Organisation: regions, units, staff and their roles.

Regions and units are trees with a materialised path (`/1/4/17/`) so that "this node and
everything under it" is one indexed prefix query on SQLite and PostgreSQL alike.
"""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from jiesu.org.roles import Role


class TreeNode(models.Model):
    """A node of a shallow tree kept with a materialised path of primary keys."""

    path = models.CharField(_("tree path"), max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is None:
            super().save(*args, **kwargs)
            kwargs = {k: v for k, v in kwargs.items() if k not in ("force_insert",)}
            kwargs.pop("update_fields", None)
        old_path = self.path
        parent_path = self.parent.path if self.parent_id else "/"
        self.path = f"{parent_path}{self.pk}/"
        self.depth = self.path.count("/") - 2
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            # The node moved: rewrite the paths of everything under it.
            for child in type(self).objects.filter(path__startswith=old_path).exclude(pk=self.pk):
                child.path = self.path + child.path[len(old_path) :]
                child.depth = child.path.count("/") - 2
                super(TreeNode, child).save(update_fields=["path", "depth"])

    def clean(self):
        super().clean()
        node = self.parent
        while node is not None:
            if self.pk is not None and node.pk == self.pk:
                raise ValidationError({"parent": _("A node cannot be placed under itself.")})
            node = node.parent

    def subtree(self):
        """This node and all its descendants."""
        return type(self).objects.filter(path__startswith=self.path)

    def ancestors(self):
        """Ancestors from the root down, excluding this node."""
        ids = [int(p) for p in self.path.strip("/").split("/")[:-1] if p]
        nodes = {n.pk: n for n in type(self).objects.filter(pk__in=ids)}
        return [nodes[i] for i in ids if i in nodes]


class Region(TreeNode):
    """An area of the district: district 区 > subdistrict 街道 > community 社区 > grid cell 网格."""

    class Level(models.TextChoices):
        DISTRICT = "district", _("District")
        SUBDISTRICT = "subdistrict", _("Subdistrict")
        COMMUNITY = "community", _("Community")
        GRID = "grid", _("Grid cell")

    LEVEL_ORDER = [Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY, Level.GRID]

    code = models.CharField(
        _("code"),
        max_length=32,
        unique=True,
        help_text=_("Official-style statistical code, e.g. 440310001 for a subdistrict."),
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Boundary as a GeoJSON geometry (Polygon or MultiPolygon, WGS84 lng/lat).
    boundary = models.JSONField(_("boundary (GeoJSON)"), null=True, blank=True)
    # Bounding box of the boundary, kept for a quick indexed pre-filter of point lookups.
    min_lng = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lng = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    center_lat = models.FloatField(_("centre latitude"), null=True, blank=True)
    center_lng = models.FloatField(_("centre longitude"), null=True, blank=True)
    geometry_note = models.CharField(
        _("geometry note"),
        max_length=200,
        blank=True,
        help_text=_("Where the boundary comes from, e.g. 'approximate demo geometry'."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]
        indexes = [models.Index(fields=["min_lng", "max_lng", "min_lat", "max_lat"])]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        super().clean()
        order = self.LEVEL_ORDER
        if self.parent is None:
            if self.level != self.Level.DISTRICT:
                raise ValidationError({"parent": _("Only a district may have no parent region.")})
        elif order.index(self.parent.level) + 1 != order.index(self.level):
            raise ValidationError(
                {
                    "parent": _("A %(level)s must be placed under a %(parent)s.")
                    % {
                        "level": self.get_level_display(),
                        "parent": self.Level(order[order.index(self.level) - 1]).label,
                    }
                }
            )


class Unit(TreeNode):
    """A unit that handles appeals: a department, a subdistrict office, a team, a company."""

    class Kind(models.TextChoices):
        CENTRE = "centre", _("Command centre")
        DEPARTMENT = "department", _("Functional department")
        SUBDISTRICT_OFFICE = "subdistrict_office", _("Subdistrict office")
        COMMUNITY = "community", _("Community workstation")
        TEAM = "team", _("Enforcement or service team")
        ENTERPRISE = "enterprise", _("Public-service enterprise")
        OTHER = "other", _("Other")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("bound region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
        help_text=_("The area this unit answers for (属地); used for area routing."),
    )
    is_backstop = models.BooleanField(
        _("district backstop unit"),
        default=False,
        help_text=_("Leads appeals whose owner is unclear (兜底). Only one unit may be it."),
    )
    requires_leader_approval = models.BooleanField(
        _("completions need leader approval"),
        default=False,
        help_text=_("A handler's completion must be approved by a unit leader before it leaves."),
    )
    phone = models.CharField(_("duty phone"), max_length=32, blank=True)
    remit = models.TextField(_("remit"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_backstop"],
                condition=models.Q(is_backstop=True),
                name="org_unit_single_backstop",
                violation_error_message=_("Only one unit may be the district backstop."),
            )
        ]

    def __str__(self):
        return self.short_name or self.name

    @classmethod
    def backstop(cls):
        """The district backstop unit (兜底单位), or None if none is configured."""
        return cls.objects.filter(is_backstop=True, active=True).first()


class User(AbstractUser):
    """A staff member. Citizens are not users; they are reporters on appeals."""

    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self):
        return self.full_name or self.username

    @property
    def role_set(self) -> frozenset[str]:
        """The codes of this user's roles (cached on the instance)."""
        if not hasattr(self, "_role_cache"):
            self._role_cache = frozenset(self.roles.values_list("role", flat=True))
        return self._role_cache

    def has_role(self, role) -> bool:
        return self.is_active and str(role) in self.role_set


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="org_userrole_unique"),
        ]

    def __str__(self):
        return self.get_role_display()
