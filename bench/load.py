# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Load tests from outside: gunicorn serving the project, wrk generating the load.

Used by bench/run.py. The server runs the production settings (DEBUG off, a shared Redis
cache) with as many sync workers as the machine has cores; wrk runs in its own process with
its own threads, so the figures include everything a client sees: connection, parsing,
middleware, the database round trips and the commit.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
WRK_DIR = Path(__file__).resolve().parent / "wrk"


#: Base URL -> process id of the gunicorn master serving it (for its CPU figures).
SERVERS: dict[str, int] = {}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def tree_cpu_seconds(root: int) -> float:
    """User and system CPU seconds used so far by `root` and its children, the exited ones
    included: the kernel adds a reaped child's time to its parent's (cutime, cstime), so the
    figure keeps growing when gunicorn replaces a worker or PostgreSQL ends a backend (Django
    closes a connection older than CONN_MAX_AGE and opens another, mid-run)."""
    total = 0
    pids = [root]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields and int(fields[1]) == root:
                pids.append(int(entry))
    for pid in pids:
        fields = _stat(pid)
        if fields:
            total += sum(int(v) for v in fields[11:15])
    return total / CLOCK_TICKS


def parent_pid(pid: int) -> int:
    fields = _stat(pid)
    if fields is None:
        raise OSError(f"no process {pid}")
    return int(fields[1])


def _cpu_line() -> list[int]:
    with open("/proc/stat") as f:
        return [int(v) for v in f.readline().split()[1:]]


def machine_cpu_seconds() -> float:
    """CPU seconds the whole machine has been busy running its own work (all cores;
    /proc/stat, idle, iowait and steal excluded). Guest time is already inside user time."""
    values = _cpu_line()
    return (sum(values[:8]) - values[3] - values[4] - values[7]) / CLOCK_TICKS


def steal_seconds() -> float:
    """CPU seconds the hypervisor gave to other guests while this machine had work to run
    (all cores; /proc/stat's steal column, 0 on bare metal)."""
    values = _cpu_line()
    return (values[7] if len(values) > 7 else 0) / CLOCK_TICKS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq", "wrk"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            stdout=subprocess.DEVNULL,
        )
        found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is needed for the load tests: sudo apt-get install wrk")
    return found


PG_SOCKET = Path("/var/run/postgresql/.s.PGSQL.5432")


def default_pg_url(name: str) -> str:
    """The benchmark database on the local PostgreSQL: through its Unix socket when there is one
    (how a server with its database on the same machine is set up, docs/operations.md,
    Capacity: about 10% more filings a second than TCP on the loopback), TCP otherwise."""
    if PG_SOCKET.exists():
        return f"postgres://postgres@/{name}"
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def pg_connection(url: str) -> str:
    """How `url` reaches PostgreSQL, for the results' machine facts."""
    host = urlsplit(url).hostname
    return "unix socket" if not host or host.startswith("/") else f"tcp ({host})"


def server_env(database_url: str, cache_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "jiesu.settings",
            "DATABASE_URL": database_url,
            "CACHE_URL": cache_url,
            "DEBUG": "false",
            # The same key as the process that issued the channel keys (keys are keyed hashes).
            "SECRET_KEY": os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50)),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP on the loopback: TLS is the reverse proxy's job.
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


@contextmanager
def gunicorn(env: dict, workers: int, log_dir: Path, threads: int = 1):
    """Serve jiesu.wsgi on a free port with `workers` processes of `threads` threads each (sync
    workers when 1, gthread otherwise); yield the base URL."""
    port = free_port()
    log = open(log_dir / f"gunicorn-{port}.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "jiesu.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--threads",
            str(threads),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    SERVERS[base] = proc.pid
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {log.name}")
            time.sleep(0.2)
        # Warm every worker (imports, connections) before measuring.
        for _ in range(workers * 20):
            urllib.request.urlopen(base + "/healthz", timeout=5).close()  # noqa: S310
        yield base
    finally:
        SERVERS.pop(base, None)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wrk(
    url: str,
    script: str,
    args: list[str],
    *,
    seconds: int,
    connections: int = 16,
    threads: int = 2,
) -> dict:
    """Run wrk with one of bench/wrk/*.lua; the script writes its summary as JSON."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        out_path = out.name
    subprocess.run(
        [
            require_wrk(),
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(WRK_DIR / script),
            url,
            "--",
            *args,
        ],
        check=True,
        env={**os.environ, "WRK_OUT": out_path, "WRK_THREADS": str(threads)},
        stdout=subprocess.DEVNULL,
    )
    data = json.loads(Path(out_path).read_text())
    os.unlink(out_path)
    failed = sum(v for k, v in data.items() if k.startswith("errors_"))
    if failed > 0.01 * max(1, data["requests"]):
        print(
            f"*** {url}: {failed} of {data['requests']} requests failed; see the gunicorn log "
            "in the run's temporary directory ***",
            file=sys.stderr,
        )
    seconds_taken = data["duration_us"] / 1e6
    errors = sum(v for k, v in data.items() if k.startswith("errors_"))
    return {
        "requests": data["requests"],
        "errors": errors,
        "per_s": round(data["requests"] / seconds_taken, 1),
        "ok_per_s": round((data["requests"] - errors) / seconds_taken, 1),
        "p50_ms": round(data["p50_us"] / 1000, 1),
        "p95_ms": round(data["p95_us"] / 1000, 1),
        "p99_ms": round(data["p99_us"] / 1000, 1),
        "max_ms": round(data["max_us"] / 1000, 1),
        "seconds": round(seconds_taken, 1),
        "connections": connections,
    }


# -- realistic request bodies ------------------------------------------------------------------


def appeal_texts(n: int, seed: int = 7) -> list[dict]:
    """`n` realistic appeals (title, text, a point inside a real region, a phone number),
    drawn from the demo catalogue and boundaries with the simulation's phrasing."""
    from shapely.geometry import Point, shape

    from jiesu.appeals.simulation import DETAILS, GIVEN, PLACES, PROBLEMS, SURNAMES
    from jiesu.catalog.models import Category
    from jiesu.org.models import Region

    rng = random.Random(seed)
    leaves = list(Category.objects.filter(level=3, active=True).values_list("name", flat=True))
    regions = [
        (r.name, shape(r.boundary), (r.min_lat, r.max_lat, r.min_lng, r.max_lng))
        for r in Region.objects.filter(active=True, min_lat__isnull=False, level="community")
    ] or [
        (r.name, shape(r.boundary), (r.min_lat, r.max_lat, r.min_lng, r.max_lng))
        for r in Region.objects.filter(active=True, min_lat__isnull=False)
    ]
    out = []
    for _ in range(n):
        kind = rng.choice(list(PROBLEMS))
        leaf = rng.choice(leaves)
        place = rng.choice(PLACES)
        name, polygon, (lat0, lat1, lng0, lng1) = rng.choice(regions)
        for _ in range(50):
            lat, lng = rng.uniform(lat0, lat1), rng.uniform(lng0, lng1)
            if polygon.contains(Point(lng, lat)):
                break
        else:
            p = polygon.representative_point()
            lat, lng = p.y, p.x
        out.append(
            {
                "title": f"{leaf}：{place}",
                "text": PROBLEMS[kind].format(leaf=leaf, place=place, detail=rng.choice(DETAILS)),
                "address": f"{name}{place}",
                "lat": round(lat, 6),
                "lng": round(lng, 6),
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
            }
        )
    return out


def _run_tag() -> str:
    # Bodies differ from one run to the next too (Open311 treats an identical POST within its
    # retry window as a retry of the first).
    return secrets.token_hex(3)


def api_bodies(texts: list[dict], path: Path) -> Path:
    """One JSON body per line for POST /api/v1/appeals/ (with the __N__ placeholder)."""
    tag = _run_tag()
    with path.open("w") as f:
        for t in texts:
            body = {
                "title": t["title"],
                "description": t["text"] + f" 编号{tag}-__N__",
                "address": t["address"],
                "lat": t["lat"],
                "lng": t["lng"],
                "reporter_name": t["name"],
                "reporter_phone": t["phone"],
                "external_ref": f"bench-{tag}-__N__",
            }
            f.write(json.dumps(body, ensure_ascii=False) + "\n")
    return path


def open311_bodies(texts: list[dict], service_codes: list[str], api_key: str, path: Path):
    """One form-encoded body per line for POST /open311/v2/requests.json."""
    from urllib.parse import urlencode

    rng = random.Random(11)
    tag = _run_tag()
    with path.open("w") as f:
        for t in texts:
            form = {
                "api_key": api_key,
                "service_code": rng.choice(service_codes),
                "lat": t["lat"],
                "long": t["lng"],
                "address_string": t["address"],
                "description": t["text"] + f" 编号{tag}-__N__",
                "first_name": t["name"][1:],
                "last_name": t["name"][:1],
                "phone": t["phone"],
            }
            f.write(urlencode(form) + "\n")
    return path
