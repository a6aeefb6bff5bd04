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
- Guessing is rate-limited per client address and per appeal number with the cache: after
  N failed attempts in a window, every attempt is refused until the window ends.
"""

from __future__ import annotations

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
        "number": int(setting("TRACK_MAX_FAILURES_PER_NUMBER", 5)),
    }


def _keys(ip: str, number: str) -> dict[str, str]:
    return {
        "ip": f"jiesu:track-fail:ip:{ip}",
        "number": f"jiesu:track-fail:number:{number.upper()}",
    }


def client_ip(request) -> str:
    """The client's address. Behind a reverse proxy, set JIESU["TRUSTED_PROXY_HOPS"] to the
    number of proxies that append to X-Forwarded-For."""
    hops = int(setting("TRUSTED_PROXY_HOPS", 0))
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def locked_out(ip: str, number: str) -> bool:
    limits = _limits()
    return any((cache.get(key) or 0) >= limits[which] for which, key in _keys(ip, number).items())


def record_failure(ip: str, number: str) -> None:
    for key in _keys(ip, number).values():
        # The window starts with the first failure and is not extended by later ones.
        if not cache.add(key, 1, _window()):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, _window())


def record_success(number: str) -> None:
    cache.delete(_keys("", number)["number"])


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
