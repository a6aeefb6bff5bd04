# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Structured logs: one JSON object per line (`JIESU_LOG_FORMAT=json`).

Every line has `time` (ISO 8601 with the offset), `level`, `logger`, `message`, `process`,
`request_id` and `user_id` (null outside a request, or before sign-in), and `exception` when
there is one. The request id comes from the proxy's `X-Request-ID` header when it sends a
sensible one (nginx: `proxy_set_header X-Request-ID $request_id;`), else it is made here; it is
sent back in the response's `X-Request-ID`, so a user's complaint, nginx's log, gunicorn's
access log and Django's log lines meet on one id. gunicorn's access log has its own fields
(`JsonAccessFormatter`, used by gunicorn.conf.py).

What is written passes through `jiesu.logsafety.mask`: secret query parameters and mobile
numbers never reach a log. User ids are database ids, never names or phones.

Nothing here imports models: the logging configuration loads it before Django's apps are ready.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import traceback
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from zoneinfo import ZoneInfo

from django.core.signals import request_finished

from jiesu.conf import TIME_ZONE as DISTRICT_TIME_ZONE
from jiesu.logsafety import mask

_request: ContextVar = ContextVar("jiesu_log_request", default=None)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


def request_id_of(request) -> str:
    sent = request.headers.get("X-Request-ID", "")
    return sent if _SAFE_ID.match(sent) else uuid.uuid4().hex


class RequestContext:
    """Gives the request an id (`request.request_id`, the `X-Request-ID` response header) and
    makes the request known to the log lines written while it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_of(request)
        # Kept until the response is closed (`request_finished`): Django logs 4xx and 5xx
        # answers after the middleware has returned.
        _request.set(request)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


def _forget_request(**kwargs) -> None:
    _request.set(None)


request_finished.connect(_forget_request, dispatch_uid="jiesu.ops.logs.forget_request")


_resolving: ContextVar[bool] = ContextVar("jiesu_log_resolving_user", default=False)


def current_ids() -> tuple[str | None, int | None]:
    """The request id and the signed-in user's id of the request being answered, if any.

    A user not yet loaded by the request is loaded here (one query, in JSON mode only and
    only for a request that logs something); a failure to load it (the database away, an
    aborted transaction) leaves `user_id` null rather than losing the line."""
    request = _request.get()
    if request is None:
        return None, None
    user_id = None
    user = request.__dict__.get("user")
    if user is not None and not _resolving.get():
        token = _resolving.set(True)
        try:
            if getattr(user, "is_authenticated", False) is True:
                user_id = user.pk
        except Exception:  # noqa: BLE001, S110 - a log line must never fail for this
            pass
        finally:
            _resolving.reset(token)
    return getattr(request, "request_id", None), user_id


def _time(record: logging.LogRecord) -> str:
    from django.conf import settings

    try:
        name = settings.TIME_ZONE
    except Exception:  # noqa: BLE001 - settings not configured (gunicorn's master)
        name = DISTRICT_TIME_ZONE
    tz = ZoneInfo(name)
    return dt.datetime.fromtimestamp(record.created, tz).isoformat(timespec="milliseconds")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        request_id, user_id = current_ids()
        entry = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(record.getMessage()),
            "process": record.process,
            "request_id": request_id,
            "user_id": user_id,
        }
        if record.exc_info:
            entry["exception"] = mask("".join(traceback.format_exception(*record.exc_info)))
        elif record.exc_text:
            entry["exception"] = mask(record.exc_text)
        return json.dumps(entry, ensure_ascii=False, default=str)


class JsonAccessFormatter(logging.Formatter):
    """gunicorn's access log lines as JSON: its atoms (`record.args`) become fields."""

    def format(self, record: logging.LogRecord) -> str:
        atoms = record.args if isinstance(record.args, Mapping) else {}
        if not atoms:
            return JsonFormatter().format(record)

        def atom(key):
            value = atoms.get(key)
            return None if value in (None, "-") else value

        query = atom("q")
        duration = atom("D")
        entry = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": mask(str(atom("r") or "")),
            "process": record.process,
            "request_id": atom("{x-request-id}o"),
            "remote_addr": atom("h"),
            "method": atom("m"),
            "path": mask(str(atom("U") or "")),
            "query": mask("?" + query)[1:] if query else "",
            "status": int(atoms["s"]) if str(atoms.get("s", "")).isdigit() else atom("s"),
            "bytes": atom("B"),
            "duration_ms": round(int(duration) / 1000, 1) if duration is not None else None,
            "user_agent": atom("a"),
        }
        return json.dumps(entry, ensure_ascii=False, default=str)
