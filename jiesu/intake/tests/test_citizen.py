# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Citizen pages with Django's test client: 随手拍, receipt, tracking, rate limit, rating.

Most tests use the English pages (/en/...: `reverse` runs under English), so that texts are
checked in their source form whatever the Chinese catalogue says; the Chinese default pages
are checked at the root."""

import json
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from jiesu.appeals import tracking, workflow
from jiesu.appeals.models import Appeal, Attachment
from jiesu.appeals.tests.conftest import build_world
from jiesu.catalog.models import AppealType
from jiesu.intake.citizen import access, views
from jiesu.intake.models import Channel, ChannelSubmission
from jiesu.intake.tests import citizen_samples as samples
from jiesu.org import coords

pytestmark = pytest.mark.django_db

INSIDE = {"lat": "22.7", "lng": "114.35"}  # inside the test district (114–115 E, 22–23 N)
OUTSIDE = {"lat": "31.23", "lng": "121.47"}  # Shanghai


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def world(db):
    return build_world()


def token_of(response) -> str:
    return re.search(rb'name="form_token" value="([^"]+)"', response.content).group(1).decode()


def form_data(client, **overrides):
    page = client.get(reverse("citizen:report"))
    data = {
        "form_token": token_of(page),
        "appeal_type": str(AppealType.objects.get(code="complaint").pk),
        "description": "小区东门垃圾堆了三天没人清理，气味很大。请尽快处理。",
        "title": "",
        "address": "六和社区东门",
        "reporter_name": "李四",
        "reporter_phone": "13912345678",
        "consent": "on",
        **INSIDE,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def submit(client, data, photos=()):
    payload = dict(data)
    if photos:
        payload["photos"] = list(photos)
    return client.post(reverse("citizen:report"), payload)


def photo(name="IMG_0001.jpg", **kwargs):
    return samples.upload(name, samples.jpeg_bytes(**kwargs))


def receipt(client, response):
    """Follow the redirect to the receipt page; (appeal, code shown or None)."""
    assert response.status_code == 302, response.content.decode()[:3000]
    page = client.get(response["Location"])
    assert page.status_code == 200
    number = re.search(rb'id="appeal-number"[^>]*>([A-Z0-9]+)<', page.content).group(1).decode()
    code = re.search(rb'id="query-code"[^>]*>([A-Z0-9]+)<', page.content)
    return Appeal.objects.get(number=number), code.group(1).decode() if code else None


def track(client, number, code):
    return client.post(reverse("citizen:track"), {"number": number, "code": code})


# -- pages -------------------------------------------------------------------------------------


def test_landing_page_at_the_root_in_chinese(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'<html lang="zh-Hans">' in response.content
    assert b'href="/report/"' in response.content and b'href="/track/"' in response.content
    assert b'href="/en/"' in response.content
    with translation.override("zh-hans"):
        assert translation.gettext("Track my appeal").encode() in response.content


def test_chinese_report_page_and_messages(client, world):
    with translation.override("zh-hans"):
        page = client.get("/report/")
        assert b'<html lang="zh-Hans">' in page.content
        data = form_data(client, reporter_phone="")
        response = client.post("/report/", data)
        expected = translation.gettext(
            "Your phone number is needed so the unit can reach you (or report anonymously)."
        )
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert Appeal.objects.count() == 0


def test_citizens_and_staff_use_one_term_for_each_type(client, world):
    """Issue 9 defect 6: citizens chose 求助 where the console shows 求决. In Chinese the
    choices are the catalogue's own names (an administrator's rename shows on both sides)."""
    AppealType.objects.filter(code="request").update(name="求决")
    with translation.override("zh-hans"):
        page = client.get("/report/").content.decode()
    labels = re.findall(r'<label class="chip"[^>]*>.*?<span>(.*?)</span>', page)
    assert labels == list(
        AppealType.objects.filter(active=True)
        .order_by("sort_order", "code")
        .values_list("name", flat=True)
    )
    assert "求决" in labels and "求助" not in page
    assert "就具体问题寻求帮助" in page  # the plain-words hint under "What do these mean?"
    AppealType.objects.filter(code="request").update(name="求决（求助）")
    with translation.override("zh-hans"):
        assert "求决（求助）" in client.get("/report/").content.decode()


def test_stepper_speaks_one_form(client, filed):
    """Issue 9 defect 6: the stepper read 已提交 · 已受理 · 办理 · 已办结."""
    appeal = _granted(client, filed)
    with translation.override("zh-hans"):
        page = client.get(f"/track/{appeal.number}/").content.decode()
    stages = re.findall(r"<li[^>]*>([^<]+)</li>", page.split('class="stages"')[1].split("</ol>")[0])
    assert stages == ["已提交", "已受理", "办理中", "已办结"]


def test_english_pages_under_en(client):
    response = client.get("/en/report/")
    assert response.status_code == 200
    assert b'<html lang="en">' in response.content
    assert b"Snap and report" in response.content
    assert b'href="/report/"' in response.content  # the link back to Chinese
    assert client.get("/en/track/").status_code == 200


def test_report_form_has_what_a_phone_needs(client):
    response = client.get(reverse("citizen:report"))
    html = response.content.decode()
    assert 'name="viewport"' in html
    assert "csrfmiddlewaretoken" in html and 'name="form_token"' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file" name="photos" multiple' in html
    assert 'id="map"' in html and "leaflet.js" in html and "district-outline" in html
    for code in ("complaint", "consultation", "suggestion", "request", "report"):
        pk = AppealType.objects.get(code=code).pk
        assert f'name="appeal_type" value="{pk}"' in html
    # Every visible input has a label.
    for field_id in re.findall(r'<input type="(?:text|checkbox|file)"[^>]* id="([^"]+)"', html):
        assert f'for="{field_id}"' in html, field_id
    assert response["Cache-Control"].startswith("max-age=0")


def test_map_outline_comes_from_the_region_boundaries(client, world):
    html = client.get(reverse("citizen:report")).content.decode()
    outline = re.search(r'id="district-outline"[^>]*>(.*?)</script>', html, re.S).group(1)
    assert "坪山区" in outline.encode().decode("unicode_escape") or "\\u576a" in outline
    assert "114.0" in outline and "Polygon" in outline


# -- submitting --------------------------------------------------------------------------------


def test_submit_with_photo_gives_number_and_code(client, world):
    response = submit(client, form_data(client), [photo()])
    appeal, code = receipt(client, response)

    assert appeal.channel == "web" and appeal.status == "received"
    assert Channel.objects.get(code="web").kind == Channel.Kind.WEB
    assert appeal.title == "小区东门垃圾堆了三天没人清理，气味很大"
    assert appeal.reporter_phone == "13912345678" and appeal.reporter_name == "李四"
    assert appeal.appeal_type.code == "complaint"
    assert (appeal.lat, appeal.lng) == (22.7, 114.35)
    assert appeal.region == world.district
    assert code and tracking.check_code(appeal, code)
    (attachment,) = appeal.attachments.all()
    assert attachment.purpose == Attachment.Purpose.REPORT
    assert attachment.exif_lat == pytest.approx(samples.LAT, abs=1e-4)
    with attachment.file.open("rb") as f:
        assert b"Secret Phone" not in f.read()
    # The receipt shows the code once; a reload shows the number only.
    again = client.get(response["Location"])
    assert appeal.number.encode() in again.content
    assert code.encode() not in again.content
    assert "no-store" in again["Cache-Control"]


def test_title_field_wins_over_the_derived_title(client, world):
    response = submit(client, form_data(client, title="垃圾堆积"))
    appeal, _code = receipt(client, response)
    assert appeal.title == "垃圾堆积"


def test_phone_required_unless_anonymous(client, world):
    response = submit(client, form_data(client, reporter_phone=""), [photo()])
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_reporter_phone_error"' in html and "phone number is needed" in html
    assert 'aria-invalid="true"' in html
    assert Appeal.objects.count() == 0
    # The photo is kept for the next try, shown as a thumbnail the same session may see.
    (pending,) = Attachment.objects.all()
    assert f'name="keep_photos" value="{pending.pk}"' in html
    thumb = client.get(reverse("citizen:pending-photo", args=[pending.pk]))
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    from django.test import Client

    assert Client().get(reverse("citizen:pending-photo", args=[pending.pk])).status_code == 404

    # Second try, same form, with the phone: the kept photo goes with it.
    data = form_data(client, reporter_phone="0755-28881234")
    data["form_token"] = token_of(response)
    data["keep_photos"] = [str(pending.pk)]
    appeal, _code = receipt(client, submit(client, data))
    assert appeal.reporter_phone == "0755-28881234"
    assert list(appeal.attachments.values_list("pk", flat=True)) == [pending.pk]


def test_unticked_kept_photo_is_deleted(client, world):
    response = submit(client, form_data(client, reporter_phone=""), [photo()])
    (pending,) = Attachment.objects.all()
    data = form_data(client)
    data["form_token"] = token_of(response)  # keep_photos not sent: the photo was unticked
    appeal, _code = receipt(client, submit(client, data))
    assert appeal.attachments.count() == 0
    assert not Attachment.objects.filter(pk=pending.pk).exists()


def test_anonymous_needs_no_phone_and_keeps_none(client, world):
    data = form_data(client, anonymous="on", reporter_phone="13900000000", confidential="on")
    appeal, code = receipt(client, submit(client, data))
    assert appeal.anonymous and not appeal.confidential
    assert appeal.reporter_phone == "" and appeal.reporter_name == ""
    assert code


def test_confidential_is_recorded(client, world):
    appeal, _code = receipt(client, submit(client, form_data(client, confidential="on")))
    assert appeal.confidential and not appeal.anonymous


def test_bad_phone_refused(client, world):
    response = submit(client, form_data(client, reporter_phone="12345"))
    assert response.status_code == 400
    assert b"mobile number" in response.content
    assert Appeal.objects.count() == 0


def test_consent_required(client, world):
    response = submit(client, form_data(client, consent=None))
    assert response.status_code == 400
    assert b'id="id_consent_error"' in response.content
    assert Appeal.objects.count() == 0


def test_disguised_photo_refused_and_nothing_stored(client, world, settings):
    fake = samples.upload("scan.jpg", samples.pdf_bytes(), "image/jpeg")
    response = submit(client, form_data(client), [fake])
    assert response.status_code == 400
    assert "scan.jpg: This file is not a supported photo" in response.content.decode()
    assert Appeal.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert samples.stored_files(settings.MEDIA_ROOT) == []


def test_too_many_photos(client, world):
    Channel.objects.create(code="web", name="web", kind=Channel.Kind.WEB, max_attachments=2)
    photos = [photo(f"p{i}.jpg", width=200 + i, height=150) for i in range(3)]
    response = submit(client, form_data(client), photos)
    assert response.status_code == 400
    assert b"At most 2 photos" in response.content
    assert Attachment.objects.count() == 2 and Appeal.objects.count() == 0


def test_no_map_position_is_asked_for_once(client, world):
    """Issue 9 defect 5: a report without a map position was accepted silently (area routing
    could not apply). The page now asks; the citizen may still send it."""
    data = form_data(client, lat="", lng="", address="")
    response = submit(client, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="location-check"' in page and "You have not said where it is" in page
    assert 'name="without_location"' in page
    assert Appeal.objects.count() == 0
    data["without_location"] = "on"
    appeal, _code = receipt(client, submit(client, data))
    assert appeal.lat is None and appeal.address == ""
    page = client.get(reverse("citizen:report-done", args=[data["form_token"]])).content
    assert b'id="no-location-note"' in page


def test_photo_position_used_when_no_place_given(client, world):
    data = form_data(client, lat="", lng="", address="")
    appeal, _code = receipt(client, submit(client, data, [photo()]))
    assert appeal.lat == pytest.approx(samples.LAT, abs=1e-4)
    assert appeal.region == world.district


def test_pin_outside_the_district_refused(client, world):
    response = submit(client, form_data(client, **OUTSIDE))
    assert response.status_code == 400
    assert b"outside the district" in response.content
    assert Appeal.objects.count() == 0


def test_address_without_a_pin_is_confirmed_first(client, world):
    data = form_data(client, lat="", lng="")
    response = submit(client, data)
    assert response.status_code == 200
    assert b"You wrote an address but put no pin on the map" in response.content
    assert Appeal.objects.count() == 0
    data["without_location"] = "on"
    appeal, _code = receipt(client, submit(client, data))
    assert appeal.lat is None and appeal.address == "六和社区东门"


def test_pin_in_gcj02_is_stored_as_wgs84(client, world):
    """A map of Chinese tiles gives GCJ-02: the page says so, the server converts."""
    g_lat, g_lng = coords.wgs84_to_gcj02(22.7, 114.35)
    data = form_data(client, lat=f"{g_lat:.6f}", lng=f"{g_lng:.6f}", coord_system="gcj02")
    appeal, _code = receipt(client, submit(client, data))
    assert coords.distance_m(appeal.lat, appeal.lng, 22.7, 114.35) < 0.2
    assert coords.distance_m(g_lat, g_lng, 22.7, 114.35) > 200  # the offset was real


def test_unknown_coordinate_system_refused(client, world):
    response = submit(client, form_data(client, coord_system="mercator"))
    assert response.status_code == 400
    assert Appeal.objects.count() == 0


def test_places_for_the_search_come_from_the_regions(client, world):
    from jiesu.org.models import Region

    Region.objects.create(
        code="440310001",
        name="坪山街道",
        level=Region.Level.SUBDISTRICT,
        parent=world.district,
        boundary={
            "type": "Polygon",
            "coordinates": [[[114.3, 22.6], [114.4, 22.6], [114.4, 22.7], [114.3, 22.6]]],
        },
    )
    page = client.get(reverse("citizen:report")).content.decode()
    places = json.loads(re.search(r'id="district-places"[^>]*>(.*?)</script>', page).group(1))
    assert [p["name"] for p in places] == ["坪山街道"]
    assert places[0]["bounds"] == [[22.6, 114.3], [22.7, 114.4]]


def test_double_submit_files_one_appeal(client, world):
    data = form_data(client)
    first = submit(client, data, [photo()])
    second = submit(client, data, [photo()])  # the browser sends the photo again
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Appeal.objects.count() == 1
    assert Attachment.objects.count() == 1  # the second copy was never stored
    appeal, code = receipt(client, second)
    assert code and tracking.check_code(appeal, code)


def test_simultaneous_double_submit_keeps_the_first(client, world, monkeypatch):
    """Both requests passed the early check: the second loses on the idempotency key, its
    photo copy is dropped, and it still shows the first appeal with its code."""
    data = form_data(client)
    first = submit(client, data, [photo()])
    monkeypatch.setattr(
        views.ChannelSubmission.objects, "filter", _without_early_check(monkeypatch)
    )
    second = submit(client, data, [photo(width=300)])
    monkeypatch.undo()
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert Appeal.objects.count() == 1
    appeal = Appeal.objects.get()
    assert Attachment.objects.count() == 1 and appeal.attachments.count() == 1
    _appeal, code = receipt(client, second)
    assert code and tracking.check_code(appeal, code)


def _without_early_check(monkeypatch):
    original = ChannelSubmission.objects.filter
    calls = {"n": 0}

    def patched(*args, **kwargs):
        calls["n"] += 1
        queryset = original(*args, **kwargs)
        if calls["n"] == 1:  # the view's early "already filed?" check sees nothing
            return queryset.none()
        return queryset

    return patched


def test_forged_token_refused(client, world):
    response = submit(client, form_data(client, form_token="forged"), [photo()])
    assert response.status_code == 400
    assert b"This form has expired" in response.content
    assert Appeal.objects.count() == 0 and Attachment.objects.count() == 0


def test_closed_channel(client, world):
    Channel.objects.create(code="web", name="web", kind=Channel.Kind.WEB, active=False)
    assert client.get(reverse("citizen:report")).status_code == 503


def test_receipt_needs_a_real_token(client, world):
    assert client.get(reverse("citizen:report-done", args=["nope"])).status_code == 404
    token = access.new_form_token()  # valid, but nothing was filed with it
    assert client.get(reverse("citizen:report-done", args=[token])).status_code == 404


# -- tracking ----------------------------------------------------------------------------------


@pytest.fixture
def filed(client, world):
    """An appeal filed on the page by a citizen with a photo; a fresh client (no session)."""
    appeal, code = receipt(client, submit(client, form_data(client), [photo()]))
    client.logout()
    client.cookies.clear()
    return appeal, code


def test_track_with_code(client, filed):
    appeal, code = filed
    response = track(client, appeal.number.lower(), f" {code.lower()} ")
    assert response.status_code == 302
    assert response["Location"] == reverse("citizen:track-detail", args=[appeal.number])
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="status-headline">Received<' in html
    assert "Appeal submitted" in html
    assert appeal.title in html
    assert "hx-get=" in html and "every 15s" in html and "htmx.min.js" in html


def test_track_with_last_four_digits(client, filed):
    appeal, _code = filed
    assert track(client, appeal.number, "5678").status_code == 302


def test_wrong_code_refused(client, filed):
    appeal, _code = filed
    response = track(client, appeal.number, "ZZZZZZ")
    assert response.status_code == 400
    assert b"do not match" in response.content
    assert client.get(reverse("citizen:track-detail", args=[appeal.number])).status_code == 302
    assert track(client, "PS00000000000000", "ABCDEF").status_code == 400


def test_detail_without_the_code_goes_to_the_form(client, filed):
    appeal, _code = filed
    response = client.get(reverse("citizen:track-detail", args=[appeal.number]))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('citizen:track')}?number={appeal.number}"
    form = client.get(response["Location"])
    assert f'value="{appeal.number}"'.encode() in form.content


def test_nobody_can_lock_a_citizen_out_of_their_appeal(client, filed):
    """Guessers are throttled, never the appeal (issue 8, item 5): many wrong codes against
    one number, from many networks, leave the citizen's own code working."""
    appeal, code = filed
    for i in range(40):
        wrong = client.post(
            reverse("citizen:track"),
            {"number": appeal.number, "code": "WRONG123"},
            REMOTE_ADDR=f"10.{i}.0.1",
        )
        assert wrong.status_code == 400
    assert track(client, appeal.number, code).status_code == 302


def test_last_four_digits_stop_working_for_an_appeal_under_attack(client, filed, settings):
    """The phone's last four digits are only 10**4 values: after a few wrong four-digit tries
    on one appeal (from anywhere) only the query code opens it until the window ends."""
    settings.JIESU = {**settings.JIESU, "TRACK_MAX_LAST_FOUR_FAILURES_PER_NUMBER": 3}
    appeal, code = filed
    last_four = appeal.reporter_phone[-4:]
    wrong = "0000" if last_four != "0000" else "1111"
    for i in range(3):
        response = client.post(
            reverse("citizen:track"),
            {"number": appeal.number, "code": wrong},
            REMOTE_ADDR=f"10.{i}.0.1",
        )
        assert response.status_code == 400
    other = Client(REMOTE_ADDR="172.16.0.9")
    assert track(other, appeal.number, last_four).status_code == 400
    assert track(other, appeal.number, code).status_code == 302
    cache.clear()  # the window has passed
    assert track(Client(), appeal.number, last_four).status_code == 302


def test_rate_limit_per_network(client, filed, settings):
    settings.JIESU = {**settings.JIESU, "TRACK_MAX_FAILURES_PER_NETWORK": 5}
    appeal, code = filed
    for i in range(5):
        response = client.post(
            reverse("citizen:track"),
            {"number": f"PS2026000000000{i}", "code": "AAAAAAAA"},
            REMOTE_ADDR=f"192.0.2.{i + 1}",
        )
        assert response.status_code == 400
    # Another address of the same /24 is refused; another network is not.
    same_net = client.post(
        reverse("citizen:track"), {"number": appeal.number, "code": code}, REMOTE_ADDR="192.0.2.200"
    )
    assert same_net.status_code == 429
    assert b"Too many attempts" in same_net.content
    elsewhere = client.post(
        reverse("citizen:track"),
        {"number": appeal.number, "code": code},
        REMOTE_ADDR="198.51.100.7",
    )
    assert elsewhere.status_code == 302


def test_codes_are_long_and_may_be_typed_in_groups(client, filed):
    appeal, code = filed
    assert len(code) == 8
    assert track(client, appeal.number, f"{code[:4].lower()}-{code[4:]}").status_code == 302


def test_rate_limit_per_address(client, filed, settings):
    settings.JIESU = {**settings.JIESU, "TRACK_MAX_FAILURES_PER_IP": 4}
    appeal, code = filed
    for i in range(4):
        assert track(client, f"PS2026000000000{i}", "AAAAAA").status_code == 400
    assert track(client, appeal.number, code).status_code == 429
    # Another address is not affected.
    response = client.post(
        reverse("citizen:track"), {"number": appeal.number, "code": code}, REMOTE_ADDR="10.0.0.2"
    )
    assert response.status_code == 302


def test_successful_tracking_does_not_count_as_failure(client, filed, settings):
    settings.JIESU = {**settings.JIESU, "TRACK_MAX_FAILURES_PER_IP": 2}
    appeal, code = filed
    for _ in range(5):
        assert track(client, appeal.number, code).status_code == 302


def _granted(client, filed):
    appeal, code = filed
    assert track(client, appeal.number, code).status_code == 302
    return appeal


def _act(world, appeal, *steps):
    for step in steps:
        appeal = Appeal.objects.get(pk=appeal.pk)
        if step == "register":
            workflow.register(
                appeal,
                world.u("intake"),
                appeal_type=world.complaint,
                category=world.leaf,
                grade=world.grade_c,
            )
        elif step == "dispatch":
            workflow.dispatch(appeal, world.u("dispatcher"))
        elif step == "sign":
            workflow.sign(appeal, world.u("handler"))
        elif step == "request_return":
            workflow.request_return(appeal, world.u("handler"), reason="内部备注：非我单位职责")
        elif step == "refuse_return":
            workflow.refuse_return(appeal, world.u("dispatcher"), reason="内部：请继续办理")
        elif step == "contact":
            workflow.contact(appeal, world.u("handler"), method="phone", note="内部：电话沟通")
        elif step == "supervise":
            workflow.supervise(appeal, world.u("supervisor"), reason="内部督办理由")
        elif step == "complete":
            workflow.complete(
                appeal,
                world.u("handler"),
                result="垃圾已清运，已安排每日巡查。",
                evidence="现场照片",
            )
        elif step == "approve_review":
            workflow.approve_review(appeal, world.u("supervisor"))
    return Appeal.objects.get(pk=appeal.pk)


def test_status_fragment_updates_and_hides_staff(client, world, filed):
    appeal = _granted(client, filed)
    url = reverse("citizen:track-status", args=[appeal.number])
    page = client.get(reverse("citizen:track-detail", args=[appeal.number])).content.decode()
    version = re.search(r'data-version="([^"]+)"', page).group(1)
    assert client.get(url, {"v": version}).status_code == 204  # nothing new

    _act(world, appeal, "register", "dispatch", "sign", "request_return", "refuse_return")
    _act(world, appeal, "contact", "supervise")
    response = client.get(url, {"v": version})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="status-headline">Being handled<' in html
    assert "Passed to 城市管理局" in html and "城市管理局 has taken it on" in html
    assert "has contacted you" in html
    # No staff names, no internal notes or requests, no supervision.
    for secret in ("intake", "dispatcher", "handler", "supervisor", "内部", "非我单位"):
        assert secret not in html, secret
    assert "水务局 has taken it on" not in html  # assisting units' steps stay internal
    new_version = re.search(r'data-version="([^"]+)"', html).group(1)
    assert new_version != version
    assert client.get(url, {"v": new_version}).status_code == 204


def test_status_fragment_without_session_asks_for_the_code(client, filed):
    appeal, _code = filed
    response = client.get(reverse("citizen:track-status", args=[appeal.number]))
    assert response.status_code == 200
    assert b"enter the query code again" in response.content
    assert b"hx-get" not in response.content  # polling stops


def test_changed_phone_ends_the_access(client, filed):
    appeal = _granted(client, filed)
    Appeal.objects.filter(pk=appeal.pk).update(reporter_phone="13700000000")
    response = client.get(reverse("citizen:track-detail", args=[appeal.number]))
    assert response.status_code == 302


def test_reply_and_rating(client, world, filed):
    appeal = _granted(client, filed)
    detail = reverse("citizen:track-detail", args=[appeal.number])
    _act(world, appeal, "register", "dispatch", "sign", "complete")
    html = client.get(detail).content.decode()
    assert "Handled, result under review" in html
    assert "垃圾已清运" not in html  # not public before the centre's review
    assert 'id="rating"' in html  # the citizen may rate once the result is given

    _act(world, appeal, "approve_review")
    html = client.get(detail).content.decode()
    assert 'id="reply">垃圾已清运' in html

    rate_url = reverse("citizen:rate", args=[appeal.number])
    bad = client.post(rate_url, {"rating": "great"})
    assert bad.status_code == 400
    response = client.post(rate_url, {"rating": "basic", "comment": "还可以"}, follow=True)
    assert b"Your rating has been recorded" in response.content
    appeal.refresh_from_db()
    assert appeal.citizen_rating == "basic" and appeal.citizen_comment == "还可以"
    assert appeal.events.filter(kind="citizen_rating").count() == 1
    html = response.content.decode()
    assert 'id="rating"' not in html and 'id="my-rating"' in html
    assert "You rated the result" in html
    # Rating twice is refused with a message.
    again = client.post(rate_url, {"rating": "satisfied"}, follow=True)
    assert b"already been rated" in again.content
    appeal.refresh_from_db()
    assert appeal.citizen_rating == "basic"


def test_rating_not_offered_before_completion(client, world, filed):
    appeal = _granted(client, filed)
    html = client.get(reverse("citizen:track-detail", args=[appeal.number])).content.decode()
    assert 'id="rating"' not in html
    response = client.post(reverse("citizen:rate", args=[appeal.number]), {"rating": "satisfied"})
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.citizen_rated_at is None


def test_rating_needs_the_session(client, world, filed):
    appeal, _code = filed
    _act(world, appeal, "register", "dispatch", "sign", "complete", "approve_review")
    response = client.post(reverse("citizen:rate", args=[appeal.number]), {"rating": "satisfied"})
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.citizen_rated_at is None


def test_merged_appeal_shows_the_progress_it_joined(client, world, filed):
    earlier = workflow.receive(
        channel="hotline",
        title="别人的标题：王五家门口",
        description="王五的描述，电话 13611112222",
        reporter_name="王五",
        reporter_phone="13611112222",
        lat=22.7,
        lng=114.35,
        actor=world.u("intake"),
    )
    Appeal.objects.filter(pk=earlier.pk).update(received_at=earlier.received_at.replace(year=2020))
    appeal = _granted(client, filed)
    workflow.merge(appeal, world.u("intake"), into=earlier)
    _act(world, earlier, "register", "dispatch")
    html = client.get(reverse("citizen:track-detail", args=[appeal.number])).content.decode()
    assert "Passed to the responsible unit" in html  # the earlier appeal's status
    assert f"handled together with appeal {earlier.number}" in html
    assert "Passed to 城市管理局" in html
    for secret in ("王五", "13611112222", "别人的标题"):
        assert secret not in html
    assert 'id="rating"' not in html


def test_own_photo_thumbnail_only_with_the_session(client, world, filed):
    appeal = _granted(client, filed)
    (attachment,) = appeal.attachments.all()
    url = reverse("citizen:track-photo", args=[appeal.number, attachment.pk])
    html = client.get(reverse("citizen:track-detail", args=[appeal.number])).content.decode()
    assert url in html
    assert "/media/" not in html  # no public media URLs
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    body = b"".join(response.streaming_content)
    assert b"Exif" not in body and body[:2] == b"\xff\xd8"
    from django.test import Client

    assert Client().get(url).status_code == 404
    other = workflow.receive(channel="web", title="t", description="d", reporter_phone="1")
    Attachment.objects.filter(pk=attachment.pk).update(appeal=other)
    assert client.get(url).status_code == 404


# -- throttling the 随手拍 form (issue 8, item 2) ------------------------------------------------


def test_one_client_cannot_flood_the_form(client, world, settings):
    settings.JIESU = {**settings.JIESU, "CITIZEN_REPORTS_PER_CLIENT": 3}
    for i in range(3):
        response = submit(client, form_data(client, description=f"第{i}处垃圾堆了三天没人清理。"))
        assert response.status_code == 302
    refused = submit(
        client, form_data(client, description="第四处垃圾堆了三天没人清理。"), photos=[photo()]
    )
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert b"Too many reports" in refused.content
    assert Appeal.objects.count() == 3
    # The refused sending kept nothing: no photo waits on the disk.
    assert not Attachment.objects.filter(appeal__isnull=True).exists()
    # Another client is not affected.
    other = Client(REMOTE_ADDR="198.51.100.3")
    assert submit(other, form_data(other)).status_code == 302


def test_a_network_cannot_flood_the_form(client, world, settings):
    settings.JIESU = {**settings.JIESU, "CITIZEN_REPORTS_PER_NETWORK": 2}
    for i in range(2):
        sender = Client(REMOTE_ADDR=f"192.0.2.{i + 10}")
        assert submit(sender, form_data(sender)).status_code == 302
    third = Client(REMOTE_ADDR="192.0.2.99")
    assert submit(third, form_data(third)).status_code == 429


def test_pending_photos_are_capped_per_client(client, world, settings):
    settings.JIESU = {**settings.JIESU, "CITIZEN_UPLOADS_PER_CLIENT_PER_HOUR": 2}
    # A form refused for another reason keeps its photos for the next try: up to the cap.
    first = submit(
        client, form_data(client, description=""), photos=[photo("a.jpg"), photo("b.jpg")]
    )
    assert first.status_code == 400
    assert Attachment.objects.filter(appeal__isnull=True).count() == 2
    second = submit(client, form_data(client, description=""), photos=[photo("c.jpg")])
    assert second.status_code == 400
    assert b"Too many photos" in second.content
    assert Attachment.objects.filter(appeal__isnull=True).count() == 2


def test_pending_photos_are_capped_in_total(client, world, settings):
    settings.JIESU = {**settings.JIESU, "CITIZEN_MAX_PENDING_UPLOADS": 1}
    submit(client, form_data(client, description=""), photos=[photo("a.jpg")])
    other = Client(REMOTE_ADDR="198.51.100.4")
    response = submit(other, form_data(other, description=""), photos=[photo("b.jpg")])
    assert b"Too many photos" in response.content
    assert Attachment.objects.filter(appeal__isnull=True).count() == 1


def test_the_citizen_reads_received_where_staff_read_awaiting_intake(client, filed):
    """One English word, two meanings: the citizen's "Received" (已收到) is not the staff's
    state "Received" (待受理); the progress bar's steps have their own words too."""
    from django.utils import translation

    appeal, code = filed
    with translation.override("zh-hans"):
        response = client.post(reverse("citizen:track"), {"number": appeal.number, "code": code})
        html = client.get(response["Location"]).content.decode()
    assert 'id="status-headline">已收到<' in html
    assert "待受理" not in html
    assert "提交于" in html  # when the citizen sent it
    assert re.findall(r"<li[^>]*>([^<]+)</li>", html.split('class="stages"')[1])[:4] == [
        "已提交",
        "已受理",
        "办理中",
        "已办结",
    ]
