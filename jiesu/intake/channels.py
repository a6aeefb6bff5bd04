# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Channels: API keys, per-channel rate limits and the demo channel list.

API keys
--------
A key looks like ``js_<prefix>_<secret>``: ``prefix`` is 8 random hex digits stored in clear (it
finds the channel without scanning), ``secret`` 32 random bytes (URL-safe base64). Only a keyed
hash of the whole key is stored: HMAC-SHA256 keyed with a value derived from ``SECRET_KEY``
(``salted_hmac``). A slow password hash (argon2, PBKDF2) protects low-entropy passwords against
guessing; a 256-bit random secret cannot be guessed, so slowness would only cost every API call.
The HMAC key means a copy of the database alone does not even let an attacker test candidate
keys offline. Keys issued under an older ``SECRET_KEY`` keep working while that key is listed in
``SECRET_KEY_FALLBACKS``; after that, issue new keys. Comparison is constant-time.

Issuing a key replaces the previous one at once; revoking leaves the channel without a key.
Only machine channels (``is_machine``) get keys, and a key stops working when its channel is
made inactive or no longer a machine channel.

Rate limits
-----------
``check_rate(channel)`` counts a channel's submissions in fixed one-minute windows in Django's
cache. With the default per-process memory cache every process counts on its own; to share the
count between processes or machines, configure a shared cache (Redis, or the database cache
table; see docs/guide/api.md).
"""

from __future__ import annotations

import csv
import hmac
import math
import re
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from jiesu import textcheck
from jiesu.intake.models import Channel
from jiesu.versions import ProcessCopy

KEY_PREFIX = "js"
_HMAC_SALT = "jiesu.intake.channel_key"
_KEY_RE = re.compile(r"^js_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")


class KeyNotAllowed(ValueError):
    """The channel cannot have an API key (it is not a machine channel, or inactive)."""


def _key_hash(raw: str, secret: str | None = None) -> str:
    return salted_hmac(_HMAC_SALT, raw, secret=secret, algorithm="sha256").hexdigest()


def _secrets():
    yield settings.SECRET_KEY
    yield from getattr(settings, "SECRET_KEY_FALLBACKS", ())


def issue_key(channel: Channel) -> str:
    """Give the channel a new API key and return it. It is shown once: only its hash is kept.
    The previous key, if any, stops working at once."""
    if not channel.is_machine:
        raise KeyNotAllowed(
            f"Channel {channel.code} is not a machine channel; mark it as one to give it a key."
        )
    if not channel.active:
        raise KeyNotAllowed(f"Channel {channel.code} is inactive.")
    prefix = secrets.token_hex(4)
    raw = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        Channel.objects.select_for_update().filter(pk=channel.pk).update(
            key_prefix=prefix,
            key_hash=_key_hash(raw),
            key_created_at=timezone.now(),
            key_revoked_at=None,
        )
    channels_changed()
    channel.refresh_from_db(fields=["key_prefix", "key_hash", "key_created_at", "key_revoked_at"])
    return raw


def revoke_key(channel: Channel) -> bool:
    """Revoke the channel's key. Returns False when it had no working key. The prefix stays on
    record (to recognise the revoked key in logs); the hash is erased."""
    with transaction.atomic():
        updated = (
            Channel.objects.select_for_update()
            .filter(pk=channel.pk)
            .exclude(key_hash="")
            .update(key_hash="", key_revoked_at=timezone.now())
        )
    channels_changed()
    channel.refresh_from_db(fields=["key_hash", "key_revoked_at"])
    return bool(updated)


def has_key(channel: Channel) -> bool:
    return bool(channel.key_hash) and channel.key_revoked_at is None


def looks_like_key(raw: str) -> bool:
    return bool(_KEY_RE.match((raw or "").strip()))


def _load_keyed_channels() -> dict[str, list[tuple]]:
    fields = [f.attname for f in Channel._meta.concrete_fields]
    by_prefix: dict[str, list[tuple]] = {}
    for row in Channel.objects.exclude(key_prefix="").values_list(*fields):
        record = dict(zip(fields, row, strict=True))
        by_prefix.setdefault(record["key_prefix"], []).append(row)
    return {"fields": fields, "by_prefix": by_prefix}


def _keyed_channels_fingerprint():
    return tuple(
        Channel.objects.exclude(key_prefix="")
        .order_by("pk")
        .values_list(*[f.attname for f in Channel._meta.concrete_fields])
    )


# Every request of a machine channel authenticates: the channels with keys are kept in each
# process (a handful of rows) and compared with the database at most every KEY_CACHE_SECONDS.
# A key issued or revoked here counts at once; in other processes within that time (ADR 0010).
KEY_CACHE_SECONDS = 2.0
_keyed = ProcessCopy(_load_keyed_channels, _keyed_channels_fingerprint, max_age=KEY_CACHE_SECONDS)


def channels_changed(**kwargs) -> None:
    """A channel was saved or deleted, or its key changed, here (connected in apps.py)."""
    _keyed.forget()


def authenticate_key(raw: str | None) -> Channel | None:
    """The active machine channel whose current key is `raw`, or None."""
    raw = (raw or "").strip()
    match = _KEY_RE.match(raw)
    # Compute the hash even for malformed keys, so that timing says little about the input.
    keyed = _keyed.get()
    rows = keyed["by_prefix"].get(match.group(1), []) if match else []
    candidates = [Channel.from_db(DEFAULT_DB_ALIAS, keyed["fields"], row) for row in rows]
    found = None
    for secret in _secrets():
        digest = _key_hash(raw, secret)
        for channel in candidates:
            if channel.key_hash and hmac.compare_digest(channel.key_hash, digest):
                found = channel
    if found is None or not has_key(found) or not found.active or not found.is_machine:
        return None
    return found


# -- rate limits -----------------------------------------------------------------------------


def check_rate(channel: Channel, now: float | None = None, bucket: str = "submit") -> int | None:
    """Count one request of `channel` in the current minute. Returns None when it is within
    the channel's limit, else the seconds until the next window opens (for Retry-After)."""
    limit = channel.rate_limit_per_minute
    if not limit:
        return None
    now = time.time() if now is None else now
    window = int(now // 60)
    key = f"jiesu:intake:rate:{bucket}:{channel.pk}:{window}"
    cache.add(key, 0, timeout=90)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=90)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * 60 - now))


# -- the demo's channels ---------------------------------------------------------------------

K = Channel.Kind

# Pingshan's real channel mix (events_2018.csv: @坪山 3159, 美丽深圳 1592, 12345 1275,
# 12319 1199, 政府信箱 381, 固话投诉 327) plus the doors the platform adds.
DEMO_CHANNELS: list[dict] = [
    {
        "code": "wechat_pingshan",
        "name": "@坪山 微信公众号",
        "kind": K.WECHAT,
        "is_machine": True,
        "rate_limit_per_minute": 120,
        "allow_video": True,
        "description": "“@坪山”微信公众号随手拍：拍照、定位、提交，占全区诉求一半以上。",
    },
    {
        "code": "beautiful_shenzhen",
        "name": "美丽深圳 APP",
        "kind": K.APP,
        "is_machine": True,
        "rate_limit_per_minute": 60,
        "allow_video": True,
        "description": "深圳市“美丽深圳”公众参与平台转来的市容环境类诉求。",
    },
    {
        "code": "hotline_12345",
        "name": "12345 热线",
        "kind": K.HOTLINE,
        "is_machine": False,
        "rate_limit_per_minute": 0,
        "description": "区 12345 热线座席受理的来电，由受理员录入。",
    },
    {
        "code": "hotline_12319",
        "name": "12319 城建热线",
        "kind": K.HOTLINE,
        "is_machine": True,
        "rate_limit_per_minute": 60,
        "description": "市 12319 城市管理和住房建设服务热线转派的工单。",
    },
    {
        "code": "mailbox",
        "name": "政府信箱",
        "kind": K.MAILBOX,
        "is_machine": False,
        "rate_limit_per_minute": 0,
        "description": "区政府网站“区长信箱/政府信箱”来信，由受理员整理录入。",
    },
    {
        "code": "hotline_landline",
        "name": "固话投诉",
        "kind": K.HOTLINE,
        "is_machine": False,
        "rate_limit_per_minute": 0,
        "description": "指挥中心值班固定电话受理的投诉。",
    },
    {
        # The platform's own citizen pages (/report/): the same code they file under, so the
        # demo has one web channel, not two named alike (issue 9).
        "code": "web",
        "name": "网页随手拍",
        "kind": K.WEB,
        "is_machine": False,
        "rate_limit_per_minute": 30,
        "allow_video": True,
        "description": "本平台的市民随手拍网页（手机优先）。",
    },
    {
        "code": "grid_patrol",
        "name": "网格巡查",
        "kind": K.GRID_PATROL,
        "is_machine": True,
        "rate_limit_per_minute": 300,
        "allow_video": True,
        "description": "网格员巡查终端上报的事件。",
    },
    {
        "code": "urban_management",
        "name": "数字城管",
        "kind": K.URBAN_MANAGEMENT,
        "is_machine": True,
        "rate_limit_per_minute": 300,
        "description": "数字化城市管理系统（信息采集员上报、视频智能识别）推送的案件。",
    },
    {
        "code": "city_12345",
        "name": "市 12345 平台",
        "kind": K.CITY_12345,
        "is_machine": True,
        "rate_limit_per_minute": 120,
        "description": "深圳市 12345 政务服务便民热线平台派发到区的工单。",
    },
]


def ensure_demo_channels() -> list[Channel]:
    """Create the demo channels that do not exist yet (by code); leave existing ones as an
    administrator may have changed them. Returns the channels created."""
    created = []
    with transaction.atomic():
        for order, spec in enumerate(DEMO_CHANNELS, start=1):
            values = {k: v for k, v in spec.items() if k != "code"}
            values["sort_order"] = order * 10
            channel, was_created = Channel.objects.get_or_create(code=spec["code"], defaults=values)
            if was_created:
                created.append(channel)
    return created


# -- importing a channel list ----------------------------------------------------------------

CSV_COLUMNS = ("code", "name", "kind", "is_machine", "rate_limit_per_minute", "description")
REQUIRED_COLUMNS = ("code", "name", "kind")
_TRUE = {"1", "true", "yes", "y", "t", "是", "√"}
_FALSE = {"", "0", "false", "no", "n", "f", "否"}
_CODE_RE = re.compile(r"^[-a-zA-Z0-9_]{1,32}$")
_CONTROL_RE = textcheck.UNSAFE_MULTILINE


class ChannelImportError(ValueError):
    """The file has problems; `problems` lists them as "row N: reason"."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass
class ImportResult:
    created: list[str]
    updated: list[str]
    unchanged: list[str]

    def summary(self) -> str:
        return (
            f"{len(self.created)} channel(s) created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged."
        )


def _read_rows(path) -> list[dict]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in reader.fieldnames or []]
            rows = [
                {(k or "").strip(): v for k, v in row.items() if k is not None}
                | {"__line__": reader.line_num, "__extra__": row.get(None)}
                for row in reader
            ]
    except FileNotFoundError:
        raise ChannelImportError([f"file not found: {path}"]) from None
    except UnicodeDecodeError:
        raise ChannelImportError(
            ["the file is not UTF-8 text; save it as “CSV UTF-8” and try again"]
        ) from None
    except csv.Error as exc:
        raise ChannelImportError([f"not a readable CSV file: {exc}"]) from None
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in CSV_COLUMNS]
    problems = []
    if missing:
        problems.append(f"row 1: missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(
            f"row 1: unknown column(s) {', '.join(unknown)} (expected {', '.join(CSV_COLUMNS)})"
        )
    if problems:
        raise ChannelImportError(problems)
    return header, rows


def _parse_row(row: dict, header, problems: list[str]) -> dict | None:
    line = row["__line__"]
    before = len(problems)
    if row.get("__extra__"):
        problems.append(f"row {line}: more cells than columns in the header")

    def text(name, limit):
        value = (row.get(name) or "").strip()
        if _CONTROL_RE.search(value):
            problems.append(f"row {line}: {name} contains control characters")
        elif len(value) > limit:
            problems.append(f"row {line}: {name} is longer than {limit} characters")
        return value

    code = text("code", 32)
    name = text("name", 100)
    description = text("description", 2000)
    kind = (row.get("kind") or "").strip()
    if not code:
        problems.append(f"row {line}: code is empty")
    elif not _CODE_RE.match(code):
        problems.append(
            f"row {line}: code {code!r} may contain only letters, digits, - and _ (at most 32)"
        )
    if not name:
        problems.append(f"row {line}: name is empty")
    if kind not in Channel.Kind.values:
        problems.append(
            f"row {line}: kind {kind!r} is unknown (one of {', '.join(Channel.Kind.values)})"
        )
    machine_text = (row.get("is_machine") or "").strip().lower()
    if machine_text in _TRUE:
        is_machine = True
    elif machine_text in _FALSE:
        is_machine = False
    else:
        is_machine = None
        problems.append(f"row {line}: is_machine {machine_text!r} is not yes/no (true/false, 1/0)")
    rate_text = (row.get("rate_limit_per_minute") or "").strip()
    rate = None
    if rate_text:
        if re.fullmatch(r"[0-9]{1,7}", rate_text) and int(rate_text) <= 1_000_000:
            rate = int(rate_text)
        else:
            problems.append(
                f"row {line}: rate_limit_per_minute {rate_text!r} is not a whole number "
                "from 0 (no limit) to 1000000"
            )
    if len(problems) > before:
        return None
    values = {"name": name, "kind": kind}
    # Optional columns change a channel only when the file has them.
    if "is_machine" in header:
        values["is_machine"] = is_machine
    if "description" in header:
        values["description"] = description
    if rate is not None:
        values["rate_limit_per_minute"] = rate
    return {"code": code, "line": line, "values": values}


def import_channels(path, *, dry_run: bool = False) -> ImportResult:
    """Create or update channels from a CSV file (columns: CSV_COLUMNS; code, name and kind
    required). The whole file is checked first; if any row is wrong, nothing changes and
    `ChannelImportError` lists every problem with its row. Channels not in the file and the
    API keys of existing channels are left alone."""
    header, rows = _read_rows(path)
    problems: list[str] = []
    parsed = []
    seen: dict[str, int] = {}
    for row in rows:
        item = _parse_row(row, header, problems)
        if item is None:
            continue
        if item["code"] in seen:
            problems.append(
                f"row {item['line']}: code {item['code']!r} already appears in row "
                f"{seen[item['code']]}"
            )
            continue
        seen[item["code"]] = item["line"]
        parsed.append(item)
    if not rows and not problems:
        problems.append("the file has no rows")
    if problems:
        raise ChannelImportError(problems)
    result = ImportResult([], [], [])
    with transaction.atomic():
        existing = {c.code: c for c in Channel.objects.select_for_update().filter(code__in=seen)}
        for item in parsed:
            channel = existing.get(item["code"])
            if channel is None:
                if not dry_run:
                    Channel.objects.create(code=item["code"], **item["values"])
                result.created.append(item["code"])
                continue
            changed = [k for k, v in item["values"].items() if getattr(channel, k) != v]
            if not changed:
                result.unchanged.append(item["code"])
                continue
            for k in changed:
                setattr(channel, k, item["values"][k])
            if not dry_run:
                channel.save(update_fields=changed)
            result.updated.append(item["code"])
    return result
