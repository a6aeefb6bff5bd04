# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Submitting appeals through POST /api/v1/appeals/: keys, idempotency, photos, bad input."""

import json

import pytest
from django.db import connection

from jiesu.appeals.models import Appeal, Attachment, Event
from jiesu.intake import channels
from jiesu.intake.models import ChannelSubmission
from jiesu.intake.tests.api_support import (
    LIST_URL,
    at,
    body,
    error,
    fake_pdf,
    field_codes,
    jpeg,
    key_client,
    machine_channel,
    make_world,
    staff_client,
)


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return make_world(settings)


@pytest.fixture
def wechat(world):
    return machine_channel()


def test_submit_json_with_api_key(wechat):
    channel, key = wechat
    with at():
        response = key_client(key).post(LIST_URL, body(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "received"
    assert data["created"] is True
    assert len(data["query_code"]) == 8
    assert data["links"]["self"].endswith(f"/api/v1/appeals/{data['number']}/")
    assert response["Location"] == data["links"]["self"]
    # Both links lead where they say (the channel may read what it filed).
    from urllib.parse import urlsplit

    from django.urls import resolve

    assert resolve(urlsplit(data["links"]["self"]).path).url_name == "appeal-detail"
    assert resolve(urlsplit(data["links"]["history"]).path).url_name == "appeal-history"
    appeal = Appeal.objects.get(number=data["number"])
    assert appeal.channel == channel.code
    assert appeal.created_by is None
    assert appeal.reporter_phone == "13800001234"
    assert appeal.events.get().actor_label == f"channel:{channel.code}"


def test_submit_with_x_api_key_header(wechat):
    _, key = wechat
    with at():
        response = key_client(key, header="x-api-key").post(LIST_URL, body(), format="json")
    assert response.status_code == 201


def test_submit_multipart_with_photos(wechat):
    _, key = wechat
    data = body(photos=[jpeg("a.jpg"), jpeg("b.jpg", color=(0, 90, 200))])
    with at():
        response = key_client(key).post(LIST_URL, data, format="multipart")
    assert response.status_code == 201, response.content
    appeal = Appeal.objects.get(number=response.json()["number"])
    files = list(appeal.attachments.all())
    assert len(files) == 2
    assert {f.purpose for f in files} == {Attachment.Purpose.REPORT}
    assert {f.original_name for f in files} == {"a.jpg", "b.jpg"}


def test_retry_with_same_key_returns_first_appeal(wechat):
    _, key = wechat
    client = key_client(key)
    with at():
        first = client.post(LIST_URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="wx-0001")
    with at(1):
        again = client.post(LIST_URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="wx-0001")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert again.json()["created"] is False
    assert "query_code" not in again.json()
    assert Appeal.objects.count() == 1
    assert ChannelSubmission.objects.count() == 1


def test_idempotency_key_in_body_works_like_the_header(wechat):
    _, key = wechat
    client = key_client(key)
    with at():
        first = client.post(LIST_URL, body(idempotency_key="k-1"), format="json")
        again = client.post(LIST_URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert Appeal.objects.count() == 1


def test_retry_with_photos_stores_nothing_new(wechat):
    _, key = wechat
    client = key_client(key)
    with at():
        first = client.post(
            LIST_URL, body(photos=[jpeg()]), format="multipart", HTTP_IDEMPOTENCY_KEY="p-1"
        )
        again = client.post(
            LIST_URL, body(photos=[jpeg()]), format="multipart", HTTP_IDEMPOTENCY_KEY="p-1"
        )
        more_photos = client.post(
            LIST_URL,
            body(photos=[jpeg(), jpeg()]),
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="p-1",
        )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]
    assert more_photos.status_code == 409
    assert Appeal.objects.count() == 1
    assert Attachment.objects.count() == 1


def test_concurrent_retry_with_photos_returns_the_first_appeal(wechat, monkeypatch):
    """Two requests with one key and photos race: the loser stored its photos before it saw
    the winner's submission. It answers with the winner's appeal and drops its copies."""
    from jiesu.intake.api.views import AppealCollectionView

    _, key = wechat
    client = key_client(key)
    with at():
        first = client.post(
            LIST_URL, body(photos=[jpeg()]), format="multipart", HTTP_IDEMPOTENCY_KEY="race"
        )
    real = AppealCollectionView._replay
    calls = []

    def late_replay(self, *args, **kwargs):
        calls.append(1)
        return None if len(calls) == 1 else real(self, *args, **kwargs)

    monkeypatch.setattr(AppealCollectionView, "_replay", late_replay)
    with at(1):
        second = client.post(
            LIST_URL, body(photos=[jpeg()]), format="multipart", HTTP_IDEMPOTENCY_KEY="race"
        )
    assert second.status_code == 200, second.content
    assert second.json()["number"] == first.json()["number"]
    assert len(calls) == 2
    assert Appeal.objects.count() == 1
    assert Attachment.objects.count() == 1  # the loser's photo was discarded


def test_same_key_with_different_data_is_a_conflict(wechat):
    _, key = wechat
    client = key_client(key, language="en")
    with at():
        client.post(LIST_URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="wx-0002")
        response = client.post(
            LIST_URL, body(title="另一件事"), format="json", HTTP_IDEMPOTENCY_KEY="wx-0002"
        )
    assert response.status_code == 409
    assert error(response)["code"] == "idempotency_conflict"
    assert Appeal.objects.count() == 1


def test_idempotency_keys_are_per_channel(world):
    _, key_a = machine_channel("grid_patrol", kind="grid_patrol")
    _, key_b = machine_channel("urban_management", kind="urban_management")
    with at():
        a = key_client(key_a).post(LIST_URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="same")
        b = key_client(key_b).post(LIST_URL, body(), format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["number"] != b.json()["number"]


@pytest.mark.parametrize("bad", ["has space", "x" * 129, "中文键"])
def test_bad_idempotency_key_is_refused(wechat, bad):
    _, key = wechat
    with at():
        response = key_client(key).post(LIST_URL, body(idempotency_key=bad), format="json")
    assert response.status_code == 400
    assert "idempotency_key" in error(response)["fields"]
    assert not Appeal.objects.exists()


@pytest.mark.parametrize(
    "auth",
    [
        "ApiKey js_00000000_" + "A" * 43,  # well-formed, unknown
        "ApiKey not-a-key",
        "ApiKey",
    ],
)
def test_wrong_api_key_is_401_and_stores_nothing(world, auth):
    machine_channel()
    client = key_client("unused")
    client.credentials(HTTP_AUTHORIZATION=auth)
    with at():
        response = client.post(LIST_URL, body(), format="json")
    assert response.status_code == 401
    assert error(response)["code"] == "invalid_api_key"
    assert "ApiKey" in response["WWW-Authenticate"]
    assert not Appeal.objects.exists()
    assert not Event.objects.exists()


def test_revoked_key_and_closed_channel_are_refused(wechat):
    channel, key = wechat
    channels.revoke_key(channel)
    with at():
        response = key_client(key).post(LIST_URL, body(), format="json")
    assert response.status_code == 401 and error(response)["code"] == "invalid_api_key"
    new_key = channels.issue_key(channel)
    channel.active = False
    channel.save()
    with at():
        response = key_client(new_key).post(LIST_URL, body(), format="json")
    assert response.status_code == 401
    assert not Appeal.objects.exists()


def test_no_credentials_is_401(world):
    from rest_framework.test import APIClient

    response = APIClient().post(LIST_URL, body(), format="json")
    assert response.status_code == 401
    assert error(response)["code"] == "not_authenticated"


def test_missing_fields_give_field_codes(wechat):
    _, key = wechat
    with at():
        response = key_client(key).post(LIST_URL, {"lat": 22.7}, format="json")
    assert response.status_code == 400
    err = error(response)
    assert err["code"] == "invalid_input"
    codes = field_codes(response)
    assert codes["title"] == ["required"]
    assert codes["description"] == ["required"]
    assert not Appeal.objects.exists()


def test_phone_required_unless_anonymous(wechat):
    _, key = wechat
    client = key_client(key)
    with at():
        named = client.post(LIST_URL, body(reporter_phone=""), format="json")
        anonymous = client.post(
            LIST_URL, body(reporter_phone="", reporter_name="", anonymous=True), format="json"
        )
    assert named.status_code == 400
    assert field_codes(named) == {"reporter_phone": ["required"]}
    assert anonymous.status_code == 201


def test_unknown_codes_and_bad_values(wechat):
    _, key = wechat
    with at():
        response = key_client(key).post(
            LIST_URL,
            body(category="nope", grade="Z", lat=95, reporter_phone="call me"),
            format="json",
        )
    assert response.status_code == 400
    codes = field_codes(response)
    assert codes["category"] == ["does_not_exist"]
    assert codes["grade"] == ["does_not_exist"]
    assert codes["lat"] == ["max_value"]
    assert codes["reporter_phone"] == ["invalid"]


def test_category_and_type_by_code(wechat, world):
    _, key = wechat
    with at():
        response = key_client(key).post(
            LIST_URL,
            body(category=world.leaf.code, appeal_type="complaint", grade="C"),
            format="json",
        )
    assert response.status_code == 201
    appeal = Appeal.objects.get()
    assert (appeal.category, appeal.appeal_type.code, appeal.grade.code) == (
        world.leaf,
        "complaint",
        "C",
    )


def test_enterprise_reporter_needs_a_valid_credit_code(wechat):
    _, key = wechat
    client = key_client(key)
    with at():
        missing = client.post(LIST_URL, body(reporter_is_enterprise=True), format="json")
        wrong = client.post(
            LIST_URL,
            body(reporter_is_enterprise=True, reporter_credit_code="91440300708461136X"),
            format="json",
        )
        good = client.post(
            LIST_URL,
            body(reporter_is_enterprise=True, reporter_credit_code="91440300708461136t"),
            format="json",
        )
    assert field_codes(missing) == {"reporter_credit_code": ["required"]}
    assert field_codes(wrong) == {"reporter_credit_code": ["check_digit"]}
    assert good.status_code == 201
    assert Appeal.objects.get().reporter_credit_code == "91440300708461136T"


def test_malformed_json_is_400(wechat):
    _, key = wechat
    response = key_client(key, language="en").post(
        LIST_URL, data='{"title": "x", ', content_type="application/json"
    )
    assert response.status_code == 400
    err = error(response)
    assert err["code"] == "malformed_request"
    assert "could not be read" in err["message"]


@pytest.mark.parametrize("payload", ["[1, 2]", "null", '"text"', "{}"])
def test_json_that_is_not_an_object_is_400(wechat, payload):
    _, key = wechat
    response = key_client(key).post(LIST_URL, data=payload, content_type="application/json")
    assert response.status_code == 400
    assert error(response)["code"] in {"invalid_input", "malformed_request"}


def test_wrong_content_type_is_415(wechat):
    _, key = wechat
    response = key_client(key).post(LIST_URL, data="<appeal/>", content_type="application/xml")
    assert response.status_code == 415
    assert error(response)["code"] == "unsupported_media_type"


def test_only_json_is_answered(wechat):
    _, key = wechat
    response = key_client(key).get(LIST_URL, HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert error(response)["code"] == "not_acceptable"


def test_oversized_json_body_is_413(wechat, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    _, key = wechat
    response = key_client(key).post(LIST_URL, body(description="长" * 2000), format="json")
    assert response.status_code == 413
    assert error(response)["code"] == "request_too_large"
    assert not Appeal.objects.exists()


def test_invalid_utf8_is_400(wechat):
    _, key = wechat
    response = key_client(key).post(
        LIST_URL, data=b'{"title": "\xff\xfe"}', content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "text",
    ["垃圾\u0000堆积", "bell\u0007", "esc\u001b[31m", "c1\u0085", "lone \ud800 surrogate"],
)
def test_control_characters_are_refused(wechat, text):
    _, key = wechat
    raw = json.dumps(body(title=text))  # escaped as \uXXXX: valid JSON
    with at():
        response = key_client(key, language="en").post(
            LIST_URL, data=raw, content_type="application/json"
        )
    assert response.status_code == 400, response.content
    assert field_codes(response)["title"] == ["control_characters"]
    assert "control characters" in error(response)["fields"]["title"][0]["message"]
    assert not Appeal.objects.exists()


def test_raw_control_character_in_json_is_malformed(wechat):
    _, key = wechat
    response = key_client(key).post(
        LIST_URL, data=b'{"title": "a\x01b"}', content_type="application/json"
    )
    assert response.status_code == 400
    assert error(response)["code"] == "malformed_request"


def test_markup_is_stored_verbatim_and_returned_as_data(wechat, world):
    _, key = wechat
    text = "<script>alert('x')</script> & <b>粗体</b>\n第二行\ttab"
    with at():
        response = key_client(key).post(
            LIST_URL, body(title="<script>x</script>", description=text), format="json"
        )
    assert response.status_code == 201
    appeal = Appeal.objects.get()
    assert appeal.description == text
    assert appeal.title == "<script>x</script>"
    detail = staff_client(world.u("intake")).get(f"{LIST_URL}{appeal.number}/")
    assert detail["Content-Type"] == "application/json"
    assert detail.json()["description"] == text


def test_crlf_is_normalised_and_title_is_one_line(wechat):
    _, key = wechat
    with at():
        key_client(key).post(
            LIST_URL, body(title="第一行\r\n第二行", description="a\r\nb\rc"), format="json"
        )
    appeal = Appeal.objects.get()
    assert appeal.title == "第一行 第二行"
    assert appeal.description == "a\nb\nc"


def test_disguised_file_is_refused_and_nothing_is_stored(wechat):
    _, key = wechat
    with at():
        response = key_client(key, language="en").post(
            LIST_URL, body(photos=[jpeg(), fake_pdf("invoice.jpg")]), format="multipart"
        )
    assert response.status_code == 400
    err = error(response)
    assert list(err["fields"]) == ["photos"]
    assert "invoice.jpg" in err["fields"]["photos"][0]["message"]
    assert not Appeal.objects.exists()
    assert not Attachment.objects.exists()


def test_too_many_photos_are_refused_before_storing(world):
    _, key = machine_channel(max_attachments=1)
    with at():
        response = key_client(key).post(LIST_URL, body(photos=[jpeg(), jpeg()]), format="multipart")
    assert response.status_code == 400
    assert field_codes(response) == {"photos": ["max_length"]}
    assert not Attachment.objects.exists()


def test_failed_submission_after_upload_discards_the_photos(wechat):
    _, key = wechat
    # The photo is fine, the coordinates are refused by the workflow after it was stored.
    with at():
        response = key_client(key).post(
            LIST_URL, body(photos=[jpeg()], title="  "), format="multipart"
        )
    assert response.status_code == 400
    assert not Attachment.objects.exists()


def test_channel_field_must_be_the_keys_channel(wechat):
    _, key = wechat
    with at():
        response = key_client(key).post(LIST_URL, body(channel="mailbox"), format="json")
    assert field_codes(response) == {"channel": ["wrong_channel"]}


def test_staff_file_through_a_named_channel(world):
    channel, _ = machine_channel("hotline_12345", kind="hotline", is_machine=True)
    client = staff_client(world.u("intake"))
    with at():
        missing = client.post(LIST_URL, body(), format="json")
        unknown = client.post(LIST_URL, body(channel="nope"), format="json")
        ok = client.post(LIST_URL, body(channel="hotline_12345"), format="json")
    assert field_codes(missing) == {"channel": ["required"]}
    assert field_codes(unknown) == {"channel": ["does_not_exist"]}
    assert ok.status_code == 201
    appeal = Appeal.objects.get()
    assert appeal.channel == "hotline_12345"
    assert appeal.created_by == world.u("intake")


def test_staff_without_file_permission_is_refused(world):
    machine_channel("hotline_12345", kind="hotline")
    with at():
        response = staff_client(world.u("handler")).post(
            LIST_URL, body(channel="hotline_12345"), format="json"
        )
    assert response.status_code == 403
    assert error(response)["code"] == "not_allowed"
    assert not Appeal.objects.exists()


def test_rate_limit_gives_429_with_retry_after(world):
    _, key = machine_channel(rate_limit_per_minute=2)
    client = key_client(key, language="en")
    with at():
        codes = [client.post(LIST_URL, body(), format="json").status_code for _ in range(3)]
        throttled = client.post(LIST_URL, body(), format="json")
    assert codes == [201, 201, 429]
    assert throttled.status_code == 429
    assert error(throttled)["code"] == "throttled"
    assert 1 <= int(throttled["Retry-After"]) <= 60
    assert "seconds" in error(throttled)["message"]
    assert Appeal.objects.count() == 2
    # Reading is not counted.
    assert client.get(LIST_URL).status_code == 200


def test_zero_rate_limit_means_none(world):
    _, key = machine_channel(rate_limit_per_minute=0)
    client = key_client(key)
    with at():
        codes = {client.post(LIST_URL, body(), format="json").status_code for _ in range(5)}
    assert codes == {201}


def test_messages_follow_accept_language(wechat):
    _, key = wechat
    zh = key_client(key, language="zh-hans").post(LIST_URL, {}, format="json")
    en = key_client(key, language="en").post(LIST_URL, {}, format="json")
    assert error(zh)["code"] == error(en)["code"] == "invalid_input"
    assert error(zh)["message"] == "部分数据缺失或无效。"
    assert error(en)["message"] == "Some of the data is missing or invalid."
    assert error(zh)["fields"]["title"][0]["message"] == "该字段是必填项。"
    assert error(en)["fields"]["title"][0]["message"] == "This field is required."
    bad = key_client("x", language="en")
    bad.credentials(HTTP_X_API_KEY="js_nope")
    assert "API key" in error(bad.get(LIST_URL))["message"]
    bad_zh = key_client("x", language="zh-hans")
    bad_zh.credentials(HTTP_X_API_KEY="js_nope")
    assert "密钥" in error(bad_zh.get(LIST_URL))["message"]


def test_path_without_final_slash_is_a_json_404_with_a_hint(wechat):
    _, key = wechat
    response = key_client(key, language="en").post("/api/v1/appeals", body(), format="json")
    assert response.status_code == 404
    err = error(response)
    assert err["code"] == "not_found"
    assert "/api/v1/appeals/" in err["message"]


def test_unknown_url_and_method(wechat):
    _, key = wechat
    client = key_client(key)
    assert error(client.get("/api/v1/nothing/here/"))["code"] == "not_found"
    response = client.delete(LIST_URL)
    assert response.status_code == 405
    assert error(response)["code"] == "method_not_allowed"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_nul_in_text_never_reaches_the_database(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_world(settings)
    _, key = machine_channel()
    raw = json.dumps(body(description="x\u0000y", address="\u0000"))
    with at():
        response = key_client(key).post(LIST_URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert set(field_codes(response)) == {"description", "address"}
    assert connection.vendor in {"sqlite", "postgresql"}


def test_the_links_of_a_filing_are_the_reversed_addresses(settings):
    """The detail path is reversed once and reused (`appeal_path`): it must stay what `reverse`
    gives, under another script prefix too, and fall back to `reverse` for anything else."""
    from django.urls import reverse, set_script_prefix

    from jiesu.intake.api.serializers import appeal_path

    try:
        for prefix in ("/", "/jiesu/"):
            set_script_prefix(prefix)
            for number in ("PS20261206000001", "PS20261206001234", "X-1", "PS202612061000000"):
                assert appeal_path(number) == reverse("api:appeal-detail", args=[number])
            assert appeal_path("PS20261206000001").startswith(prefix)
    finally:
        set_script_prefix("/")
