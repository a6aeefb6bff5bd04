# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""gunicorn settings read from the project root (`gunicorn jiesu.wsgi`): its access and error
logs go through the same secret-masking filter as Django's (jiesu.logsafety), so an Open311
`?api_key=` never lands in a log file. With `JIESU_LOG_FORMAT=json` both are JSON lines, the
access log with one field per part of the request (jiesu.ops.logs).

With `PROMETHEUS_MULTIPROC_DIR` set, the workers' metrics files are kept there: files of
processes no longer running are removed when gunicorn starts, and a worker's live figures are
marked dead when it exits (jiesu.ops.metrics adds up the rest)."""

import os
import time
from pathlib import Path

from jiesu.conf import TIME_ZONE

# The master's own lines (start, stop, worker exits) in the district's time, as Django's are:
# Debian servers run in UTC by default.
os.environ.setdefault("TZ", TIME_ZONE)
time.tzset()

JSON = os.environ.get("JIESU_LOG_FORMAT", "text") == "json"

# One sync worker per core (measured best: docs/adr/0010-one-server-scale.md); WEB_CONCURRENCY
# or --workers on the command line sets another number.
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_secrets": {"()": "jiesu.logsafety.MaskSecrets"}},
    "formatters": {
        "generic": {
            "format": "%(asctime)s [%(process)d] [%(levelname)s] %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
        },
        "access": {"format": "%(message)s"},
        "json": {"()": "jiesu.ops.logs.JsonFormatter"},
        "json_access": {"()": "jiesu.ops.logs.JsonAccessFormatter"},
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "filters": ["mask_secrets"],
            "stream": "ext://sys.stdout",
        },
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "generic",
            "filters": ["mask_secrets"],
            "stream": "ext://sys.stderr",
        },
        "access_console": {
            "class": "logging.StreamHandler",
            "formatter": "access",
            "filters": ["mask_secrets"],
            "stream": "ext://sys.stdout",
        },
        # The JSON access formatter masks each field itself (the filter would flatten them).
        "json_access_console": {
            "class": "logging.StreamHandler",
            "formatter": "json_access",
            "stream": "ext://sys.stdout",
        },
    },
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {
            "level": "INFO",
            "handlers": ["json_access_console" if JSON else "access_console"],
            "propagate": False,
        },
    },
}
if JSON:
    for name in ("console", "error_console"):
        logconfig_dict["handlers"][name]["formatter"] = "json"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for file in path.glob("*.db"):
        pid = file.stem.rsplit("_", 1)[-1]
        if pid.isdigit() and not _pid_alive(int(pid)):
            file.unlink(missing_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
