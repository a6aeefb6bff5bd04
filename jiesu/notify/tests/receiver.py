# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The far side of the network, for tests: one local HTTP server playing the SMS gateway, the
WeChat template-message API and a webhook receiver.

It checks what a real receiver checks (the HMAC signatures, the access token) and deduplicates
by idempotency key as the real services do: a repeated OutId / client_msg_id / Idempotency-Key
is answered like the first and not delivered again. `requests` lists every request that arrived,
`delivered` the messages delivered (once per key).

Misbehaviour on demand: `script(...)` queues behaviours for the next requests:
"ok", "http500", "slow" (answers after `slow_seconds`), "badjson", "error" (an error code),
"permanent" (an error code that retrying cannot cure), "crash" (calls `on_crash`, then drops the
connection without an answer).
"""

import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SMS_KEY_ID = "LTAI-test-key"
SMS_SECRET = "sms-secret-for-tests"
WECHAT_TOKEN = "wx-access-token-for-tests"
HOOK_SECRET = "hook-secret-for-tests"


@dataclass
class Request:
    path: str
    key: str
    payload: object
    headers: dict


@dataclass
class Receiver:
    requests: list = field(default_factory=list)
    delivered: dict = field(default_factory=dict)  # key → payload of the first delivery
    behaviours: deque = field(default_factory=deque)
    slow_seconds: float = 2.0
    delay: float = 0.0  # every answer waits this long (a slow but working receiver)
    on_crash: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None
    address: tuple = ("127.0.0.1", 0)

    def script(self, *behaviours):
        self.behaviours.extend(behaviours)

    def url(self, path: str) -> str:
        host, port = self.address
        return f"http://{host}:{port}{path}"

    def keys(self, path=None) -> list[str]:
        return [r.key for r in self.requests if path is None or r.path == path]

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                receiver.handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = self.server.server_address[:2]
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    # ----------------------------------------------------------------------------------------

    def handle(self, http):
        length = int(http.headers.get("Content-Length") or 0)
        body = http.rfile.read(length)
        parts = urllib.parse.urlsplit(http.path)
        route = {"/sms": self.sms, "/wechat/send": self.wechat, "/hook": self.hook}.get(parts.path)
        if route is None:
            return self.answer(http, 404, {"error": "not found"})
        with self.lock:
            behaviour = self.behaviours.popleft() if self.behaviours else "ok"
        if self.delay:
            time.sleep(self.delay)
        route(http, parts, body, behaviour)

    def misbehave(self, http, behaviour) -> bool:
        if behaviour == "http500":
            self.answer(http, 500, {"error": "internal error"})
        elif behaviour == "badjson":
            self.answer_raw(http, 200, b"<html>gateway maintenance</html>")
        elif behaviour == "slow":
            time.sleep(self.slow_seconds)
            self.answer(http, 200, {})
        elif behaviour == "crash":
            if self.on_crash is not None:
                self.on_crash()
            time.sleep(0.2)
            http.close_connection = True
        else:
            return False
        return True

    def take(self, http, path, key, payload, behaviour):
        """Take the message (or misbehave): None if no proper answer is due, else True for a
        new key and False for a repeat. A "crash" takes the message first, then drops."""
        if behaviour == "crash":
            self.record(path, key, payload, http.headers)
            self.misbehave(http, behaviour)
            return None
        if self.misbehave(http, behaviour):
            return None
        return self.record(path, key, payload, http.headers)

    def record(self, path, key, payload, headers) -> bool:
        """Record the request; True if the key is new (deliver), False for a repeat."""
        with self.lock:
            self.requests.append(Request(path, key, payload, dict(headers)))
            if key in self.delivered:
                return False
            self.delivered[key] = payload
            return True

    def sms(self, http, parts, body, behaviour):
        timestamp = http.headers.get("X-Timestamp", "")
        expected = hmac.new(
            SMS_SECRET.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256
        ).hexdigest()
        if http.headers.get("X-Access-Key-Id") != SMS_KEY_ID or not hmac.compare_digest(
            expected, http.headers.get("X-Signature", "")
        ):
            return self.answer(
                http, 200, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature"}
            )
        payload = json.loads(body)
        if behaviour == "error":
            return self.answer(
                http, 200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发分钟级流控"}
            )
        if behaviour == "permanent":
            return self.answer(
                http, 200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}
            )
        key = payload["OutId"]
        if self.take(http, "/sms", key, payload, behaviour) is None:
            return None
        biz_id = "biz-" + hashlib.sha1(key.encode()).hexdigest()[:12]
        return self.answer(http, 200, {"Code": "OK", "Message": "OK", "BizId": biz_id})

    def wechat(self, http, parts, body, behaviour):
        token = urllib.parse.parse_qs(parts.query).get("access_token", [""])[0]
        if token != WECHAT_TOKEN:
            return self.answer(http, 200, {"errcode": 40001, "errmsg": "invalid credential"})
        payload = json.loads(body)
        if behaviour == "error":
            return self.answer(http, 200, {"errcode": 45009, "errmsg": "reach max api daily"})
        if behaviour == "permanent":
            return self.answer(http, 200, {"errcode": 43004, "errmsg": "require subscribe"})
        key = payload["client_msg_id"]
        if self.take(http, "/wechat/send", key, payload, behaviour) is None:
            return None
        msgid = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16)
        return self.answer(http, 200, {"errcode": 0, "errmsg": "ok", "msgid": msgid})

    def hook(self, http, parts, body, behaviour):
        timestamp = http.headers.get("X-Jiesu-Timestamp", "")
        expected = (
            "sha256="
            + hmac.new(
                HOOK_SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256
            ).hexdigest()
        )
        if not hmac.compare_digest(expected, http.headers.get("X-Jiesu-Signature", "")):
            return self.answer(http, 401, {"error": "bad signature"})
        key = http.headers.get("Idempotency-Key", "")
        if not key:
            return self.answer(http, 400, {"error": "Idempotency-Key required"})
        new = self.take(http, "/hook", key, json.loads(body), behaviour)
        if new is None:
            return None
        return self.answer(http, 201 if new else 200, {"ok": True})

    def answer(self, http, status, payload):
        self.answer_raw(http, status, json.dumps(payload, ensure_ascii=False).encode())

    def answer_raw(self, http, status, raw: bytes):
        try:
            http.send_response(status)
            http.send_header("Content-Type", "application/json; charset=utf-8")
            http.send_header("Content-Length", str(len(raw)))
            http.end_headers()
            http.wfile.write(raw)
        except OSError:  # the client gave up waiting
            pass
