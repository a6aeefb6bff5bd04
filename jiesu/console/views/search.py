# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Search across the appeals a staff member may see, saved filters, and the Excel export.

Every filter is a plain GET parameter, so a search is a URL: it can be bookmarked, saved as a
named filter (the query string is what is stored) and exported. Category and unit are given by
code, not by database id, so saved filters survive a reload of the reference data.
"""

from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, Value
from django.db.models.functions import Replace, Reverse
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jiesu import dbrouting
from jiesu.appeals import privacy, textsearch, timesource
from jiesu.appeals.models import Appeal, Assignment
from jiesu.appeals.states import Status
from jiesu.catalog.models import Category
from jiesu.console import export
from jiesu.console.access import visible_appeals
from jiesu.console.lists import PAGE_SIZE, rows, with_list_data
from jiesu.console.models import ExportLog, SavedFilter
from jiesu.console.navigation import DESKS
from jiesu.console.paging import COUNT_CAP, CappedPaginator, capped_count
from jiesu.console.widgets import FastSelect
from jiesu.org.models import Unit

# The keys a search URL may carry (anything else, such as `page`, is not part of a filter).
FILTER_KEYS = (
    "q",
    "number",
    "phone",
    "text",
    "address",
    "category",
    "unit",
    "unit_role",
    "status",
    "received_from",
    "received_to",
)
EXPORT_CAP = 50_000
TEXT_COUNT_CAP = 1_000
QUERY_MAX = 2000


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        indent = "\u00a0\u00a0" * (obj.level - 1)
        return f"{indent}{obj.code} {obj.name}"


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        indent = "\u00a0\u00a0" * obj.depth
        return f"{indent}{obj.name}"


class SearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Number, phone, text or address"), max_length=200, required=False
    )
    number = forms.CharField(label=gettext_lazy("Number"), max_length=32, required=False)
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("The full number, or its last 4 digits."),
    )
    text = forms.CharField(
        label=gettext_lazy("Title or description"), max_length=200, required=False
    )
    address = forms.CharField(label=gettext_lazy("Address"), max_length=200, required=False)
    category = CategoryChoiceField(
        label=gettext_lazy("Category (any level)"),
        queryset=Category.objects.order_by("code"),
        to_field_name="code",
        required=False,
        widget=FastSelect,
    )
    unit = UnitChoiceField(
        label=gettext_lazy("Unit (with its sub-units)"),
        queryset=Unit.objects.order_by("path"),
        to_field_name="code",
        required=False,
        widget=FastSelect,
    )
    unit_role = forms.ChoiceField(
        label=gettext_lazy("The unit's part"),
        choices=[
            ("", gettext_lazy("The unit worked on the appeal (any assignment)")),
            ("lead", gettext_lazy("The unit leads the appeal now")),
            ("assist", gettext_lazy("The unit was asked to assist (协办)")),
        ],
        required=False,
    )
    status = forms.MultipleChoiceField(
        label=gettext_lazy("Status"),
        choices=Status.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    received_from = forms.DateField(
        label=gettext_lazy("Received from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    received_to = forms.DateField(
        label=gettext_lazy("Received until (inclusive)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean(self):
        data = super().clean()
        for name in ("received_from", "received_to"):
            day = data.get(name)
            if day and not 1900 <= day.year <= 2999:
                self.add_error(name, _("Give a date between the years 1900 and 2999."))
                data.pop(name, None)
        start, end = data.get("received_from"), data.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end date is before the start date."))
        return data

    def query_string(self) -> str:
        """The canonical query string of this filter (for saving and exporting)."""
        pairs = []
        for key in FILTER_KEYS:
            value = self.cleaned_data.get(key)
            if value in (None, "", []):
                continue
            if key in ("category", "unit"):
                pairs.append((key, value.code))
            elif key == "status":
                pairs.extend((key, v) for v in value)
            elif key.startswith("received_"):
                pairs.append((key, value.isoformat()))
            else:
                pairs.append((key, str(value).strip()))
        return urlencode(pairs)

    def has_filters(self) -> bool:
        return bool(self.query_string())


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isdigit() or c == "+")


def _phone_q(value: str) -> Q | None:
    """Last four digits, or the whole number; spaces and dashes do not count on either side.
    Both compare the stored number's digits written backwards (`phone_reversed`): the last four
    digits are then a prefix, and PostgreSQL answers both from one index (appeals.0012)."""
    digits = _digits(value)
    if len(digits) == 4 and digits.isdigit():
        return Q(phone_reversed__startswith=digits[::-1])
    if len(digits) >= 5:
        return Q(phone_reversed=digits[::-1])
    return None


# The stored phone without spaces and dashes (channels store it as the citizen typed it),
# backwards: the expression of the index appeals_phone_reversed (migration appeals.0012).
PHONE_REVERSED = Reverse(
    Replace(Replace("reporter_phone", Value("-"), Value("")), Value(" "), Value(""))
)


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def search_queryset(user, data: dict, narrow_below: int | None = None):
    """The appeals matching a valid SearchForm's cleaned data, among those `user` may see.
    `narrow_below`: see `textsearch.candidates` (the same rows either way; only the plan
    differs)."""
    qs = visible_appeals(user).alias(phone_reversed=PHONE_REVERSED)
    narrow = {"narrow_below": narrow_below}
    hide_confidential = privacy.is_handling_unit_view(user, None)

    def by_phone(value):
        q = _phone_q(value)
        if q is None:
            return Q(pk__in=[])
        if hide_confidential:
            # Handling units never see a confidential reporter; a phone must not find them either.
            q &= Q(confidential=False)
        return q

    if q := (data.get("q") or "").strip():
        match = textsearch.contains(q, ("title", "description", "address"), **narrow)
        # The appeal whose number it is, looked up first (one probe of the unique index): an
        # OR with the number inside the query would keep the database from joining on the
        # gram index.
        if exact := Appeal.objects.filter(number=q.upper()).values_list("pk", flat=True)[:1]:
            match |= Q(pk=exact[0])
        if len(_digits(q)) >= 4 and len(_digits(q)) >= len(q.replace(" ", "").replace("-", "")):
            match |= by_phone(q)
        qs = qs.filter(match)
    if number := (data.get("number") or "").strip().upper():
        qs = qs.filter(number__startswith=number)
    if phone := (data.get("phone") or "").strip():
        qs = qs.filter(by_phone(phone))
    if text := (data.get("text") or "").strip():
        qs = qs.filter(textsearch.contains(text, ("title", "description"), **narrow))
    if address := (data.get("address") or "").strip():
        qs = qs.filter(textsearch.contains(address, ("address",), **narrow))
    if category := data.get("category"):
        leaves = Category.objects.filter(
            Q(pk=category.pk) | Q(parent=category.pk) | Q(parent__parent=category.pk)
        ).values("pk")
        qs = qs.filter(category__in=leaves)
    if unit := data.get("unit"):
        assignments = Assignment.objects.filter(unit__path__startswith=unit.path)
        if data.get("unit_role") == "lead":
            assignments = assignments.filter(role=Assignment.Role.LEAD, active=True)
        elif data.get("unit_role") == "assist":
            assignments = assignments.filter(role=Assignment.Role.ASSIST)
        qs = qs.filter(pk__in=assignments.values("appeal_id"))
    if statuses := data.get("status"):
        qs = qs.filter(status__in=statuses)
    if start := data.get("received_from"):
        qs = qs.filter(received_at__gte=_day_start(start))
    if end := data.get("received_to"):
        qs = qs.filter(received_at__lt=_day_start(end + timedelta(days=1)))
    return qs.order_by("-received_at", "-id")


def _has_text(data: dict) -> bool:
    return any((data.get(key) or "").strip() for key in ("q", "text", "address"))


def _exact_number(user, form) -> str | None:
    """The appeal number, when the search is nothing but one visible appeal's exact number in
    the quick box (`q`): the search then opens that appeal directly. The number field of the
    full form stays a prefix filter that lists its matches."""
    given = {k for k, v in form.cleaned_data.items() if v not in (None, "", [])}
    if given != {"q"}:
        return None
    number = form.cleaned_data["q"].strip().upper()
    if visible_appeals(user).filter(number=number).exists():
        return number
    return None


def _search_desk(user):
    desk = next(d for d in DESKS if d.key == "search")
    if not set(user.role_set) & {str(r) for r in desk.roles}:
        raise PermissionDenied(_("Search is not available for your role."))
    return desk


def _bind(query) -> SearchForm:
    data = query if isinstance(query, QueryDict) else QueryDict(query or "")
    return SearchForm(data)


@login_required
def search(request):
    desk = _search_desk(request.user)
    form = _bind(request.GET)
    searched = form.is_valid()
    qs = search_queryset(request.user, form.cleaned_data) if searched else Appeal.objects.none()
    if searched and not request.headers.get("HX-Request"):
        exact = _exact_number(request.user, form)
        if exact:
            return redirect("console:appeal", number=exact)
    # A free-text search counts to a lower cap: with a common term, the count reads
    # cap / (share of appeals matching) rows in list order (textsearch.candidates).
    cap = TEXT_COUNT_CAP if searched and _has_text(form.cleaned_data) else COUNT_CAP
    paginator = CappedPaginator(with_list_data(qs), PAGE_SIZE, cap=cap, count_queryset=qs)
    page = paginator.get_page(request.GET.get("page"))
    query = form.query_string() if searched else ""
    context = {
        "active_desk": "search",
        "desk": desk,
        "form": form,
        "page": page,
        "rows": rows(page.object_list),
        "query": query,
        "page_query": query,
        "saved_filters": SavedFilter.objects.filter(user=request.user),
        "export_cap": EXPORT_CAP,
    }
    template = (
        "console/includes/appeal_table.html"
        if request.headers.get("HX-Request")
        else "console/search/search.html"
    )
    return render(request, template, context, status=200 if searched else 400)


def _clean_query(raw: str) -> str:
    """A submitted query string, canonical, or "" when it is not a valid search."""
    form = _bind((raw or "")[:QUERY_MAX])
    return form.query_string() if form.is_valid() else ""


def _back(query: str):
    url = reverse("console:search")
    return redirect(f"{url}?{query}" if query else url)


@login_required
@require_POST
def save_filter(request):
    _search_desk(request.user)
    form = _bind(request.POST.get("query", ""))
    name = request.POST.get("name", "").strip()[:80]
    if not form.is_valid():
        messages.error(request, _("This search has errors; correct it before saving."))
        return _back("")
    query = form.query_string()[:QUERY_MAX]
    if not name:
        messages.error(request, _("Give the filter a name."))
        return _back(query)
    SavedFilter.objects.update_or_create(user=request.user, name=name, defaults={"query": query})
    messages.success(request, _("Filter “%(name)s” saved.") % {"name": name})
    return _back(query)


@login_required
@require_POST
def delete_filter(request, pk):
    saved = get_object_or_404(SavedFilter, pk=pk, user=request.user)
    saved.delete()
    messages.success(request, _("Filter “%(name)s” deleted.") % {"name": saved.name})
    return _back(_clean_query(request.POST.get("query", "")))


@login_required
@require_POST
def export_xlsx(request):
    """The search result as an Excel file; reporters always masked; every export logged."""
    _search_desk(request.user)
    form = _bind(request.POST.get("query", ""))
    if not form.is_valid():
        messages.error(request, _("This search has errors; correct it before exporting."))
        return _back("")
    query = form.query_string()
    qs = search_queryset(request.user, form.cleaned_data)
    total = capped_count(qs, EXPORT_CAP)
    if total > EXPORT_CAP:
        messages.error(
            request,
            _(
                "More than %(cap)s appeals match: an export holds at most %(cap)s rows. "
                "Narrow the search (for example by received dates) and export in parts."
            )
            % {"cap": f"{EXPORT_CAP:,}"},
        )
        return _back(query)
    now = timesource.now()
    with dbrouting.analytics():  # a replica, when there is one, carries the export's reads
        handle, written = export.write_workbook(
            qs, request.user, query=query, describe=describe(form), now=now
        )
    ExportLog.objects.create(
        user=request.user,
        username=request.user.get_username(),
        query=query[:QUERY_MAX],
        row_count=written,
        masked=True,
        created_at=now,
    )
    return export.response(handle, f"jiesu-appeals-{timezone.localtime(now):%Y%m%d-%H%M}.xlsx")


def describe(form: SearchForm) -> list[tuple[str, str]]:
    """The filter in words, for the export's cover sheet."""
    lines = []
    for key in FILTER_KEYS:
        value = form.cleaned_data.get(key)
        if value in (None, "", []):
            continue
        field = form.fields[key]
        if key == "status":
            labels = dict(Status.choices)
            text = ", ".join(str(labels[v]) for v in value)
        elif key == "unit_role":
            text = str(dict(field.choices)[value])
        elif key == "category":
            text = f"{value.code} {value.name}"
        elif key == "unit":
            text = value.name
        else:
            text = str(value)
        lines.append((str(field.label), text))
    return lines
