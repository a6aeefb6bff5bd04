# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A local WeChat Pay v3 server for the tests: real HTTP, real signatures, real state machine.

It checks every request's `Authorization` signature with the merchant's public key, signs
every answer with its platform key (serial `PLATFORM_SERIAL`), serves the platform certificate
encrypted with the APIv3 key at /v3/certificates, keeps transfer batches by `out_batch_no`
(a repeated one answers with the batch it has, paying nothing again), moves them through
ACCEPTED → PROCESSING → FINISHED as they are queried (`steps`), and serves a fund-flow bill.

What can go wrong, on demand (`server.state`):
- `fail_next`: the next N requests get HTTP 500 (nothing recorded);
- `drop_after_record`: the next N transfer requests are recorded, then the answer comes only
  after `late_seconds` (longer than the client waits: a timeout after the provider took it);
- `late_seconds` alone: every answer waits that long (the answer is late but arrives);
- `fail_openids`: details to these openids end FAIL (with a reason);
- `bad_signature`: answers are signed with another key.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from jiesu.rewards.providers.wechat import sign

CHINA = ZoneInfo("Asia/Shanghai")
PLATFORM_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
MERCHANT_SERIAL = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C"
MCHID = "1900000109"
APPID = "wxd678efh567hg6787"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate(key, name="WeChat Pay platform (test)"):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(int(PLATFORM_SERIAL, 16))
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class Keys:
    """The merchant's and the platform's keys, written to files as a deployment has them."""

    def __init__(self, directory):
        self.merchant = new_key()
        self.platform = new_key()
        self.platform_cert = certificate(self.platform)
        self.apiv3 = secrets.token_hex(16).encode()  # 32 bytes
        self.private_key_file = os.path.join(directory, "apiclient_key.pem")
        self.apiv3_file = os.path.join(directory, "apiv3.key")
        with open(self.private_key_file, "wb") as f:
            f.write(pem(self.merchant))
        with open(self.apiv3_file, "wb") as f:
            f.write(self.apiv3 + b"\n")


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.batches: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request received
        self.transfer_posts = 0
        self.fail_next = 0
        self.drop_after_record = 0
        self.late_seconds = 0.0
        self.steps = 0  # queries before an accepted batch finishes
        self.fail_openids: set[str] = set()
        self.bad_signature = False
        self.bill_extra: list[tuple[str, int]] = []  # planted bill lines (request id, fen)
        self.bill_amounts: dict[str, int] = {}  # planted wrong amounts

    def paid(self) -> dict[str, int]:
        """out_detail_no → fen of every detail that ended SUCCESS."""
        return {
            no: b["amount"]
            for no, b in self.batches.items()
            if b["batch_status"] == "FINISHED" and b["detail_status"] == "SUCCESS"
        }


class FakeWechatPay:
    def __init__(self, keys: Keys):
        self.keys = keys
        self.state = State()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.block_on_close = False  # a handler still sleeping must not hold the test
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def settings(self, **overrides) -> dict:
        """JIESU_REWARDS for a client of this server."""
        cfg = {
            "PROVIDER": "wechat",
            "TIMEOUT": 2,
            "BACKOFF": [60, 120],
            "MAX_ATTEMPTS": 3,
            "LEASE": 300,
            "POLL": 30,
            "WECHAT": {
                "BASE_URL": self.url,
                "MCHID": MCHID,
                "APPID": APPID,
                "SERIAL_NO": MERCHANT_SERIAL,
                "PRIVATE_KEY_FILE": self.keys.private_key_file,
                "APIV3_KEY_FILE": self.keys.apiv3_file,
                "PLATFORM_CERTS": {},
            },
        }
        cfg.update(overrides)
        return cfg

    # -- the HTTP side --------------------------------------------------------------------

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.handle(self, "GET")

            def do_POST(self):
                fake.handle(self, "POST")

        return Handler

    def verify_request(self, request, method: str, body: str) -> bool:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("WECHATPAY2-SHA256-RSA2048 "):
            return False
        fields = dict(
            part.split("=", 1) for part in auth.split(" ", 1)[1].split(",") if "=" in part
        )
        fields = {k: v.strip('"') for k, v in fields.items()}
        if fields.get("mchid") != MCHID or fields.get("serial_no") != MERCHANT_SERIAL:
            return False
        message = (
            f"{method}\n{request.path}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n"
        )
        try:
            self.keys.merchant.public_key().verify(
                base64.b64decode(fields["signature"]),
                message.encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except Exception:
            return False
        return abs(time.time() - int(fields["timestamp"])) < 300

    def answer(self, request, status: int, payload, *, raw: bytes | None = None, signed=True):
        body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(body)))
        if signed:
            timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
            key = new_key() if self.state.bad_signature else self.keys.platform
            message = f"{timestamp}\n{nonce}\n{body.decode('utf-8')}\n"
            request.send_header("Wechatpay-Timestamp", timestamp)
            request.send_header("Wechatpay-Nonce", nonce)
            request.send_header("Wechatpay-Serial", PLATFORM_SERIAL)
            request.send_header("Wechatpay-Signature", sign(key, message))
        request.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            request.wfile.write(body)  # (the client may have given up waiting)

    def handle(self, request, method: str):
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length).decode() if length else ""
        st = self.state
        with st.lock:
            st.requests.append((method, request.path))
            failing = st.fail_next > 0
            if failing:
                st.fail_next -= 1
        if failing:
            return self.answer(request, 500, {"code": "SYSTEM_ERROR", "message": "系统繁忙"})
        if not self.verify_request(request, method, body):
            return self.answer(request, 401, {"code": "SIGN_ERROR", "message": "签名错误"})
        path = urlsplit(request.path)
        late = st.late_seconds
        if method == "POST" and path.path == "/v3/transfer/batches":
            status, payload, drop = self.create(json.loads(body))
            if drop:
                time.sleep(max(late, 5.0))
            elif late:
                time.sleep(late)
            return self.answer(request, status, payload)
        if late:
            time.sleep(late)
        if method == "GET" and path.path == "/v3/certificates":
            return self.answer(request, 200, self.certificates())
        if method == "GET" and path.path.startswith("/v3/transfer/batches/out-batch-no/"):
            parts = path.path.split("/")
            if len(parts) == 9 and parts[6] == "details":
                return self.answer(request, *self.detail(parts[5]))
            return self.answer(request, *self.batch(parts[5]))
        if method == "GET" and path.path == "/v3/bill/fundflowbill":
            day = parse_qs(path.query)["bill_date"][0]
            text = self.bill(day).encode("utf-8")
            return self.answer(
                request,
                200,
                {
                    "download_url": f"{self.url}/v3/billdownload/file?day={day}",
                    "hash_type": "SHA1",
                    "hash_value": hashlib.sha1(text).hexdigest(),  # noqa: S324
                },
            )
        if method == "GET" and path.path == "/v3/billdownload/file":
            day = parse_qs(path.query)["day"][0]
            return self.answer(request, 200, None, raw=self.bill(day).encode("utf-8"), signed=False)
        return self.answer(request, 404, {"code": "NOT_FOUND", "message": "not found"})

    # -- the business -----------------------------------------------------------------------

    def create(self, data: dict):
        st = self.state
        if data.get("appid") != APPID or data.get("total_num") != 1:
            return 400, {"code": "PARAM_ERROR", "message": "参数错误"}, False
        detail = data["transfer_detail_list"][0]
        if detail["transfer_amount"] != data["total_amount"] or detail["transfer_amount"] <= 0:
            return 400, {"code": "PARAM_ERROR", "message": "金额不一致"}, False
        with st.lock:
            st.transfer_posts += 1
            batch = st.batches.get(data["out_batch_no"])
            if batch is None:
                batch = {
                    "out_batch_no": data["out_batch_no"],
                    "batch_id": f"1030000071100999991182020050700{len(st.batches):04d}",
                    "out_detail_no": detail["out_detail_no"],
                    "detail_id": f"1040000071100999991182020050700{len(st.batches):04d}",
                    "openid": detail["openid"],
                    "amount": detail["transfer_amount"],
                    "batch_status": "ACCEPTED",
                    "detail_status": "INIT",
                    "queries": 0,
                    "created": datetime.now(UTC),
                }
                st.batches[data["out_batch_no"]] = batch
                if st.steps == 0:
                    self._finish(batch)
            drop = st.drop_after_record > 0
            if drop:
                st.drop_after_record -= 1
        return (
            200,
            {
                "out_batch_no": batch["out_batch_no"],
                "batch_id": batch["batch_id"],
                "create_time": batch["created"].isoformat(),
                "batch_status": batch["batch_status"],
            },
            drop,
        )

    def _finish(self, batch):
        batch["batch_status"] = "FINISHED"
        batch["detail_status"] = "FAIL" if batch["openid"] in self.state.fail_openids else "SUCCESS"

    def batch(self, out_batch_no: str):
        st = self.state
        with st.lock:
            batch = st.batches.get(out_batch_no)
            if batch is None:
                return 404, {"code": "NOT_FOUND", "message": "记录不存在"}
            batch["queries"] += 1
            if batch["batch_status"] != "FINISHED":
                if batch["queries"] >= st.steps:
                    self._finish(batch)
                else:
                    batch["batch_status"] = "PROCESSING"
                    batch["detail_status"] = "PROCESSING"
            return 200, {
                "transfer_batch": {
                    "mchid": MCHID,
                    "out_batch_no": batch["out_batch_no"],
                    "batch_id": batch["batch_id"],
                    "batch_status": batch["batch_status"],
                    "total_amount": batch["amount"],
                    "total_num": 1,
                },
                "transfer_detail_list": [
                    {
                        "detail_id": batch["detail_id"],
                        "out_detail_no": batch["out_detail_no"],
                        "detail_status": batch["detail_status"],
                    }
                ],
            }

    def detail(self, out_batch_no: str):
        st = self.state
        with st.lock:
            batch = st.batches.get(out_batch_no)
            if batch is None:
                return 404, {"code": "NOT_FOUND", "message": "记录不存在"}
            payload = {
                "mchid": MCHID,
                "out_batch_no": out_batch_no,
                "batch_id": batch["batch_id"],
                "out_detail_no": batch["out_detail_no"],
                "detail_id": batch["detail_id"],
                "detail_status": batch["detail_status"],
                "transfer_amount": batch["amount"],
                "openid": batch["openid"],
            }
            if batch["detail_status"] == "FAIL":
                payload["fail_reason"] = "ACCOUNT_FROZEN"
            return 200, payload

    def certificates(self) -> dict:
        pem_cert = self.keys.platform_cert.public_bytes(serialization.Encoding.PEM)
        nonce = secrets.token_hex(6)
        associated = "certificate"
        ciphertext = AESGCM(self.keys.apiv3).encrypt(nonce.encode(), pem_cert, associated.encode())
        return {
            "data": [
                {
                    "serial_no": PLATFORM_SERIAL,
                    "effective_time": "2026-01-01T00:00:00+08:00",
                    "expire_time": "2031-01-01T00:00:00+08:00",
                    "encrypt_certificate": {
                        "algorithm": "AEAD_AES_256_GCM",
                        "nonce": nonce,
                        "associated_data": associated,
                        "ciphertext": base64.b64encode(ciphertext).decode(),
                    },
                }
            ]
        }

    def bill(self, day: str) -> str:
        header = (
            "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,"
            "收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号"
        )
        lines = [header]
        st = self.state
        with st.lock:
            paid = [
                (b["out_detail_no"], st.bill_amounts.get(b["out_detail_no"], b["amount"]))
                for b in st.batches.values()
                if b["detail_status"] == "SUCCESS"
                and b["created"].astimezone(CHINA).date().isoformat() == day
            ]
            paid += st.bill_extra
        for n, (no, fen) in enumerate(paid):
            lines.append(
                f"`{day} 10:00:00,`{4200000000 + n},`{5000000000 + n},`商家转账,`商家转账到零钱,"
                f"`支出,`{fen // 100}.{fen % 100:02d},`0.00,`{MCHID},`诉求奖励,`{no}"
            )
        lines.append("资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额")
        lines.append(f"`{len(paid)},`0,`0.00,`{len(paid)},`0.00")
        return "\n".join(lines) + "\n"
