# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Posting JSON over HTTP with the standard library, with errors in words for the outbox."""

import json
import urllib.error
import urllib.parse
import urllib.request

from jiesu.notify.adapters.base import DeliveryError


def check_url(url: str, what: str) -> None:
    if not url:
        raise DeliveryError(f"No URL is configured for {what}.")
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        # urllib would also open file:// and ftp:// URLs: never from an outbox row.
        raise DeliveryError(f"{what}: only http and https URLs are allowed, not {url!r}.")


def post(url: str, body: bytes, headers: dict, timeout: float, what: str) -> tuple[int, bytes]:
    """POST `body`; return (status, response body) for a 2xx answer, raise DeliveryError else."""
    check_url(url, what)
    # check_url allows http and https only.
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310
    for name, value in headers.items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        detail = _excerpt(e.read())
        suffix = f": {detail}" if detail else ""
        raise DeliveryError(f"{what}: HTTP {e.code} {e.reason}{suffix}") from None
    except TimeoutError:
        raise DeliveryError(f"{what}: no answer within {timeout:g} s") from None
    except urllib.error.URLError as e:
        if isinstance(e.reason, TimeoutError):
            raise DeliveryError(f"{what}: no answer within {timeout:g} s") from None
        raise DeliveryError(f"{what}: cannot connect: {e.reason}") from None
    except (OSError, ValueError) as e:  # connection reset, invalid URL, …
        raise DeliveryError(f"{what}: {type(e).__name__}: {e}") from None


def post_json(url: str, payload: dict, headers: dict, timeout: float, what: str):
    """POST `payload` as JSON; return the decoded JSON answer (raise DeliveryError if none)."""
    body = encode(payload)
    _, raw = post(url, body, {"Content-Type": "application/json", **headers}, timeout, what)
    return decode(raw, what)


def encode(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def decode(raw: bytes, what: str):
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DeliveryError(f"{what}: the answer is not JSON: {_excerpt(raw)!r}") from None


def _excerpt(raw: bytes, limit: int = 200) -> str:
    text = raw.decode("utf-8", "replace").strip()
    return text if len(text) <= limit else text[:limit] + "…"
