# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The Prometheus metrics endpoint, `/metrics`, and the middleware that times requests.

Never public: it answers only a scraper that sends `Authorization: Bearer <JIESU_METRICS_TOKEN>`
or comes from an address in `JIESU_METRICS_ALLOWED_IPS` (addresses or networks); with neither
set, it refuses everybody. What it reports:

- what the processes counted (`jiesu.telemetry`): requests and their latency by route, tasks
  recovered from dead workers, database reconnections of workers, cache errors; added up over
  every gunicorn and task worker of the machine when `PROMETHEUS_MULTIPROC_DIR` is set;
- what the database holds at the moment of the scrape: tasks by state and the age of the oldest
  waiting one (database backend; RQ queues when RQ is the backend), notifications in the outbox
  by state and the age of the oldest undelivered one, reward payouts by state, open appeals by
  the light of their handling clock, running clocks past their deadline;
- whether the database, the shared cache and RQ's Redis answer.

The list, with what to alert on, is in docs/operations.md (Monitoring).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from jiesu import telemetry
from jiesu.clients import client_ip_address
from jiesu.conf import setting

logger = logging.getLogger("jiesu.metrics")

UNMATCHED = "<unmatched>"


def route_of(request) -> str:
    """The URL pattern that answered (`api/v1/appeals/<str:number>/`), never the path itself:
    appeal numbers and query codes would make a series per appeal."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    return "/" + (match.route or "")


class RequestMetrics:
    """Counts and times every request by route, method and status (first in MIDDLEWARE, so
    the time includes the other middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = route_of(request)
        method = request.method if request.method in KNOWN_METHODS else "OTHER"
        telemetry.HTTP_REQUESTS.labels(route, method, str(response.status_code)).inc()
        telemetry.HTTP_LATENCY.labels(route, method).observe(elapsed)
        return response


KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


# --- access -------------------------------------------------------------------------------


def _allowed_networks():
    networks = []
    for item in setting("METRICS_ALLOWED_IPS", []):
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            logger.error("JIESU_METRICS_ALLOWED_IPS: %r is not an address or network", item)
    return networks


def allowed(request) -> bool:
    token = setting("METRICS_TOKEN", "")
    if token:
        sent = request.headers.get("Authorization", "")
        if sent.startswith("Bearer ") and hmac.compare_digest(
            sent.removeprefix("Bearer ").strip().encode(), token.encode()
        ):
            return True
    address = client_ip_address(request)
    if address:
        ip = ipaddress.ip_address(address)
        if any(ip in network for network in _allowed_networks()):
            return True
    return False


# --- the state read from the database -------------------------------------------------------


def _gauge(name, documentation, labels=(), rows=()):
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    for label_values, value in rows:
        family.add_metric(list(label_values), value)
    return family


def _age(oldest, now) -> float:
    return max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


class StateCollector:
    """Figures read from the database and the services when the endpoint is scraped (one
    process reads them, so they are never added up over processes)."""

    def collect(self):
        now = timezone.now()
        up = self._database_up()
        yield _gauge("jiesu_database_up", "1 when the database answers.", rows=[((), up)])
        yield from self._cache()
        if up:
            yield from self._tasks(now)
            yield from self._outbox(now)
            yield from self._payouts()
            from jiesu.appeals import timesource

            yield from self._sla(timesource.now())

    def _database_up(self) -> int:
        from django.db import connection

        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            return 1
        except Exception as exc:  # noqa: BLE001 - any failure means "down"
            logger.error("Metrics: the database cannot be reached (%s)", exc)
            return 0

    def _cache(self):
        from django.core.cache import cache

        reachable = getattr(cache, "reachable", None)
        if reachable is not None:
            yield _gauge(
                "jiesu_cache_up",
                "1 when the shared cache (Redis) answers; while 0, rate limits are not enforced.",
                rows=[((), int(reachable()))],
            )

    def _tasks(self, now):
        from django.db.models import Count, Min
        from django_tasks import TaskResultStatus, task_backends
        from django_tasks_db.models import DBTaskResult

        from jiesu import taskclaims

        by_state = dict(
            DBTaskResult.objects.values_list("status").annotate(n=Count("pk")).order_by()
        )
        yield _gauge(
            "jiesu_tasks",
            "Tasks in the database queue by state (READY waiting, RUNNING claimed by a worker, "
            "FAILED, SUCCESSFUL).",
            ["state"],
            [((s,), by_state.get(s, 0)) for s in TaskResultStatus.values],
        )
        oldest = DBTaskResult.objects.ready().aggregate(m=Min("enqueued_at"))["m"]
        yield _gauge(
            "jiesu_tasks_oldest_ready_age_seconds",
            "How long the oldest task ready to run has waited (0 when none waits).",
            rows=[((), _age(oldest, now))],
        )
        yield _gauge(
            "jiesu_tasks_abandoned",
            "Tasks claimed longer than the lease ago and not finished (a dead worker's); the "
            "scheduler puts them back in the queue.",
            rows=[((), taskclaims.abandoned(now).count())],
        )
        backend = task_backends["default"]
        if type(backend).__name__ == "RQBackend":
            yield from self._rq()

    def _rq(self):
        try:
            import django_rq

            rows, up = [], 1
            for name in settings.RQ_QUEUES:
                queue = django_rq.get_queue(name)
                rows += [
                    ((name, "queued"), queue.count),
                    ((name, "started"), queue.started_job_registry.count),
                    ((name, "failed"), queue.failed_job_registry.count),
                    ((name, "scheduled"), queue.scheduled_job_registry.count),
                ]
        except Exception as exc:  # noqa: BLE001 - Redis down
            logger.error("Metrics: RQ's Redis cannot be reached (%s)", exc)
            rows, up = [], 0
        yield _gauge("jiesu_rq_up", "1 when RQ's Redis answers.", rows=[((), up)])
        yield _gauge("jiesu_rq_jobs", "RQ jobs by queue and state.", ["queue", "state"], rows)

    def _outbox(self, now):
        from django.db.models import Count, Min, Q

        from jiesu.notify.models import Notification

        S = Notification.Status
        outgoing = Notification.objects.exclude(channel=Notification.Channel.IN_APP)
        by_state = dict(outgoing.values_list("status").annotate(n=Count("pk")).order_by())
        yield _gauge(
            "jiesu_outbox_notifications",
            "Outgoing notifications (SMS, WeChat, e-mail, webhook) by state.",
            ["state"],
            [((s,), by_state.get(s, 0)) for s in S.values],
        )
        oldest = outgoing.filter(Q(status__in=[S.PENDING, S.SENDING, S.FAILED])).aggregate(
            m=Min("created_at")
        )["m"]
        yield _gauge(
            "jiesu_outbox_oldest_undelivered_age_seconds",
            "Age of the oldest notification not yet delivered (pending, sending or retrying).",
            rows=[((), _age(oldest, now))],
        )

    def _payouts(self):
        from django.db.models import Count

        from jiesu.rewards.models import Payout

        by_state = dict(Payout.objects.values_list("status").annotate(n=Count("pk")).order_by())
        yield _gauge(
            "jiesu_reward_payouts",
            "Reward payouts by state.",
            ["state"],
            [((s,), by_state.get(s, 0)) for s in Payout.Status.values],
        )

    def _sla(self, now):
        from django.db.models import Count

        from jiesu.appeals.models import Appeal, Clock
        from jiesu.appeals.states import FINAL_STATES
        from jiesu.insights import kpis, overview

        lights = overview.lights(kpis.Scope_(True), now=now)
        yield _gauge(
            "jiesu_appeals_open_by_light",
            "Open appeals held by a unit, by the light of their handling clock.",
            ["light"],
            [((light,), lights[light]) for light in ("green", "yellow", "red")],
        )
        overdue = dict(
            Clock.objects.filter(stopped_at__isnull=True, cancelled=False, due_at__lt=now)
            .values_list("kind")
            .annotate(n=Count("pk"))
            .order_by()
        )
        yield _gauge(
            "jiesu_clocks_overdue",
            "Running SLA clocks past their deadline, by clock (sign, contact, handle, visit).",
            ["clock"],
            [((k,), overdue.get(k, 0)) for k in Clock.Kind.values],
        )
        yield _gauge(
            "jiesu_appeals_open",
            "Appeals not yet in a final state.",
            rows=[((), Appeal.objects.exclude(status__in=FINAL_STATES).count())],
        )


def _process_figures() -> bytes:
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def metrics(request):
    if not allowed(request):
        return HttpResponse(
            _(
                "Access to the metrics is refused: send the metrics token "
                "(JIESU_METRICS_TOKEN) or scrape from an allowed address "
                "(JIESU_METRICS_ALLOWED_IPS)."
            ),
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    state = CollectorRegistry()
    state.register(StateCollector())
    # The state first: reading it may count (a cache error) in this process's figures.
    current = generate_latest(state)
    body = _process_figures() + current
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
