# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The citizen pages: 随手拍 submission, public tracking with live updates, rating.

Mobile first, server-rendered; htmx polls a small status fragment on the tracking page and
Leaflet shows the district outline for the map pin (both vendored under static, no CDN).
No accounts: access to an appeal is proven by its number plus the query code (or the phone's
last four digits) and remembered in the session (see `access`).
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, translate_url
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jiesu import clients
from jiesu.appeals import attachments, tracking, workflow
from jiesu.appeals.errors import InvalidInput, WorkflowError
from jiesu.appeals.models import Appeal, Attachment
from jiesu.intake import channels, services
from jiesu.intake.citizen import access
from jiesu.intake.citizen.forms import RatingForm, ReportForm, TrackForm
from jiesu.intake.citizen.progress import (
    REPLY_STATES,
    followed,
    progress,
    public_result_photos,
)
from jiesu.intake.models import Channel, ChannelSubmission
from jiesu.org import coords, geo
from jiesu.org.models import Region

WEB_CHANNEL = "web"
# Where the map opens when no region has a boundary (Pingshan, Shenzhen).
DEFAULT_CENTRE = (22.708, 114.35)


def web_channel() -> Channel:
    """The web channel; created on first use when the intake data has not registered it."""
    channel, _created = Channel.objects.get_or_create(
        code=WEB_CHANNEL,
        defaults={
            "name": "网页随手拍",
            "kind": Channel.Kind.WEB,
            "description": "Citizen pages of the platform (随手拍).",
        },
    )
    return channel


def _languages(request) -> list[dict]:
    path = request.get_full_path()
    current = get_language()
    return [
        {"code": code, "url": translate_url(path, code), "current": code == current, "name": name}
        for code, name in (("zh-hans", "中文"), ("en", "English"))
    ]


def _render(request, template, context=None, status=200):
    context = {"languages": _languages(request), **(context or {})}
    return render(request, f"intake/citizen/{template}", context, status=status)


def _mark_errors(form) -> None:
    """aria-invalid and aria-describedby on fields, so screen readers tell the errors."""
    for name in form.fields:
        bound = form[name]
        attrs = bound.field.widget.attrs
        described = []
        if bound.help_text:
            described.append(f"{bound.auto_id}_help")
        if bound.errors:
            attrs["aria-invalid"] = "true"
            described.append(f"{bound.auto_id}_error")
        if described:
            attrs["aria-describedby"] = " ".join(described)
        if name in ("reporter_phone",) and not form["anonymous"].value():
            attrs.setdefault("aria-required", "true")


# -- landing -----------------------------------------------------------------------------------


@require_GET
def home(request):
    return _render(request, "home.html")


# -- 随手拍 ------------------------------------------------------------------------------------


def _outline() -> dict:
    """District and subdistrict boundaries as a GeoJSON FeatureCollection for the map."""
    features = []
    regions = Region.objects.filter(
        active=True,
        boundary__isnull=False,
        level__in=[Region.Level.DISTRICT, Region.Level.SUBDISTRICT],
    ).order_by("path")
    for region in regions:
        try:
            shape = geo.parse_boundary(region.boundary).simplify(0.0003, preserve_topology=True)
        except Exception:  # noqa: S112  a damaged boundary is left off the map, not fatal
            continue
        geometry = json.loads(
            json.dumps(geo.to_geojson(shape)), parse_float=lambda s: round(float(s), 5)
        )
        features.append(
            {
                "type": "Feature",
                "properties": {"name": region.name, "level": region.level},
                "geometry": geometry,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _places() -> list[dict]:
    """Subdistricts and communities with a boundary, for the place search on the map: the
    district's own data, so it works without an outside geocoder. A pick zooms the map to the
    area and puts the pin at its centre (WGS84), for the citizen to move."""
    places = []
    regions = (
        Region.objects.filter(
            active=True,
            center_lat__isnull=False,
            level__in=[Region.Level.SUBDISTRICT, Region.Level.COMMUNITY],
        )
        .select_related("parent")
        .order_by("path")
    )
    for region in regions:
        parent = region.parent.name if region.parent_id and region.level == "community" else ""
        place = {
            "name": region.name,
            "within": parent,
            "lat": round(region.center_lat, 6),
            "lng": round(region.center_lng, 6),
        }
        if region.min_lat is not None:
            place["bounds"] = [
                [round(region.min_lat, 5), round(region.min_lng, 5)],
                [round(region.max_lat, 5), round(region.max_lng, 5)],
            ]
        places.append(place)
    return places


def _centre() -> tuple[float, float]:
    district = (
        Region.objects.filter(active=True, level=Region.Level.DISTRICT, center_lat__isnull=False)
        .order_by("path")
        .first()
    )
    return (district.center_lat, district.center_lng) if district else DEFAULT_CENTRE


def _pending(request, key) -> list[Attachment]:
    ids = access.pending_uploads(request.session, key)
    if not ids:
        return []
    return list(
        Attachment.objects.filter(
            pk__in=ids, appeal__isnull=True, purpose=Attachment.Purpose.REPORT
        ).order_by("id")
    )


def _report_page(request, form, channel, status=200, ask_location=False):
    _mark_errors(form)
    accept = "image/jpeg,image/png,image/webp,image/heic,image/heif,image/*"
    if channel.allow_video:
        accept += ",video/mp4,video/quicktime"
    form.fields["photos"].widget.attrs["accept"] = accept
    centre = _centre()
    return _render(
        request,
        "report.html",
        {
            "form": form,
            "channel": channel,
            "accept": accept,
            "outline": _outline(),
            "places": _places(),
            "ask_location": ask_location,
            "map_config": {
                "centre": centre,
                "tiles": access.setting("MAP_TILE_URL", ""),
                "attribution": access.setting("MAP_TILE_ATTRIBUTION", ""),
                # The coordinate system of the tiles, so of a tapped pin (GCJ-02 for AMap or
                # Tencent tiles); the browser's own position is always WGS84.
                "coord_system": coords.normalise(access.setting("MAP_TILE_COORD_SYSTEM", ""))
                or coords.WGS84,
            },
        },
        status=status,
    )


def _field_for(name: str) -> str | None:
    return {
        "location": "address",
        "lat": "address",
        "lng": "address",
        "attachments": "photos",
        "file": "photos",
        "title": "title",
        "description": "description",
        "reporter_phone": "reporter_phone",
        "reporter_name": "reporter_name",
        "appeal_type": "appeal_type",
        "address": "address",
    }.get(name)


@never_cache
@require_http_methods(["GET", "POST"])
def report(request):
    channel = web_channel()
    if not channel.active:
        return _render(request, "closed.html", status=503)
    if request.method == "GET":
        return _report_page(
            request,
            ReportForm(
                initial={"form_token": access.new_form_token()}, max_photos=channel.max_attachments
            ),
            channel,
        )

    ip = clients.client_ip(request)
    wait = access.report_throttled(ip) or channels.check_rate(channel, bucket="citizen-form")
    if wait:
        # Nothing of this sending is kept: its photos were never stored.
        form = ReportForm(request.POST, max_photos=channel.max_attachments)
        form.is_valid()
        form.add_error(
            None,
            _(
                "Too many reports were sent from here in a short time. Please wait "
                "%(minutes)d minutes and send it again."
            )
            % {"minutes": max(1, (wait + 59) // 60)},
        )
        response = _report_page(request, form, channel, status=429)
        response["Retry-After"] = str(wait)
        return response

    token = request.POST.get("form_token", "")
    key = access.form_key(token)
    if key is None:
        data = request.POST.copy()
        data["form_token"] = access.new_form_token()
        form = ReportForm(data, max_photos=channel.max_attachments)
        form.is_valid()
        form.add_error(
            None, _("This form has expired. Please check your entries and add the photos again.")
        )
        return _report_page(request, form, channel, status=400)
    if ChannelSubmission.objects.filter(channel=channel, idempotency_key=key).exists():
        # Sent twice (a double tap, a reload, back and send again): the first one stands.
        messages.info(
            request,
            _(
                "This form had already been sent: here is the appeal it filed. To report "
                "something else, start a new report."
            ),
        )
        return redirect("citizen:report-done", token=token)

    # Photos: those added by an earlier try of this form (kept unless unticked), then the new.
    pending = _pending(request, key)
    keep = {int(v) for v in request.POST.getlist("keep_photos") if v.isdigit()}
    for attachment in [a for a in pending if a.pk not in keep]:
        attachments.discard(attachment)
    pending = [a for a in pending if a.pk in keep]
    photo_errors = []
    uploads = request.FILES.getlist("photos")
    room = max(0, channel.max_attachments - len(pending))
    if len(uploads) > room:
        photo_errors.append(
            _("At most %(n)d photos can be sent; the rest were left out.")
            % {"n": channel.max_attachments}
        )
        uploads = uploads[:room]
    if uploads and not access.uploads_allowed(ip, len(uploads)):
        # Caps per client and in total: anonymous photos must not fill the disk.
        photo_errors.append(
            _("Too many photos are waiting to be sent from here. Please try again later.")
        )
        uploads = []
    for upload in uploads:
        try:
            pending.append(
                attachments.store_upload(upload, purpose=Attachment.Purpose.REPORT, channel=channel)
            )
        except InvalidInput as exc:
            photo_errors.append(f"{upload.name}: {exc.message}")
    access.set_pending_uploads(request.session, key, [a.pk for a in pending])

    data = request.POST.copy()
    data.setlist("keep_photos", [str(a.pk) for a in pending])
    form = ReportForm(data, pending=pending, max_photos=channel.max_attachments)
    valid = form.is_valid()
    for message in photo_errors:
        form.add_error("photos", message)
    if not valid or photo_errors:
        return _report_page(request, form, channel, status=400)

    data = form.cleaned_data
    lat, lng = data.get("lat"), data.get("lng")  # WGS84 (the form converts)
    bounded = Region.objects.filter(active=True, boundary__isnull=False).exists()
    if lat is None:
        # The photo's own position (EXIF), when it lies in the district, is the place.
        for attachment in pending:
            if attachment.exif_lat is None:
                continue
            if not bounded or geo.resolve_point(attachment.exif_lat, attachment.exif_lng):
                lat, lng = attachment.exif_lat, attachment.exif_lng
                break
        else:
            if not data.get("without_location"):
                # No map position: area routing cannot work. Ask once; the citizen may still
                # send it (the intake desk locates it from the address or the description).
                return _report_page(request, form, channel, ask_location=True)
    elif bounded and geo.resolve_point(lat, lng) is None:
        form.add_error(
            "address",
            _("The pin is outside the district. Move it onto the map area, or write the address."),
        )
    if form.errors:
        return _report_page(request, form, channel, status=400)

    fields = {
        "title": form.title_or_derived,
        "description": data["description"],
        "appeal_type": data["appeal_type"],
        "reporter_name": data["reporter_name"],
        "reporter_phone": data["reporter_phone"],
        "anonymous": data["anonymous"],
        "confidential": data["confidential"],
        "address": data["address"],
        "lat": lat,
        "lng": lng,
    }
    try:
        with transaction.atomic():
            result = services.submit(
                channel, fields=fields, idempotency_key=key, attachments=pending
            )
            if result.created:
                # Written before the commit: a concurrent double submit that waits for this
                # one finds the code when it sees the appeal.
                access.keep_receipt(key, result.appeal.number, result.query_code)
    except services.IdempotencyConflict:
        # The same form sent twice at once, with its photos uploaded twice: the first stands.
        if not ChannelSubmission.objects.filter(channel=channel, idempotency_key=key).exists():
            raise
        for attachment in pending:
            attachments.discard(attachment)
        access.set_pending_uploads(request.session, key, [])
        return redirect("citizen:report-done", token=token)
    except InvalidInput as exc:
        mapped = False
        for name, errors in exc.field_errors.items():
            target = _field_for(name)
            for error in errors:
                form.add_error(target if target in form.fields else None, error)
                mapped = True
        if not mapped:
            form.add_error(None, exc.message)
        return _report_page(request, form, channel, status=400)
    access.set_pending_uploads(request.session, key, [])
    return redirect("citizen:report-done", token=token)


@never_cache
@require_GET
def report_done(request, token):
    key = access.form_key(token, max_age=int(access.setting("CITIZEN_RECEIPT_DAYS", 7)) * 86400)
    submission = (
        ChannelSubmission.objects.filter(channel__code=WEB_CHANNEL, idempotency_key=key)
        .select_related("appeal")
        .first()
        if key
        else None
    )
    if submission is None:
        raise Http404
    appeal = submission.appeal
    code = access.take_code(key, appeal.number)
    access.grant(request.session, appeal)
    return _render(request, "report_done.html", {"appeal": appeal, "code": code})


@require_GET
def pending_photo(request, pk):
    if not access.may_see_upload(request.session, pk):
        raise Http404
    attachment = Attachment.objects.filter(pk=pk, appeal__isnull=True).first()
    return _thumbnail_response(attachment)


def _thumbnail_response(attachment):
    if attachment is None or not attachment.thumbnail:
        raise Http404
    response = FileResponse(attachment.thumbnail.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Disposition"] = "inline"
    return response


# -- tracking ----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def track(request):
    status = 200
    if request.method == "POST":
        form = TrackForm(request.POST)
        if form.is_valid():
            number, code = form.cleaned_data["number"], form.cleaned_data["code"]
            ip = clients.client_ip(request)
            if access.locked_out(ip):
                minutes = max(1, access._window() // 60)
                form.add_error(
                    None,
                    _(
                        "Too many attempts. For your security, please try again in "
                        "%(minutes)d minutes."
                    )
                    % {"minutes": minutes},
                )
                status = 429
            else:
                appeal = Appeal.objects.filter(number=number).first()
                allow_last_four = access.last_four_allowed(number)
                if appeal is not None and tracking.check_code(
                    appeal, code, allow_last_four=allow_last_four
                ):
                    access.grant(request.session, appeal)
                    return redirect("citizen:track-detail", number=appeal.number)
                access.record_failure(ip, number, last_four=tracking.is_last_four(code))
                form.add_error(
                    None,
                    _("The number and the code do not match. Please check them and try again."),
                )
                status = 400
        else:
            status = 400
    else:
        form = TrackForm(initial={"number": request.GET.get("number", "")[:32]})
    _mark_errors(form)
    return _render(request, "track.html", {"form": form}, status=status)


def _granted_appeal(request, number) -> Appeal | None:
    appeal = Appeal.objects.select_related("merged_into").filter(number=number).first()
    if appeal is None or not access.granted(request.session, appeal):
        return None
    return appeal


def _track_again(number):
    return redirect(f"{reverse('citizen:track')}?number={number}")


def _status_context(request, appeal, rating_form=None):
    return {
        "p": progress(appeal),
        "rating_form": rating_form or RatingForm(),
        "poll_seconds": int(access.setting("TRACK_POLL_SECONDS", 15)),
    }


@never_cache
@require_GET
def track_detail(request, number):
    appeal = _granted_appeal(request, number)
    if appeal is None:
        return _track_again(number)
    return _render(request, "track_detail.html", _status_context(request, appeal))


@never_cache
@require_GET
def track_status(request, number):
    """The status fragment that the tracking page polls; 204 when nothing changed."""
    appeal = _granted_appeal(request, number)
    if appeal is None:
        return _render(request, "_expired.html", {"number": number})
    version = f"{appeal.audit_count}.{followed(appeal).audit_count}"
    if request.GET.get("v") == version:
        return HttpResponse(status=204)
    return _render(request, "_status.html", _status_context(request, appeal))


@require_POST
def rate(request, number):
    appeal = _granted_appeal(request, number)
    if appeal is None:
        return _track_again(number)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            workflow.citizen_rate(
                appeal, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
            )
        except WorkflowError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Thank you. Your rating has been recorded."))
            return redirect("citizen:track-detail", number=number)
        return redirect("citizen:track-detail", number=number)
    _mark_errors(form)
    context = _status_context(request, appeal, rating_form=form)
    return _render(request, "track_detail.html", context, status=400)


@require_GET
def track_photo(request, number, pk):
    appeal = _granted_appeal(request, number)
    if appeal is None:
        raise Http404
    attachment = Attachment.objects.filter(
        pk=pk, appeal=appeal, purpose=Attachment.Purpose.REPORT, kind=Attachment.Kind.IMAGE
    ).first()
    if attachment is None:
        # The unit's evidence photos: only those it marked public, and only once the result
        # itself is public. Any other file is a 404, as if it did not exist.
        shown = followed(appeal)
        if shown.status in REPLY_STATES:
            attachment = public_result_photos(shown).filter(pk=pk).first()
    return _thumbnail_response(attachment)
