# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Small helpers that turn appeal records into what the console shows."""

from datetime import timedelta

from django.utils.translation import gettext as _

from jiesu.appeals.models import Appeal, Clock
from jiesu.appeals.workflow import TRANSITIONS
from jiesu.workdays import calendar
from jiesu.workdays.units import DurationUnit

WORKING = {DurationUnit.WORKING_HOURS, DurationUnit.WORKING_DAYS}

EVENT_LABELS = {
    "unmask": lambda: _("Viewed the reporter's full contact data"),
    "clock_warning": lambda: _("Deadline approaching (yellow light)"),
    "clock_breach": lambda: _("Deadline passed (red light)"),
    "citizen_rating": lambda: _("Citizen rated the result"),
    "deadline_recomputed": lambda: _("Deadline recomputed on the working calendar"),
}


def event_label(kind: str) -> str:
    if kind in TRANSITIONS:
        return str(TRANSITIONS[kind].label)
    if kind in EVENT_LABELS:
        return str(EVENT_LABELS[kind]())
    return kind


def actor_name(label: str, appeal_channel: str, channel_names: dict) -> str:
    """Who did it, as a person reads it. The history stores (and hashes) the label it was
    written with: staff as "name (username) @ unit", and for citizens "citizen" (their rating)
    or "channel:CODE" (a report through a channel); these are shown as the citizen with the
    channel's name, e.g. 市民（网页随手拍）."""
    if label == "system":
        return _("System")
    if label == "citizen" or label.startswith("channel:"):
        code = label.partition(":")[2] or appeal_channel
        return _("Citizen (%(channel)s)") % {"channel": channel_names.get(code, code)}
    return label


def event_detail(event) -> str:
    """A line under a history entry, for events whose payload is not a reason or a result."""
    payload = event.payload or {}
    if event.kind == "citizen_rating":
        rating = payload.get("rating", "")
        text = str(dict(Appeal.Satisfaction.choices).get(rating, rating))
        return f"{text}: {payload['comment']}" if payload.get("comment") else text
    return ""


def light_label(light: str) -> str:
    return {
        Clock.Light.GREEN: _("On time"),
        Clock.Light.YELLOW: _("Due soon"),
        Clock.Light.RED: _("Overdue"),
    }.get(light, light)


def format_span(delta: timedelta, working: bool) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    if working:
        text = _("%(h)d working h %(m)d min") % {"h": hours, "m": minutes}
    elif hours >= 48:
        text = _("%(d)d days %(h)d h") % {"d": hours // 24, "h": hours % 24}
    else:
        text = _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    return text


def working_calendar(clocks):
    """The working calendar, read once for a page of clocks (None when no running clock counts
    working time, or when the calendar cannot be read)."""
    if not any(c.running and c.limit_unit in WORKING for c in clocks):
        return None
    try:
        return calendar.get_calendar()
    except calendar.CalendarError:
        return None


def clock_view(clock: Clock, now, cal=None) -> dict:
    """How one clock stands. Pass `cal` (see `working_calendar`) when showing several clocks,
    so that the calendar is looked up once per page, not once per clock."""
    light = clock.light(now)
    working = clock.limit_unit in WORKING
    info = {
        "clock": clock,
        "light": light,
        "light_label": light_label(light),
        "running": clock.running,
        "extended": clock.due_at != clock.original_due_at,
    }
    if clock.cancelled:
        info["state"] = _("Cancelled")
        info["light"] = "done"
    elif clock.outcome == Clock.Outcome.NOT_APPLICABLE:
        info["state"] = _("Not applicable")
        info["light"] = "done"
    elif clock.outcome == Clock.Outcome.MISSED:
        # The work ended without this step (e.g. completed without a first contact): a red
        # light that says "not done", not "overdue".
        info["state"] = _("Missed: never done")
        info["light"] = "missed"
    elif clock.stopped_at is not None:
        info["state"] = _("Met") if clock.met else _("Met late")
    else:
        try:
            between = (cal or calendar).working_time_between
            left = between(now, clock.due_at) if working else clock.due_at - now
        except calendar.CalendarError:
            left = clock.due_at - now
            working = False
        if left.total_seconds() >= 0:
            info["state"] = _("%(left)s left") % {"left": format_span(left, working)}
        else:
            info["state"] = _("%(late)s overdue") % {"late": format_span(left, working)}
    return info


def worst_light(clocks, now) -> str | None:
    order = {"red": 3, "yellow": 2, "green": 1}
    lights = [c.light(now) for c in clocks if c.running]
    return max(lights, key=lambda light: order[light]) if lights else None
