# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Weekly and monthly reports (HTML and PDF) and data-backed recommendations to units 数据建议.

A report covers the last complete week or month before the day asked: the KPIs by unit, the
volume trend by category, the spatial hotspots and the emerging issues, and recommendations
drafted from the figures (`draft_recommendations`). A supervisor edits a draft and issues it
to its unit; the unit (its leader or handler) answers it; both stay on record, as the seed
centre tracked its 392 recommendations a year.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django import forms
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jiesu.appeals import timesource
from jiesu.catalog.models import Category
from jiesu.insights import hotspots, kpis, overview
from jiesu.insights.models import AppealPart, Recommendation
from jiesu.insights.views import _context, statistics_page
from jiesu.org import permissions
from jiesu.org.models import Region, Unit
from jiesu.org.permissions import Action

KINDS = ("week", "month")
GROWTH = 0.4  # a category in a community that grew by 40% or more in four weeks
MIN_VOLUME = 5
LOW_RATE = 0.8


def report_period(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The last complete week (Monday-Sunday) or month before `day`."""
    if kind == "week":
        this_monday = day - dt.timedelta(days=day.weekday())
        return this_monday - dt.timedelta(days=7), this_monday - dt.timedelta(days=1)
    if kind == "month":
        first = day.replace(day=1)
        last_end = first - dt.timedelta(days=1)
        return last_end.replace(day=1), last_end
    raise Http404


def _percent(value) -> str:
    return f"{value * 100:.0f}%"


def draft_recommendations(start: dt.date, end: dt.date) -> list[dict]:
    """Recommendations the figures support, each with its evidence (not stored)."""
    out = []
    scope = kpis.Scope_(True)
    # 1. A category growing in one community over four weeks, with its reopenings.
    four = dt.timedelta(weeks=4)
    recent_from, before_from = (
        end - four + dt.timedelta(days=1),
        end - 2 * four + dt.timedelta(days=1),
    )
    rows = AppealPart.objects.filter(main=True, day__gte=before_from, day__lte=end).values_list(
        "day", "category_id", "region_id", "unit_id", "reopened", "reopen_base"
    )
    cats = {c.pk: c for c in Category.objects.all()}
    regions = {r.pk: r for r in Region.objects.all()}
    recent, earlier = Counter(), Counter()
    reopened, reopen_base = Counter(), Counter()
    units = defaultdict(Counter)
    for day, cat, region, unit, r, rb in rows:
        if cat is None or region is None:
            continue
        key = (cat, region)
        if day >= recent_from:
            recent[key] += 1
            reopened[key] += r
            reopen_base[key] += rb
            if unit:
                units[key][unit] += 1
        else:
            earlier[key] += 1
    for key, n in recent.most_common():
        before = earlier[key]
        if n < MIN_VOLUME or not before or (n - before) / before < GROWTH or not units[key]:
            continue
        cat, region = cats[key[0]], regions[key[1]]
        unit_id = units[key].most_common(1)[0][0]
        growth = (n - before) / before
        reopen_share = reopened[key] / reopen_base[key] if reopen_base[key] else 0
        text = _(
            "“%(category)s” in %(region)s grew %(growth)s in four weeks (%(before)d → %(now)d "
            "appeals); %(reopen)s of those reviewed were reopened. Look for the common cause "
            "and fix it at the source."
        ) % {
            "category": cat.name,
            "region": region.name,
            "growth": _percent(growth),
            "before": before,
            "now": n,
            "reopen": _percent(reopen_share),
        }
        out.append(
            {
                "unit_id": unit_id,
                "category_id": cat.pk,
                "region_id": region.pk,
                "title": _("Rising: %(category)s in %(region)s")
                % {
                    "category": cat.name,
                    "region": region.name,
                },
                "text": text,
                "evidence": {
                    "kind": "growth",
                    "before": before,
                    "now": n,
                    "growth": round(growth, 4),
                    "reopened": reopened[key],
                    "reviewed": reopen_base[key],
                },
            }
        )
    # 2. Units below 80% on time or satisfied in the period.
    result = kpis.compute(start, end, scope=scope, by="unit")
    unit_by_code = {u.code: u for u in Unit.objects.all()}
    for row in result["rows"]:
        for code, label in (
            ("on_time_closure_rate", _("on-time handling")),
            ("satisfaction_rate", _("satisfaction rate")),
        ):
            r = row[code]
            if r["denominator"] >= MIN_VOLUME and r["value"] is not None and r["value"] < LOW_RATE:
                unit = unit_by_code[row["group"]["code"]]
                out.append(
                    {
                        "unit_id": unit.pk,
                        "category_id": None,
                        "region_id": None,
                        "title": _("%(unit)s: %(what)s at %(rate)s")
                        % {
                            "unit": unit.name,
                            "what": label,
                            "rate": _percent(r["value"]),
                        },
                        "text": _(
                            "%(unit)s reached %(rate)s %(what)s (%(n)d of %(d)d) from %(start)s "
                            "to %(end)s, below %(target)s. Review the late or unsatisfied "
                            "appeals and report the measures taken."
                        )
                        % {
                            "unit": unit.name,
                            "rate": _percent(r["value"]),
                            "what": label,
                            "n": r["numerator"],
                            "d": r["denominator"],
                            "start": start.isoformat(),
                            "end": end.isoformat(),
                            "target": _percent(LOW_RATE),
                        },
                        "evidence": {"kind": code, **r},
                    }
                )
    return out


def generate(start, end) -> list[Recommendation]:
    """Store the drafts for this period that are not stored yet (same unit and title)."""
    made = []
    now = timesource.now()
    existing = set(
        Recommendation.objects.filter(period_start=start, period_end=end).values_list(
            "unit_id", "title"
        )
    )
    for d in draft_recommendations(start, end):
        if (d["unit_id"], d["title"]) in existing:
            continue
        made.append(
            Recommendation.objects.create(period_start=start, period_end=end, created_at=now, **d)
        )
    return made


def _report_context(request, kind, day):
    start, end = report_period(kind, day)
    ranking = kpis.compute(start, end, user=request.user, by="unit")
    [district] = kpis.compute(start, end, user=request.user)["rows"]
    trend_start = end - dt.timedelta(days=364)
    categories = overview.trends(
        request.user, trend_start, end, by="category", bucket="month", top=5
    )
    spots = hotspots.spatial(request.user, start, end)
    emerging = hotspots.emerging(request.user, end)
    recs = Recommendation.objects.filter(period_start=start, period_end=end).select_related("unit")
    if not kpis.scope_for(request.user).district:
        recs = recs.filter(unit__path__startswith=request.user.unit.path)
    labels = {r.code: r.label for r in kpis.RATES}
    return {
        "kind": kind,
        "start": start,
        "end": end,
        "district": district,
        "rates": [{"label": labels[r.code], **district[r.code]} for r in kpis.RATES],
        "ranking": ranking["rows"],
        "rank_columns": [
            ("closure_rate", labels["closure_rate"]),
            ("on_time_closure_rate", labels["on_time_closure_rate"]),
            ("satisfaction_rate", labels["satisfaction_rate"]),
            ("reopen_rate", labels["reopen_rate"]),
        ],
        "categories": categories,
        "spots": spots,
        "emerging": emerging,
        "recommendations": list(recs),
        "may_issue": permissions.can(request.user, Action.SUPERVISE),
        "generated_at": timezone.localtime(timesource.now()),
    }


def _day(request) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return overview.today()


@statistics_page
def report_list(request):
    recs = Recommendation.objects.select_related("unit").order_by("-created_at")[:200]
    if not kpis.scope_for(request.user).district:
        recs = Recommendation.objects.filter(
            unit__path__startswith=request.user.unit.path
        ).select_related("unit")[:200]
    return render(
        request, "insights/reports.html", _context(request, "reports", recommendations=recs)
    )


@statistics_page
def report_page(request, kind):
    if kind not in KINDS:
        raise Http404
    day = _day(request)
    if request.method == "POST":
        if not permissions.can(request.user, Action.SUPERVISE):
            raise PermissionDenied(_("Only supervisors draft recommendations."))
        start, end = report_period(kind, day)
        made = generate(start, end)
        messages.success(
            request, _("%(n)d recommendations drafted from the figures.") % {"n": len(made)}
        )
        return redirect(f"{request.path}?day={day.isoformat()}")
    context = _context(request, "reports", **_report_context(request, kind, day), day=day)
    return render(request, "insights/report.html", context)


@statistics_page
def report_pdf(request, kind):
    if kind not in KINDS:
        raise Http404
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        return HttpResponse(
            _("The PDF cannot be made on this server: %(detail)s") % {"detail": exc},
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    context = _context(request, "reports", **_report_context(request, kind, _day(request)))
    context["pdf"] = True
    html = render_to_string("insights/report_body.html", context, request=request)
    css = finders.find("insights/report.css")
    pdf = weasyprint.HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(
        stylesheets=[weasyprint.CSS(filename=css)] if css else []
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="report-{kind}-{context["start"]:%Y%m%d}.pdf"'
    )
    return response


class EditForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    text = forms.CharField(
        label=gettext_lazy("Recommendation"), widget=forms.Textarea(attrs={"rows": 5})
    )


class ResponseForm(forms.Form):
    response = forms.CharField(
        label=gettext_lazy("The unit's response"), widget=forms.Textarea(attrs={"rows": 4})
    )


@statistics_page
def recommendation(request, pk):
    """Edit and issue (supervisors, while a draft) or answer (the unit, once issued)."""
    rec = get_object_or_404(Recommendation.objects.select_related("unit"), pk=pk)
    may_issue = permissions.can(request.user, Action.SUPERVISE)
    may_answer = permissions.can(request.user, Action.ANSWER_SUPERVISION, unit=rec.unit)
    if not kpis.scope_for(request.user).district and not rec.unit.path.startswith(
        request.user.unit.path
    ):
        raise Http404
    edit = EditForm(initial={"title": rec.title, "text": rec.text})
    answer = ResponseForm()
    if request.method == "POST":
        action = request.POST.get("action")
        with transaction.atomic():
            rec = Recommendation.objects.select_for_update().get(pk=pk)
            if action in ("save", "issue") and may_issue and rec.state == rec.State.DRAFT:
                edit = EditForm(request.POST)
                if edit.is_valid():
                    rec.title, rec.text = edit.cleaned_data["title"], edit.cleaned_data["text"]
                    if action == "issue":
                        rec.state = rec.State.ISSUED
                        rec.issued_at, rec.issued_by = timesource.now(), request.user
                    rec.save()
                    messages.success(
                        request, _("Issued to the unit.") if action == "issue" else _("Saved.")
                    )
                    return redirect("insights:recommendation", pk=rec.pk)
            elif action == "answer" and may_answer and rec.state == rec.State.ISSUED:
                answer = ResponseForm(request.POST)
                if answer.is_valid():
                    rec.response = answer.cleaned_data["response"]
                    rec.state = rec.State.ANSWERED
                    rec.responded_at, rec.responded_by = timesource.now(), request.user
                    rec.save()
                    messages.success(request, _("Your response is recorded."))
                    return redirect("insights:recommendation", pk=rec.pk)
            else:
                raise PermissionDenied(_("This step is not yours to take now."))
    return render(
        request,
        "insights/recommendation.html",
        _context(
            request,
            "reports",
            rec=rec,
            edit=edit,
            answer=answer,
            may_issue=may_issue and rec.state == rec.State.DRAFT,
            may_answer=may_answer and rec.state == rec.State.ISSUED,
        ),
    )
