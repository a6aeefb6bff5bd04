# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Open311 GeoReport v2 views (plain Django, XML and JSON).

The format is the path's extension (`services.json`, `requests/PS20261102000001.xml`); a path
without one answers in XML, the spec's required format. Every error is an `<errors>` document
(a JSON array) with the spec's status codes; nothing a client sends can cause a 500.
See docs/guide/open311.md for the mapping between Open311 and Jiesu.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import ExpressionWrapper, F, FloatField, Max
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from jiesu import textcheck
from jiesu.appeals import timesource
from jiesu.appeals.errors import WorkflowError
from jiesu.appeals.states import FINAL_STATES, OPEN_STATUS_LIST
from jiesu.catalog.models import HandlingRule, HandlingRuleVersion
from jiesu.conf import setting
from jiesu.intake import channels
from jiesu.intake import services as intake
from jiesu.intake.models import ChannelSubmission
from jiesu.intake.open311 import catalogue, records, render
from jiesu.intake.open311.errors import BadRequest, Forbidden, NotFound, Open311Error
from jiesu.intake.open311.models import Open311Request
from jiesu.org import coords, geo

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: GET requests: the default window and the most requests one answer carries (the spec's).
WINDOW = timedelta(days=90)
MAX_REQUESTS = 1000
#: A POST without an Idempotency-Key that repeats an earlier one (same channel, same fields)
#: within this time returns the earlier appeal.
RETRY_WINDOW = timedelta(hours=24)
DESCRIPTION_MAX = 4000  # the spec's limit

# Characters a submitted text may not contain: C0/C1 controls (line breaks and tabs only in
# multi-line fields), DEL, and the non-characters XML cannot carry.
_CONTROL = textcheck.UNSAFE_MULTILINE
_CONTROL_SINGLE_LINE = textcheck.UNSAFE_SINGLE_LINE
_PHONE = re.compile(r"^\+?[0-9][0-9\- ()]{3,30}$")
_CJK = re.compile(r"^[\u3400-\u9fff·]+$")


def jurisdiction_id() -> str:
    return setting("OPEN311_JURISDICTION_ID", "szpsq.gov.cn")


# -- plumbing --------------------------------------------------------------------------------


def endpoint(*methods):
    """Wrap a view: pick the format, allow only `methods`, check jurisdiction_id and turn
    `Open311Error`s into the spec's error documents."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, fmt=None, **kwargs):
            fmt = (fmt or "xml").lower()
            if fmt not in render.FORMATS:
                message = _("Format “%(fmt)s” is not supported: use .xml or .json.")
                return render.errors([(400, message % {"fmt": fmt[:16]})], "xml", 400)
            allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())
            if request.method not in allowed:
                message = _("Method %(method)s is not allowed here.")
                response = render.errors(
                    [(405, message % {"method": request.method[:16]})], fmt, 405
                )
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                # Read the query and the form first: a malformed or oversized body is a 400
                # in the spec's format, not Django's HTML page.
                request.GET  # noqa: B018
                if request.method == "POST":
                    request.POST  # noqa: B018
            except (MultiPartParserError, SuspiciousOperation):
                return render.errors(
                    [(400, _("The request could not be read (malformed or too large)."))],
                    fmt,
                    400,
                )
            try:
                check_jurisdiction(request)
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                response = render.errors(exc.items, fmt, exc.status)
                if getattr(exc, "retry_after", None):
                    response["Retry-After"] = str(exc.retry_after)
                return response

        return wrapper

    return decorate


def given_jurisdiction(request) -> str:
    data = request.POST if request.method == "POST" else request.GET
    return (data.get("jurisdiction_id") or request.GET.get("jurisdiction_id") or "").strip()


def check_jurisdiction(request) -> None:
    """jurisdiction_id is optional (Jiesu serves one jurisdiction); a wrong one is a 404."""
    given = given_jurisdiction(request)
    if given and given != jurisdiction_id():
        raise NotFound(
            _("jurisdiction_id “%(given)s” was not found; this endpoint serves “%(ours)s”.")
            % {"given": given[:100], "ours": jurisdiction_id()}
        )


def _csv(data, name: str) -> list[str]:
    values = []
    for raw in data.getlist(name):
        values.extend(v.strip() for v in raw.split(","))
    return [v for v in values if v]


# -- discovery -------------------------------------------------------------------------------


def changeset():
    """When the service list or the definitions last changed (rules and their versions)."""
    stamps = [
        HandlingRule.objects.aggregate(m=Max("updated_at"))["m"],
        HandlingRuleVersion.objects.aggregate(m=Max("created_at"))["m"],
    ]
    stamps = [s for s in stamps if s is not None]
    return render.w3c_datetime(max(stamps)) if stamps else "2026-01-01T00:00:00+08:00"


@endpoint("GET")
def discovery(request, fmt):
    url = request.build_absolute_uri(reverse("open311:root")).rstrip("/")
    stamp = changeset()
    kind = setting("OPEN311_ENDPOINT_TYPE", "test" if settings.DEBUG else "production")
    payload = {
        "changeset": stamp,
        "contact": setting(
            "OPEN311_CONTACT", _("Contact the district command centre's 12345 hotline.")
        ),
        "key_service": setting(
            "OPEN311_KEY_SERVICE",
            _(
                "API keys are issued per channel by the platform administrator "
                "(manage.py channel_key CODE)."
            ),
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": stamp,
                "type": kind,
                "formats": list(render.MIME_TYPES),
            }
        ],
    }
    return render.document("discovery", payload, fmt)


# -- services --------------------------------------------------------------------------------


@endpoint("GET")
def service_list(request, fmt):
    return render.document("services", catalogue.service_list(), fmt)


@endpoint("GET")
def service_definition(request, code, fmt):
    leaf = catalogue.find_leaf(code)
    if leaf is None:
        raise NotFound(_("service_code “%(code)s” was not found.") % {"code": code[:64]})
    return render.document("service_definition", catalogue.definition(leaf), fmt)


# -- requests --------------------------------------------------------------------------------


@endpoint("GET", "POST")
def requests_view(request, fmt):
    if request.method == "POST":
        if request.content_type == "application/x-www-form-urlencoded" and (
            not textcheck.form_body_is_utf8(request.body)
        ):
            raise BadRequest(_("The form was not sent as UTF-8 text."))
        return create_request(request, fmt)
    return list_requests(request, fmt)


@endpoint("GET")
def request_detail(request, request_id, fmt):
    appeal = records.with_details(records.public_appeals().filter(number=request_id)).first()
    if appeal is None:
        raise NotFound(_("service_request_id “%(id)s” was not found.") % {"id": request_id[:64]})
    return render.document("service_requests", [records.Describer().request(appeal)], fmt)


@endpoint("GET")
def token_detail(request, token, fmt):
    found = Open311Request.objects.select_related("appeal").filter(token=token).first()
    if found is None:
        raise NotFound(_("token “%(token)s” was not found.") % {"token": token[:64]})
    entry = {"service_request_id": found.appeal.number, "token": found.token}
    return render.document("service_requests", [entry], fmt)


def not_found(request, path=""):
    fmt = "json" if path.lower().endswith(".json") else "xml"
    return render.errors([(404, _("There is no Open311 resource here."))], fmt, 404)


# GET requests ------------------------------------------------------------------------------


def parse_w3c(value: str, name: str) -> datetime:
    """A W3C datetime (YYYY, YYYY-MM, YYYY-MM-DD or a full date and time, with Z or an offset;
    without one, local time). A `+` that arrived unencoded as a space is put back."""
    text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value.strip())
    try:
        if re.fullmatch(r"\d{4}", text):
            parsed = datetime(int(text), 1, 1)
        elif re.fullmatch(r"\d{4}-\d{2}", text):
            parsed = datetime(int(text[:4]), int(text[5:7]), 1)
        elif re.fullmatch(
            r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?", text
        ):
            parsed = datetime.fromisoformat(text)
        else:
            raise ValueError(text)
    except ValueError:
        raise BadRequest(
            _("%(name)s is not a W3C datetime such as 2010-01-01T00:00:00Z.") % {"name": name}
        ) from None
    if not 1900 <= parsed.year <= 2999:
        # Beyond these, converting between time zones can leave Python's date range.
        raise BadRequest(
            _("%(name)s must be a date between the years 1900 and 2999.") % {"name": name}
        )
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _int_param(data, name: str, default: int, lowest: int, highest: int) -> int:
    raw = (data.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not lowest <= int(raw) <= highest:
        raise BadRequest(
            _("%(name)s must be a whole number from %(low)d to %(high)d.")
            % {"name": name, "low": lowest, "high": highest}
        )
    return int(raw)


# Extension (lat, long, radius: the geographic search many GeoReport servers offer).
DEFAULT_RADIUS_M, MAX_RADIUS_M = 1000, 20_000
METRES_PER_DEGREE_LAT = 110_574.0
METRES_PER_DEGREE_LNG_AT_EQUATOR = 111_320.0


def finite_float(raw: str) -> float:
    """The number in `raw`, or NaN when it is none (callers refuse what is not finite)."""
    try:
        return float(raw)
    except ValueError:
        return math.nan


def _float_param(data, name: str, lowest: float, highest: float) -> float | None:
    raw = (data.get(name) or "").strip()
    if not raw:
        return None
    value = finite_float(raw)
    if not math.isfinite(value) or not lowest <= value <= highest:
        raise BadRequest(
            _("%(name)s must be a number from %(low)s to %(high)s.")
            % {"name": name, "low": f"{lowest:g}", "high": f"{highest:g}"}
        )
    return value


def _near(queryset, data):
    """Requests within `radius` metres of (lat, long): a bounding box in the database, then
    the equirectangular distance (exact to well under 1% at a district's scale)."""
    lat = _float_param(data, "lat", -90, 90)
    lng = _float_param(data, "long", -180, 180)
    radius = _float_param(data, "radius", 1, MAX_RADIUS_M)
    if (lat is None) != (lng is None):
        raise BadRequest(_("lat and long must be given together."))
    if lat is None:
        if radius is not None:
            raise BadRequest(_("radius needs lat and long."))
        return queryset
    radius = radius or DEFAULT_RADIUS_M
    metres_lng = METRES_PER_DEGREE_LNG_AT_EQUATOR * max(math.cos(math.radians(lat)), 1e-6)
    dlat, dlng = radius / METRES_PER_DEGREE_LAT, radius / metres_lng
    box = queryset.filter(
        lat__gte=lat - dlat, lat__lte=lat + dlat, lng__gte=lng - dlng, lng__lte=lng + dlng
    )
    dy = (F("lat") - lat) * METRES_PER_DEGREE_LAT
    dx = (F("lng") - lng) * metres_lng
    return box.annotate(
        distance_sq=ExpressionWrapper(dx * dx + dy * dy, output_field=FloatField())
    ).filter(distance_sq__lte=radius * radius)


def list_requests(request, fmt):
    data = request.GET
    queryset = records.public_appeals()
    ids = _csv(data, "service_request_id")
    # Extension (GeoReport v2 "Pagination", widely implemented): page and page_size.
    page_size = _int_param(data, "page_size", MAX_REQUESTS, 1, MAX_REQUESTS)
    page = _int_param(data, "page", 1, 1, 1_000_000)
    if not ids:
        queryset = _near(queryset, data)
    if ids:
        # "This overrides all other arguments."
        if len(ids) > MAX_REQUESTS:
            raise BadRequest(
                _("At most %(n)d service_request_id values at once.") % {"n": MAX_REQUESTS}
            )
        queryset = queryset.filter(number__in=ids)
    else:
        codes = _csv(data, "service_code")
        if codes:
            queryset = queryset.filter(category__code__in=codes)
        statuses = {s.lower() for s in _csv(data, "status")}
        wrong = statuses - {"open", "closed"}
        if wrong:
            raise BadRequest(
                _("status must be open or closed (comma-separated), not “%(value)s”.")
                % {"value": ", ".join(sorted(wrong))[:64]}
            )
        if statuses == {"open"}:
            # The open states named (not "not final"): the (status, received_at) index then
            # reads the open appeals only, newest first.
            queryset = queryset.filter(status__in=OPEN_STATUS_LIST)
        elif statuses == {"closed"}:
            queryset = queryset.filter(status__in=FINAL_STATES)
        start_raw = (data.get("start_date") or "").strip()
        end_raw = (data.get("end_date") or "").strip()
        start = parse_w3c(start_raw, "start_date") if start_raw else None
        end = parse_w3c(end_raw, "end_date") if end_raw else None
        if start and end:
            if end < start:
                raise BadRequest(_("end_date is before start_date."))
            if end - start > WINDOW:
                raise BadRequest(_("start_date and end_date may not span more than 90 days."))
        elif start:
            end = start + WINDOW
        elif end:
            start = end - WINDOW
        else:
            end = timesource.now()
            start = end - WINDOW
        queryset = queryset.filter(received_at__gte=start, received_at__lte=end)
    offset = (page - 1) * page_size
    appeals = list(
        records.with_details(queryset.order_by("-received_at", "-id"))[offset : offset + page_size]
    )
    describer = records.Describer()
    describer.prime(appeals)
    return render.document("service_requests", [describer.request(a) for a in appeals], fmt)


# POST requests -----------------------------------------------------------------------------


class TooManyRequests(Open311Error):
    def __init__(self, retry_after: int):
        super().__init__(
            429,
            _("This channel sends too many requests; try again in %(s)d seconds.")
            % {"s": retry_after},
        )
        self.retry_after = retry_after


class Form:
    """The POSTed fields, cleaned; every problem is collected to be answered at once."""

    def __init__(self, data):
        self.data = data
        self.errors: list[str] = []

    def text(self, name: str, max_length: int, multiline: bool = False) -> str:
        values = self.data.getlist(name)
        value = values[-1] if values else ""
        if multiline:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        value = value.strip()
        pattern = _CONTROL if multiline else _CONTROL_SINGLE_LINE
        if pattern.search(value):
            self.errors.append(_("%(name)s contains control characters.") % {"name": name})
            return ""
        if len(value) > max_length:
            self.errors.append(
                _("%(name)s is longer than %(n)d characters.") % {"name": name, "n": max_length}
            )
            return ""
        return value

    def coordinate(self, name: str, limit: float) -> float | None:
        raw = self.text(name, 40)
        if not raw:
            return None
        value = finite_float(raw)
        if not math.isfinite(value) or not -limit <= value <= limit:
            self.errors.append(
                _("%(name)s must be a number from -%(limit)d to %(limit)d (WGS84).")
                % {"name": name, "limit": limit}
            )
            return None
        return value


def authenticate(request):
    given = request.POST.getlist("api_key") + request.GET.getlist("api_key")
    if len(given) > 1:
        # Two keys (valid and bad, or one in the query and one in the form) are refused, not
        # resolved by an order of precedence (issue 8, item 8; the native API does the same).
        raise BadRequest(_("Send one api_key only, in the query string or in the form."))
    raw = (given[0] if given else "").strip()
    if not raw:
        raise Forbidden(_("api_key is missing: a key is required to create a request."))
    channel = channels.authenticate_key(raw)
    if channel is None:
        raise Forbidden(_("Invalid api_key received: cannot create the request."))
    return channel


def reporter_name(first: str, last: str) -> str:
    if first and last and _CJK.match(first) and _CJK.match(last):
        return f"{last}{first}"  # Chinese order: family name first, no space
    return " ".join(part for part in (first, last) if part)


def make_title(service_name: str, description: str) -> str:
    first = re.split(r"[。！？!?；;\n]", description, maxsplit=1)[0].strip()
    if len(first) > 40:
        first = first[:40].rstrip() + "…"
    return f"{service_name}：{first}"[:200] if first else service_name[:200]


def idempotency_key(request, channel, data) -> str:
    """The key `intake.services.submit` files under: the Idempotency-Key header as sent, or,
    without one, a digest of every field but api_key (device_id and phone included) that
    returns the earlier appeal for an identical POST of the same channel within RETRY_WINDOW."""
    header = (request.headers.get("Idempotency-Key") or "").strip()
    if header:
        if _CONTROL_SINGLE_LINE.search(header):
            raise BadRequest(
                _("%(name)s contains control characters.") % {"name": "Idempotency-Key"}
            )
        if len(header) > 128:
            raise BadRequest(_("The Idempotency-Key header must be at most 128 characters."))
        return header
    fields = sorted((k, sorted(data.getlist(k))) for k in data if k != "api_key")
    digest = hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()[:40]
    base = f"open311:{digest}:"
    earlier = ChannelSubmission.objects.filter(
        channel=channel, idempotency_key__startswith=base
    ).order_by("-created_at", "-id")
    latest = earlier.first()
    if latest is None:  # the usual case: nothing like it before, and nothing to count
        return f"{base}0"
    if latest.created_at >= timezone.now() - RETRY_WINDOW:
        return latest.idempotency_key
    return f"{base}{earlier.count()}"


def create_request(request, fmt):
    data = request.POST
    channel = authenticate(request)
    retry_after = channels.check_rate(channel)
    if retry_after:
        raise TooManyRequests(retry_after)
    form = Form(data)
    code = form.text("service_code", 32)
    if not code:
        if form.errors:
            raise BadRequest(*form.errors)
        raise BadRequest(_("service_code was not provided."))
    leaf = catalogue.find_leaf(code)
    if leaf is None:
        raise NotFound(_("service_code “%(code)s” was not found.") % {"code": code})

    lat = form.coordinate("lat", 90)
    lng = form.coordinate("long", 180)
    has_lat = bool((data.get("lat") or "").strip())
    has_lng = bool((data.get("long") or "").strip())
    if has_lat != has_lng:
        form.errors.append(_("lat and long must be sent together."))
    address = form.text("address_string", 300)
    address_id = form.text("address_id", 64)
    description = form.text("description", DESCRIPTION_MAX, multiline=True)
    first_name = form.text("first_name", 50)
    last_name = form.text("last_name", 50)
    phone = form.text("phone", 32)
    email = form.text("email", 254)
    form.text("device_id", 128)
    account_id = form.text("account_id", 128)
    media_url = form.text("media_url", 500)
    if phone and not _PHONE.match(phone):
        form.errors.append(_("phone is not a phone number."))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            form.errors.append(_("email is not an e-mail address."))
    if media_url:
        try:
            URLValidator(schemes=["http", "https"])(media_url)
        except ValidationError:
            form.errors.append(_("media_url is not an http(s) URL."))
    located = (lat is not None and lng is not None) or address or address_id
    if not located and not (has_lat or has_lng):
        form.errors.append(_("A location is required: lat and long, address_string or address_id."))
    answers = catalogue.read_attributes(data, leaf)
    form.errors.extend(answers.errors)
    if lat is not None and lng is not None and not form.errors:
        # attribute[coord_system]: GCJ-02 or BD-09 from Chinese map SDKs, stored as WGS84.
        lat, lng = coords.to_wgs84(lat, lng, answers.submitted.get("coord_system"))
        if geo.outside_district(lat, lng):
            form.errors.append(_("The location (lat, long) lies outside this jurisdiction."))
    if form.errors:
        raise BadRequest(*form.errors)

    if not address and address_id:
        address = _("Address ID %(id)s") % {"id": address_id}
    if not description:
        description = leaf.full_name + (f"：{address}" if address else "")
    fields = {
        "title": make_title(leaf.name, description),
        "description": description,
        "reporter_name": reporter_name(first_name, last_name)[:100],
        "reporter_phone": phone,
        "anonymous": not phone,
        "address": address,
        "lat": lat,
        "lng": lng,
        "category": leaf,
        **answers.fields,
    }
    key = idempotency_key(request, channel, data)
    try:
        with transaction.atomic():
            result = intake.submit(channel, fields=fields, idempotency_key=key)
            if result.created:
                extra = Open311Request.objects.create(
                    appeal=result.appeal,
                    channel=channel,
                    service_code=leaf.code,
                    jurisdiction_id=jurisdiction_id() if given_jurisdiction(request) else "",
                    address_id=address_id,
                    media_url=media_url,
                    attributes=answers.submitted,
                )
    except intake.IdempotencyConflict as exc:
        raise BadRequest(str(exc)) from None
    except WorkflowError as exc:
        messages = [str(m) for ms in exc.field_errors.values() for m in ms] or [str(exc)]
        status = 403 if exc.http_status == 403 else 400
        raise Open311Error(status, *messages) from None

    appeal = result.appeal
    if not result.created:
        extra = records.sidecar(appeal)  # a retry: the first POST's row (if it came this way)
    describer = records.Describer()
    entry = {"service_request_id": appeal.number}
    if extra is not None and setting("OPEN311_RETURN_TOKEN", False):
        entry["token"] = extra.token
    entry["service_notice"] = describer.notice(appeal, describer.lead_unit(appeal))
    entry["account_id"] = account_id or None
    return render.document("service_requests", [entry], fmt, status=201 if result.created else 200)
