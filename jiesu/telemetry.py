# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Counters and histograms the processes themselves keep (web requests, worker recoveries,
cache outages), in Prometheus' client.

Several gunicorn workers and task workers each count their own; with `PROMETHEUS_MULTIPROC_DIR`
set (one directory shared by the web and worker processes of a machine, set before any process
starts) every process writes its figures to files there and the metrics endpoint
(`jiesu.ops.metrics`) adds them up. Without it (runserver, tests), the figures of the one
process are read directly. Figures read from the database (queues, SLA lights) are not kept
here: the endpoint reads them when it is scraped.
"""

from __future__ import annotations

# The shared folder (PROMETHEUS_MULTIPROC_DIR) is made, or given up for this process, by the
# settings, before prometheus_client reads the variable.
from prometheus_client import Counter, Histogram

# Request latency buckets, in seconds: intake answers in tens of milliseconds, reports in
# seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "jiesu_http_requests",
    "HTTP requests answered, by route (the URL pattern), method and status code.",
    ["route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "jiesu_http_request_duration_seconds",
    "Time to answer an HTTP request, by route (the URL pattern) and method.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
)
TASKS_RECOVERED = Counter(
    "jiesu_tasks_recovered",
    "Tasks whose worker stopped while running them (claim older than the lease), put back in "
    "the queue for another worker.",
)
WORKER_DATABASE_LOST = Counter(
    "jiesu_worker_database_lost",
    "Times a task worker lost its database connection and reconnected.",
)
CACHE_ERRORS = Counter(
    "jiesu_cache_errors",
    "Shared cache (Redis) operations that failed because Redis could not be reached.",
)
