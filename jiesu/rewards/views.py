# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The rewards pages of the staff console (under /console/rewards/).

Administrators (MANAGE_REWARDS) run the programmes, the budget, the ledger and the payouts;
supervisors (REVIEW_REWARD) check held rewards. Every change is a POST with its CSRF token;
bad input comes back next to its field and changes nothing.
"""

from __future__ import annotations

from collections import Counter
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jiesu.appeals import timesource
from jiesu.appeals.models import Appeal
from jiesu.appeals.states import Status
from jiesu.org import permissions
from jiesu.org.permissions import Action
from jiesu.rewards import decisions, fraud, ledger, programmes
from jiesu.rewards import terms as terms_module
from jiesu.rewards.forms import ProgrammeForm, RefuseForm, TopUpForm
from jiesu.rewards.models import (
    Account,
    LedgerTransaction,
    Payout,
    Programme,
    Reason,
    Reconciliation,
    Reward,
)

PAGE = 50


def _requires(action):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            permissions.require(request.user, action)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


manager = _requires(Action.MANAGE_REWARDS)
reviewer = _requires(Action.REVIEW_REWARD)


def _render(request, template, section, context=None, status=200, desk="rewards"):
    base = {
        "active_desk": desk,
        "section": section,
        "may_manage": permissions.can(request.user, Action.MANAGE_REWARDS),
        "may_review": permissions.can(request.user, Action.REVIEW_REWARD),
    }
    return render(request, f"rewards/{template}", {**base, **(context or {})}, status=status)


def _page(request, queryset):
    return Paginator(queryset, PAGE).get_page(request.GET.get("page"))


def _month():
    return ledger.month_of(timesource.now())


# -- programmes --------------------------------------------------------------------------------


@manager
def programme_list(request):
    month = _month()
    rows = []
    for programme in Programme.objects.prefetch_related("versions"):
        version = programme.current
        rows.append(
            {
                "programme": programme,
                "version": version,
                "mean": terms_module.mean_fen(version.terms) if version else None,
                "available": ledger.available(programme, month),
                "reserved": ledger.reserved_account(programme).balance,
                "paid": ledger.paid_account(programme).balance,
            }
        )
    return _render(request, "programmes.html", "programmes", {"rows": rows, "month": month})


@manager
def programme_edit(request, pk=None):
    programme = get_object_or_404(Programme, pk=pk) if pk else None
    status = 200
    if request.method == "POST":
        form = ProgrammeForm(request.POST, programme=programme)
        if form.is_valid():
            raw = form.raw_terms()
            try:
                with transaction.atomic():
                    d = form.cleaned_data
                    if programme is None:
                        if Programme.objects.filter(code=d["code"]).exists():
                            form.add_error("code", _("A programme with this code exists."))
                            raise terms_module.TermsError({})
                        target = Programme.objects.create(
                            code=d["code"],
                            name=d["name"],
                            active=d["active"],
                            priority=d["priority"],
                        )
                    else:
                        target = programme
                        target.name, target.active, target.priority = (
                            d["name"],
                            d["active"],
                            d["priority"],
                        )
                        target.save(update_fields=["name", "active", "priority"])
                    version = programmes.save_terms(
                        target, raw, user=request.user, note=d["note"] or ""
                    )
            except terms_module.TermsError as e:
                form.add_terms_errors(e.errors)
            else:
                messages.success(
                    request,
                    _("Saved: %(name)s, version %(n)d.")
                    % {"name": target.name, "n": version.number},
                )
                return redirect("console:rewards:programme", pk=target.pk)
        status = 400
    else:
        form = ProgrammeForm(programme=programme)
    versions = programme.versions.select_related("created_by")[:30] if programme else []
    return _render(
        request,
        "programme.html",
        "programmes",
        {"form": form, "programme": programme, "versions": versions},
        status=status,
    )


# -- budget and ledger -------------------------------------------------------------------------


@manager
def budget(request):
    status = 200
    form = TopUpForm(initial={"month": _month()})
    if request.method == "POST":
        form = TopUpForm(request.POST)
        programme = get_object_or_404(Programme, pk=request.POST.get("programme"))
        if form.is_valid():
            d = form.cleaned_data
            ledger.top_up(
                programme,
                d["month"],
                int(round(d["yuan"] * 100)),
                at=timesource.now(),
                by=request.user,
                memo=d["memo"],
            )
            messages.success(request, _("The budget was topped up."))
            return redirect("console:rewards:budget")
        status = 400
    accounts = Account.objects.filter(kind=Account.Kind.BUDGET).select_related("programme")
    rows = []
    for account in accounts.order_by("-month", "programme__priority"):
        allocated = (
            account.entries.filter(transaction__kind__in=["allocation", "reversal"]).aggregate(
                s=Sum("amount_fen")
            )["s"]
            or 0
        )
        rows.append(
            {"account": account, "allocated": allocated, "used": allocated - account.balance}
        )
    return _render(
        request,
        "budget.html",
        "budget",
        {
            "rows": rows,
            "form": form,
            "programmes": Programme.objects.all(),
            "allocations": LedgerTransaction.objects.filter(kind="allocation")
            .select_related("created_by")
            .prefetch_related("entries__account")[:30],
        },
        status=status,
    )


@manager
@require_POST
def reverse_allocation(request, pk):
    txn = get_object_or_404(LedgerTransaction, pk=pk, kind=LedgerTransaction.Kind.ALLOCATION)
    try:
        ledger.reverse(txn, at=timesource.now(), by=request.user)
    except ledger.InsufficientFunds:
        messages.error(request, _("Not reversed: the allocation has already been spent."))
    except ledger.LedgerError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("The allocation was reversed."))
    return redirect("console:rewards:budget")


@manager
def ledger_page(request):
    txns = LedgerTransaction.objects.select_related(
        "reward__appeal", "created_by"
    ).prefetch_related("entries__account")
    kind = request.GET.get("kind", "")
    if kind in LedgerTransaction.Kind.values:
        txns = txns.filter(kind=kind)
    return _render(
        request,
        "ledger.html",
        "ledger",
        {
            "page": _page(request, txns),
            "accounts": Account.objects.order_by("kind", "code"),
            "problems": ledger.check(),
            "kinds": LedgerTransaction.Kind.choices,
            "kind": kind,
        },
    )


@manager
def payout_list(request):
    rows = Payout.objects.select_related("reward__appeal")
    status = request.GET.get("status", "")
    if status in Payout.Status.values:
        rows = rows.filter(status=status)
    counts = dict(Payout.objects.values_list("status").annotate(n=Count("id")))
    return _render(
        request,
        "payouts.html",
        "payouts",
        {
            "page": _page(request, rows),
            "statuses": [(s, label, counts.get(s, 0)) for s, label in Payout.Status.choices],
            "status": status,
            "reconciliations": Reconciliation.objects.all()[:14],
        },
    )


# -- insight -----------------------------------------------------------------------------------


@login_required
def insight(request):
    if not permissions.can(request.user, Action.VIEW_STATISTICS):
        permissions.require(request.user, Action.MANAGE_REWARDS)
    rewards = Reward.objects.all()
    granted = rewards.filter(status__in=Reward.GRANTED)
    by_channel = granted.values("channel").annotate(n=Count("id"), fen=Sum("amount_fen"))
    by_category = (
        granted.values("category_code")
        .annotate(n=Count("id"), fen=Sum("amount_fen"))
        .order_by("-n")
    )[:20]
    reasons = Counter(
        dict(
            rewards.filter(status=Reward.Status.REFUSED)
            .values_list("reason")
            .annotate(n=Count("id"))
        )
    )
    rewarded_channels = set(rewards.values_list("channel", flat=True))
    quality = []
    for row in (
        Appeal.objects.values("channel")
        .annotate(
            total=Count("id"),
            registered=Count("id", filter=Q(registered_at__isnull=False)),
            merged=Count("id", filter=Q(status=Status.MERGED)),
        )
        .order_by("-total")
    ):
        total = row["total"] or 1
        quality.append(
            {
                "channel": row["channel"],
                "rewarded": row["channel"] in rewarded_channels,
                "total": row["total"],
                "filing_rate": round(100 * row["registered"] / total, 1),
                "duplicate_rate": round(100 * row["merged"] / total, 1),
            }
        )
    months = (
        Account.objects.filter(kind=Account.Kind.BUDGET)
        .select_related("programme")
        .order_by("-month")[:24]
    )
    budget_rows = []
    for account in months:
        allocated = (
            account.entries.filter(amount_fen__gt=0, transaction__kind="allocation").aggregate(
                s=Sum("amount_fen")
            )["s"]
            or 0
        )
        used = allocated - account.balance
        budget_rows.append(
            {
                "account": account,
                "allocated": allocated,
                "used": used,
                "share": round(100 * used / allocated, 1) if allocated else 0,
            }
        )
    return _render(
        request,
        "insight.html",
        "insight",
        {
            "by_channel": by_channel,
            "by_category": by_category,
            "reasons": [(Reason(code).label, n) for code, n in reasons.most_common()],
            "quality": quality,
            "budget_rows": budget_rows,
        },
    )


# -- the review desk ---------------------------------------------------------------------------


@reviewer
def review_desk(request):
    held = (
        Reward.objects.filter(status=Reward.Status.HELD)
        .select_related("appeal", "programme", "version")
        .prefetch_related("reviews__user")
        .order_by("qualified_at")
    )
    rows = []
    for reward in held:
        rows.append(
            {
                "reward": reward,
                "flags": [
                    {**flag, "label": fraud.FLAG_LABELS.get(flag["code"], flag["code"])}
                    for flag in reward.flags
                ],
                "two": decisions.needs_two(reward),
                "approvals": [r for r in reward.reviews.all() if r.verdict == "approve"],
                "mine": any(r.user_id == request.user.pk for r in reward.reviews.all()),
            }
        )
    return _render(
        request,
        "review.html",
        "review",
        {"rows": rows, "refuse_form": RefuseForm()},
        desk="reward_review",
    )


@reviewer
@require_POST
def review_act(request, pk, verdict):
    reward = get_object_or_404(Reward, pk=pk)
    try:
        if verdict == "approve":
            reward = decisions.approve(reward, request.user, request.POST.get("note", ""))
        elif verdict == "refuse":
            form = RefuseForm(request.POST)
            if not form.is_valid():
                raise decisions.ReviewError(_("Give the reason for refusing."))
            reward = decisions.refuse(reward, request.user, form.cleaned_data["note"])
        else:
            raise Http404
    except decisions.ReviewError as e:
        messages.error(
            request, _("%(number)s: %(message)s") % {"number": reward.appeal.number, "message": e}
        )
        return redirect("console:rewards:review")
    label = {
        Reward.Status.HELD: _("approval recorded; a second person must approve"),
        Reward.Status.RESERVED: _("granted"),
    }.get(reward.status) or str(decisions.citizen_summary(reward))
    messages.success(
        request, _("%(number)s: %(message)s") % {"number": reward.appeal.number, "message": label}
    )
    return redirect("console:rewards:review")
