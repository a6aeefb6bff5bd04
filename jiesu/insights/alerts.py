# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Emerging issues flagged to the supervisors as they form 新发问题提醒.

The periodic task `flag_emerging` (at most every `EVERY`, whichever worker runs it) looks at the
whole district for
- category x subdistrict pairs whose volume this week is significantly above their own
  baseline (`hotspots.emerging`: Poisson upper tail, Bonferroni-corrected, a false alarm in at
  most 5% of weeks), and
- topic clusters of similar appeals in the last four weeks (`topics.appeal_topics`: at least
  `topics.TOPIC_MIN` appeals from at least two reporters),
and tells every active supervisor about each new one through the notify outbox (an in-app
message), once: a volume issue is the same issue for its whole week (key category, subdistrict,
week); a topic is the same topic while most of its appeals were already in a flagged topic of
the last `TOPIC_MEMORY` days, however it grows. Each flag is kept as an `EmergingFlag` row.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from jiesu.appeals import timesource, workflow
from jiesu.insights import hotspots, kpis, overview, topics
from jiesu.insights.models import AlertRun, EmergingFlag
from jiesu.notify import outbox

EVERY = dt.timedelta(minutes=30)
TOPIC_MEMORY = 60  # days


def _due(now, force: bool) -> bool:
    """Claim this run (one row, locked): False if another ran less than EVERY ago."""
    with transaction.atomic():
        AlertRun.objects.get_or_create(pk=1)
        run = AlertRun.objects.select_for_update().get(pk=1)
        if not force and run.ran_at is not None and now - run.ran_at < EVERY:
            return False
        run.ran_at = now
        run.save(update_fields=["ran_at"])
    return True


def _flag(kind, key, title, evidence, now) -> EmergingFlag | None:
    """The new flag, or None when this issue was flagged before."""
    if EmergingFlag.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            return EmergingFlag.objects.create(
                kind=kind, key=key, title=title[:300], evidence=evidence, flagged_at=now
            )
    except IntegrityError:  # another worker flagged it at the same moment
        return None


def _volume_flags(day, now) -> list[EmergingFlag]:
    found = hotspots.emerging(None, day, scope=kpis.Scope_(True))
    flags = []
    for issue in found["issues"]:
        category, region = issue["category"], issue["region"]
        key = f"volume:{category['code']}:{region['code']}:{issue['week']}"
        with override("zh-hans"):
            title = _(
                "%(category)s in %(region)s: %(count)s appeals this week, %(baseline)s expected"
            ) % {
                "category": category["name"],
                "region": region["name"],
                "count": issue["count"],
                "baseline": f"{issue['baseline']:.1f}",
            }
        evidence = {
            "category": category["code"],
            "region": region["code"],
            "week": issue["week"],
            "count": issue["count"],
            "baseline": issue["baseline"],
            "p_value": issue["p_value"],
            "numbers": issue["numbers"],
        }
        flag = _flag(EmergingFlag.Kind.VOLUME, key, title, evidence, now)
        if flag is not None:
            flags.append(flag)
    return flags


def _topic_flags(day, now) -> list[EmergingFlag]:
    since = now - dt.timedelta(days=TOPIC_MEMORY)
    known = [
        set(f.evidence.get("numbers", []))
        for f in EmergingFlag.objects.filter(kind=EmergingFlag.Kind.TOPIC, flagged_at__gte=since)
    ]
    flags = []
    for topic in topics.appeal_topics(None, day, scope=kpis.Scope_(True)):
        refs = set(topic.refs)
        if any(len(refs & old) * 2 > len(refs) for old in known):
            continue
        with override("zh-hans"):
            title = _("%(count)s similar appeals from %(reporters)s reporters: %(title)s") % {
                "count": topic.messages,
                "reporters": topic.writers,
                "title": topic.title,
            }
        evidence = {
            "numbers": topic.refs,
            "appeals": topic.messages,
            "reporters": topic.writers,
            "first": topic.first.isoformat() if topic.first else None,
            "last": topic.last.isoformat() if topic.last else None,
            "places": [name for name, _n in topic.places],
        }
        flag = _flag(
            EmergingFlag.Kind.TOPIC, f"topic:{topics.signature(topic)}", title, evidence, now
        )
        if flag is not None:
            flags.append(flag)
            known.append(refs)
    return flags


def _notify(flags, now) -> int:
    staff = list(workflow.supervisors())
    sent = 0
    for flag in flags:
        numbers = flag.evidence.get("numbers", [])
        for user in staff:
            outbox.enqueue(
                "supervisor.emerging_issue",
                user=user,
                context={
                    "title": flag.title,
                    "kind": flag.kind,
                    "numbers": " ".join(numbers[:10]),
                },
                subject_ref=(numbers[0] if numbers else "")[:64],
                idempotency_key=f"emerging:{flag.pk}:{user.pk}",
                now=now,
            )
            sent += 1
    return sent


def flag_emerging(day: dt.date | None = None, now=None, *, force: bool = False) -> dict:
    """Look for new emerging issues and tell the supervisors (see the module doc). Returns
    {"ran": bool, "flags": new flags, "messages": outbox rows written}."""
    now = now or timesource.now()
    if not _due(now, force):
        return {"ran": False, "flags": 0, "messages": 0}
    day = day or overview.today()
    flags = _volume_flags(day, now) + _topic_flags(day, now)
    return {"ran": True, "flags": len(flags), "messages": _notify(flags, now)}
