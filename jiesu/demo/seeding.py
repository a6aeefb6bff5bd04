# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Load the Pingshan-like demo district (`manage.py seed_demo`).

Everything comes from the committed files in jiesu/demo/data/ (see data/PROVENANCE.md and
docs/demo.md): regions.geojson (approximate demo geometry), units.csv, org.csv (remits),
pingshan_catalogue.csv (the catalogue derived from Pingshan's 2018 events) and the accounts
below. Regions go through the org room's GeoJSON import and the catalogue through the catalogue
room's importer, so the demo is loaded exactly as an administrator would load real data.

Idempotent: records are found by code or username and only written when they differ from the
demo values, so a second run changes nothing (and reports 0 created, 0 updated). Re-running
restores edited demo records to their demo values; it never deletes anything. Passwords are set
only when an account is created (or with reset_passwords=True), so a changed password survives.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models, transaction

from jiesu.catalog.importing import ImportResult, import_catalog
from jiesu.intake.channels import ensure_demo_channels
from jiesu.org import geo
from jiesu.org.models import Region, Unit, User, UserRole
from jiesu.org.regions_io import import_regions
from jiesu.org.roles import Role

DATA = Path(__file__).resolve().parent / "data"
REGIONS_FILE = DATA / "regions.geojson"
UNITS_FILE = DATA / "units.csv"
ORG_FILE = DATA / "org.csv"
CATALOGUE_FILE = DATA / "pingshan_catalogue.csv"

#: The documented password of every demo account (docs/demo.md, README).
DEMO_PASSWORD = "Jiesu@2026"  # noqa: S105  published on purpose, demo data only

BACKSTOP_CODE = "C00"


@dataclass(frozen=True)
class Account:
    username: str
    full_name: str
    role: Role
    unit_code: str
    phone: str
    superuser: bool = False


#: One account per role (plus a second handler in a subdistrict office). Phone numbers are
#: fake (1380000xxxx).
ACCOUNTS = [
    Account("intake", "张晓敏", Role.INTAKE_OPERATOR, "C00", "13800000001"),
    Account("dispatcher", "李建国", Role.DISPATCHER, "C00", "13800000002"),
    Account("handler", "王海峰", Role.UNIT_HANDLER, "D01", "13800000003"),
    Account("leader", "陈志强", Role.UNIT_LEADER, "D01", "13800000004"),
    Account("handler_ps", "刘芳", Role.UNIT_HANDLER, "S01", "13800000005"),
    Account("supervisor", "黄伟", Role.SUPERVISOR, "C00", "13800000006"),
    Account("visitor", "周丽娟", Role.VISIT_AGENT, "C00", "13800000007"),
    Account("analyst", "吴俊杰", Role.ANALYST, "C00", "13800000008"),
    Account("admin", "赵立新", Role.ADMINISTRATOR, "C00", "13800000009", superuser=True),
]


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def __str__(self) -> str:
        return (
            f"{self.total} ({self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged)"
        )


@dataclass
class SeedReport:
    regions: Tally = field(default_factory=Tally)
    units: Tally = field(default_factory=Tally)
    accounts: Tally = field(default_factory=Tally)
    roles: Tally = field(default_factory=Tally)
    passwords_set: int = 0
    channels_created: int = 0
    catalogue: ImportResult | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        tallies = (self.regions, self.units, self.accounts, self.roles)
        catalogue = (
            self.catalogue.changed + self.catalogue.versions_recorded if self.catalogue else 0
        )
        return (
            sum(t.created + t.updated for t in tallies)
            + self.passwords_set
            + self.channels_created
            + catalogue
        )

    def lines(self) -> list[str]:
        lines = [
            f"regions:   {self.regions}",
            f"units:     {self.units}",
            f"channels:  {self.channels_created} created",
            f"accounts:  {self.accounts}; roles {self.roles}; passwords set {self.passwords_set}",
        ]
        if self.catalogue is not None:
            lines.append(f"catalogue: {self.catalogue.summary()}")
        return lines


# -- helpers -------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _stored(obj: models.Model, name: str):
    field_ = obj._meta.get_field(name)
    if field_.is_relation:
        return getattr(obj, field_.attname)
    return getattr(obj, name)


def _wanted(value):
    return value.pk if isinstance(value, models.Model) else value


def upsert(model, lookup: dict, values: dict, tally: Tally):
    """Create the object, or update the fields that differ; count what happened."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.save()
        tally.created += 1
        return obj, True
    changed = [name for name, value in values.items() if _stored(obj, name) != _wanted(value)]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save()
        tally.updated += 1
    else:
        tally.unchanged += 1
    return obj, False


# -- regions -------------------------------------------------------------------------------


def load_region_features() -> list[dict]:
    return json.loads(REGIONS_FILE.read_text(encoding="utf-8"))["features"]


def seed_regions(report: SeedReport) -> None:
    """Create or update the demo regions through the org room's GeoJSON import.

    Only the features that are new or differ from the database are passed on, so that an
    unchanged region is not written again.
    """
    existing = {r.code: r for r in Region.objects.select_related("parent")}
    pending = []
    for feature in load_region_features():
        props = feature["properties"]
        region = existing.get(props["code"])
        boundary = geo.to_geojson(geo.parse_boundary(feature["geometry"]))
        if region is None:
            report.regions.created += 1
        elif (
            region.name,
            region.level,
            region.parent.code if region.parent_id else None,
            region.geometry_note,
            region.active,
            region.boundary,
        ) != (props["name"], props["level"], props["parent_code"], props["note"], True, boundary):
            report.regions.updated += 1
        else:
            report.regions.unchanged += 1
            continue
        pending.append({**feature, "properties": {**props, "active": True}})
    if pending:
        result = import_regions({"type": "FeatureCollection", "features": pending})
        report.warnings.extend(result.warnings)


# -- units ---------------------------------------------------------------------------------


def _remits() -> dict[str, str]:
    return {row["name"]: row["remit"] for row in read_csv(ORG_FILE)}


def seed_units(report: SeedReport) -> dict[str, Unit]:
    remits = _remits()
    regions = {r.code: r for r in Region.objects.all()}
    rows = read_csv(UNITS_FILE)
    backstops = [row["code"] for row in rows if row["is_backstop"] == "yes"]
    if backstops != [BACKSTOP_CODE]:
        raise ValueError(f"units.csv must mark exactly {BACKSTOP_CODE} as the backstop")
    # The demo's backstop is C00: release any other unit first (one backstop at a time).
    for other in Unit.objects.filter(is_backstop=True).exclude(code=BACKSTOP_CODE):
        other.is_backstop = False
        other.save(update_fields=["is_backstop"])
        report.units.updated += 1
    units: dict[str, Unit] = {}
    for row in rows:
        remit = row["remit"] or remits.get(row["name"])
        if not remit:
            raise ValueError(f"units.csv: no remit for {row['code']} and none in org.csv")
        if row["region"] and row["region"] not in regions:
            raise ValueError(f"units.csv: {row['code']} is bound to unknown region {row['region']}")
        values = {
            "name": row["name"],
            "short_name": row["short_name"],
            "kind": Unit.Kind(row["kind"]),
            "parent": units[row["parent"]] if row["parent"] else None,
            "region": regions[row["region"]] if row["region"] else None,
            "is_backstop": row["is_backstop"] == "yes",
            "requires_leader_approval": row["requires_leader_approval"] == "yes",
            "remit": remit,
            "active": True,
        }
        units[row["code"]], _ = upsert(Unit, {"code": row["code"]}, values, report.units)
    return units


# -- accounts ------------------------------------------------------------------------------


def seed_accounts(report: SeedReport, units: dict[str, Unit], reset_passwords: bool) -> None:
    for account in ACCOUNTS:
        values = {
            "full_name": account.full_name,
            "phone": account.phone,
            "unit": units[account.unit_code],
            "is_active": True,
            "is_staff": account.superuser,
            "is_superuser": account.superuser,
        }
        user = User.objects.filter(username=account.username).first()
        if user is None:
            user = User(username=account.username, **values)
            user.set_password(DEMO_PASSWORD)
            user.save()
            report.accounts.created += 1
            report.passwords_set += 1
        else:
            user, _ = upsert(User, {"username": account.username}, values, report.accounts)
            if reset_passwords and not user.check_password(DEMO_PASSWORD):
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                report.passwords_set += 1
        _role, created = UserRole.objects.get_or_create(user=user, role=account.role)
        if created:
            report.roles.created += 1
        else:
            report.roles.unchanged += 1


# -- catalogue -----------------------------------------------------------------------------


def seed_catalogue(report: SeedReport) -> None:
    """Import pingshan_catalogue.csv with the catalogue room's importer (idempotent itself)."""
    report.catalogue = import_catalog(CATALOGUE_FILE)


# -- driver --------------------------------------------------------------------------------


def seed_demo(reset_passwords: bool = False) -> SeedReport:
    """Load (or restore) the demo district in one transaction; see the module docstring."""
    report = SeedReport()
    with transaction.atomic():
        seed_regions(report)
        units = seed_units(report)
        seed_accounts(report, units, reset_passwords)
        seed_catalogue(report)
        report.channels_created = len(ensure_demo_channels())
        seed_reward_programme()
    return report


# -- rewards -------------------------------------------------------------------------------

# The seed district's red packets: 1 to 20 yuan, drawn uniformly, for each complaint from the
# WeChat and web channels that is registered (达到立案要求).
DEMO_PROGRAMME = {
    "channels": ["wechat_pingshan", "web_snap"],
    "types": ["complaint"],
    "trigger": "register",
    "amount": {"kind": "random", "min_fen": 100, "max_fen": 2000, "distribution": "uniform"},
    "daily_count": 200,
    "monthly_budget_fen": 2_000_000,
    "reporter_daily": 2,
    "reporter_monthly": 10,
    "four_eyes_fen": 1500,
    "flags": {"similarity": 0.9},
}


def seed_reward_programme():
    """The demo's reward programme, created once (an administrator's later edits stay)."""
    from jiesu.rewards import programmes
    from jiesu.rewards.models import Programme

    if not Programme.objects.filter(code="pingshan_snap").exists():
        programmes.create("pingshan_snap", "随手拍红包", DEMO_PROGRAMME, priority=10)
