# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The embedded-mode adapters: each message as one JSON line, in a file or on standard output.

Nothing leaves the machine. `var/outbox/sms.log` shows exactly what the SMS gateway would have
been asked to send, with its idempotency key; after a crash a message may appear twice there,
with the same key (a real receiver deduplicates on it).
"""

import json
import os
import sys
from pathlib import Path

from django.utils import timezone

from jiesu.notify.adapters.base import Adapter, DeliveryError, Message

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None


def as_line(message: Message) -> str:
    record = {
        "key": message.key,
        "event": message.event,
        "channel": message.channel,
        "to": message.address,
        "language": message.language,
        "about": message.subject_ref,
        "subject": message.subject,
        "body": message.body,
        "context": message.context,
        "created_at": message.created_at.isoformat() if message.created_at else None,
        "written_at": timezone.now().isoformat(),
    }
    return json.dumps(record, ensure_ascii=False, default=str) + "\n"


class FileAdapter(Adapter):
    """Appends one JSON line per message to <OUTBOX_DIR>/<channel>.log."""

    name = "file"

    @property
    def path(self) -> Path:
        return Path(self.config["OUTBOX_DIR"]) / f"{self.channel}.log"

    def send(self, message: Message) -> str:
        line = as_line(message).encode()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)  # several workers: whole lines only
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as e:
            raise DeliveryError(f"Cannot write {self.path}: {e}") from None
        return ""


class ConsoleAdapter(Adapter):
    """Writes the same JSON line to standard output (the worker's log)."""

    name = "console"

    def send(self, message: Message) -> str:
        sys.stdout.write(as_line(message))
        sys.stdout.flush()
        return ""
