# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Attachments: the bytes decide, metadata is stripped, refusals store nothing."""

import hashlib
import io
import os
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation
from PIL import Image

from jiesu.appeals import attachments, timesource, workflow
from jiesu.appeals.errors import InvalidInput
from jiesu.appeals.models import Attachment
from jiesu.intake.models import Channel
from jiesu.intake.tests import citizen_samples as samples

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in their English source form."""
    with translation.override("en"):
        yield


@pytest.fixture
def media(settings, tmp_path):
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def channel(db):
    return Channel.objects.create(
        code="web", name="网页随手拍", kind=Channel.Kind.WEB, max_attachment_mb=2
    )


def store(data, name="photo.jpg", content_type="image/jpeg", **kwargs):
    kwargs.setdefault("purpose", Attachment.Purpose.REPORT)
    return attachments.store_upload(samples.upload(name, data, content_type), **kwargs)


def open_stored(field) -> Image.Image:
    with field.open("rb") as f:
        return Image.open(BytesIO(f.read()))


def assert_nothing_stored(media):
    assert Attachment.objects.count() == 0
    assert samples.stored_files(media) == []


# -- photos that are accepted ------------------------------------------------------------------


def test_jpeg_gps_read_as_hint_and_exif_gone(media, channel):
    original = samples.jpeg_bytes(800, 600)
    assert b"Secret Phone" in original  # the EXIF is really there before

    att = store(original, channel=channel)

    assert att.appeal is None
    assert att.kind == Attachment.Kind.IMAGE
    assert att.content_type == "image/jpeg"
    assert att.exif_lat == pytest.approx(samples.LAT, abs=1e-4)
    assert att.exif_lng == pytest.approx(samples.LNG, abs=1e-4)
    assert (att.width, att.height) == (800, 600)
    assert att.original_name == "photo.jpg"
    stored = att.file.read()
    att.file.close()
    assert att.size == len(stored)
    assert att.sha256 == hashlib.sha256(stored).hexdigest()
    # No EXIF, no maker, no GPS left in what is stored.
    assert b"Exif" not in stored
    assert b"Secret Phone" not in stored and b"JiesuCam" not in stored
    image = open_stored(att.file)
    assert image.format == "JPEG"
    assert not image.getexif()
    assert "exif" not in image.info and "xmp" not in image.info
    # Thumbnail: a JPEG of at most 320 px, without EXIF either.
    thumb = open_stored(att.thumbnail)
    assert thumb.format == "JPEG"
    assert max(thumb.size) == 320
    assert not thumb.getexif()
    # Both files are in the storage, under the sha256.
    files = samples.stored_files(media)
    assert len(files) == 2
    assert all(att.sha256 in p.name for p in files)


def test_orientation_is_applied_before_stripping(media):
    # Orientation 6: the camera held upright; the pixels are stored sideways.
    att = store(samples.jpeg_bytes(800, 600, orientation=6))
    image = open_stored(att.file).convert("RGB")
    assert image.size == (600, 800)
    assert (att.width, att.height) == (600, 800)
    # The red marker of the top-left corner is now at the top right.
    assert image.getpixel((590, 10))[0] > 200 and image.getpixel((590, 10))[2] < 80
    assert not image.getexif()


def test_png_stays_png_without_exif(media):
    att = store(samples.png_bytes(alpha=True), name="screen.png", content_type="image/png")
    assert att.content_type == "image/png"
    assert att.exif_lat == pytest.approx(samples.LAT, abs=1e-4)
    stored = att.file.read()
    att.file.close()
    assert b"eXIf" not in stored and b"Secret Phone" not in stored
    image = open_stored(att.file)
    assert image.format == "PNG" and image.mode == "RGBA"
    assert open_stored(att.thumbnail).format == "JPEG"


def test_webp_is_stored_as_jpeg(media):
    att = store(samples.webp_bytes(), name="x.webp", content_type="image/webp")
    assert att.content_type == "image/jpeg"
    assert att.exif_lat == pytest.approx(samples.LAT, abs=1e-4)
    assert not open_stored(att.file).getexif()


def test_heic_when_the_library_reads_it(media):
    if not attachments.HEIF_AVAILABLE:
        pytest.skip("pillow-heif is not installed")
    data = samples.heic_bytes()
    if data is None:
        pytest.skip("pillow-heif cannot encode HEIC on this machine")
    att = store(data, name="IMG_0001.HEIC", content_type="image/heic")
    assert att.kind == Attachment.Kind.IMAGE
    assert att.content_type == "image/jpeg"
    assert att.exif_lat == pytest.approx(samples.LAT, abs=1e-4)
    stored = att.file.read()
    att.file.close()
    assert b"Secret Phone" not in stored
    assert open_stored(att.file).format == "JPEG"


def test_name_and_content_type_do_not_matter(media):
    # A real JPEG sent as "notes.txt" with a text content type is still a photo.
    att = store(samples.jpeg_bytes(gps=False), name="notes.txt", content_type="text/plain")
    assert att.kind == Attachment.Kind.IMAGE
    assert att.exif_lat is None and att.exif_lng is None


def test_no_gps_no_hint(media):
    att = store(samples.jpeg_bytes(gps=False))
    assert (att.exif_lat, att.exif_lng) == (None, None)


# -- videos ------------------------------------------------------------------------------------


def test_mp4_allowed_location_read_and_blanked(media):
    data = samples.mp4_bytes()
    att = store(data, name="clip.mp4", content_type="video/mp4", allow_video=True)
    assert att.kind == Attachment.Kind.VIDEO
    assert att.content_type == "video/mp4"
    assert (att.width, att.height) == (1280, 720)
    assert att.exif_lat == pytest.approx(22.7) and att.exif_lng == pytest.approx(114.35)
    stored = att.file.read()
    att.file.close()
    assert len(stored) == len(data)  # blanked in place, no offset moved
    assert b"+114.35" not in stored and b"\xa9xyz" not in stored
    assert not att.thumbnail


def test_mov_keys_location_blanked(media):
    att = store(
        samples.mov_bytes(), name="IMG_1.MOV", content_type="video/quicktime", allow_video=True
    )
    assert att.content_type == "video/quicktime"
    assert att.exif_lat == pytest.approx(22.7)
    stored = att.file.read()
    att.file.close()
    assert b"+22.7000" not in stored
    assert b"Apple" in stored  # other metadata stays


def test_channel_allowing_video(media, channel):
    channel.allow_video = True
    channel.save()
    att = store(samples.mp4_bytes(location=""), channel=channel)
    assert att.kind == Attachment.Kind.VIDEO
    assert att.exif_lat is None


# -- refused, and nothing stored ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "content_type", "words"),
    [
        ("scan.jpg", samples.pdf_bytes(), "image/jpeg", "not a supported photo"),
        ("notes.png", "这不是图片，只是文字。".encode() * 20, "image/png", "not a supported photo"),
        ("random.jpg", bytes(range(256)) * 8, "image/jpeg", "not a supported photo"),
        ("empty.jpg", b"", "image/jpeg", "empty"),
        ("anim.gif", b"GIF89a" + bytes(40), "image/gif", "not a supported photo"),
    ],
)
def test_disguised_or_empty_refused(media, name, data, content_type, words):
    with pytest.raises(InvalidInput) as exc:
        store(data, name=name, content_type=content_type)
    assert words in str(exc.value)
    assert exc.value.field_errors["file"]
    assert_nothing_stored(media)


def test_truncated_jpeg_refused(media):
    data = samples.jpeg_bytes(800, 600)
    with pytest.raises(InvalidInput, match="damaged or incomplete"):
        store(data[: len(data) // 2])
    assert_nothing_stored(media)


def test_truncated_jpeg_refused_after_weasyprint_loosened_pillow(media):
    """WeasyPrint (the work-order PDF) sets Pillow's process-wide LOAD_TRUNCATED_IMAGES on
    import; uploads must stay strict in a process that has made a PDF."""
    from PIL import ImageFile

    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        data = samples.jpeg_bytes(800, 600)
        with pytest.raises(InvalidInput, match="damaged or incomplete"):
            store(data[: len(data) // 2])
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
    assert_nothing_stored(media)


def test_corrupt_png_refused(media):
    data = bytearray(samples.png_bytes(gps=False))
    data[len(data) // 2 : len(data) // 2 + 40] = bytes(40)  # damage the pixel data
    with pytest.raises(InvalidInput, match="damaged or incomplete"):
        store(bytes(data), name="x.png")
    assert_nothing_stored(media)


def test_oversized_refused_by_channel_limit(media, channel):
    channel.max_attachment_mb = 1
    big = samples.jpeg_bytes(gps=False) + bytes(1024 * 1024)  # a JPEG with 1 MB of tail
    with pytest.raises(InvalidInput, match="larger than 1 MB"):
        store(big, channel=channel)
    assert_nothing_stored(media)


def test_oversized_refused_even_when_declared_size_lies(media):
    upload = samples.upload("x.jpg", samples.jpeg_bytes())
    upload.size = 10  # the client's word is not trusted
    with pytest.raises(InvalidInput, match="larger than"):
        attachments.store_upload(upload, purpose="report", max_bytes=1000)
    assert_nothing_stored(media)


def test_too_many_pixels_refused(media, settings):
    settings.JIESU = {**settings.JIESU, "ATTACHMENT_MAX_PIXELS": 100_000}
    with pytest.raises(InvalidInput, match="megapixels"):
        store(samples.jpeg_bytes(800, 600, gps=False))
    assert_nothing_stored(media)


def test_video_refused_when_not_allowed(media, channel):
    assert not channel.allow_video
    with pytest.raises(InvalidInput, match="Videos are not accepted"):
        store(samples.mp4_bytes(), name="clip.mp4", content_type="video/mp4", channel=channel)
    with pytest.raises(InvalidInput, match="Videos are not accepted"):
        store(samples.mp4_bytes(), name="clip.mp4", content_type="video/mp4")
    assert_nothing_stored(media)


def test_truncated_video_refused(media):
    data = samples.mp4_bytes()
    with pytest.raises(InvalidInput, match="video is damaged"):
        store(data[:-100], name="clip.mp4", allow_video=True)
    assert_nothing_stored(media)


def test_unknown_ftyp_brand_refused(media):
    data = samples.mp4_bytes(brand=b"crx ", compatible=())
    with pytest.raises(InvalidInput, match="not a supported photo"):
        store(data, allow_video=True)
    assert_nothing_stored(media)


def test_failure_after_writing_files_cleans_up(media, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Attachment, "save", broken_save)
    with pytest.raises(RuntimeError):
        store(samples.jpeg_bytes())
    monkeypatch.undo()
    assert_nothing_stored(media)


# -- orphans -----------------------------------------------------------------------------------


def test_delete_unlinked_and_command(media):
    start = timesource.now() - timedelta(days=2)
    with timesource.frozen_at(start):
        old_orphan = store(samples.jpeg_bytes(gps=False))
        old_linked = store(samples.png_bytes(gps=False), name="a.png")
        appeal = workflow.receive(
            channel="web", title="t", description="d", reporter_phone="13800001234"
        )
        Attachment.objects.filter(pk=old_linked.pk).update(appeal=appeal)
    fresh_orphan = store(samples.jpeg_bytes(400, 300, gps=False))
    assert len(samples.stored_files(media)) == 6  # three photos and their thumbnails

    assert attachments.delete_unlinked(timedelta(hours=24)) == 1
    assert not Attachment.objects.filter(pk=old_orphan.pk).exists()
    assert set(Attachment.objects.values_list("pk", flat=True)) == {old_linked.pk, fresh_orphan.pk}
    names = {p.name for p in samples.stored_files(media)}
    assert not any(old_orphan.sha256 in n for n in names)
    assert any(old_linked.sha256 in n for n in names)

    # The command, with a cut-off of 0 hours, takes the fresh orphan too.
    out = io.StringIO()
    call_command("purge_orphan_uploads", "--hours", "0", stdout=out)
    assert "1" in out.getvalue()
    assert list(Attachment.objects.values_list("pk", flat=True)) == [old_linked.pk]


def test_stray_files_of_a_rolled_back_transaction(media):
    from django.db import transaction

    kept = store(samples.jpeg_bytes(gps=False))
    with pytest.raises(RuntimeError), transaction.atomic():
        store(samples.jpeg_bytes(300, 200, gps=False))
        raise RuntimeError("the appeal could not be filed")
    assert Attachment.objects.count() == 1
    assert len(samples.stored_files(media)) == 4  # the rolled-back photo's files are left

    # Too recent: nothing deleted yet.
    assert attachments.delete_stray_files(timedelta(hours=1)) == 0
    old = (timesource.now() - timedelta(days=2)).timestamp()
    for path in samples.stored_files(media):
        os.utime(path, (old, old))
    out = io.StringIO()
    call_command("purge_orphan_uploads", "--files", stdout=out)
    assert "Deleted 2 stray file(s)" in out.getvalue()
    names = sorted(p.name for p in samples.stored_files(media))
    assert len(names) == 2 and all(kept.sha256 in n for n in names)
    assert Attachment.objects.get() == kept


def test_stored_files_are_not_for_every_local_user(media):
    """Following the operations guide once, uploads were 0644 in 0755 folders (Django's
    default mode, set after saving whatever the service's umask): photos of citizens and their
    streets readable by every account on the server."""
    store(samples.jpeg_bytes(80, 60))
    files = samples.stored_files(media)
    assert files
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o640, path
        for folder in path.relative_to(media).parents:
            if folder != Path("."):
                assert (media / folder).stat().st_mode & 0o777 == 0o750, folder


def test_collected_static_files_stay_readable_by_the_web_server(settings, tmp_path):
    """Following the guide after the uploads became 0640, nginx (another user) answered 403 for
    every static file: `collectstatic` wrote through the same default modes."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            **settings.STORAGES["staticfiles"],
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage",
        },
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    files = [p for p in (tmp_path / "static").rglob("*") if p.is_file()]
    assert len(files) > 100
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o644, path
    for folder in [p for p in (tmp_path / "static").rglob("*") if p.is_dir()]:
        assert folder.stat().st_mode & 0o777 == 0o755, folder
