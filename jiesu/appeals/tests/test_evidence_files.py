# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Evidence files (issue 8, item 1): a unit's completion may link an uploaded evidence file
only when the person completing uploaded it, only once, and only while it is pending."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jiesu.appeals import attachments, workflow
from jiesu.appeals.errors import InvalidInput
from jiesu.appeals.models import Attachment, Event

from .conftest import in_progress


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


def evidence_by(user) -> Attachment:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 60)).save(buffer, "JPEG")
    upload = SimpleUploadedFile("site.jpg", buffer.getvalue(), content_type="image/jpeg")
    return attachments.store_upload(upload, purpose=Attachment.Purpose.EVIDENCE, user=user)


def refused_and_unchanged(appeal, file, call):
    events_before = Event.objects.filter(appeal=appeal).count()
    status_before = appeal.status
    with pytest.raises(InvalidInput) as refused:
        call()
    appeal.refresh_from_db()
    file.refresh_from_db()
    assert appeal.status == status_before
    assert Event.objects.filter(appeal=appeal).count() == events_before
    assert "attachments" in refused.value.field_errors
    return file


def test_the_uploader_links_own_pending_evidence(world):
    appeal = in_progress(world)
    file = evidence_by(world.u("handler"))
    workflow.complete(
        appeal, world.u("handler"), result="已清理", evidence="照片", attachments=[file.pk]
    )
    file.refresh_from_db()
    assert file.appeal_id == appeal.pk


def test_a_file_uploaded_by_another_units_handler_is_refused(world):
    appeal = in_progress(world)
    foreign = evidence_by(world.u("water_handler"))
    file = refused_and_unchanged(
        appeal,
        foreign,
        lambda: workflow.complete(
            appeal, world.u("handler"), result="已清理", evidence="照片", attachments=[foreign.pk]
        ),
    )
    assert file.appeal_id is None and file.assignment_id is None


def test_a_colleagues_upload_is_refused_too(world):
    appeal = in_progress(world)
    colleague = evidence_by(world.u("leader"))
    refused_and_unchanged(
        appeal,
        colleague,
        lambda: workflow.complete(
            appeal, world.u("handler"), result="已清理", evidence="照片", attachments=[colleague.pk]
        ),
    )


def test_an_anonymous_upload_cannot_become_evidence(world):
    appeal = in_progress(world)
    nobody = evidence_by(None)
    refused_and_unchanged(
        appeal,
        nobody,
        lambda: workflow.complete(
            appeal, world.u("handler"), result="已清理", evidence="照片", attachments=[nobody.pk]
        ),
    )


def test_a_linked_file_cannot_be_linked_again(world):
    first = in_progress(world)
    file = evidence_by(world.u("handler"))
    workflow.complete(
        first, world.u("handler"), result="已清理", evidence="照片", attachments=[file.pk]
    )
    second = in_progress(world, title="另一处垃圾")
    file = refused_and_unchanged(
        second,
        file,
        lambda: workflow.complete(
            second, world.u("handler"), result="已清理", evidence="照片", attachments=[file.pk]
        ),
    )
    assert file.appeal_id == first.pk


def test_a_report_photo_is_not_evidence(world):
    appeal = in_progress(world)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 20, 20)).save(buffer, "JPEG")
    upload = SimpleUploadedFile("r.jpg", buffer.getvalue(), content_type="image/jpeg")
    report = attachments.store_upload(
        upload, purpose=Attachment.Purpose.REPORT, user=world.u("handler")
    )
    refused_and_unchanged(
        appeal,
        report,
        lambda: workflow.complete(
            appeal, world.u("handler"), result="已清理", evidence="照片", attachments=[report.pk]
        ),
    )
