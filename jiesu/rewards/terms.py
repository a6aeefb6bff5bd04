# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The terms of a reward programme: what qualifies, how much, the limits, the fraud checks.

Terms are a plain dict (stored in `ProgrammeVersion.terms`). `normalise` fills defaults and
checks every value, raising `TermsError` with errors per field in the user's language;
everything else reads normalised terms only.

    {
      "channels": ["wechat_pingshan", "web_snap"],   # channel codes; [] = every channel
      "types": ["complaint"],                         # appeal type codes; [] = every type
      "categories": [],                               # category codes at any level; [] = all
      "trigger": "register",                          # or "close_confirmed"
      "amount": {"kind": "random", "min_fen": 100, "max_fen": 2000,
                 "distribution": "uniform"},          # see below
      "daily_count": 200,                             # rewards per day (null: no limit)
      "monthly_budget_fen": 1000000,                  # allocated automatically each month
      "reporter_daily": 1, "reporter_monthly": 5,     # rewards per reporter (null: no cap)
      "exclude_staff": true, "exclude_anonymous": true,
      "valid_from": "2026-01-01", "valid_until": null,
      "four_eyes_fen": 1000,                          # held rewards from this amount: 2 checks
      "flags": {"window_days": 30, "phone": 3, "payee": 3, "device": 3,
                "burst_count": 5, "burst_metres": 200, "burst_hours": 24,
                "similarity": 0.8}
    }

Amounts, always integer fen:
- fixed: {"kind": "fixed", "fen": 500}
- tiers: {"kind": "tiers", "by": "grade", "tiers": {"A": 2000, "B": 1000, "C": 500}} or
  {"kind": "tiers", "by": "quality", "tiers": {"0": 200, "1": 500, "2": 1000, "3": 2000}}
  (quality: one point each for a photo, a map point, a description of 30 characters or more)
- random: {"kind": "random", "min_fen": 100, "max_fen": 2000, "distribution": "uniform"} or
  "distribution": "triangular" with "mode_fen". The draw is a keyed hash of the programme,
  its version and the appeal number: the same appeal always draws the same amount, and nobody
  can choose it. `mean_fen` states the distribution's mean.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import date

from django.conf import settings
from django.utils.translation import gettext as _

TRIGGERS = ("register", "close_confirmed")
DISTRIBUTIONS = ("uniform", "triangular")
QUALITY_MIN_DESCRIPTION = 30

DEFAULT_FLAGS = {
    "window_days": 30,
    "phone": 3,
    "payee": 3,
    "device": 3,
    "burst_count": 5,
    "burst_metres": 200,
    "burst_hours": 24,
    "similarity": 0.8,
}

DEFAULTS = {
    "channels": [],
    "types": [],
    "categories": [],
    "trigger": "register",
    "amount": {"kind": "fixed", "fen": 500},
    "daily_count": None,
    "monthly_budget_fen": 0,
    "reporter_daily": None,
    "reporter_monthly": None,
    "exclude_staff": True,
    "exclude_anonymous": True,
    "valid_from": None,
    "valid_until": None,
    "four_eyes_fen": 1000,
    "flags": DEFAULT_FLAGS,
}

# The largest single reward (200 yuan): a typo must not pay a fortune.
MAX_AMOUNT_FEN = 20000


class TermsError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


def _int(value, field, errors, *, minimum=0, maximum=None, optional=False):
    if value is None or value == "":
        if optional:
            return None
        errors.setdefault(field, []).append(_("This value is required."))
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        errors.setdefault(field, []).append(_("Enter a whole number."))
        return None
    try:
        number = int(value)
    except ValueError:
        errors.setdefault(field, []).append(_("Enter a whole number."))
        return None
    if number < minimum or (maximum is not None and number > maximum):
        if maximum is None:
            message = _("Enter a number of at least %(min)d.") % {"min": minimum}
        else:
            message = _("Enter a number from %(min)d to %(max)d.") % {
                "min": minimum,
                "max": maximum,
            }
        errors.setdefault(field, []).append(message)
        return None
    return number


def _codes(value, field, errors) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.replace("，", ",").replace("\n", ",").split(",")
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors.setdefault(field, []).append(_("Give a list of codes."))
        return []
    return sorted({v.strip() for v in value if v.strip()})


def _date(value, field, errors):
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        errors.setdefault(field, []).append(_("Enter a date as YYYY-MM-DD."))
        return None


def _amount(value, errors) -> dict:
    if not isinstance(value, dict):
        errors.setdefault("amount", []).append(_("Choose how the amount is set."))
        return {}
    kind = value.get("kind")
    top = MAX_AMOUNT_FEN
    if kind == "fixed":
        return {
            "kind": "fixed",
            "fen": _int(value.get("fen"), "amount", errors, minimum=1, maximum=top),
        }
    if kind == "tiers":
        by = value.get("by")
        if by not in ("grade", "quality"):
            errors.setdefault("amount", []).append(_("Tiers go by grade or by quality."))
            return {}
        tiers = value.get("tiers")
        if not isinstance(tiers, dict) or not tiers:
            errors.setdefault("amount", []).append(_("Give the amount of each tier."))
            return {}
        if by == "quality" and not set(tiers) <= {"0", "1", "2", "3"}:
            errors.setdefault("amount", []).append(_("Quality tiers are 0, 1, 2 and 3."))
            return {}
        clean = {
            str(k): _int(v, "amount", errors, minimum=0, maximum=top) for k, v in tiers.items()
        }
        return {"kind": "tiers", "by": by, "tiers": clean}
    if kind == "random":
        low = _int(value.get("min_fen"), "amount", errors, minimum=1, maximum=top)
        high = _int(value.get("max_fen"), "amount", errors, minimum=1, maximum=top)
        distribution = value.get("distribution") or "uniform"
        if distribution not in DISTRIBUTIONS:
            errors.setdefault("amount", []).append(_("Unknown distribution."))
            return {}
        result = {"kind": "random", "min_fen": low, "max_fen": high, "distribution": distribution}
        if low is not None and high is not None and low > high:
            errors.setdefault("amount", []).append(
                _("The smallest amount must not exceed the largest.")
            )
        if distribution == "triangular":
            mode = _int(value.get("mode_fen"), "amount", errors, minimum=1, maximum=top)
            if (
                mode is not None
                and low is not None
                and high is not None
                and not low <= mode <= high
            ):
                errors.setdefault("amount", []).append(
                    _("The most frequent amount must lie between the smallest and the largest.")
                )
            result["mode_fen"] = mode
        return result
    errors.setdefault("amount", []).append(_("Choose how the amount is set."))
    return {}


def normalise(raw: dict) -> dict:
    """The terms with defaults filled in and every value checked (TermsError if any is bad)."""
    if not isinstance(raw, dict):
        raise TermsError({"terms": [_("The terms must be an object.")]})
    errors: dict[str, list[str]] = {}
    unknown = set(raw) - set(DEFAULTS)
    if unknown:
        errors["terms"] = [
            _("Unknown settings: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        ]
    t = {**DEFAULTS, **raw}
    out = {
        "channels": _codes(t["channels"], "channels", errors),
        "types": _codes(t["types"], "types", errors),
        "categories": _codes(t["categories"], "categories", errors),
        "trigger": t["trigger"],
        "amount": _amount(t["amount"], errors),
        "daily_count": _int(t["daily_count"], "daily_count", errors, minimum=1, optional=True),
        "monthly_budget_fen": _int(t["monthly_budget_fen"], "monthly_budget_fen", errors),
        "reporter_daily": _int(
            t["reporter_daily"], "reporter_daily", errors, minimum=1, optional=True
        ),
        "reporter_monthly": _int(
            t["reporter_monthly"], "reporter_monthly", errors, minimum=1, optional=True
        ),
        "exclude_staff": bool(t["exclude_staff"]),
        "exclude_anonymous": bool(t["exclude_anonymous"]),
        "valid_from": _date(t["valid_from"], "valid_from", errors),
        "valid_until": _date(t["valid_until"], "valid_until", errors),
        "four_eyes_fen": _int(t["four_eyes_fen"], "four_eyes_fen", errors, minimum=1),
    }
    if out["trigger"] not in TRIGGERS:
        errors.setdefault("trigger", []).append(_("Choose when a report qualifies."))
    if out["valid_from"] and out["valid_until"] and out["valid_from"] > out["valid_until"]:
        errors.setdefault("valid_until", []).append(_("The end lies before the start."))
    flags_raw = t["flags"] if isinstance(t["flags"], dict) else {}
    flags = {**DEFAULT_FLAGS, **flags_raw}
    clean_flags = {}
    for key, default in DEFAULT_FLAGS.items():
        if key == "similarity":
            try:
                value = float(flags[key])
            except (TypeError, ValueError):
                value = math.nan
            if not 0.1 <= value <= 1.0:
                errors.setdefault("flags", []).append(
                    _("The similarity threshold lies between 0.1 and 1.")
                )
                value = default
            clean_flags[key] = value
        else:
            clean_flags[key] = _int(flags[key], "flags", errors, minimum=1)
    out["flags"] = clean_flags
    if errors:
        raise TermsError(errors)
    return out


# -- amounts -----------------------------------------------------------------------------------


def quality_score(appeal) -> int:
    """One point each for a photo, a map point and a description of 30 characters or more."""
    photos = appeal.attachments.filter(purpose="report").exists()
    point = appeal.lat is not None and appeal.lng is not None
    text = len((appeal.description or "").strip()) >= QUALITY_MIN_DESCRIPTION
    return int(photos) + int(point) + int(text)


def draw(key: str) -> float:
    """A number in [0, 1) from a keyed hash of `key`: fixed for the key, unpredictable without
    the site's secret key."""
    digest = hmac.new(settings.SECRET_KEY.encode(), key.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def amount_for(terms: dict, appeal, draw_key: str) -> int:
    """The reward in fen for `appeal` under `terms` (0: the tier pays nothing)."""
    amount = terms["amount"]
    kind = amount["kind"]
    if kind == "fixed":
        return amount["fen"]
    if kind == "tiers":
        if amount["by"] == "grade":
            key = appeal.grade.code if appeal.grade_id else ""
        else:
            key = str(quality_score(appeal))
        return int(amount["tiers"].get(key) or 0)
    low, high = amount["min_fen"], amount["max_fen"]
    u = draw(draw_key)
    if amount["distribution"] == "uniform":
        # Every whole fen from low to high equally likely.
        return low + min(int(u * (high - low + 1)), high - low)
    mode = amount["mode_fen"]
    if high == low:
        return low
    # Inverse CDF of the triangular distribution, rounded to the fen.
    split = (mode - low) / (high - low)
    if u < split:
        value = low + math.sqrt(u * (high - low) * (mode - low))
    else:
        value = high - math.sqrt((1 - u) * (high - low) * (high - mode))
    return max(low, min(high, round(value)))


def mean_fen(terms: dict) -> float | None:
    """The stated mean of a random amount (None for fixed and tiered amounts)."""
    amount = terms["amount"]
    if amount.get("kind") != "random":
        return None
    if amount["distribution"] == "uniform":
        return (amount["min_fen"] + amount["max_fen"]) / 2
    return (amount["min_fen"] + amount["max_fen"] + amount["mode_fen"]) / 3


def largest_fen(terms: dict) -> int:
    amount = terms["amount"]
    if amount["kind"] == "fixed":
        return amount["fen"]
    if amount["kind"] == "tiers":
        return max(amount["tiers"].values() or [0])
    return amount["max_fen"]
