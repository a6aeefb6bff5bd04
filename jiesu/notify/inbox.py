# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""In-app notifications: the staff member's inbox in the console.

Who sees what (a decision, see docs/guide/notifications.md):
- a row addressed to a staff member: that staff member;
- a row addressed to a unit: every active staff member whose own unit it is. Not the staff of
  its parent units (a department leader is not told of each team's new work; the console's
  lists by scope show it) and not those of its sub-units (the work is not theirs).

Read state is per reader (`Reading`): one handler reading the unit's "new work" does not hide it
from the unit leader. The row's `read_at` keeps the time of its first reading.
"""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from jiesu.notify import rendering
from jiesu.notify.models import Notification, Reading


def _has_inbox(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def for_user(user):
    """Every in-app notification addressed to `user` or to `user`'s own unit, newest first,
    each with `is_read` (by this user)."""
    if not _has_inbox(user):
        return Notification.objects.none()
    addressed = Q(recipient_user=user)
    if user.unit_id:
        addressed |= Q(recipient_unit_id=user.unit_id)
    return (
        Notification.objects.filter(addressed, channel=Notification.Channel.IN_APP)
        .exclude(status=Notification.Status.DEAD)
        .annotate(is_read=Exists(Reading.objects.filter(notification=OuterRef("pk"), user=user)))
        .order_by("-created_at", "-id")
    )


def unread_for(user):
    """The in-app notifications `user` has not read yet, newest first."""
    if not _has_inbox(user):
        return Notification.objects.none()
    return for_user(user).filter(is_read=False)


def unread_count(user) -> int:
    return unread_for(user).count()


def mark_read(user, notifications=None, now=None) -> int:
    """Mark notifications read by `user`: the given rows or ids, or all of the user's unread.

    Only rows the user may see are marked; returns how many became read.
    """
    now = now or timezone.now()
    rows = unread_for(user)
    if notifications is not None:
        ids = [getattr(n, "pk", n) for n in notifications]
        rows = rows.filter(pk__in=ids)
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        return 0
    Reading.objects.bulk_create(
        [Reading(notification_id=pk, user=user, read_at=now) for pk in ids],
        ignore_conflicts=True,
    )
    Notification.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=now)
    return len(ids)


def display(notification) -> tuple[str, str]:
    """(title, text) of an in-app notification for the console."""
    if notification.body:
        return notification.subject, notification.body
    return rendering.render_message(notification)
