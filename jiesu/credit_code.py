# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""统一社会信用代码 (GB 32100-2015): an enterprise reporter's unified social credit code.

The one check of it, shared by every room that takes one (the workflow's receive, the API, the
console's call form, Open311).

18 characters from the alphabet below; the last is a check character computed from the first
17 with the weights 3^i mod 31.
"""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_valid(code: str) -> bool:
    """True for a well-formed unified social credit code with a correct check character."""
    code = (code or "").strip().upper()
    if len(code) != 18 or any(c not in ALPHABET for c in code):
        return False
    total = sum(ALPHABET.index(c) * w for c, w in zip(code[:17], WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31] == code[17]
