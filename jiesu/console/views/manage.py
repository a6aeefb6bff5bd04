# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Administration pages for what staff change often: handling rules, the working calendar,
channels, units and staff accounts. Everything else stays in the Django admin.

Who may enter is asked of `jiesu.org.permissions` only: reference data needs
MANAGE_REFERENCE_DATA, staff accounts MANAGE_USERS. Every change is a POST with its CSRF token;
what a model refuses comes back next to the field it concerns, and nothing is saved.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import ExtractYear
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _

from jiesu.appeals import timesource
from jiesu.appeals.models import Appeal
from jiesu.appeals.models import Clock as SlaClock
from jiesu.catalog import services as catalog
from jiesu.catalog.models import (
    AppealType,
    Category,
    Clock,
    HandlingRule,
    HandlingRuleVersion,
    TimeLimit,
)
from jiesu.console import manage_forms as mf
from jiesu.intake import channels as channel_keys
from jiesu.intake.models import Channel
from jiesu.org import permissions
from jiesu.org.models import Unit, User, UserRole
from jiesu.org.permissions import Action
from jiesu.workdays import calendar
from jiesu.workdays.models import (
    FIRST_YEAR,
    LAST_YEAR,
    CalendarOverride,
    CoveredYear,
    WorkingPeriod,
)
from jiesu.workdays.units import DurationUnit, duration_text

PAGE_SIZE = 50
VERSIONS_SHOWN = 50


# -- access and rendering ---------------------------------------------------------------------


def _requires(action):
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            permissions.require(request.user, action)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


reference_data = _requires(Action.MANAGE_REFERENCE_DATA)
staff_accounts = _requires(Action.MANAGE_USERS)


def _render(request, template, section, context=None, status=200):
    user = request.user
    base = {
        "active_desk": "manage",
        "section": section,
        "may_reference": permissions.can(user, Action.MANAGE_REFERENCE_DATA),
        "may_users": permissions.can(user, Action.MANAGE_USERS),
    }
    if not template.startswith("console/"):
        template = f"console/manage/{template}"
    return render(request, template, {**base, **(context or {})}, status=status)


def _paginate(request, queryset, size=PAGE_SIZE):
    page = Paginator(queryset, size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _form_page(request, section, form, *, title, back_url, template="form.html", **extra):
    context = {"form": form, "title": title, "back_url": back_url, **extra}
    return _render(request, template, section, context)


def _confirm(request, section, *, title, text, button, back_url, danger=True):
    return _render(
        request,
        "confirm.html",
        section,
        {"title": title, "text": text, "button": button, "back_url": back_url, "danger": danger},
    )


def _today():
    return timezone.localdate(timesource.now())


# -- landing ----------------------------------------------------------------------------------


@login_required
def index(request):
    user = request.user
    if not permissions.can(user, Action.MANAGE_USERS):
        permissions.require(user, Action.MANAGE_REFERENCE_DATA)
    context = {}
    if permissions.can(user, Action.MANAGE_REFERENCE_DATA):
        year = _today().year
        leaves = Category.objects.filter(level=Category.Level.LEAF, active=True)
        context.update(
            leaves=leaves.count(),
            leaves_without_rule=leaves.filter(rule__isnull=True).count(),
            coverage=_coverage_rows(year),
            calendar_missing=_calendar_missing(),
            channels=Channel.objects.filter(active=True).count(),
            units=Unit.objects.filter(active=True).count(),
            backstop=Unit.backstop(),
        )
    if permissions.can(user, Action.MANAGE_USERS):
        context["staff"] = User.objects.filter(is_active=True).count()
    return _render(request, "console/desks/manage.html", "home", context)


def _calendar_missing():
    """What the administrators' desk says from October until next year is entered."""
    years = calendar.years_to_enter(_today())
    if not years:
        return None
    running = SlaClock.objects.filter(provisional=True, stopped_at__isnull=True, cancelled=False)
    return {
        "years": ", ".join(str(y) for y in years),
        "first": years[0],
        "provisional": running.count(),
    }


# -- handling rules ---------------------------------------------------------------------------


@reference_data
def rules(request):
    form = mf.RuleSearchForm(request.GET or None)
    leaves = Category.objects.filter(level=Category.Level.LEAF)
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        if q:
            leaves = leaves.filter(Q(code__icontains=q) | Q(name__icontains=q))
        if form.cleaned_data["major"] is not None:
            leaves = leaves.filter(parent__parent=form.cleaned_data["major"])
        mode = form.cleaned_data["mode"]
        if mode == "none":
            leaves = leaves.filter(rule__isnull=True)
        elif mode:
            leaves = leaves.filter(rule__lead_mode=mode)
    latest = (
        HandlingRuleVersion.objects.filter(rule__category=OuterRef("pk"))
        .order_by("-number")
        .values("number")[:1]
    )
    leaves = (
        leaves.select_related("parent__parent", "rule__lead_unit", "rule__default_grade")
        .annotate(version=Subquery(latest))
        .order_by("code")
    )
    page, page_query = _paginate(request, leaves)
    rows = [{"leaf": leaf, "rule": getattr(leaf, "rule", None)} for leaf in page.object_list]
    return _render(
        request,
        "rules.html",
        "rules",
        {"form": form, "page": page, "rows": rows, "page_query": page_query},
    )


def _limits_queryset():
    return TimeLimit.objects.select_related("appeal_type", "grade").order_by(
        "clock", "appeal_type__sort_order", "grade__sort_order", "pk"
    )


@reference_data
def rule(request, pk):
    leaf = get_object_or_404(
        Category.objects.select_related("parent__parent"), pk=pk, level=Category.Level.LEAF
    )
    instance = HandlingRule.objects.filter(category=leaf).first() or HandlingRule(category=leaf)
    if request.method == "POST":
        form = mf.RuleForm(request.POST, instance=instance)
        formset = mf.LimitFormSet(
            request.POST, instance=instance, prefix="limits", queryset=_limits_queryset()
        )
        if form.is_valid() and formset.is_valid():
            before = instance.versions.order_by("-number").first() if instance.pk else None
            try:
                with transaction.atomic():
                    saved = form.save()
                    formset.instance = saved
                    formset.save_limits()
                    version = catalog.record_version(saved, request.user)
            except IntegrityError:
                form.add_error(
                    None,
                    _(
                        "The rule could not be saved: its time limits clash with each other. "
                        "Check the limits and save again."
                    ),
                )
            else:
                if before is None or version.pk != before.pk:
                    messages.success(
                        request,
                        _("The rule was saved as version %(number)s.") % {"number": version.number},
                    )
                else:
                    messages.info(
                        request,
                        _("Nothing changed: the rule stays at version %(number)s.")
                        % {"number": version.number},
                    )
                return redirect("console:manage_rule", pk=leaf.pk)
    else:
        form = mf.RuleForm(instance=instance)
        formset = mf.LimitFormSet(instance=instance, prefix="limits", queryset=_limits_queryset())
    history = _version_history(instance) if instance.pk else []
    return _render(
        request,
        "rule.html",
        "rules",
        {
            "leaf": leaf,
            "rule": instance,
            "form": form,
            "formset": formset,
            "history": history,
            "has_errors": bool(form.errors or any(formset.errors) or formset.non_form_errors()),
        },
    )


def _version_history(rule) -> list[dict]:
    """The latest versions, newest first, each with what changed since the one before."""
    versions = list(
        rule.versions.select_related("created_by").order_by("-number")[: VERSIONS_SHOWN + 1]
    )
    used = dict(
        Appeal.objects.filter(rule_version__rule=rule)
        .order_by()
        .values_list("rule_version_id")
        .annotate(n=Count("id"))
    )
    names = _SnapshotNames(v.snapshot for v in versions)
    history = []
    for index, version in enumerate(versions[:VERSIONS_SHOWN]):
        older = versions[index + 1] if index + 1 < len(versions) else None
        if older is None and version.number > 1:
            changes = [_("Older versions are in the Django admin.")]
        else:
            changes = snapshot_changes(older.snapshot if older else None, version.snapshot, names)
        history.append({"version": version, "changes": changes, "appeals": used.get(version.pk, 0)})
    return history


class _SnapshotNames:
    """Names for the codes in a set of snapshots (units and appeal types), in two queries."""

    def __init__(self, snapshots):
        snapshots = list(snapshots)
        unit_codes, type_codes = set(), set()
        for snap in snapshots:
            unit_codes.update(c for c in [snap.get("lead_unit")] if c)
            unit_codes.update(snap.get("assisting_units") or [])
            type_codes.update(e["appeal_type"] for e in snap.get("limits", []) if e["appeal_type"])
        self.units = dict(Unit.objects.filter(code__in=unit_codes).values_list("code", "name"))
        self.types = dict(
            AppealType.objects.filter(code__in=type_codes).values_list("code", "name")
        )

    def unit(self, code):
        if not code:
            return "—"
        return f"{self.units[code]} ({code})" if code in self.units else code

    def appeal_type(self, code):
        return self.types.get(code, code) if code else _("any type")


def _show(key, value, names):
    if value in (None, ""):
        return "—"
    if key == "lead_mode":
        return _choice_label(HandlingRule.LeadMode, value)
    if key == "count_from":
        return _choice_label(HandlingRule.CountFrom, value)
    if key == "lead_unit":
        return names.unit(value)
    if key in ("filing_condition", "closing_condition", "plan"):
        return f"“{Truncator(value).chars(60)}”"
    return str(value)


def _choice_label(choices, value):
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _limit_label(key, names):
    clock, appeal_type, grade = key
    return " · ".join(
        [
            _choice_label(Clock, clock),
            names.appeal_type(appeal_type),
            _("grade %(grade)s") % {"grade": grade} if grade else _("any grade"),
        ]
    )


def _amount(entry):
    return duration_text(*entry)


SCALAR_KEYS = [
    "lead_mode",
    "lead_unit",
    "default_grade",
    "count_from",
    "filing_condition",
    "closing_condition",
    "plan",
]


def snapshot_changes(old, new, names=None) -> list[str]:
    """What changed from snapshot `old` to snapshot `new`, one line per change."""
    if names is None:
        names = _SnapshotNames([s for s in (old, new) if s])
    if old is None:
        return [_("First version.")]
    lines = []
    for key in SCALAR_KEYS:
        before, after = old.get(key), new.get(key)
        if (before or None) != (after or None):
            label = capfirst(HandlingRule._meta.get_field(key).verbose_name)
            lines.append(f"{label}: {_show(key, before, names)} → {_show(key, after, names)}")
    old_units, new_units = (
        set(old.get("assisting_units") or []),
        set(new.get("assisting_units") or []),
    )
    if new_units - old_units:
        lines.append(
            _("Assisting units added: %(units)s")
            % {"units": ", ".join(names.unit(c) for c in sorted(new_units - old_units))}
        )
    if old_units - new_units:
        lines.append(
            _("Assisting units removed: %(units)s")
            % {"units": ", ".join(names.unit(c) for c in sorted(old_units - new_units))}
        )

    def limits(snapshot):
        return {
            (e["clock"], e["appeal_type"], e["grade"]): (e["amount"], e["unit"])
            for e in snapshot.get("limits", [])
        }

    old_limits, new_limits = limits(old), limits(new)
    order = {c: i for i, c in enumerate(Clock.values)}
    keys = sorted(
        set(old_limits) | set(new_limits),
        key=lambda k: (order.get(k[0], 99), k[1] or "", k[2] or ""),
    )
    for key in keys:
        label = _limit_label(key, names)
        if key not in old_limits:
            lines.append(
                _("Time limit added: %(limit)s = %(amount)s")
                % {"limit": label, "amount": _amount(new_limits[key])}
            )
        elif key not in new_limits:
            lines.append(
                _("Time limit removed: %(limit)s (was %(amount)s)")
                % {"limit": label, "amount": _amount(old_limits[key])}
            )
        elif old_limits[key] != new_limits[key]:
            lines.append(
                _("Time limit %(limit)s: %(before)s → %(after)s")
                % {
                    "limit": label,
                    "before": _amount(old_limits[key]),
                    "after": _amount(new_limits[key]),
                }
            )
    return lines or [_("No change in content.")]


# -- calendar ---------------------------------------------------------------------------------


def _coverage_rows(year):
    found = calendar.coverage([year, year + 1])
    labels = {
        calendar.Coverage.LIBRARY: _("covered by the chinesecalendar library"),
        calendar.Coverage.DECLARED: _("declared complete by an administrator"),
    }
    provisional = calendar.provisional_year()
    uncovered = {
        True: _(
            "NOT covered: deadlines reaching this year are provisional (statutory holidays only)"
        ),
        False: _("NOT covered: deadlines reaching this year fail"),
    }
    return [
        {
            "year": y,
            "covered": found[y] is not None,
            "source": found[y],
            "label": labels.get(found[y], uncovered[y == provisional]),
        }
        for y in (year, year + 1)
    ]


def _calendar_url(year=None):
    url = reverse("console:manage_calendar")
    return f"{url}?year={year}" if year else url


@reference_data
def calendar_page(request):
    today = _today()
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError:
        year = today.year
    year = min(max(year, FIRST_YEAR), LAST_YEAR)
    per_year = dict(
        CalendarOverride.objects.annotate(y=ExtractYear("date"))
        .values_list("y")
        .annotate(n=Count("id"))
        .order_by("y")
    )
    years = sorted(set(per_year) | {today.year, today.year + 1, year})
    declared = [
        {"year": c, "overrides": per_year.get(c.year, 0)}
        for c in CoveredYear.objects.order_by("year")
    ]
    declare_form = mf.CoveredYearForm(
        prefix="declare",
        initial={"year": next((y for y in years if not calendar.coverage([y])[y]), None)},
    )
    calc_form, deadline = _deadline(request, today)
    return _render(
        request,
        "calendar.html",
        "calendar",
        {
            "year": year,
            "years": [(y, per_year.get(y, 0)) for y in years],
            "overrides": CalendarOverride.objects.filter(date__year=year).order_by("date"),
            "year_coverage": calendar.coverage([year])[year],
            "coverage": _coverage_rows(today.year),
            "declared": declared,
            "declare_form": declare_form,
            "periods": WorkingPeriod.objects.order_by("start"),
            "calc_form": calc_form,
            "deadline": deadline,
        },
    )


def _deadline(request, today):
    """The calculator: a GET form on the calendar page (it changes nothing)."""
    if "calc-start" not in request.GET:
        start = timezone.localtime(timesource.now()).replace(second=0, microsecond=0)
        form = mf.DeadlineForm(
            prefix="calc",
            initial={"start": start, "amount": 3, "unit": DurationUnit.WORKING_DAYS},
        )
        return form, None
    form = mf.DeadlineForm(request.GET, prefix="calc")
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    try:
        result = calendar.deadline(data["start"], data["amount"], data["unit"])
    except calendar.CalendarNotCovered as exc:
        form.add_error(None, exc.message)
        return form, None
    except (calendar.CalendarError, ValueError, OverflowError) as exc:
        form.add_error(None, str(exc))
        return form, None
    local = timezone.localtime(result.at)
    return form, {
        "at": local,
        "provisional": result.provisional,
        "weekday": date_format(local, "l"),
        "working_time": calendar.is_working_time(local),
    }


@reference_data
def override_edit(request, pk=None):
    override = get_object_or_404(CalendarOverride, pk=pk) if pk else None
    initial = {}
    if override is None and request.GET.get("date"):
        initial["date"] = request.GET["date"]
    form = mf.OverrideForm(request.POST or None, instance=override, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Calendar override %(day)s saved.") % {"day": saved})
        return redirect(_calendar_url(saved.date.year))
    back = _calendar_url(override.date.year if override else None)
    title = _("Edit calendar override") if override else _("Add a calendar override")
    delete_url = reverse("console:manage_override_delete", args=[override.pk]) if override else None
    return _form_page(request, "calendar", form, title=title, back_url=back, delete_url=delete_url)


@reference_data
def override_delete(request, pk):
    override = get_object_or_404(CalendarOverride, pk=pk)
    back = _calendar_url(override.date.year)
    if request.method == "POST":
        label = str(override)
        override.delete()
        messages.success(request, _("Calendar override %(day)s deleted.") % {"day": label})
        return redirect(back)
    return _confirm(
        request,
        "calendar",
        title=_("Delete calendar override"),
        text=_(
            "Delete the override %(day)s? The date then follows the chinesecalendar library "
            "(or the weekday, in a declared year)."
        )
        % {"day": override},
        button=_("Delete"),
        back_url=back,
    )


@reference_data
def year_declare(request):
    form = mf.CoveredYearForm(request.POST or None, prefix="declare")
    if request.method == "POST" and form.is_valid():
        covered = form.save()
        messages.success(
            request,
            _("%(year)s is declared complete: deadlines may now run into it.")
            % {"year": covered.year},
        )
        return redirect(_calendar_url(covered.year))
    return _form_page(
        request,
        "calendar",
        form,
        title=_("Declare a year complete"),
        back_url=_calendar_url(),
        intro=CoveredYear._meta.get_field("year").help_text,
        submit=_("Declare complete"),
    )


@reference_data
def year_undeclare(request, year):
    covered = get_object_or_404(CoveredYear, year=year)
    if request.method == "POST":
        covered.delete()
        messages.success(
            request,
            _(
                "%(year)s is no longer declared complete: deadlines that reach it are now "
                "provisional if it is the year right after the last covered one, else refused."
            )
            % {"year": year},
        )
        return redirect(_calendar_url(year))
    return _confirm(
        request,
        "calendar",
        title=_("Withdraw the declaration"),
        text=_(
            "Withdraw the declaration for %(year)s? Its overrides stay, but new deadlines that run "
            "into %(year)s are provisional or refused until it is declared again. Deadlines "
            "already computed are kept."
        )
        % {"year": year},
        button=_("Withdraw"),
        back_url=_calendar_url(year),
    )


@reference_data
def period_edit(request, pk=None):
    period = get_object_or_404(WorkingPeriod, pk=pk) if pk else None
    form = mf.WorkingPeriodForm(request.POST or None, instance=period)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Working period %(period)s saved.") % {"period": saved})
        return redirect(_calendar_url())
    delete_url = reverse("console:manage_period_delete", args=[period.pk]) if period else None
    return _form_page(
        request,
        "calendar",
        form,
        title=_("Edit working period") if period else _("Add a working period"),
        back_url=_calendar_url(),
        delete_url=delete_url,
        intro=_("Working hours on working days, in local time (Asia/Shanghai)."),
    )


@reference_data
def period_delete(request, pk):
    period = get_object_or_404(WorkingPeriod, pk=pk)
    if WorkingPeriod.objects.count() <= 1:
        messages.error(
            request,
            _("The last working period cannot be deleted: working hours would be undefined."),
        )
        return redirect(_calendar_url())
    if request.method == "POST":
        label = str(period)
        period.delete()
        messages.success(request, _("Working period %(period)s deleted.") % {"period": label})
        return redirect(_calendar_url())
    return _confirm(
        request,
        "calendar",
        title=_("Delete working period"),
        text=_("Delete the working period %(period)s? Deadlines computed from now on use the rest.")
        % {"period": period},
        button=_("Delete"),
        back_url=_calendar_url(),
    )


# -- channels ---------------------------------------------------------------------------------


@reference_data
def channel_list(request):
    page, page_query = _paginate(request, Channel.objects.order_by("sort_order", "code"))
    rows = [{"channel": c, "has_key": channel_keys.has_key(c)} for c in page.object_list]
    return _render(
        request,
        "channels.html",
        "channels",
        {"page": page, "rows": rows, "page_query": page_query},
    )


@reference_data
def channel_edit(request, pk=None):
    channel = get_object_or_404(Channel, pk=pk) if pk else None
    form = mf.ChannelForm(request.POST or None, instance=channel)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, _("Channel %(name)s saved.") % {"name": saved.name})
        if channel_keys.has_key(saved) and not (saved.active and saved.is_machine):
            messages.warning(
                request,
                _("Its API key does not work while the channel is inactive or not a machine."),
            )
        return redirect("console:manage_channel", pk=saved.pk)
    return _form_page(
        request,
        "channels",
        form,
        title=(_("Edit channel %(name)s") % {"name": channel.name})
        if channel
        else _("Add a channel"),
        back_url=reverse("console:manage_channels"),
        template="channel.html",
        channel=channel,
        has_key=channel is not None and channel_keys.has_key(channel),
    )


@reference_data
def channel_issue_key(request, pk):
    channel = get_object_or_404(Channel, pk=pk)
    back = reverse("console:manage_channel", args=[channel.pk])
    if request.method == "POST":
        try:
            key = channel_keys.issue_key(channel)
        except channel_keys.KeyNotAllowed:
            messages.error(
                request,
                _("No key issued: only active machine channels have API keys."),
            )
            return redirect(back)
        response = _render(
            request, "channel_key.html", "channels", {"channel": channel, "key": key}
        )
        # The key is in this page only: never keep it in a cache or in the history.
        response["Cache-Control"] = "no-store"
        return response
    had_key = channel_keys.has_key(channel)
    return _confirm(
        request,
        "channels",
        title=_("Issue a new API key for %(name)s") % {"name": channel.name},
        text=_(
            "The new key is shown once, on the next page. The current key stops working at once."
        )
        if had_key
        else _("The new key is shown once, on the next page."),
        button=_("Issue a new key"),
        back_url=back,
        danger=had_key,
    )


@reference_data
def channel_revoke_key(request, pk):
    channel = get_object_or_404(Channel, pk=pk)
    back = reverse("console:manage_channel", args=[channel.pk])
    if request.method == "POST":
        if channel_keys.revoke_key(channel):
            messages.success(
                request,
                _("The API key of %(name)s is revoked: it no longer works.")
                % {"name": channel.name},
            )
        else:
            messages.info(request, _("%(name)s had no working key.") % {"name": channel.name})
        return redirect(back)
    return _confirm(
        request,
        "channels",
        title=_("Revoke the API key of %(name)s") % {"name": channel.name},
        text=_(
            "The channel's systems can no longer submit appeals until a new key is issued and "
            "installed there."
        ),
        button=_("Revoke the key"),
        back_url=back,
    )


# -- units ------------------------------------------------------------------------------------


@reference_data
def unit_list(request):
    q = (request.GET.get("q") or "").strip()[:100]
    units = Unit.objects.select_related("region").order_by("path")
    if q:
        units = units.filter(
            Q(code__icontains=q) | Q(name__icontains=q) | Q(short_name__icontains=q)
        )
    page, page_query = _paginate(request, units, size=100)
    return _render(request, "units.html", "units", {"page": page, "page_query": page_query, "q": q})


@reference_data
def unit_edit(request, pk=None):
    unit = get_object_or_404(Unit, pk=pk) if pk else None
    initial = {}
    if unit is None and request.GET.get("parent", "").isdigit():
        initial["parent"] = request.GET["parent"]
    form = mf.UnitForm(request.POST or None, instance=unit, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                saved = form.save()
        except ValidationError as exc:  # the tree changed meanwhile (TreeNode.save checks again)
            form.add_error(None, exc)
        except IntegrityError:
            form.add_error(None, _("Only one unit may be the district backstop."))
        else:
            messages.success(request, _("Unit %(name)s saved.") % {"name": saved.name})
            return redirect("console:manage_units")
    return _form_page(
        request,
        "units",
        form,
        title=(_("Edit unit %(name)s") % {"name": unit.name}) if unit else _("Add a unit"),
        back_url=reverse("console:manage_units"),
    )


# -- staff ------------------------------------------------------------------------------------


@staff_accounts
def user_list(request):
    form = mf.UserSearchForm(request.GET or None)
    users = User.objects.select_related("unit").prefetch_related("roles").order_by("username")
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        if q:
            users = users.filter(
                Q(username__icontains=q)
                | Q(full_name__icontains=q)
                | Q(phone__icontains=q)
                | Q(unit__name__icontains=q)
                | Q(unit__code__iexact=q)
            )
        if form.cleaned_data["role"]:
            users = users.filter(
                pk__in=UserRole.objects.filter(role=form.cleaned_data["role"]).values("user_id")
            )
        if form.cleaned_data["active"]:
            users = users.filter(is_active=form.cleaned_data["active"] == "1")
    page, page_query = _paginate(request, users)
    return _render(
        request, "users.html", "users", {"form": form, "page": page, "page_query": page_query}
    )


def _save_user(form) -> User:
    with transaction.atomic():
        user = form.save()
        wanted = set(form.cleaned_data["roles"])
        user.roles.exclude(role__in=wanted).delete()
        have = set(user.roles.values_list("role", flat=True))
        UserRole.objects.bulk_create(
            [UserRole(user=user, role=role) for role in sorted(wanted - have)]
        )
        user.forget_roles()
    return user


@staff_accounts
def user_edit(request, pk=None):
    user = get_object_or_404(User, pk=pk) if pk else None
    form_class = mf.UserForm if user else mf.UserCreateForm
    form = form_class(request.POST or None, instance=user, editor=request.user)
    if request.method == "POST" and form.is_valid():
        saved = _save_user(form)
        messages.success(request, _("Staff account %(name)s saved.") % {"name": saved})
        return redirect("console:manage_user", pk=saved.pk)
    return _form_page(
        request,
        "users",
        form,
        title=(_("Edit staff account %(name)s") % {"name": user})
        if user
        else _("Add a staff member"),
        back_url=reverse("console:manage_users"),
        template="user.html",
        account=user,
    )


@staff_accounts
def user_password(request, pk):
    user = get_object_or_404(User, pk=pk)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()  # hashed by the first of settings.PASSWORD_HASHERS (argon2)
        if user.pk == request.user.pk:
            update_session_auth_hash(request, user)
        messages.success(request, _("The password of %(name)s was set.") % {"name": user})
        return redirect("console:manage_user", pk=user.pk)
    return _form_page(
        request,
        "users",
        form,
        title=_("Set the password of %(name)s") % {"name": user},
        back_url=reverse("console:manage_user", args=[user.pk]),
        submit=_("Set the password"),
    )


@staff_accounts
def user_deactivate(request, pk):
    user = get_object_or_404(User, pk=pk)
    back = reverse("console:manage_user", args=[user.pk])
    if user.pk == request.user.pk:
        messages.error(request, _("You cannot deactivate your own account."))
        return redirect(back)
    if not user.is_active:
        messages.info(request, _("%(name)s is already deactivated.") % {"name": user})
        return redirect(back)
    if request.method == "POST":
        user.is_active = False
        user.save(update_fields=["is_active"])
        messages.success(
            request,
            _("%(name)s is deactivated: the account can no longer sign in; its history stays.")
            % {"name": user},
        )
        return redirect(back)
    return _confirm(
        request,
        "users",
        title=_("Deactivate %(name)s") % {"name": user},
        text=_(
            "The account can no longer sign in. Nothing is deleted: its work stays in the "
            "appeals' history, and the account can be made active again later."
        ),
        button=_("Deactivate"),
        back_url=back,
    )
