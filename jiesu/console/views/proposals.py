# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Routing proposals learned from history, for administrators to review and accept in bulk
(under /console/manage/routing-proposals/). Who may enter is asked of `org.permissions`
(MANAGE_REFERENCE_DATA: the handling rules are reference data). Accepting writes the rule and a
new rule version through `dispatch.proposals` (which uses `catalog.services`)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jiesu.console.views.manage import _paginate, _render, reference_data
from jiesu.dispatch import proposals
from jiesu.dispatch.models import RoutingProposal

STATUSES = dict(RoutingProposal.Status.choices)


@reference_data
def routing_proposals(request):
    status = request.GET.get("status") or RoutingProposal.Status.PENDING
    if status not in STATUSES:
        status = RoutingProposal.Status.PENDING
    error = None
    if request.method == "POST":
        verb = request.POST.get("verb")
        raw = request.POST.getlist("ids")
        everything = verb == "accept_all"
        if everything:
            verb = "accept"
        if verb not in ("accept", "dismiss"):
            error = _("Choose whether to accept or dismiss the proposals.")
        elif not everything and not raw:
            error = _("Select at least one proposal.")
        elif not everything and not all(x.isdigit() for x in raw):
            error = _("The selection is not valid; reload the page and try again.")
        else:
            pending = RoutingProposal.objects.filter(status=RoutingProposal.Status.PENDING)
            ids = list(
                pending.values_list("pk", flat=True)
                if everything
                else pending.filter(pk__in=[int(x) for x in raw]).values_list("pk", flat=True)
            )
            if not ids:
                error = _("None of the selected proposals is still pending.")
            elif verb == "accept":
                try:
                    versions = proposals.accept(ids, request.user)
                except ValidationError as exc:
                    error = _("Nothing was accepted: %(reason)s") % {
                        "reason": " ".join(exc.messages)
                    }
                else:
                    messages.success(
                        request,
                        ngettext(
                            "%(n)s proposal accepted: the handling rule has a new version.",
                            "%(n)s proposals accepted: their handling rules have new versions.",
                            len(versions),
                        )
                        % {"n": len(versions)},
                    )
                    return redirect("console:manage_routing_proposals")
            else:
                n = proposals.dismiss(ids, request.user)
                messages.info(
                    request,
                    ngettext("%(n)s proposal dismissed.", "%(n)s proposals dismissed.", n)
                    % {"n": n},
                )
                return redirect("console:manage_routing_proposals")
    queryset = (
        RoutingProposal.objects.filter(status=status)
        .select_related("category__parent__parent", "unit", "decided_by")
        .order_by("-support", "pk")
    )
    page, page_query = _paginate(request, queryset)
    counts = {
        s: RoutingProposal.objects.filter(status=s).count() for s in RoutingProposal.Status.values
    }
    return _render(
        request,
        "routing_proposals.html",
        "routing",
        {
            "page": page,
            "page_query": page_query,
            "status": status,
            "statuses": [(s, label, counts[s]) for s, label in STATUSES.items()],
            "error": error,
        },
        status=400 if error else 200,
    )
