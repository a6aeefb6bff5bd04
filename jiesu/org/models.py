# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Organisation: regions, units, staff and their roles.

Regions and units are trees with a materialised path of zero-padded primary keys
(`/0000000001/0000000004/0000000017/`), so that "this node and everything under it" is one
indexed prefix query, and ordering by path lists the tree depth-first on SQLite and on
PostgreSQL whatever the database collation (digits of equal width sort the same everywhere).
"""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _

from jiesu.org import geo
from jiesu.org.roles import Role

PATH_SEGMENT_WIDTH = 10


def path_segment(pk: int) -> str:
    """The path segment of one node: its primary key, zero-padded, followed by a slash."""
    return f"{pk:0{PATH_SEGMENT_WIDTH}d}/"


class TreeNode(models.Model):
    """A node of a shallow tree kept with a materialised path of primary keys.

    `path` and `depth` are maintained by `save()`: moving a node rewrites the paths of its
    whole subtree in one UPDATE. Placing a node under itself or under one of its descendants
    is refused with a ValidationError (by `clean()` for forms, and again by `save()`).
    """

    path = models.CharField(_("tree path"), max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)

    # Each concrete subclass declares a `parent` foreign key to itself.
    parent_id: int | None

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "parent" not in update_fields:
            # A partial save that does not touch the tree leaves the path alone.
            return super().save(*args, **kwargs)
        with transaction.atomic(using=kwargs.get("using")):
            inserted = self.pk is None
            if inserted:
                # The path needs the primary key: insert first, then place the node.
                self.path = ""
                super().save(*args, **kwargs)
                kwargs = {k: v for k, v in kwargs.items() if k != "force_insert"}
                stored_path = None
            else:
                stored_path = (
                    type(self)
                    ._default_manager.filter(pk=self.pk)
                    .values_list("path", flat=True)
                    .first()
                )
            parent_path = self._parent_path()
            self._check_not_own_descendant(parent_path, stored_path)
            self.path = parent_path + path_segment(self.pk)
            self.depth = self.path.count("/") - 2
            if inserted:
                kwargs["update_fields"] = {"path", "depth"}
            elif kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = set(kwargs["update_fields"]) | {"path", "depth"}
            super().save(*args, **kwargs)
            if stored_path and stored_path != self.path:
                # The node moved: rewrite the paths of everything under it in one statement.
                delta = self.depth - (stored_path.count("/") - 2)
                type(self)._default_manager.filter(path__startswith=stored_path).exclude(
                    pk=self.pk
                ).update(
                    path=Concat(
                        models.Value(self.path),
                        Substr("path", len(stored_path) + 1),
                        output_field=models.CharField(),
                    ),
                    depth=models.F("depth") + delta,
                )

    # -- tree maintenance -------------------------------------------------------------------------

    def _parent_path(self) -> str:
        """The parent's current path, read from the database (in-memory copies may be stale)."""
        if not self.parent_id:
            return "/"
        parent_path = (
            type(self)
            ._default_manager.filter(pk=self.parent_id)
            .values_list("path", flat=True)
            .first()
        )
        if parent_path is None:
            raise ValidationError({"parent": _("The parent does not exist.")})
        return parent_path

    def _check_not_own_descendant(self, parent_path: str, stored_path: str | None) -> None:
        if self.pk is None or not self.parent_id:
            return
        if self.parent_id == self.pk or (stored_path and parent_path.startswith(stored_path)):
            raise ValidationError(
                {"parent": _("A node cannot be placed under itself or one of its descendants.")},
                code="tree_cycle",
            )

    def clean(self):
        super().clean()
        if self.pk is not None and self.parent_id:
            stored_path = (
                type(self)
                ._default_manager.filter(pk=self.pk)
                .values_list("path", flat=True)
                .first()
            )
            parent_path = (
                type(self)
                ._default_manager.filter(pk=self.parent_id)
                .values_list("path", flat=True)
                .first()
            ) or ""
            self._check_not_own_descendant(parent_path, stored_path)

    # -- queries -----------------------------------------------------------------------------

    def subtree(self):
        """This node and all its descendants."""
        if not self.path:
            return type(self)._default_manager.filter(pk=self.pk)
        return type(self)._default_manager.filter(path__startswith=self.path)

    def descendants(self):
        """All nodes under this one, excluding itself."""
        return self.subtree().exclude(pk=self.pk)

    def ancestor_ids(self) -> list[int]:
        """Primary keys of the ancestors, root first, excluding this node."""
        return [int(p) for p in self.path.strip("/").split("/")[:-1] if p]

    def ancestors(self):
        """Ancestors from the root down, excluding this node."""
        ids = self.ancestor_ids()
        nodes = {n.pk: n for n in type(self)._default_manager.filter(pk__in=ids)}
        return [nodes[i] for i in ids if i in nodes]

    def is_within(self, other) -> bool:
        """True when this node is `other` or lies under it."""
        return bool(self.path and other.path and self.path.startswith(other.path))


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
    boundary = models.JSONField(
        _("boundary (GeoJSON)"),
        null=True,
        blank=True,
        help_text=_(
            'A GeoJSON Polygon or MultiPolygon in longitude/latitude (WGS84), e.g. {"type": '
            '"Polygon", "coordinates": [[[114.3, 22.7], [114.4, 22.7], [114.4, 22.8], '
            "[114.3, 22.7]]]}. Leave empty for a region without a boundary."
        ),
    )
    # Bounding box of the boundary, kept for a quick indexed pre-filter of point lookups.
    min_lng = models.FloatField(null=True, blank=True, editable=False)
    min_lat = models.FloatField(null=True, blank=True, editable=False)
    max_lng = models.FloatField(null=True, blank=True, editable=False)
    max_lat = models.FloatField(null=True, blank=True, editable=False)
    # Fingerprint of the boundary; point lookups use it to keep their geometry cache fresh.
    boundary_digest = models.CharField(max_length=64, blank=True, editable=False)
    center_lat = models.FloatField(
        _("centre latitude"),
        null=True,
        blank=True,
        help_text=_("Computed from the boundary when there is one (a point inside the area)."),
    )
    center_lng = models.FloatField(
        _("centre longitude"),
        null=True,
        blank=True,
        help_text=_("Computed from the boundary when there is one (a point inside the area)."),
    )
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

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "boundary" in update_fields:
            self._apply_boundary()
            if update_fields is not None:
                kwargs["update_fields"] = set(update_fields) | {
                    "min_lng",
                    "min_lat",
                    "max_lng",
                    "max_lat",
                    "center_lat",
                    "center_lng",
                    "boundary_digest",
                }
        super().save(*args, **kwargs)

    @classmethod
    def level_rank(cls, level) -> int:
        """0 for a district, 1 for a subdistrict, 2 for a community, 3 for a grid cell."""
        return cls.LEVEL_ORDER.index(cls.Level(level))

    @classmethod
    def level_problem(cls, level, parent_level):
        """Why `level` cannot sit under `parent_level` (None for no parent), or None if it can."""
        try:
            rank = cls.level_rank(level)
        except ValueError:
            return _("Unknown level %(level)r.") % {"level": level}
        if parent_level is None:
            if rank != 0:
                return _("Only a district may have no parent region.")
            return None
        if cls.level_rank(parent_level) + 1 != rank:
            if rank == 0:
                return _("A district cannot have a parent region.")
            return _("A %(level)s must be placed under a %(parent)s, not under a %(actual)s.") % {
                "level": cls.Level(level).label,
                "parent": cls.Level(cls.LEVEL_ORDER[rank - 1]).label,
                "actual": cls.Level(parent_level).label,
            }
        return None

    def clean(self):
        super().clean()
        errors = {}
        if self.level in self.Level.values:
            problem = self.level_problem(self.level, self.parent.level if self.parent else None)
            if problem:
                errors["parent"] = problem
            elif self.pk is not None:
                wrong = (
                    Region.objects.filter(parent_id=self.pk)
                    .exclude(level=self._child_level())
                    .first()
                )
                if wrong is not None:
                    errors["level"] = _(
                        "This region has a child %(child)s of level %(child_level)s, which "
                        "cannot sit under a %(level)s."
                    ) % {
                        "child": wrong,
                        "child_level": wrong.get_level_display(),
                        "level": self.get_level_display(),
                    }
        try:
            self._apply_boundary()
        except ValidationError as exc:
            errors["boundary"] = exc.messages
        if errors:
            raise ValidationError(errors)

    def _child_level(self):
        rank = self.level_rank(self.level)
        return self.LEVEL_ORDER[rank + 1] if rank + 1 < len(self.LEVEL_ORDER) else None

    def _apply_boundary(self):
        """Validate and normalise the boundary; fill the bounding box, centre and digest."""
        if self.boundary in (None, "", {}):
            self.boundary = None
            self.min_lng = self.min_lat = self.max_lng = self.max_lat = None
            self.boundary_digest = ""
            return
        geometry = geo.parse_boundary(self.boundary)
        self.boundary = geo.to_geojson(geometry)
        for name, value in geo.derived_fields(geometry).items():
            setattr(self, name, value)
        self.boundary_digest = geo.digest(self.boundary)

    def geometry(self):
        """The boundary as a shapely geometry, or None."""
        return geo.parse_boundary(self.boundary) if self.boundary else None


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

    def clean(self):
        super().clean()
        if self.is_backstop:
            current = Unit.objects.filter(is_backstop=True).exclude(pk=self.pk).first()
            if current is not None:
                raise ValidationError(
                    {
                        "is_backstop": _(
                            "Only one unit may be the district backstop, and %(unit)s "
                            "(%(code)s) already is. Untick it there first, then mark this one."
                        )
                        % {"unit": current.name, "code": current.code}
                    },
                    code="backstop_taken",
                )

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

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self):
        return self.full_name or self.username

    @property
    def role_set(self) -> frozenset[str]:
        """The codes of this user's roles (cached on the instance; see `forget_roles`)."""
        if not hasattr(self, "_role_cache"):
            if self.pk is None:
                return frozenset()
            self._role_cache = frozenset(self.roles.values_list("role", flat=True))
        return self._role_cache

    def forget_roles(self) -> None:
        """Drop the cached roles, e.g. after adding or removing a UserRole."""
        self.__dict__.pop("_role_cache", None)

    def refresh_from_db(self, *args, **kwargs):
        self.forget_roles()
        super().refresh_from_db(*args, **kwargs)

    def has_role(self, role) -> bool:
        return self.is_active and str(role) in self.role_set


class UserRole(models.Model):
    user = models.ForeignKey(
        User, verbose_name=_("staff member"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="org_userrole_unique"),
        ]

    def __str__(self):
        return self.get_role_display()
