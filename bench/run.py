# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Jiesu benchmarks: `make bench` (and `make bench-quick`) write bench/results/<time>.json and
bench/results/latest.json.

Each figure is measured beside a baseline in the same run on the same machine, so results from
different machines compare by their ratios. Two parts:

* in this process, on a fresh database (SQLite under a temporary directory unless
  BENCH_DATABASE_URL is set) seeded with the demo district: workflow steps, deadline arithmetic,
  audit verification, console pages through the test client;
* from outside (bench/scale.py, in a process of its own, on PostgreSQL): gunicorn serving the
  project, wrk generating the load: intake, Open311, transitions, and reads after a bulk load
  (1,000,000 appeals; 60,000 with --quick). Skipped with --no-scale or when PostgreSQL is not
  reachable.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def timed(fn, repeat=5):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return median(samples)


def scale(quick: bool) -> dict | None:
    """Run bench/scale.py in its own process; its JSON, or None when it cannot run."""
    import load

    pg = os.environ.get("BENCH_PG_URL", load.default_pg_url("jiesu_bench_scale"))
    probe = pg.rsplit("/", 1)[0] + "/postgres"
    try:
        import psycopg

        psycopg.connect(probe, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL here
        print(f"*** PostgreSQL is not reachable ({exc}): the scale benchmarks are skipped ***")
        return None
    out = Path(tempfile.mkdtemp(prefix="jiesu-bench-")) / "scale.json"
    cmd = [sys.executable, str(ROOT / "bench" / "scale.py"), "--out", str(out)]
    if quick:
        cmd.append("--quick")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JIESU_VAR_DIR")}
    subprocess.run(cmd, check=True, env=env)
    return json.loads(out.read_text())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, 60,000 appeals")
    parser.add_argument("--no-scale", action="store_true", help="only the in-process figures")
    args = parser.parse_args()
    started = time.perf_counter()
    sections: dict[str, float] = {}  # wall seconds per part of the run, to keep --quick short

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        sections[name] = round(now - since, 1)
        return now

    scaled = None if args.no_scale else scale(args.quick)
    t = lap("scale", started)
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
    call_command("createcachetable", verbosity=0)  # the embedded default cache (as bootstrap)
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

    # Deadline arithmetic: working days/hours on the calendar vs plain timedelta addition, and
    # vs the previous cost: until the calendar was held in memory (ADR 0009) every computation
    # first read the calendar's version token, which `get_calendar(fresh=True)` still does.
    now = timezone.now()
    n = 2000

    def previous(amount, unit):
        return lambda: [
            calendar.get_calendar(fresh=True).add_duration(now, amount, unit) for _ in range(n)
        ]

    work = timed(lambda: [calendar.add_duration(now, 5, "wd") for _ in range(n)], 3)
    plain = timed(lambda: [now + timedelta(days=5) for _ in range(n)], 3)
    results["deadline_working_days_us"] = {
        "value": round(work / n * 1e6, 2),
        "baseline_timedelta_us": round(plain / n * 1e6, 3),
        "previous_token_query_us": round(timed(previous(5, "wd"), 3) / n * 1e6, 2),
    }
    hours = timed(lambda: [calendar.add_duration(now, 4, "wh") for _ in range(n)], 3)
    results["deadline_working_hours_us"] = {
        "value": round(hours / n * 1e6, 2),
        "previous_token_query_us": round(timed(previous(4, "wh"), 3) / n * 1e6, 2),
    }
    # A provisional deadline: 15 working days from 20 December into the provisional year.
    provisional_year = calendar.provisional_year()
    if provisional_year is not None:
        december = now.replace(year=provisional_year - 1, month=12, day=20)
        marked = timed(lambda: [calendar.deadline(december, 15, "wd") for _ in range(n)], 3)
        results["deadline_provisional_us"] = {"value": round(marked / n * 1e6, 2)}

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

    # Insights (issue 11): the overview, the assessment page, the hotspots as the analyst opens
    # them, and a year of KPIs by unit (bench/insights_reads.py). bench/scale.py measures the
    # same after its bulk load; its figures replace these below when it ran.
    import insights_reads

    results.update(insights_reads.measure(5, baseline_ms=round(health * 1000, 2)))
    t = lap("in_process", t)

    # Selective auto-dispatch (issue 10): the triage task per new appeal.
    import triage

    results["auto_triage_ms_per_appeal"] = triage.measure()

    results["appeals_loaded"] = Appeal.objects.count()

    # The category classifier on the shared Chinese data (issue 10).
    import dispatch_classifier

    t = lap("triage", t)
    results.update(dispatch_classifier.measure(args.quick))
    t = lap("classifier", t)

    # Dispatch (issue 10): routing learned from history, on rows held out from the shared file.
    import dispatch_routing

    results.update(dispatch_routing.measure(args.quick))
    t = lap("routing", t)
    # Duplicate finder against 1,000,000 open appeals on PostgreSQL (its own process and db).
    if not args.no_scale:
        import dispatch_duplicates

        results.update(dispatch_duplicates.measure(args.quick))
        t = lap("duplicates", t)

    if scaled is not None:
        results.update(scaled["results"])
    out = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "database": connection.vendor,
        },
        "data": {
            "in_process": {"appeals": Appeal.objects.count(), "events": Event.objects.count()},
            "scale": scaled["data"] if scaled else None,
        },
        "scale_machine": scaled["machine"] if scaled else None,
        "results": results,
        "seconds": {"total": round(time.perf_counter() - started, 1), **sections},
    }
    target = ROOT / "bench" / "results"
    target.mkdir(parents=True, exist_ok=True)
    path = target / f"{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    (target / "latest.json").write_text(json.dumps(out, indent=2, ensure_ascii=False))
    print(json.dumps(out, indent=2, ensure_ascii=False))
    print(f"Written to {path}")


if __name__ == "__main__":
    main()
