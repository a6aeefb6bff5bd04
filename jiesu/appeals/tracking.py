# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Query codes for public tracking: given to the citizen once, stored only as a keyed hash.

A code is 8 characters from a 31-letter alphabet: 31**8 ≈ 8.5e11 values. Under the tracking
throttle (docs/adr/0007-guessing-and-lockouts.md) a guesser gets at most a few thousand tries a
day per network, so the chance of hitting one appeal's code is below one in 10**8 a day.
Codes issued before (6 characters) keep working: a code is compared through its hash, whatever
its length. Citizens may type the code with spaces or a dash between the groups (ABCD-EFGH).
"""

import re
import secrets

from django.utils.crypto import constant_time_compare, salted_hmac

# No 0/O, 1/I/L: easy to read out over the phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
_SEPARATORS = re.compile(r"[\s\-]+")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(code: str) -> str:
    return _SEPARATORS.sub("", (code or "").strip()).upper()


def code_hash(number: str, code: str) -> str:
    """The stored form of a query code bound to the appeal's number (SQLite filings, bulk
    loads, and every appeal filed before ADR 0032)."""
    return salted_hmac("jiesu.appeals.query_code", f"{number}:{normalise(code)}").hexdigest()


#: Marks a query-code hash bound to the appeal's id instead of its number.
BY_ID = "2:"


def code_hash_by_id(appeal_id: int, code: str) -> str:
    """The stored form of a query code bound to the appeal's id: on PostgreSQL the number is
    drawn by the statement that writes the appeal, after this hash is computed (ADR 0032)."""
    digest = salted_hmac("jiesu.appeals.query_code.id", f"{appeal_id}:{normalise(code)}")
    return BY_ID + digest.hexdigest()


def _expected(appeal, code: str) -> str:
    if appeal.query_code_hash.startswith(BY_ID):
        return code_hash_by_id(appeal.pk, code)
    return code_hash(appeal.number, code)


def is_last_four(code: str) -> bool:
    code = normalise(code)
    return len(code) == 4 and code.isdigit()


def check_code(appeal, code: str, *, allow_last_four: bool = True) -> bool:
    """True when `code` is the appeal's query code or (when allowed) the last four digits of
    its phone. The caller throttles the guesser; the last four digits are only ever tried
    together with the appeal's number."""
    code = normalise(code)
    if not code:
        return False
    if appeal.query_code_hash and constant_time_compare(
        appeal.query_code_hash, _expected(appeal, code)
    ):
        return True
    phone = appeal.reporter_phone or ""
    return (
        allow_last_four
        and is_last_four(code)
        and len(phone) >= 4
        and constant_time_compare(phone[-4:], code)
    )
