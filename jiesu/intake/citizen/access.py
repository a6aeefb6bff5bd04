# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Who may see what on the citizen pages, without accounts.

- Form tokens: the 随手拍 form carries a signed random token; its random part is the
  submission's idempotency key, so a double submit files one appeal.
- Receipts: the number and the query code of a new appeal, kept in the cache under the
  form's key for a short while, so that the confirmation page shows the code once — even when a
  double click made the browser show the second response.
- Tracking grants: after a citizen proves they know an appeal's query code (or the phone's
  last four digits), the session remembers a proof for that appeal. The proof is a keyed hash
  of the appeal's current code hash and phone, so each later request re-checks it: a changed
  code or phone ends the access. Grants expire.
- Guessing is rate-limited per guesser, never per appeal (a lock on an appeal would let
  anyone lock its citizen out): per client address and per network (IPv4 /24, IPv6 /64), in the
  shared cache. After N failed attempts in a window, that client's (or network's) attempts are
  refused until the window ends. The phone's last four digits are a small space (10**4): after
  a few failures on one appeal number from anywhere, the last-four option is switched off for
  that appeal for the window (the query code still works). See docs/adr/0007.
"""

from __future__ import annotations

import ipaddress
import secrets
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac

FORM_SALT = "jiesu.intake.citizen.form"
GRANTS_KEY = "jiesu_citizen_tracking"
UPLOADS_KEY = "jiesu_citizen_uploads"


def setting(name, default):
    return getattr(settings, "JIESU", {}).get(name, default)


# -- form tokens and receipts ------------------------------------------------------------------


def new_form_token() -> str:
    return signing.dumps(secrets.token_hex(16), salt=FORM_SALT, compress=False)


def form_key(token: str, max_age: int | None = None) -> str | None:
    """The idempotency key inside a form token, or None when the token is forged or expired."""
    if max_age is None:
        max_age = int(setting("CITIZEN_FORM_MAX_AGE", 24 * 3600))
    try:
        key = signing.loads(token or "", salt=FORM_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    if not isinstance(key, str) or len(key) != 32:
        return None
    return f"web-form:{key}"


def _receipt_key(key: str) -> str:
    return f"jiesu:citizen:receipt:{key}"


def keep_receipt(key: str, number: str, code: str | None) -> None:
    cache.set(
        _receipt_key(key),
        {"number": number, "code": code},
        int(setting("CITIZEN_RECEIPT_SECONDS", 3600)),
    )


def take_code(key: str, number: str) -> str | None:
    """The query code for this submission, once: it is forgotten as it is handed out."""
    receipt = cache.get(_receipt_key(key))
    if not receipt or receipt.get("number") != number or not receipt.get("code"):
        return None
    cache.set(
        _receipt_key(key),
        {"number": number, "code": None},
        int(setting("CITIZEN_RECEIPT_SECONDS", 3600)),
    )
    return receipt["code"]


# -- tracking grants ---------------------------------------------------------------------------


def _proof(appeal) -> str:
    return salted_hmac(
        "jiesu.intake.citizen.grant",
        f"{appeal.pk}:{appeal.number}:{appeal.query_code_hash}:{appeal.reporter_phone}",
    ).hexdigest()


def grant(session, appeal) -> None:
    grants = dict(session.get(GRANTS_KEY) or {})
    grants[appeal.number] = {"proof": _proof(appeal), "at": int(time.time())}
    # Keep the session small: the 20 most recent appeals.
    if len(grants) > 20:
        for number in sorted(grants, key=lambda n: grants[n]["at"])[:-20]:
            grants.pop(number)
    session[GRANTS_KEY] = grants


def granted(session, appeal) -> bool:
    entry = (session.get(GRANTS_KEY) or {}).get(appeal.number)
    if not entry:
        return False
    max_age = int(setting("CITIZEN_TRACKING_HOURS", 12)) * 3600
    if time.time() - entry.get("at", 0) > max_age:
        return False
    return constant_time_compare(entry.get("proof", ""), _proof(appeal))


# -- rate limiting -----------------------------------------------------------------------------


def _window() -> int:
    return int(setting("TRACK_WINDOW_SECONDS", 15 * 60))


def _limits() -> dict[str, int]:
    return {
        "ip": int(setting("TRACK_MAX_FAILURES_PER_IP", 20)),
        "network": int(setting("TRACK_MAX_FAILURES_PER_NETWORK", 100)),
    }


def network_of(ip: str) -> str:
    """The client's network: /24 for IPv4, /64 for IPv6 (one household or one provider's
    customer), or the address itself when it cannot be parsed."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def _keys(ip: str) -> dict[str, str]:
    return {
        "ip": f"jiesu:track-fail:ip:{ip}",
        "network": f"jiesu:track-fail:net:{network_of(ip)}",
    }


def _last_four_key(number: str) -> str:
    return f"jiesu:track-fail:last4:{number.upper()}"


def locked_out(ip: str) -> bool:
    """Has this client, or its network, used up its failed attempts for the window?"""
    limits = _limits()
    return any((cache.get(key) or 0) >= limits[which] for which, key in _keys(ip).items())


def last_four_allowed(number: str) -> bool:
    limit = int(setting("TRACK_MAX_LAST_FOUR_FAILURES_PER_NUMBER", 5))
    return (cache.get(_last_four_key(number)) or 0) < limit


def _increment(key: str, by: int, timeout: int) -> int:
    """Add `by` to a counter in the shared cache and return the new count. The window starts
    with the first event and is not extended by later ones."""
    if cache.add(key, by, timeout):
        return by
    try:
        return cache.incr(key, by)
    except ValueError:  # expired between add and incr
        cache.add(key, by, timeout)
        return by


def record_failure(ip: str, number: str, *, last_four: bool) -> None:
    for key in _keys(ip).values():
        _increment(key, 1, _window())
    if last_four:
        _increment(_last_four_key(number), 1, _window())


# -- the 随手拍 form: throttles and upload caps ---------------------------------------------------


def report_throttled(ip: str) -> int | None:
    """Count one sending of the citizen form by this client (and its network). None when
    within the limits, else the seconds to wait (for the message and Retry-After)."""
    window = int(setting("CITIZEN_REPORT_WINDOW_SECONDS", 600))
    bucket = int(time.time() // window)
    limits = (
        (f"jiesu:report:ip:{ip}:{bucket}", int(setting("CITIZEN_REPORTS_PER_CLIENT", 10))),
        (
            f"jiesu:report:net:{network_of(ip)}:{bucket}",
            int(setting("CITIZEN_REPORTS_PER_NETWORK", 50)),
        ),
    )
    over = [_increment(key, 1, window + 60) > limit for key, limit in limits]
    if any(over):
        return max(1, int((bucket + 1) * window - time.time()))
    return None


def uploads_allowed(ip: str, count: int) -> bool:
    """May this client leave `count` more photos pending (uploaded, not yet filed)? Checked
    per client per hour and against the total of pending uploads of every citizen."""
    if count <= 0:
        return True
    from jiesu.appeals.models import Attachment

    total = Attachment.objects.filter(
        appeal__isnull=True, purpose=Attachment.Purpose.REPORT
    ).count()
    if total + count > int(setting("CITIZEN_MAX_PENDING_UPLOADS", 2000)):
        return False
    key = f"jiesu:report:uploads:{ip}:{int(time.time() // 3600)}"
    limit = int(setting("CITIZEN_UPLOADS_PER_CLIENT_PER_HOUR", 40))
    if _increment(key, count, 3700) > limit:
        cache.decr(key, count)
        return False
    return True


# -- uploads kept between two tries of the form ------------------------------------------------


def pending_uploads(session, key: str) -> list[int]:
    return list((session.get(UPLOADS_KEY) or {}).get(key, []))


def set_pending_uploads(session, key: str, ids: list[int]) -> None:
    uploads = dict(session.get(UPLOADS_KEY) or {})
    if ids:
        uploads[key] = list(ids)
    else:
        uploads.pop(key, None)
    # A session keeps the uploads of its 5 most recent forms.
    session[UPLOADS_KEY] = dict(list(uploads.items())[-5:])


def may_see_upload(session, attachment_id: int) -> bool:
    return any(attachment_id in ids for ids in (session.get(UPLOADS_KEY) or {}).values())
