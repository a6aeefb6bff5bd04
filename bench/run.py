# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Jiesu benchmarks: `make bench` writes bench/results/<time>.json.

Each figure is measured beside a baseline in the same run on the same machine, so results from
different machines compare by their ratios. The database is a fresh one (SQLite under a
temporary directory unless BENCH_DATABASE_URL is set), seeded with the demo district.
"""

import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn, repeat=5):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return median(samples)


def main():
    appeals = int(os.environ.get("BENCH_APPEALS", "200"))
    tmp = tempfile.mkdtemp(prefix="jiesu-bench-")
    os.environ.setdefault(
        "DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3")
    )
    os.environ.setdefault("JIESU_VAR_DIR", tmp)
    os.environ["DJANGO_SETTINGS_MODULE"] = "jiesu.settings"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from jiesu.appeals import audit
    from jiesu.appeals.models import Appeal, Event
    from jiesu.appeals.simulation import simulate
    from jiesu.org.models import User
    from jiesu.workdays import calendar

    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    results = {}

    # Workflow throughput: simulated lives through the real workflow vs bare inserts.
    start = time.perf_counter()
    report = simulate(appeals=appeals, days=30, seed=1)
    elapsed = time.perf_counter() - start
    steps = sum(report.steps.values())
    start = time.perf_counter()
    for i in range(steps):
        Event.objects.filter(pk=-i).exists()
    baseline = time.perf_counter() - start
    results["workflow_steps_per_second"] = {
        "value": round(steps / elapsed, 1),
        "baseline_trivial_queries_per_second": round(steps / baseline, 1),
        "steps": steps,
        "appeals": appeals,
    }

    # Deadline arithmetic: working days/hours on the calendar vs plain timedelta addition.
    now = timezone.now()
    n = 2000
    work = timed(lambda: [calendar.add_duration(now, 5, "wd") for _ in range(n)], 3)
    plain = timed(lambda: [now + timedelta(days=5) for _ in range(n)], 3)
    results["deadline_working_days_us"] = {
        "value": round(work / n * 1e6, 2),
        "baseline_timedelta_us": round(plain / n * 1e6, 3),
    }
    hours = timed(lambda: [calendar.add_duration(now, 4, "wh") for _ in range(n)], 3)
    results["deadline_working_hours_us"] = {"value": round(hours / n * 1e6, 2)}

    # Audit verification vs reading the same events without checking.
    verify = timed(lambda: list(audit.verify_all()), 3)
    read = timed(lambda: list(Event.objects.order_by("appeal_id", "seq")), 3)
    results["verify_audit_seconds"] = {
        "value": round(verify, 4),
        "baseline_read_events_seconds": round(read, 4),
        "events": Event.objects.count(),
    }

    # SLA sweep: every running clock due at once, swept in batches of the default size vs one
    # clock per batch (what the sweep cost when it handled each clock on its own); rolled back.
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from jiesu.appeals import workflow

    def sweep(batch_size):
        connection.queries_log.clear()
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            counts = workflow.sweep_clocks(now=now + timedelta(days=400), batch_size=batch_size)
            elapsed = time.perf_counter() - start
            transaction.set_rollback(True)
        return counts, len(queries), elapsed

    counts, batched_queries, batched = sweep(200)
    _, single_queries, single = sweep(1)
    swept = counts["warned"] + counts["breached"]
    results["sla_sweep_ms_per_clock"] = {
        "value": round(batched / max(swept, 1) * 1000, 3),
        "baseline_one_clock_per_batch_ms": round(single / max(swept, 1) * 1000, 3),
        "clocks": swept,
    }
    results["sla_sweep_queries"] = {
        "value": batched_queries,
        "baseline_one_clock_per_batch": single_queries,
        "clocks": swept,
        "supervision_notices": counts["supervised"],
    }

    # Console pages: a workbench and an appeal page vs the health check.
    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username="supervisor"))
    appeal = Appeal.objects.order_by("-audit_count").first()
    pages = {
        "supervision_desk_ms": "/console/supervision/",
        "search_ms": "/console/search/?q=%E5%9E%83%E5%9C%BE",
        "appeal_page_ms": f"/console/appeals/{appeal.number}/",
    }
    health = timed(lambda: client.get("/healthz"), 10)
    for key, url in pages.items():
        assert client.get(url).status_code == 200, url
        results[key] = {
            "value": round(timed(lambda u=url: client.get(u), 10) * 1000, 2),
            "baseline_healthz_ms": round(health * 1000, 2),
        }

    out = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "database": connection.vendor,
        },
        "data": {"appeals": Appeal.objects.count(), "events": Event.objects.count()},
        "results": results,
    }
    target = ROOT / "bench" / "results"
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    print(json.dumps(out, indent=2, ensure_ascii=False))
    print(f"Written to {path}")


if __name__ == "__main__":
    main()
