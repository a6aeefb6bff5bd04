# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""WeChat Pay merchant transfer to balance (商家转账到零钱), API v3.

Requests (all JSON, all signed):
- `POST /v3/transfer/batches`: one batch per reward, `out_batch_no` = `out_detail_no` = the
  payout's request id, one detail with the openid bound to the reporter's phone
  (`PayeeAccount`), the amount in fen and a remark. WeChat answers a repeated `out_batch_no`
  with the batch it already has: the request id makes the transfer idempotent.
- `GET /v3/transfer/batches/out-batch-no/{id}?need_query_detail=true&detail_status=ALL`: the
  batch and its details (404 NOT_FOUND: WeChat has no such batch);
- `GET /v3/transfer/batches/out-batch-no/{id}/details/out-detail-no/{id}`: a detail's fail
  reason;
- `GET /v3/certificates`: the platform certificates, encrypted with the APIv3 key;
- `GET /v3/bill/fundflowbill?bill_date=D&account_type=BASIC`: the day's fund-flow bill (a CSV
  behind a download URL, checked by its SHA-1) for reconciliation.

Signing: `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",
timestamp="…",serial_no="…"`, the signature being RSA-SHA256 (PKCS#1 v1.5) with the merchant's
private key over "METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n". Every answer is verified:
`Wechatpay-Signature` over "TIMESTAMP\\nNONCE\\nBODY\\n" with the platform certificate named by
`Wechatpay-Serial` (a pinned one from the settings, or one fetched from /v3/certificates and
decrypted with the APIv3 key, AEAD_AES_256_GCM), and a timestamp more than five minutes away is
refused. An answer that fails verification is treated as no answer (retried).

The state machine of a batch: WAIT_PAY → ACCEPTED → PROCESSING → FINISHED | CLOSED; of its
detail: INIT → WAIT_PAY → PROCESSING → SUCCESS | FAIL. FINISHED with the detail SUCCESS is
paid; FAIL or CLOSED is a definite failure (the request id is then spent); anything else is
still processing and is queried again later.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date
from decimal import Decimal, InvalidOperation

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.exceptions import ImproperlyConfigured

from jiesu.rewards.conf import secret
from jiesu.rewards.models import PayeeAccount
from jiesu.rewards.providers.base import (
    FAILED,
    PROCESSING,
    SUCCESS,
    Provider,
    ProviderError,
    Record,
    Result,
    Transfer,
)

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
MAX_SKEW = 300
# Error codes of a refused transfer request that no retry of the same request can cure.
DEFINITE = {"PARAM_ERROR", "INVALID_REQUEST", "NO_AUTH", "APPID_MCHID_NOT_MATCH"}
# Certificates fetched from /v3/certificates, by serial number. Certificates are public and can
# be fetched again at any time: a per-process cache is enough.
_FETCHED: dict[str, x509.Certificate] = {}


def sign(private_key, message: str) -> str:
    signature = private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def verify(certificate: x509.Certificate, message: str, signature: str) -> bool:
    try:
        certificate.public_key().verify(
            base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def decrypt(apiv3_key: bytes, nonce: str, associated_data: str, ciphertext: str) -> bytes:
    return AESGCM(apiv3_key).decrypt(
        nonce.encode(), base64.b64decode(ciphertext), (associated_data or "").encode()
    )


class WechatTransferProvider(Provider):
    name = "wechat"

    @property
    def wx(self) -> dict:
        return self.config["WECHAT"]

    # -- keys and certificates --------------------------------------------------------------

    def private_key(self):
        pem = secret("", self.wx["PRIVATE_KEY_FILE"], "JIESU_WECHATPAY_PRIVATE_KEY_FILE")
        try:
            return serialization.load_pem_private_key(pem, password=None)
        except ValueError as e:
            raise ImproperlyConfigured(f"The merchant private key cannot be read: {e}") from None

    def apiv3_key(self) -> bytes:
        key = secret(self.wx["APIV3_KEY"], self.wx["APIV3_KEY_FILE"], "JIESU_WECHATPAY_APIV3_KEY")
        if len(key) != 32:
            raise ImproperlyConfigured("The APIv3 key must be 32 bytes long.")
        return key

    def pinned(self) -> dict[str, x509.Certificate]:
        certs = {}
        for serial, path in (self.wx.get("PLATFORM_CERTS") or {}).items():
            try:
                with open(path, "rb") as f:
                    certs[serial.upper()] = x509.load_pem_x509_certificate(f.read())
            except (OSError, ValueError) as e:
                raise ImproperlyConfigured(f"Platform certificate {path}: {e}") from None
        return certs

    def certificate(self, serial: str) -> x509.Certificate:
        serial = (serial or "").upper()
        known = self.pinned().get(serial) or _FETCHED.get(serial)
        if known is not None:
            return known
        self.fetch_certificates()
        if serial not in _FETCHED:
            raise ProviderError(f"WeChat Pay: unknown platform certificate {serial!r}.")
        return _FETCHED[serial]

    def fetch_certificates(self) -> None:
        status, headers, body = self._send("GET", "/v3/certificates", None)
        if status != 200:
            raise ProviderError(f"WeChat Pay certificates: HTTP {status}")
        data = _json(body)
        key = self.apiv3_key()
        fresh = {}
        for item in data.get("data", []):
            enc = item.get("encrypt_certificate") or {}
            try:
                pem = decrypt(key, enc["nonce"], enc.get("associated_data", ""), enc["ciphertext"])
                fresh[str(item["serial_no"]).upper()] = x509.load_pem_x509_certificate(pem)
            except Exception as e:  # a certificate we cannot read is not trusted
                raise ProviderError(f"WeChat Pay: unreadable platform certificate: {e}") from None
        serial = headers.get("wechatpay-serial", "").upper()
        cert = fresh.get(serial) or self.pinned().get(serial)
        if cert is None or not self._verified(headers, body, cert):
            raise ProviderError("WeChat Pay: the certificate list is not signed by WeChat Pay.")
        _FETCHED.update(fresh)

    # -- HTTP -------------------------------------------------------------------------------

    def authorization(self, method: str, path: str, body: str) -> str:
        timestamp = str(int(time.time()))
        nonce = secrets.token_hex(16)
        message = f"{method}\n{path}\n{timestamp}\n{nonce}\n{body}\n"
        signature = sign(self.private_key(), message)
        return (
            f'{SCHEMA} mchid="{self.wx["MCHID"]}",nonce_str="{nonce}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{self.wx["SERIAL_NO"]}"'
        )

    def _send(self, method: str, path: str, payload: dict | None, *, url: str | None = None):
        body = (
            ""
            if payload is None
            else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        )
        full = url or self.wx["BASE_URL"].rstrip("/") + path
        sign_path = urllib.parse.urlsplit(full)
        sign_path = sign_path.path + (f"?{sign_path.query}" if sign_path.query else "")
        if urllib.parse.urlsplit(full).scheme not in ("http", "https"):
            raise ImproperlyConfigured(f"WeChat Pay: not an http(s) URL: {full!r}")
        request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
            full, data=body.encode() if payload is not None else None, method=method
        )
        request.add_header("Authorization", self.authorization(method, sign_path, body))
        request.add_header("Accept", "application/json")
        request.add_header("User-Agent", "jiesu-rewards")
        if payload is not None:
            request.add_header("Content-Type", "application/json")
        timeout = float(self.config["TIMEOUT"])
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                return response.status, _headers(response.headers), response.read()
        except urllib.error.HTTPError as e:
            return e.code, _headers(e.headers), e.read()
        except TimeoutError:
            raise ProviderError(f"WeChat Pay: no answer within {timeout:g} s") from None
        except urllib.error.URLError as e:
            if isinstance(e.reason, TimeoutError):
                raise ProviderError(f"WeChat Pay: no answer within {timeout:g} s") from None
            raise ProviderError(f"WeChat Pay: cannot connect: {e.reason}") from None
        except (OSError, ValueError) as e:
            raise ProviderError(f"WeChat Pay: {type(e).__name__}: {e}") from None

    def _verified(self, headers: dict, body: bytes, cert=None) -> bool:
        try:
            timestamp = int(headers.get("wechatpay-timestamp", ""))
        except ValueError:
            return False
        if abs(time.time() - timestamp) > MAX_SKEW:
            return False
        cert = cert or self.certificate(headers.get("wechatpay-serial", ""))
        message = f"{timestamp}\n{headers.get('wechatpay-nonce', '')}\n{body.decode('utf-8', 'replace')}\n"
        return verify(cert, message, headers.get("wechatpay-signature", ""))

    def call(self, method: str, path: str, payload: dict | None = None) -> tuple[int, dict]:
        """A signed request; the answer (status, JSON) once its signature is verified."""
        status, headers, body = self._send(method, path, payload)
        if status >= 500:
            raise ProviderError(f"WeChat Pay: HTTP {status}: {_excerpt(body)}")
        if not self._verified(headers, body):
            raise ProviderError(f"WeChat Pay: the answer (HTTP {status}) failed verification.")
        return status, _json(body) if body else {}

    # -- the provider -----------------------------------------------------------------------

    def openid(self, phone: str) -> str:
        binding = PayeeAccount.objects.filter(provider=self.name, phone=phone).first()
        if binding is None:
            raise ProviderError(
                "No WeChat account is bound to the reporter's phone yet (manage.py bind_payee)."
            )
        return binding.account

    def transfer(self, transfer: Transfer) -> Result:
        detail = {
            "out_detail_no": transfer.request_id,
            "transfer_amount": transfer.amount_fen,
            "transfer_remark": (transfer.remark or self.wx["REMARK"])[:32],
            "openid": self.openid(transfer.phone),
        }
        payload = {
            "appid": self.wx["APPID"],
            "out_batch_no": transfer.request_id,
            "batch_name": self.wx["BATCH_NAME"][:32],
            "batch_remark": (transfer.remark or self.wx["REMARK"])[:32],
            "total_amount": transfer.amount_fen,
            "total_num": 1,
            "transfer_detail_list": [detail],
        }
        if self.wx.get("TRANSFER_SCENE_ID"):
            payload["transfer_scene_id"] = self.wx["TRANSFER_SCENE_ID"]
        status, data = self.call("POST", "/v3/transfer/batches", payload)
        if status == 200:
            return self._batch_result(data.get("batch_status", ""), transfer.request_id, data)
        code = str(data.get("code", ""))
        # Refused: WeChat may still have the batch (a repeated request); ask before deciding.
        found = self.query(transfer.request_id)
        if found is not None:
            return found
        if code in DEFINITE:
            return Result(FAILED, reason=f"{code}: {data.get('message', '')}")
        raise ProviderError(f"WeChat Pay refused ({status} {code}): {data.get('message', '')}")

    def _batch_result(self, batch_status: str, request_id: str, data: dict) -> Result:
        reference = str(data.get("batch_id", ""))
        if batch_status == "CLOSED":
            return Result(FAILED, reference, reason=f"batch closed: {data.get('close_reason', '')}")
        if batch_status == "FINISHED":
            return self._detail(request_id, reference)
        return Result(PROCESSING, reference)

    def _detail(self, request_id: str, reference: str) -> Result:
        quoted = urllib.parse.quote(request_id)
        status, data = self.call(
            "GET", f"/v3/transfer/batches/out-batch-no/{quoted}/details/out-detail-no/{quoted}"
        )
        if status != 200:
            raise ProviderError(f"WeChat Pay detail query: HTTP {status} {data.get('code', '')}")
        state = data.get("detail_status", "")
        reference = str(data.get("detail_id") or reference)
        if state == "SUCCESS":
            return Result(SUCCESS, reference)
        if state == "FAIL":
            return Result(FAILED, reference, reason=str(data.get("fail_reason", "")))
        return Result(PROCESSING, reference)

    def query(self, request_id: str) -> Result | None:
        quoted = urllib.parse.quote(request_id)
        status, data = self.call(
            "GET",
            f"/v3/transfer/batches/out-batch-no/{quoted}?need_query_detail=true&detail_status=ALL",
        )
        if status == 404:
            return None
        if status != 200:
            raise ProviderError(f"WeChat Pay query: HTTP {status} {data.get('code', '')}")
        batch = data.get("transfer_batch") or {}
        return self._batch_result(batch.get("batch_status", ""), request_id, batch)

    def records(self, day: date) -> list[Record]:
        status, data = self.call(
            "GET", f"/v3/bill/fundflowbill?bill_date={day.isoformat()}&account_type=BASIC"
        )
        if status != 200:
            raise ProviderError(f"WeChat Pay bill: HTTP {status} {data.get('code', '')}")
        code, _headers_, raw = self._send("GET", "", None, url=data["download_url"])
        if code != 200:
            raise ProviderError(f"WeChat Pay bill download: HTTP {code}")
        if data.get("hash_type", "SHA1").upper() == "SHA1" and (
            hashlib.sha1(raw).hexdigest() != str(data.get("hash_value", "")).lower()  # noqa: S324
        ):
            raise ProviderError("WeChat Pay bill: the file does not match its SHA-1.")
        return parse_fundflow_bill(raw.decode("utf-8-sig"))

    def check(self) -> list[str]:
        problems = []
        for key, env in (
            ("MCHID", "JIESU_WECHATPAY_MCHID"),
            ("APPID", "JIESU_WECHATPAY_APPID"),
            ("SERIAL_NO", "JIESU_WECHATPAY_SERIAL_NO"),
            ("PRIVATE_KEY_FILE", "JIESU_WECHATPAY_PRIVATE_KEY_FILE"),
        ):
            if not self.wx.get(key):
                problems.append(f"The WeChat Pay provider needs {key} (environment: {env}).")
        if not (self.wx.get("APIV3_KEY") or self.wx.get("APIV3_KEY_FILE")):
            problems.append(
                "The WeChat Pay provider needs the APIv3 key "
                "(JIESU_WECHATPAY_APIV3_KEY_FILE or JIESU_WECHATPAY_APIV3_KEY)."
            )
        return problems


def parse_fundflow_bill(text: str) -> list[Record]:
    """The transfers paid out in a fund-flow bill (资金账单): rows whose 收支类型 is 支出 and
    whose 业务类型 names a transfer; the request id is the 业务凭证号 column. Every field of
    the bill starts with a backquote (`), which is removed."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = [h.strip().lstrip("`") for h in rows[0]]
    try:
        kind_i = header.index("业务类型")
        io_i = header.index("收支类型")
        amount_i = header.index("收支金额(元)")
        voucher_i = header.index("业务凭证号")
    except ValueError:
        raise ProviderError("WeChat Pay bill: unexpected columns.") from None
    records = []
    for row in rows[1:]:
        if len(row) <= max(kind_i, io_i, amount_i, voucher_i):
            break  # the summary lines at the end
        cells = [c.strip().lstrip("`") for c in row]
        if cells[io_i] != "支出" or "转账" not in cells[kind_i]:
            continue
        try:
            fen = int((Decimal(cells[amount_i]) * 100).to_integral_value())
        except InvalidOperation:
            raise ProviderError(f"WeChat Pay bill: bad amount {cells[amount_i]!r}") from None
        records.append(Record(cells[voucher_i], fen))
    return records


def _headers(headers) -> dict:
    return {k.lower(): v for k, v in (headers or {}).items()}


def _json(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ProviderError(f"WeChat Pay: the answer is not JSON: {_excerpt(body)!r}") from None
    if not isinstance(data, dict):
        raise ProviderError(f"WeChat Pay: unexpected answer {data!r}")
    return data


def _excerpt(raw: bytes, limit: int = 200) -> str:
    text = (raw or b"").decode("utf-8", "replace").strip()
    return text if len(text) <= limit else text[:limit] + "…"
