# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""The unit's completion photos on the citizen's tracking page (issue 9): the unit marks
evidence photos public when completing (console form, API, workflow); the tracking page shows
those, and only once the centre has let the result go; every other evidence file is a 404
for the citizen, as is any file for someone without access to the appeal."""

# ruff: noqa: F811 (the fixtures imported from test_citizen are parameter names here)
from __future__ import annotations

import pytest
from django.test import Client

from jiesu.appeals import attachments, workflow
from jiesu.appeals.errors import InvalidInput
from jiesu.appeals.models import Appeal, Attachment
from jiesu.intake.tests import citizen_samples as samples
from jiesu.intake.tests.api_support import LIST_URL, staff_client
from jiesu.intake.tests.test_citizen import (  # noqa: F401 (fixtures)
    _setup,
    filed,
    form_data,
    photo,
    receipt,
    submit,
    track,
    world,
)

pytestmark = pytest.mark.django_db


def evidence(world, name="after.jpg", width=640) -> Attachment:
    upload = samples.upload(name, samples.jpeg_bytes(width, gps=False), "image/jpeg")
    return attachments.store_upload(
        upload, purpose=Attachment.Purpose.EVIDENCE, user=world.u("handler")
    )


def to_unit(world, appeal) -> Appeal:
    workflow.register(
        appeal,
        world.u("intake"),
        appeal_type=world.complaint,
        category=world.leaf,
        grade=world.grade_c,
    )
    workflow.dispatch(appeal, world.u("dispatcher"))
    return workflow.sign(appeal, world.u("handler"))


@pytest.fixture
def citizen_with_photo(client, world):
    appeal, code = receipt(client, submit(client, form_data(client), [photo()]))
    assert track(client, appeal.number, code).status_code == 302
    return client, appeal


def photo_url(appeal, attachment) -> str:
    return f"/track/{appeal.number}/photo/{attachment.pk}/"


def test_public_evidence_shows_after_review_and_private_stays_hidden(world, citizen_with_photo):
    client, appeal = citizen_with_photo
    own = appeal.attachments.get()
    to_unit(world, appeal)
    shown, kept = evidence(world, "after.jpg"), evidence(world, "faces.jpg", 600)
    workflow.complete(
        appeal,
        world.u("handler"),
        result="垃圾已清运。",
        evidence="清运后照片；另一张有路人，不公开",
        attachments=[shown, kept],
        public_attachments=[shown],
    )
    assert set(Attachment.objects.filter(public=True)) == {shown}
    # Completed, not yet reviewed: the result and its photos are not the citizen's yet.
    page = client.get(f"/track/{appeal.number}/").content.decode()
    assert 'id="result-photos"' not in page
    assert client.get(photo_url(appeal, shown)).status_code == 404

    workflow.approve_review(appeal, world.u("supervisor"))
    page = client.get(f"/track/{appeal.number}/").content.decode()
    assert 'id="result-photos"' in page
    assert photo_url(appeal, shown) in page and photo_url(appeal, kept) not in page
    response = client.get(photo_url(appeal, shown))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    # The private one is a 404, like a file that does not exist; so is the full-size file.
    assert client.get(photo_url(appeal, kept)).status_code == 404
    assert client.get(photo_url(appeal, Attachment(pk=999999))).status_code == 404
    assert client.get(photo_url(appeal, own)).status_code == 200  # their own photo still
    # Someone else, without the query code, sees nothing.
    stranger = Client()
    assert stranger.get(photo_url(appeal, shown)).status_code == 404


def test_public_photos_of_another_appeal_are_not_reachable(world, citizen_with_photo):
    client, appeal = citizen_with_photo
    other = workflow.receive(
        channel="web", title="别处", description="别处的路灯", reporter_phone="1", address="别处"
    )
    to_unit(world, other)
    public = evidence(world)
    workflow.complete(
        other,
        world.u("handler"),
        result="已修复",
        evidence="照片",
        attachments=[public],
        public_attachments=[public],
    )
    workflow.approve_review(other, world.u("supervisor"))
    to_unit(world, appeal)
    workflow.complete(appeal, world.u("handler"), result="已清运", evidence="无照片")
    workflow.approve_review(appeal, world.u("supervisor"))
    assert client.get(photo_url(appeal, public)).status_code == 404


def test_only_files_of_this_completion_can_be_made_public(world, citizen_with_photo):
    _client, appeal = citizen_with_photo
    to_unit(world, appeal)
    mine, stray = evidence(world), evidence(world, "stray.jpg", 600)
    with pytest.raises(InvalidInput) as refused:
        workflow.complete(
            appeal,
            world.u("handler"),
            result="r",
            evidence="e",
            attachments=[mine],
            public_attachments=[stray],
        )
    assert "public_attachments" in refused.value.field_errors
    appeal.refresh_from_db()
    assert appeal.status == "in_progress"
    assert not Attachment.objects.filter(public=True).exists()
    assert Attachment.objects.get(pk=mine.pk).appeal_id is None  # nothing was linked


def test_the_console_form_marks_the_photos_public(world, citizen_with_photo):
    _client, appeal = citizen_with_photo
    to_unit(world, appeal)
    unit = Client()
    unit.force_login(world.u("handler"))
    upload = samples.upload("after.jpg", samples.jpeg_bytes(), "image/jpeg")
    response = unit.post(
        f"/console/appeals/{appeal.number}/act/complete/",
        {"result": "已清运", "evidence": "清运后照片", "photos": [upload], "photos_public": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:400]
    (stored,) = Attachment.objects.filter(purpose=Attachment.Purpose.EVIDENCE)
    assert stored.public and stored.appeal_id == appeal.pk
    page = unit.get(f"/console/appeals/{appeal.number}/").content.decode()
    assert 'data-testid="public-evidence"' in page


def test_the_console_form_keeps_photos_private_by_default(world, citizen_with_photo):
    _client, appeal = citizen_with_photo
    to_unit(world, appeal)
    unit = Client()
    unit.force_login(world.u("handler"))
    upload = samples.upload("after.jpg", samples.jpeg_bytes(), "image/jpeg")
    unit.post(
        f"/console/appeals/{appeal.number}/act/complete/",
        {"result": "已清运", "evidence": "清运后照片", "photos": [upload]},
    )
    assert Attachment.objects.get(purpose=Attachment.Purpose.EVIDENCE).public is False


def test_the_api_marks_the_photos_public(world, citizen_with_photo):
    _client, appeal = citizen_with_photo
    to_unit(world, appeal)
    public, private = evidence(world), evidence(world, "b.jpg", 600)
    response = staff_client(world.u("handler"), language="en").post(
        f"{LIST_URL}{appeal.number}/actions/complete/",
        {
            "result": "已清运",
            "evidence": "照片",
            "attachments": [public.pk, private.pk],
            "public_attachments": [public.pk],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    flags = {a["id"]: a["public"] for a in response.json()["attachments"]}
    assert flags[public.pk] is True and flags[private.pk] is False
