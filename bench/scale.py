# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Scale benchmarks measured from outside (issue 12): bench/run.py runs this in a process of
its own, on PostgreSQL, and merges its JSON into bench/results/latest.json.

    python bench/scale.py [--quick] --out FILE
    python bench/scale.py --reads-only [--quick] --out FILE   # on a database loaded before

1. A fresh PostgreSQL database (BENCH_PG_URL, default .../jiesu_bench_scale through the local
   Unix socket when there is one; dropped and created), migrated, seeded with the demo district and 500 simulated histories.
2. gunicorn serving it with production settings and one sync worker per core, a shared Redis
   cache (BENCH_REDIS_URL); wrk (in its own process) as the load generator, 16 connections.
3. The same server's no-op endpoint (/healthz: one SELECT 1) as the baseline; then intake
   through the native API and Open311 (unique appeals, realistic text and points); workflow
   transitions (register, then dispatch) by staff tokens on the appeals just filed.
4. `load_appeals` to the target size (1,000,000; --quick: 60,000), then reads: the public
   tracking page of appeals across the whole range, the console lists and search, the API list.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402

DEFAULT_PG = load.default_pg_url("jiesu_bench_scale")
# Machine CPU per filing outside the web workers and PostgreSQL above which the intake run is
# reported as disturbed (wrk alone takes 0.2-0.3 ms).
QUIET_OTHER_MS = 1.0
# Share of the cores' time taken by the hypervisor for other guests (steal) above which the
# intake run is reported as disturbed: seen from 0.1% on a quiet host to 19% on a busy one,
# with throughput down by a third.
QUIET_STEAL_SHARE = 0.03


def _warn(results: dict, warning: str) -> None:
    """A disturbed measurement: said in the results' `warnings` and on the terminal."""
    results.setdefault("warnings", []).append(warning)
    print(f"*** {warning} ***", file=sys.stderr)


def fresh_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--reads-only",
        action="store_true",
        help="Only the read figures, on the database BENCH_PG_URL as it is (loaded before "
        "with seed_demo and load_appeals; nothing is dropped or added but sessions and a "
        "staff token).",
    )
    args = parser.parse_args()
    quick = args.quick
    seconds = 10 if quick else 30
    target = int(os.environ.get("BENCH_LOAD_APPEALS", "60000" if quick else "1000000"))
    workers = os.cpu_count() or 1

    url = os.environ.get("BENCH_PG_URL", DEFAULT_PG)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
    tmp = Path(tempfile.mkdtemp(prefix="jiesu-scale-"))
    os.environ.update(
        {
            "DATABASE_URL": url,
            "CACHE_URL": redis_url,
            "JIESU_VAR_DIR": str(tmp),
            "DJANGO_SETTINGS_MODULE": "jiesu.settings",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        }
    )
    # This process runs with the server's settings too (production mode: the manifest of
    # collected static files, no query log while loading a million appeals).
    os.environ.update(load.server_env(url, redis_url))
    if args.reads_only:
        return reads_only(url, redis_url, tmp, workers, seconds, args.out)
    fresh_database(url)
    load.require_wrk()
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from jiesu.appeals import bulkload
    from jiesu.appeals.models import Appeal, Event
    from jiesu.appeals.states import Status
    from jiesu.catalog.models import AppealType, Category, Grade
    from jiesu.intake import channels
    from jiesu.intake.models import Channel
    from jiesu.org.models import User, UserRole
    from jiesu.org.roles import Role

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    cache.clear()
    # Simulates histories to copy from later (fewer with --quick: the copies vary less).
    templates = 200 if quick else 500
    bulkload.load(templates, templates_wanted=templates)
    setup_seconds = time.perf_counter() - t0

    # A machine channel without a rate limit (the load is the point), and a staff member who
    # may register and dispatch, with an API token.
    channel = Channel.objects.get(code="wechat_pingshan")
    channel.rate_limit_per_minute = 0
    channel.save()
    key = channels.issue_key(channel)
    from rest_framework.authtoken.models import Token

    centre = User.objects.get(username="dispatcher").unit
    staff, _ = User.objects.get_or_create(
        username="bench_staff", defaults={"full_name": "压测", "unit": centre}
    )
    for role in (Role.INTAKE_OPERATOR, Role.DISPATCHER):
        UserRole.objects.get_or_create(user=staff, role=role)
    token = Token.objects.get_or_create(user=staff)[0].key

    results: dict = {}
    texts = load.appeal_texts(3000)
    api_file = load.api_bodies(texts, tmp / "api.txt")
    (tmp / "noop.txt").write_text("/healthz\n")
    env = load.server_env(url, redis_url)
    with load.gunicorn(env, workers, tmp) as base:
        import urllib.request

        with urllib.request.urlopen(base + "/open311/v2/services.json") as r:  # noqa: S310
            codes = [s["service_code"] for s in json.load(r)]
        o311_file = load.open311_bodies(texts, codes, key, tmp / "open311.txt")

        noop = load.wrk(base + "/healthz", "get.lua", [str(tmp / "noop.txt")], seconds=seconds)
        results["noop_requests_per_s"] = noop["per_s"]
        results["noop"] = noop

        before = Appeal.objects.count()
        # CPU per filing from /proc: the gunicorn master and its workers, the whole PostgreSQL
        # server (the postmaster and its children: backends, WAL writer, autovacuum; ended
        # backends included), and the whole machine (wrk and the rest included).
        master = load.SERVERS[base]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        try:
            postmaster = load.parent_pid(backend)
        except OSError:  # PostgreSQL on another machine: its CPU is not ours to read
            postmaster = None

        def cpu_now():
            return (
                load.tree_cpu_seconds(master),
                load.tree_cpu_seconds(postmaster) if postmaster else 0.0,
                load.machine_cpu_seconds(),
            )

        cpu_before = cpu_now()
        steal_before = load.steal_seconds()
        intake = load.wrk(
            base + "/api/v1/appeals/",
            "post.lua",
            [str(api_file), "application/json", f"X-Api-Key={key}"],
            seconds=seconds,
        )
        cpu_after = cpu_now()
        stolen = load.steal_seconds() - steal_before
        created = Appeal.objects.count() - before
        results["intake_appeals_per_s"] = intake["ok_per_s"]
        for p in ("p50", "p95", "p99"):
            results[f"intake_{p}_ms"] = intake[f"{p}_ms"]
        results["intake"] = {**intake, "appeals_stored": created}
        results["intake_vs_noop"] = round(intake["ok_per_s"] / noop["per_s"], 3)
        web_ms, db_ms, all_ms = (
            round(1000 * (after - before_) / max(created, 1), 2)
            for before_, after in zip(cpu_before, cpu_after, strict=True)
        )
        results["intake_cpu_ms_per_appeal"] = {
            "web_workers": web_ms,
            "database": db_ms if postmaster else None,
            "machine": all_ms,
            "database_measured": "the PostgreSQL server's processes, ended backends included",
            "machine_busy_share": round(
                (cpu_after[2] - cpu_before[2]) / ((os.cpu_count() or 1) * intake["seconds"]), 3
            )
            if intake.get("seconds")
            else None,
            # The share of the cores' time the hypervisor gave to other guests meanwhile
            # (/proc/stat's steal): CPU this machine wanted and did not get.
            "machine_steal_share": round(stolen / ((os.cpu_count() or 1) * intake["seconds"]), 3)
            if intake.get("seconds")
            else None,
        }
        steal_share = results["intake_cpu_ms_per_appeal"]["machine_steal_share"]
        if steal_share is not None and steal_share > QUIET_STEAL_SHARE:
            warning = (
                f"Intake: the hypervisor took {steal_share:.0%} of this machine's CPU time for "
                f"other guests during the measurement (steal), so the intake figures understate "
                f"this machine kind. Run again when the host is quieter."
            )
            _warn(results, warning)
        if postmaster:
            # The rest of the machine: wrk (0.2-0.3 ms a filing on a quiet machine) and
            # whatever else ran meanwhile.
            other = round(all_ms - web_ms - db_ms, 2)
            results["intake_cpu_ms_per_appeal"]["other"] = other
            if other > QUIET_OTHER_MS:
                warning = (
                    f"Intake: {other} ms of CPU per filing went to processes other than the web "
                    f"workers and PostgreSQL (the load generator takes about 0.2-0.3 ms when the "
                    f"machine is quiet): something else ran during the measurement, so the "
                    f"intake figures understate this machine. Run again on a quiet machine."
                )
                _warn(results, warning)

        before = Appeal.objects.count()
        o311 = load.wrk(
            base + "/open311/v2/requests.json",
            "post.lua",
            [str(o311_file), "application/x-www-form-urlencoded"],
            seconds=seconds,
        )
        results["open311_appeals_per_s"] = o311["ok_per_s"]
        results["open311_p95_ms"] = o311["p95_ms"]
        results["open311"] = {**o311, "appeals_stored": Appeal.objects.count() - before}

        # Workflow transitions on the appeals just filed: register, then dispatch.
        received = list(
            Appeal.objects.filter(status=Status.RECEIVED, channel=channel.code)
            .order_by("pk")
            .values_list("number", flat=True)
        )
        leaves = list(
            Category.objects.filter(level=3, active=True).values_list("code", flat=True)[:300]
        )
        kind = AppealType.objects.get(code="complaint").code
        grade = Grade.objects.get(code="C").code
        lines = []
        for i, number in enumerate(received):
            body = {"appeal_type": kind, "category": leaves[i % len(leaves)], "grade": grade}
            lines.append(f"/api/v1/appeals/{number}/actions/register/\t{json.dumps(body)}")
        (tmp / "register.txt").write_text("\n".join(lines) + "\n")
        events_before = Event.objects.count()
        # Registering runs twice as long as dispatching: a dispatch costs less than a register,
        # and the dispatch phase must not run out of registered appeals (wrk would start over
        # on dispatched ones, refused with 409, and the rate would read low).
        register = load.wrk(
            base,
            "actions.lua",
            [str(tmp / "register.txt"), f"Authorization=Token {token}"],
            seconds=max(10, seconds),
        )
        registered = list(
            Appeal.objects.filter(status=Status.REGISTERED, channel=channel.code)
            .order_by("pk")
            .values_list("number", flat=True)
        )
        (tmp / "dispatch.txt").write_text(
            "".join(f"/api/v1/appeals/{n}/actions/dispatch/\t{{}}\n" for n in registered)
        )
        dispatch = load.wrk(
            base,
            "actions.lua",
            [str(tmp / "dispatch.txt"), f"Authorization=Token {token}"],
            seconds=max(5, seconds // 2),
        )
        if dispatch["ok_per_s"] * dispatch["seconds"] >= len(registered):
            print(
                "*** the dispatch phase ran out of registered appeals: transitions_per_s "
                "reads low ***",
                file=sys.stderr,
            )
        transitions = Event.objects.filter(kind__in=["register", "dispatch"]).count()
        done = Event.objects.count() - events_before
        took = register["seconds"] + dispatch["seconds"]
        results["transitions_per_s"] = round(
            (
                register["ok_per_s"] * register["seconds"]
                + dispatch["ok_per_s"] * dispatch["seconds"]
            )
            / took,
            1,
        )
        results["transitions"] = {
            "register": register,
            "dispatch": dispatch,
            "events_written": done,
            "register_and_dispatch_events_total": transitions,
        }

    # Bulk load to the target size, then the reads at that size.
    t0 = time.perf_counter()
    report = bulkload.load(max(0, target - Appeal.objects.count()))
    results["load_appeals_per_s"] = round(report.appeals / (time.perf_counter() - t0), 1)
    results["appeals_loaded"] = Appeal.objects.count()
    results["events_loaded"] = Event.objects.count()
    # As `load_appeals` does after loading (and autovacuum in time): the visibility map and the
    # planner's statistics of the loaded tables, before anything reads them.
    t0 = time.perf_counter()
    bulkload.settle()
    results["load_vacuum_s"] = round(time.perf_counter() - t0, 1)

    results.update(measure_reads(tmp, env, workers, 6 if quick else seconds, token))

    # Insights at the loaded size (issue 11): the bulk load bypasses the workflow's hook, so the
    # KPI facts are rebuilt once (timed), then the analyst's pages are read in-process.
    import insights_reads

    from jiesu.insights import refresh

    t0 = time.perf_counter()
    refresh.rebuild()
    results["kpi_rebuild_s"] = round(time.perf_counter() - t0, 1)
    results.update(insights_reads.measure(3))

    cpu = results.get("intake_cpu_ms_per_appeal") or {}
    results["bounds"] = (
        f"Intake: CPU. In this run a filing cost {cpu.get('web_workers')} ms of web-worker CPU "
        f"and {cpu.get('database')} ms of PostgreSQL CPU, {cpu.get('machine')} ms of the whole "
        f"machine's (measured from /proc over the intake run; the machine was "
        f"{cpu.get('machine_busy_share')} busy), so {workers} cores carry about "
        f"{round(1000 * workers / cpu['machine']) if cpu.get('machine') else None} filings a "
        "second at most. Throughput grows with cores: web workers first, then a database "
        "machine of its own (docs/operations.md, Capacity)."
    )
    out = {
        "machine": machine(workers),
        "data": {
            "appeals": Appeal.objects.count(),
            "events": Event.objects.count(),
            "setup_seconds": round(setup_seconds, 1),
        },
        "results": results,
    }
    Path(args.out).write_text(json.dumps(out, indent=2, ensure_ascii=False, default=str))


def machine(workers: int) -> dict:
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "database": "postgresql",
        "database_connection": load.pg_connection(os.environ.get("BENCH_PG_URL", DEFAULT_PG)),
        "web": f"gunicorn, {workers} sync workers",
        "load_generator": "wrk, 2 threads, 16 connections (reads also: one per worker)",
    }


def reads_only(url: str, redis_url: str, tmp: Path, workers: int, seconds: int, out: str):
    load.require_wrk()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from jiesu.appeals.models import Appeal, Event
    from jiesu.org.models import User, UserRole
    from jiesu.org.roles import Role

    centre = User.objects.get(username="dispatcher").unit
    staff, _ = User.objects.get_or_create(
        username="bench_staff", defaults={"full_name": "压测", "unit": centre}
    )
    UserRole.objects.get_or_create(user=staff, role=Role.DISPATCHER)
    token = Token.objects.get_or_create(user=staff)[0].key
    call_command("collectstatic", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    results = measure_reads(tmp, load.server_env(url, redis_url), workers, seconds, token)
    data = {"appeals": Appeal.objects.count(), "events": Event.objects.count()}
    results["appeals_loaded"] = data["appeals"]
    report = {"machine": machine(workers), "data": data, "results": results}
    Path(out).write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))


def measure_reads(tmp: Path, env: dict, workers: int, seconds: int, token: str) -> dict:
    """The read figures on the data already loaded: the public tracking page of appeals across
    the whole range, the console lists and search, the API list. Each is measured twice: with
    as many connections as workers (`*_p95_ms`: a page's own time, no request waiting for a
    worker) and with 16 connections (`*_p95_ms_16c` and `*_per_s`: the server saturated, where
    the time is mostly waiting in the queue: about 16 / workers x the page's own time)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from jiesu.appeals.models import Appeal
    from jiesu.intake.citizen import access
    from jiesu.org.models import User

    supervisor = User.objects.get(username="supervisor")
    results: dict = {}

    def session_cookie(user=None, appeals=()):
        s = SessionStore()
        if user is not None:
            s[SESSION_KEY] = str(user.pk)
            s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            s[HASH_SESSION_KEY] = user.get_session_auth_hash()
        for appeal in appeals:
            access.grant(s, appeal)
        s.create()
        return f"sessionid={s.session_key}"

    # Tracking pages of loaded appeals spread over the whole range: 50 citizens' sessions of
    # 20 appeals each (a session holds at most 20 grants).
    ids = list(Appeal.objects.order_by("?").values_list("pk", flat=True)[:1000])
    sample = list(Appeal.objects.filter(pk__in=ids))
    lines = []
    for i in range(0, len(sample), 20):
        group = sample[i : i + 20]
        cookie = session_cookie(appeals=group)
        lines.extend(f"/track/{quote(a.number)}/\t{cookie}" for a in group)
    (tmp / "track.txt").write_text("\n".join(lines) + "\n")

    sup = session_cookie(user=supervisor)
    intake = session_cookie(user=User.objects.get(username="intake"))
    handler = session_cookie(user=User.objects.get(username="handler"))
    # A caller of the loaded history (the search by phone, whole and last four digits; the
    # intake desk's caller history) and a caller never seen before.
    phone = next((a.reporter_phone for a in sample if a.reporter_phone), "13800000000")
    desk_lines = [
        f"/console/supervision/\t{sup}",
        f"/console/search/?q=%E5%9E%83%E5%9C%BE\t{sup}",
        f"/console/search/?status=in_progress\t{sup}",
        f"/console/search/\t{sup}",
        f"/console/search/?phone={phone}\t{sup}",
        f"/console/search/?phone={phone[-4:]}\t{sup}",
        f"/console/search/\t{handler}",
        f"/console/dispatch/\t{session_cookie(user=User.objects.get(username='dispatcher'))}",
        f"/console/intake/\t{intake}",
        f"/console/intake/caller/?phone={phone}\t{intake}",
        f"/console/intake/caller/?phone=13912345678\t{intake}",
    ]
    (tmp / "lists.txt").write_text("\n".join(desk_lines) + "\n")
    # A unit's own pages beside it (kept apart so that `list_p95_ms` measures the same set as
    # in earlier runs): its desk (the first tab with work) and its search with a common term.
    unit_lines = [
        f"/console/unit/\t{handler}",
        f"/console/search/?q=%E5%9E%83%E5%9C%BE\t{handler}",
    ]
    (tmp / "unit_lists.txt").write_text("\n".join(unit_lines) + "\n")
    (tmp / "api_list.txt").write_text("/api/v1/appeals/?page_size=50\n")
    (tmp / "noop.txt").write_text("/healthz\n")
    figures = {}
    with load.gunicorn(env, workers, tmp) as base:
        for name, path, extra in (
            ("noop", "noop.txt", []),  # the floor of the same server in the same run
            ("tracking", "track.txt", []),
            ("list", "lists.txt", []),
            ("unit_list", "unit_lists.txt", []),
            ("api_list", "api_list.txt", [f"Authorization=Token {token}"]),
        ):
            # Warm up first (not measured): a worker's first request of a kind imports
            # modules, compiles templates and loads its process copies, once per process.
            load.wrk(base, "get.lua", [str(tmp / path), *extra], seconds=3, connections=workers)
            for label, connections in (("own", workers), ("16c", 16)):
                figures[(name, label)] = load.wrk(
                    base,
                    "get.lua",
                    [str(tmp / path), *extra],
                    seconds=seconds,
                    connections=connections,
                )
    for name in ("noop", "tracking", "list", "unit_list", "api_list"):
        own, busy = figures[(name, "own")], figures[(name, "16c")]
        key = "read_noop" if name == "noop" else name  # beside the intake run's noop figures
        results[f"{key}_p95_ms"] = own["p95_ms"]
        results[f"{key}_p95_ms_16c"] = busy["p95_ms"]
        results[f"{key}_per_s"] = busy["ok_per_s"]
    results["reads"] = {f"{n}_{label}": f for (n, label), f in figures.items()}
    return results


if __name__ == "__main__":
    main()
