"""Query codes for public tracking: given to the citizen once, stored only as a keyed hash."""

import secrets

from django.utils.crypto import constant_time_compare, salted_hmac

# No 0/O, 1/I/L: easy to read out over the phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 6


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def code_hash(number: str, code: str) -> str:
    normalised = (code or "").strip().upper()
    return salted_hmac("jiesu.appeals.query_code", f"{number}:{normalised}").hexdigest()


def check_code(appeal, code: str) -> bool:
    """True when `code` is the appeal's query code or the last four digits of its phone."""
    code = (code or "").strip()
    if not code:
        return False
    if appeal.query_code_hash and constant_time_compare(
        appeal.query_code_hash, code_hash(appeal.number, code)
    ):
        return True
    phone = appeal.reporter_phone or ""
    return (
        len(code) == 4
        and code.isdigit()
        and len(phone) >= 4
        and constant_time_compare(phone[-4:], code)
    )
