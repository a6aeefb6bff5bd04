# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""A delivery worker in a process of its own, for the crash and concurrency tests.

    python -m jiesu.notify.tests.worker COMMAND '{"json": "arguments"}'

The database comes from DATABASE_URL (the tests point it at their own database) and the
notification settings from the JSON in JIESU_NOTIFY_TEST. Prints one JSON line.

Commands:
- enqueue {"keys": [...]}: one pending SMS per key;
- deliver {"now": iso or null, "batch": n, "start_at": unix time or null}: wait until start_at,
  then deliver batch after batch until nothing is due; prints the total counts;
- status {}: {key: [status, attempts, last_error]} of every row.
"""

import json
import os
import sys
import time


def main(command: str, args: dict) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
    django.setup()
    from django.test import override_settings
    from django.utils.dateparse import parse_datetime

    from jiesu.notify import delivery, outbox
    from jiesu.notify.models import Notification

    with override_settings(JIESU_NOTIFY=json.loads(os.environ.get("JIESU_NOTIFY_TEST", "{}"))):
        if command == "enqueue":
            for key in args["keys"]:
                outbox.enqueue(
                    "citizen.accepted",
                    channel="sms",
                    address="13800001234",
                    context={"number": key.split(":")[0]},
                    idempotency_key=key,
                )
            return {"enqueued": len(args["keys"])}
        if command == "deliver":
            now = parse_datetime(args["now"]) if args.get("now") else None
            if args.get("start_at"):
                time.sleep(max(0.0, args["start_at"] - time.time()))
            totals = dict.fromkeys(delivery.COUNT_KEYS, 0)
            while True:
                counts = delivery.deliver_due(now=now, batch=args.get("batch", 100))
                for key, value in counts.items():
                    totals[key] += value
                if not counts["claimed"] and not counts["dead"]:
                    return totals
        if command == "status":
            return {
                n.idempotency_key: [n.status, n.attempts, n.last_error]
                for n in Notification.objects.order_by("id")
            }
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    result = main(sys.argv[1], json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})
    print(json.dumps(result))
