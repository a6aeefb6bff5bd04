# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The duplicate finder against many open appeals on PostgreSQL (issue 10):
`duplicate_ms_per_appeal`.

    python bench/dispatch_duplicates.py [--quick] --out FILE

`measure(quick)` (called by bench/run.py) runs this file in a process of its own and returns its
figures, or {} when PostgreSQL is not reachable.

1. A fresh PostgreSQL database (BENCH_DUP_PG_URL, default .../jiesu_bench_dups; dropped and
   created), migrated and seeded with the demo district.
2. 1,000,000 open appeals (15,000 with --quick; BENCH_DUP_APPEALS overrides) written by one
   INSERT ... SELECT per batch, with their signature rows and band keys written by COPY (not
   through the workflow: the finder reads only the signature tables and, for the best few, the
   appeals; so the appeals' search grams are not written for them). Texts: the demo knowledge base's real messages, each with a street address
   appended so that texts differ; its MinHash is the slot-wise minimum of the message's and the
   address's (the MinHash of the union of their shingles). Points uniform over the district's
   box, received uniformly over 90 days, 300 leaf categories, one phone number per two appeals.
3. New appeals received through the workflow (half of them a recent stored matter told again,
   a few metres away), and a full search for each (`duplicates.find_many([appeal],
   reuse=False)`: no shortlist reused, ADR 0036) timed: median and p95 in ms, with the rows it
   scored and the duplicates it offered.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from statistics import median
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/jiesu_bench_dups"
TABLES = ("dispatch_appealsignature", "dispatch_signatureband")
ROADS = [f"{a}{b}路" for a in "东南西北中新龙坪金汤竹沙碧秀锦" for b in "山田湖岭园坑头湾"]


def measure(quick: bool) -> dict:
    """Run this benchmark in its own process; its figures, or {} without PostgreSQL."""
    url = os.environ.get("BENCH_DUP_PG_URL", DEFAULT_PG)
    try:
        import psycopg

        psycopg.connect(_admin_url(url), connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means: no PostgreSQL here
        print(f"*** PostgreSQL is not reachable ({exc}): duplicate_ms_per_appeal is skipped ***")
        return {}
    out = Path(tempfile.mkdtemp(prefix="jiesu-bench-dups-")) / "dups.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--out", str(out)]
    if quick:
        cmd.append("--quick")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "JIESU_VAR_DIR")}
    subprocess.run(cmd, check=True, env=env)
    return json.loads(out.read_text())


def _admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def fresh_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(_admin_url(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def texts_pool() -> list[str]:
    from jiesu.dispatch import knowledge

    rows = knowledge.read_entries(ROOT / "jiesu" / "demo" / "data" / "knowledge_base.csv.gz")
    return [f"{r['title']}\n{r['question']}" for r in rows]


def _box() -> tuple[float, float, float, float]:
    """About 11 x 14 km around the district's centre."""
    from jiesu.org.models import Region

    district = Region.objects.filter(level=Region.Level.DISTRICT).first()
    lat0, lng0 = (district.center_lat, district.center_lng) if district else (22.708, 114.35)
    return (lat0 - 0.05, lat0 + 0.05, lng0 - 0.07, lng0 + 0.07)


def build(n: int, seed: int = 10) -> dict:
    """n open appeals with signatures and bands, in batches; returns what was built."""
    import numpy as np
    from django.db import connection

    from jiesu.appeals.models import Appeal
    from jiesu.catalog.models import Category
    from jiesu.dispatch import duplicates, signatures

    rng = np.random.default_rng(seed)
    pool = texts_pool()
    pool_sigs = np.stack([signatures.minhash(t) for t in pool])
    addresses = [f"{road}{num}号" for road in ROADS for num in range(1, 101)]
    addr_sigs = np.stack([signatures.minhash(a) for a in addresses])
    categories = list(
        Category.objects.filter(level=Category.Level.LEAF).values_list("pk", flat=True)[:300]
    )
    box = _box()

    fields = [f for f in Appeal._meta.concrete_fields if f.name != "id"]
    special = {
        "number": "'BD' || lpad(g::text, 10, '0')",
        "channel": "'hotline'",
        "title": "left(split_part(t.body, E'\\n', 1), 200)",
        "description": "t.body",
        "reporter_name": "'张某'",
        "reporter_phone": "'138' || lpad((g / 2)::text, 8, '0')",
        "address": "a.body",
        "lat": "%(lat_lo)s + (%(lat_hi)s - %(lat_lo)s) * ((g * 2654435761::bigint) %% 1000003) "
        "/ 1000003.0",
        "lng": "%(lng_lo)s + (%(lng_hi)s - %(lng_lo)s) * ((g * 40503::bigint) %% 999983) "
        "/ 999983.0",
        "category_id": "c.body::bigint",
        "status": "'dispatched'",
        "received_at": "now() - ((g * 7927) %% (90 * 1440)) * interval '1 minute'",
        "version": "3",
    }
    columns, exprs = [], []
    for f in fields:
        columns.append(f'"{f.column}"')
        if f.name in special or f.column in special:
            exprs.append(special.get(f.name) or special[f.column])
        elif f.null:
            exprs.append("NULL")
        else:
            value = f.get_default()
            exprs.append("0" if value in (0, False) and not isinstance(value, str) else "''")
    for i, f in enumerate(fields):
        if f.get_internal_type() == "BooleanField" and f.name not in special:
            exprs[i] = "false"
    # Column names come from the model and values are parameters.
    insert = "INSERT INTO appeals_appeal ({}) SELECT {} FROM {} RETURNING id, number".format(  # noqa: S608
        ", ".join(columns),
        ", ".join(exprs),
        "generate_series(%(start)s::bigint, %(stop)s::bigint) AS g "
        "JOIN bench_texts t ON t.i = g %% %(n_texts)s "
        "JOIN bench_addresses a ON a.i = (g * 7919) %% %(n_addresses)s "
        "JOIN bench_categories c ON c.i = (g * 31) %% %(n_categories)s",
    )
    with connection.cursor() as cur:
        for table, values in (
            ("bench_texts", pool),
            ("bench_addresses", addresses),
            ("bench_categories", [str(c) for c in categories]),
        ):
            cur.execute(f"CREATE TEMP TABLE {table} (i integer PRIMARY KEY, body text)")
            cur.executemany(
                f"INSERT INTO {table} VALUES (%s, %s)",  # noqa: S608 (a fixed name)
                list(enumerate(values)),
            )
    params = {
        "n_texts": len(pool),
        "n_addresses": len(addresses),
        "n_categories": len(categories),
        "lat_lo": box[0],
        "lat_hi": box[1],
        "lng_lo": box[2],
        "lng_hi": box[3],
    }
    batch = 50_000
    t0 = time.perf_counter()
    # Load without the signature tables' indexes and foreign-key triggers (rebuilt after), and
    # without the appeals' search grams: the finder never reads them, and computing them for
    # long real texts (migration appeals.0008's trigger) took most of an hour for a million.
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE appeals_appeal DISABLE TRIGGER appeals_appeal_grams_insert")
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
            "AND indexname NOT LIKE '%%pkey'",
            [list(TABLES)],
        )
        found = cur.fetchall()
        indexes = [definition for _name, definition in found]
        for name, _definition in found:
            cur.execute(f'DROP INDEX "{name}"')
        for table in TABLES:
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    for start in range(1, n + 1, batch):
        stop = min(n, start + batch - 1)
        with connection.cursor() as cur:
            cur.execute(insert, {**params, "start": start, "stop": stop})
            ids = [row[0] for row in cur.fetchall()]
        rows = list(
            Appeal.objects.filter(pk__in=ids).values_list(
                "pk", "number", "lat", "lng", "category_id", "reporter_phone", "received_at"
            )
        )
        _copy_signatures(rows, pool_sigs, addr_sigs, duplicates)
    with connection.cursor() as cur:
        cur.execute("ALTER TABLE appeals_appeal ENABLE TRIGGER appeals_appeal_grams_insert")
        for table in TABLES:
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")
        for sql in indexes:
            cur.execute(sql)
    # A table in steady use is vacuumed by autovacuum (index-only scans need its visibility map).
    with connection.cursor() as cur:
        for table in ("appeals_appeal", *TABLES):
            cur.execute(f"VACUUM ANALYZE {table}")
    del rng
    return {"seconds": round(time.perf_counter() - t0, 1), "box": box}


def _copy_value(value) -> str:
    if value is None:
        return "\\N"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _copy_signatures(rows, pool_sigs, addr_sigs, duplicates):
    import zlib

    import numpy as np
    from django.db import connection

    g = np.array([int(number[2:]) for _pk, number, *_rest in rows])
    sigs = np.minimum(pool_sigs[g % len(pool_sigs)], addr_sigs[(g * 7919) % len(addr_sigs)])
    data = sigs.astype("<u4").tobytes()
    width = sigs.shape[1] * 4
    step = width // 8  # the bytes of one band (signatures.BANDS = 8)
    sig_lines, band_lines = [], []
    for i, (pk, _number, lat, lng, category_id, phone, received_at) in enumerate(rows):
        raw = data[i * width : (i + 1) * width]
        cell = duplicates.cell_of(lat, lng)
        key = duplicates.phone_key(phone)
        sig_lines.append(
            "\t".join(
                _copy_value(v)
                for v in (pk, "\\\\x" + raw.hex(), cell, lat, lng, category_id, key, received_at)
            )
            + "\n"
        )
        for b in range(8):
            chunk = raw[b * step : (b + 1) * step]
            value = zlib.crc32(chunk, b) | (zlib.adler32(chunk, b + 1) << 32)
            band_lines.append(f"{pk}\t{value - (1 << 64) if value >= (1 << 63) else value}\n")
    raw_conn = connection.connection  # psycopg 3
    with raw_conn.cursor() as cur:
        with cur.copy(
            "COPY dispatch_appealsignature (appeal_id, minhash, cell, lat, lng, category_id, "
            "phone_key, received_at) FROM STDIN"
        ) as copy:
            copy.write("".join(sig_lines))
        with cur.copy("COPY dispatch_signatureband (appeal_id, key) FROM STDIN") as copy:
            copy.write("".join(band_lines))


def inside(rnd, box) -> dict:
    """A random point of the box that lies in the district (a receipt outside is refused)."""
    from jiesu.org import geo

    lat_lo, lat_hi, lng_lo, lng_hi = box
    for _ in range(200):
        lat, lng = rnd.uniform(lat_lo, lat_hi), rnd.uniform(lng_lo, lng_hi)
        if geo.resolve_point(lat, lng) is not None:
            return {"lat": lat, "lng": lng}
    return {"lat": (lat_lo + lat_hi) / 2, "lng": (lng_lo + lng_hi) / 2}


def run(quick: bool, reuse: bool = False) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from jiesu.appeals import workflow
    from jiesu.appeals.models import Appeal
    from jiesu.dispatch import duplicates
    from jiesu.dispatch.models import AppealSignature, SignatureBand

    n = int(os.environ.get("BENCH_DUP_APPEALS", "15000" if quick else "1000000"))
    if reuse:  # the database of an earlier run, as it is
        built = {"seconds": None, "box": _box()}
    else:
        call_command("migrate", verbosity=0)
        call_command("seed_demo", verbosity=0)
        built = build(n)
    pool = texts_pool()
    rnd = random.Random(7)
    probes = []
    recent = list(
        Appeal.objects.filter(received_at__gte=timezone.now() - timedelta(days=20))
        .exclude(lat=None)
        .order_by("?")
        .values("title", "description", "lat", "lng")[:2000]
    )
    from jiesu.org import geo

    recent = [r for r in recent if geo.resolve_point(r["lat"], r["lng"]) is not None]
    for i in range(60 if quick else 120):
        if i % 2:  # a recent matter told again by somebody else, a few metres away
            told = recent[i % len(recent)]
            lat = told["lat"] + rnd.uniform(-0.0003, 0.0003)
            lng = told["lng"] + rnd.uniform(-0.0003, 0.0003)
            if geo.resolve_point(lat, lng) is None:  # jittered out of the district
                lat, lng = told["lat"], told["lng"]
            fields = {
                "title": told["title"],
                "description": f"{told['description']}，至今没有解决。",
                "lat": lat,
                "lng": lng,
            }
        else:  # something new
            title, _sep, body = pool[rnd.randrange(len(pool))].partition("\n")
            fields = {
                "title": title[:200] or "诉求",
                "description": f"{body[::-1]}{rnd.choice(ROADS)}" or title,
                **inside(rnd, built["box"]),
            }
        probes.append(
            workflow.receive(
                channel="hotline", reporter_phone=f"139{rnd.randrange(10**8):08d}", **fields
            )
        )
    for appeal in probes[:5]:  # warm the caches
        duplicates.find_many([appeal], reuse=False)
    samples, scored, offered, trivial, cpu_ms = [], [], [], [], []
    for appeal in probes:
        start = time.perf_counter()
        AppealSignature.objects.filter(pk=-1).exists()
        trivial.append((time.perf_counter() - start) * 1000)
        stats: dict = {}
        start, cpu = time.perf_counter(), time.process_time()
        found = duplicates.find_many([appeal], stats=stats, reuse=False).get(appeal.pk, [])
        samples.append((time.perf_counter() - start) * 1000)
        cpu_ms.append((time.process_time() - cpu) * 1000)
        scored.append(stats.get("rows", 0))
        offered.append(len(found))
    # The database's own execution time of the finder's queries (EXPLAIN ANALYZE), per appeal:
    # what the server spends, apart from the client, the network and a loaded machine's queues.
    from django.test.utils import CaptureQueriesContext

    server = []
    for appeal in probes[:30]:
        with CaptureQueriesContext(connection) as queries:
            duplicates.find_many([appeal], reuse=False)
        spent = 0.0
        with connection.cursor() as cur:
            for q in queries.captured_queries:
                cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + q["sql"])
                spent += cur.fetchone()[0][0]["Execution Time"]
        server.append(spent)
    samples.sort()
    return {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "database": f"{connection.vendor} {connection.pg_version}",
        },
        "results": {
            "duplicate_ms_per_appeal": {
                "value": round(median(samples), 2),
                "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
                "python_cpu_ms": round(median(cpu_ms), 2),
                "db_execution_ms": round(median(server), 2),
                "baseline_trivial_query_ms": round(median(trivial), 2),
                "load_average_1m": round(os.getloadavg()[0], 2),
                "open_appeals": AppealSignature.objects.count(),
                "band_rows": SignatureBand.objects.count(),
                "appeals_in_table": Appeal.objects.count(),
                "probes": len(probes),
                "candidates_scored_median": median(scored),
                "duplicates_offered_mean": round(sum(offered) / len(offered), 2),
                "build_seconds": built["seconds"],
            }
        },
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--reuse", action="store_true", help="measure on the database of an earlier run"
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DUP_PG_URL", DEFAULT_PG)
    tmp = tempfile.mkdtemp(prefix="jiesu-bench-dups-")
    os.environ.update(
        {
            "DATABASE_URL": url,
            "JIESU_VAR_DIR": tmp,
            "DJANGO_SETTINGS_MODULE": "jiesu.settings",
        }
    )
    if not args.reuse:
        fresh_database(url)
    result = run(args.quick, reuse=args.reuse)
    result["results"]["duplicate_ms_per_appeal"]["machine"] = result["machine"]
    Path(args.out).write_text(json.dumps(result["results"], indent=2, ensure_ascii=False))
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
