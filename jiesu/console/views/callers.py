# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Caller history for the phone-call form (来电登记): the caller's earlier appeals, by phone.

`GET /console/intake/caller/?phone=...` answers JSON for the form's script: the most recent
appeals filed from that number that the operator may see, reporters masked per role
(`appeals.privacy`); confidential appeals are left out for anybody who sees them only as a
handling unit. `POST` with `phone` shows the reporters' names in full, for those whose role
may unmask, and writes an `unmask` event to each appeal's history (`privacy.reveal_contact`).
"""

import re

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from jiesu.appeals import privacy
from jiesu.appeals.errors import WorkflowError
from jiesu.appeals.states import FINAL_STATES
from jiesu.console.access import visible_appeals
from jiesu.org import permissions
from jiesu.org.permissions import Action

LIMIT = 10
MIN_DIGITS = 7
_NOT_DIGITS = re.compile(r"[\s\-()]+")
_PHONE = re.compile(r"^\+?\d+$")


def phone_variants(raw: str) -> set[str] | None:
    """The spellings under which the number may be stored, or None when it is not a number."""
    text = _NOT_DIGITS.sub("", raw or "")
    if not _PHONE.match(text) or len(text.lstrip("+")) < MIN_DIGITS:
        return None
    digits = text.lstrip("+")
    variants = {text, digits, "+" + digits}
    if digits.startswith("86") and len(digits) == 13:
        variants |= {digits[2:]}
    elif len(digits) == 11:
        # Mobile numbers also as written 3-4-4 with dashes or spaces.
        a, b, c = digits[:3], digits[3:7], digits[7:]
        variants |= {"86" + digits, "+86" + digits, f"{a}-{b}-{c}", f"{a} {b} {c}"}
    # Spellings with dashes or spaces as typed (stored before the form normalised them).
    raw = (raw or "").strip()
    if raw:
        variants.add(raw)
    return variants


def _row(appeal, user, contact=None) -> dict:
    reporter = privacy.reporter_view(appeal, user)
    return {
        "number": appeal.number,
        "url": reverse("console:appeal", args=[appeal.number]),
        "title": appeal.title,
        "status": str(appeal.get_status_display()),
        "open": appeal.status not in FINAL_STATES,
        "received_at": timezone.localtime(appeal.received_at).strftime("%Y-%m-%d %H:%M"),
        "category": appeal.category.name if appeal.category_id else "",
        "reporter": (contact or {}).get("name") or reporter["name"],
        "phone": (contact or {}).get("phone") or reporter["phone"],
        "unmasked": bool(contact),
        "confidential": appeal.confidential,
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def caller_history(request):
    user = request.user
    if not permissions.can(user, Action.FILE_APPEAL):
        return JsonResponse({"error": _("Only intake operators look up callers.")}, status=403)
    source = request.POST if request.method == "POST" else request.GET
    variants = phone_variants(source.get("phone", ""))
    if variants is None:
        return JsonResponse(
            {
                "error": _("Type at least %(n)d digits of the phone number (digits only).")
                % {"n": MIN_DIGITS}
            },
            status=400,
        )
    found = (
        visible_appeals(user)
        .filter(reporter_phone__in=variants)
        .select_related("category")
        .order_by("-received_at", "-id")
    )
    if privacy.is_handling_unit_view(user, None):
        found = found.filter(confidential=False)
    appeals = list(found[: LIMIT + 1])
    more = len(appeals) > LIMIT
    appeals = appeals[:LIMIT]
    reveal = request.method == "POST"
    if reveal and not permissions.can(user, Action.UNMASK_CONTACT):
        return JsonResponse(
            {"error": _("Your role does not allow seeing a reporter's full contact data.")},
            status=403,
        )
    rows = []
    for appeal in appeals:
        contact = None
        if reveal:
            try:
                contact = privacy.reveal_contact(appeal, user, reason=_("caller history"))
            except WorkflowError:
                contact = None
        rows.append(_row(appeal, user, contact))
    return JsonResponse(
        {
            "appeals": rows,
            "more": more,
            "may_unmask": permissions.can(user, Action.UNMASK_CONTACT) and bool(rows),
        }
    )
