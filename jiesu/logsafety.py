# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Keep secrets and phone numbers out of the logs.

Open311 clients may send their key in the query string (``?api_key=…``, as the GeoReport v2
spec allows), and request lines end up in the logs of runserver (``django.server``), gunicorn
(``gunicorn.access``) and in error reports. `MaskSecrets` is a logging filter that replaces the
value of every secret-looking query parameter with ``***`` in the final message. It is attached
to the console handler in settings.LOGGING and to gunicorn's loggers in gunicorn.conf.py.
"""

from __future__ import annotations

import logging
import re

# Query or form parameters whose values are secrets (case-insensitive; URL-encoded or not).
SECRET_PARAMETERS = ("api_key", "apikey", "api-key", "key", "token", "access_token", "password")
_SECRET = re.compile(
    r"(?i)(?P<name>[?&;](?:" + "|".join(re.escape(n) for n in SECRET_PARAMETERS) + r")=)"
    r"(?P<value>[^&;\s\"']+)"
)


# Mainland mobile numbers (11 digits from 13… to 19…, optionally after +86), not inside a
# longer run of digits (appeal numbers such as PS20261126000123 stay as they are).
_PHONE = re.compile(
    r"(?<![\d])(?P<prefix>(?:\+?86[- ]?)?1[3-9]\d)(?P<middle>\d{4})(?P<last>\d{4})(?![\d])"
)


def mask(text: str) -> str:
    """Secret query parameters become ``***``; mobile numbers keep their first three and last
    four digits (``138****5678``, as `appeals.privacy.mask_phone` shows them)."""
    text = _SECRET.sub(lambda m: m.group("name") + "***", text)
    return _PHONE.sub(lambda m: m.group("prefix") + "****" + m.group("last"), text)


class MaskSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logged as it is
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
