# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Photos and short videos: checked by their bytes, stored without metadata.

`store_upload` is the one way an uploaded file becomes an `Attachment`:

- the size is capped (the channel's `max_attachment_mb`, or `JIESU["MAX_ATTACHMENT_MB"]`);
- the bytes decide what the file is, never its name or the content type the client sent:
  photos are opened with Pillow (JPEG, PNG, WebP, and HEIC/HEIF when pillow-heif is installed)
  and must decode completely; short videos are recognised by their ISO base media `ftyp`
  box (MP4, MOV, 3GP), accepted only where the channel allows videos, and their box structure
  must be complete;
- a photo's EXIF GPS position is read as a location hint (`exif_lat`/`exif_lng`) before the
  photo is re-encoded without EXIF, XMP or comments, with its orientation applied, plus a JPEG
  thumbnail of at most 320 px; a video keeps its bytes except the location boxes
  (`©xyz`, `com.apple.quicktime.location.*`), which are read as the hint and blanked;
- files go through Django's storage API (`default_storage`), so S3-compatible storage works by
  settings alone; `sha256` is the digest of the stored bytes.

Anything refused raises `InvalidInput` with a message for the citizen, and nothing is stored:
no row and no file (files written before a failure are deleted again).

The new attachment is unlinked (`appeal=None`) until a submission or a completion links it;
`delete_unlinked` (command `purge_orphan_uploads`) removes those never linked.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import re
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO

from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageFile, ImageOps, UnidentifiedImageError

from jiesu.appeals import timesource
from jiesu.appeals.errors import InvalidInput
from jiesu.appeals.models import Attachment
from jiesu.conf import setting

logger = logging.getLogger(__name__)

try:  # HEIC/HEIF photos (iPhones) when the library is installed.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - depends on the installation
    HEIF_AVAILABLE = False

MB = 1024 * 1024
DEFAULT_MAX_MB = 10
THUMBNAIL_SIZE = 320
JPEG_QUALITY = 88
THUMBNAIL_QUALITY = 80
# A photo larger than this is refused before it is decoded (memory): 64 megapixels.
DEFAULT_MAX_PIXELS = 64_000_000

# Pillow format name -> what the photo is stored as when it has no transparency.
IMAGE_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "HEIF"}

# `ftyp` brands. HEIF photos share the container with MP4 videos.
HEIF_BRANDS = {
    b"heic",
    b"heix",
    b"hevc",
    b"hevx",
    b"heim",
    b"heis",
    b"hevm",
    b"hevs",
    b"mif1",
    b"msf1",
}
QUICKTIME_BRANDS = {b"qt  "}
MP4_BRANDS = {
    b"isom",
    b"iso2",
    b"iso3",
    b"iso4",
    b"iso5",
    b"iso6",
    b"mp41",
    b"mp42",
    b"avc1",
    b"M4V ",
    b"M4VH",
    b"M4VP",
    b"dash",
    b"MSNV",
    b"XAVC",
    b"mmp4",
}
THREE_GP_BRANDS = {b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"3g2b", b"3g2c"}
VIDEO_BRANDS = QUICKTIME_BRANDS | MP4_BRANDS | THREE_GP_BRANDS
# Boxes whose children hold metadata (moov > udta > ©xyz, moov > meta > keys/ilst, ...).
VIDEO_CONTAINERS = {b"moov", b"trak", b"udta", b"meta", b"mdia", b"minf"}


@dataclass
class _Processed:
    kind: str
    content_type: str
    extension: str
    data: bytes
    thumbnail: bytes | None = None
    width: int | None = None
    height: int | None = None
    lat: float | None = None
    lng: float | None = None


def _refuse(message) -> InvalidInput:
    return InvalidInput(message, field_errors={"file": [str(message)]})


# --------------------------------------------------------------------------------------------
# The public functions


def limits(channel=None, *, max_bytes=None, allow_video=None) -> tuple[int, bool]:
    """The size limit in bytes and whether videos are accepted, for a channel (or defaults)."""
    if max_bytes is None:
        mb = (
            channel.max_attachment_mb
            if channel is not None
            else setting("MAX_ATTACHMENT_MB", DEFAULT_MAX_MB)
        )
        max_bytes = int(mb) * MB
    if allow_video is None:
        allow_video = bool(channel.allow_video) if channel is not None else False
    return int(max_bytes), bool(allow_video)


def store_upload(
    uploaded_file,
    *,
    purpose: str,
    channel=None,
    user=None,
    max_bytes: int | None = None,
    allow_video: bool | None = None,
) -> Attachment:
    """Check an uploaded file by its bytes and store it as an unlinked `Attachment`.

    `uploaded_file` is a Django `UploadedFile` (or any file object with `read`). Raises
    `InvalidInput` (nothing stored) for an empty, oversized, disguised, unsupported or
    damaged file, and for a video where videos are not allowed."""
    if purpose not in Attachment.Purpose.values:
        raise ValueError(f"Unknown attachment purpose {purpose!r}")
    max_bytes, allow_video = limits(channel, max_bytes=max_bytes, allow_video=allow_video)
    data = _read_limited(uploaded_file, max_bytes)
    processed = _process(data, allow_video=allow_video)
    name = os.path.basename(getattr(uploaded_file, "name", "") or "")[:255]
    return _save(processed, purpose=purpose, user=user, original_name=name)


def discard(attachment: Attachment) -> bool:
    """Delete an attachment that is not linked to an appeal, with its files. False when it
    was linked meanwhile (then it stays)."""
    with transaction.atomic():
        locked = (
            Attachment.objects.select_for_update()
            .filter(pk=attachment.pk, appeal__isnull=True)
            .order_by("pk")  # no join for the default ordering: FOR UPDATE on PostgreSQL
            .first()
        )
        if locked is None:
            return False
        names = [f.name for f in (locked.file, locked.thumbnail) if f and f.name]
        storage = locked.file.storage
        locked.delete()
    for name in names:
        _delete_file(storage, name)
    return True


def delete_unlinked(older_than) -> int:
    """Delete uploads never linked to an appeal, uploaded before `older_than` (a datetime, or
    a timedelta counted back from now). Returns how many were deleted."""
    if isinstance(older_than, timedelta):
        cutoff = timesource.now() - older_than
    elif isinstance(older_than, datetime):
        cutoff = older_than
    else:
        raise TypeError("older_than must be a datetime or a timedelta")
    count = 0
    orphans = Attachment.objects.filter(appeal__isnull=True, uploaded_at__lt=cutoff)
    for attachment in orphans.only("pk").iterator():
        if discard(attachment):
            count += 1
    return count


def delete_stray_files(older_than, *, root: str = "appeals") -> int:
    """Delete stored files under `root` that no attachment row refers to, last modified before
    `older_than` (a datetime, or a timedelta counted back from now). They are left behind when
    a transaction that stored an upload rolls back after the files were written. Walks the
    storage (local folders or an S3 bucket), so run it from a daily job, not per request."""
    if isinstance(older_than, timedelta):
        cutoff = timesource.now() - older_than
    elif isinstance(older_than, datetime):
        cutoff = older_than
    else:
        raise TypeError("older_than must be a datetime or a timedelta")
    storage = Attachment._meta.get_field("file").storage
    count = 0
    for name in _walk(storage, root):
        try:
            if storage.get_modified_time(name) >= cutoff:
                continue
        except (OSError, NotImplementedError):
            continue
        if Attachment.objects.filter(models.Q(file=name) | models.Q(thumbnail=name)).exists():
            continue
        _delete_file(storage, name)
        count += 1
    return count


def _walk(storage, folder: str):
    try:
        folders, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _walk(storage, f"{folder}/{sub}")


# --------------------------------------------------------------------------------------------
# Reading and recognising


def _read_limited(uploaded_file, max_bytes: int) -> bytes:
    too_large = _("The file is larger than %(mb)s MB.") % {"mb": _format_mb(max_bytes)}
    declared = getattr(uploaded_file, "size", None)
    if isinstance(declared, int) and declared > max_bytes:
        raise _refuse(too_large)
    if hasattr(uploaded_file, "seek"):
        with contextlib.suppress(OSError, ValueError):
            uploaded_file.seek(0)
    chunks, total = [], 0
    if hasattr(uploaded_file, "chunks"):
        stream = uploaded_file.chunks()
    else:
        stream = iter(lambda: uploaded_file.read(64 * 1024), b"")
    for chunk in stream:
        total += len(chunk)
        if total > max_bytes:
            raise _refuse(too_large)
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data:
        raise _refuse(_("The file is empty."))
    return data


def _format_mb(max_bytes: int) -> str:
    mb = max_bytes / MB
    return f"{mb:.0f}" if mb >= 1 else f"{mb:.2f}"


def _unsupported(allow_video: bool) -> InvalidInput:
    if allow_video:
        return _refuse(
            _("This file is not a supported photo (JPEG, PNG, HEIC, WebP) or video (MP4, MOV).")
        )
    return _refuse(_("This file is not a supported photo (JPEG, PNG, HEIC or WebP)."))


def _process(data: bytes, *, allow_video: bool) -> _Processed:
    if len(data) >= 12 and data[4:8] == b"ftyp":
        major, compatible = _ftyp_brands(data)
        brands = {major, *compatible}
        if major in HEIF_BRANDS or (major not in VIDEO_BRANDS and brands & HEIF_BRANDS):
            if not HEIF_AVAILABLE:
                raise _refuse(_("HEIC photos cannot be read here; please send JPEG or PNG."))
            return _process_image(data, allow_video)
        if brands & VIDEO_BRANDS:
            if not allow_video:
                raise _refuse(_("Videos are not accepted here; please send photos."))
            return _process_video(data, major)
        raise _unsupported(allow_video)
    return _process_image(data, allow_video)


def _ftyp_brands(data: bytes) -> tuple[bytes, list[bytes]]:
    size = struct.unpack(">I", data[:4])[0]
    major = data[8:12]
    end = min(max(size, 16), len(data))
    compatible = [data[i : i + 4] for i in range(16, end - 3, 4)]
    return major, compatible


# --------------------------------------------------------------------------------------------
# Photos


@contextlib.contextmanager
def _strict_decoding():
    """Pillow's LOAD_TRUNCATED_IMAGES is process-wide, and libraries set it (WeasyPrint does on
    import, for the work-order PDF): a truncated upload would then be padded and accepted.
    Uploads are always decoded strictly."""
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def _process_image(data: bytes, allow_video: bool) -> _Processed:
    damaged = _("The photo is damaged or incomplete and cannot be read.")
    max_pixels = int(setting("ATTACHMENT_MAX_PIXELS", DEFAULT_MAX_PIXELS))
    too_many_pixels = _("The photo is too large: at most %(mp)d megapixels.") % {
        "mp": max_pixels // 1_000_000
    }
    try:
        with Image.open(BytesIO(data)) as probe:
            fmt = probe.format
            if fmt not in IMAGE_FORMATS:
                raise _unsupported(allow_video)
            width, height = probe.size
            if width * height > max_pixels:
                raise _refuse(too_many_pixels)
            probe.verify()
        image = Image.open(BytesIO(data))
        with _strict_decoding():
            image.load()  # the whole photo must decode: a truncated file raises here
    except InvalidInput:
        raise
    except UnidentifiedImageError:
        raise _unsupported(allow_video) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(too_many_pixels) from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError, TypeError):
        raise _refuse(damaged) from None
    except Exception:  # a decoder's own error type (e.g. pillow-heif)
        logger.info("Photo refused: decoder error", exc_info=True)
        raise _refuse(damaged) from None
    try:
        lat, lng = _exif_position(image)
        # Orientation applied to the pixels, then every piece of metadata dropped.
        upright = ImageOps.exif_transpose(image)
        has_alpha = _has_alpha(upright)
        icc_profile = image.info.get("icc_profile")
        upright.info = {}
        if fmt == "PNG" or has_alpha:
            stored, content_type, extension = _encode_png(upright, has_alpha, icc_profile)
        else:
            stored, content_type, extension = _encode_jpeg(upright, icc_profile)
        thumbnail = _thumbnail(upright, has_alpha)
    except (OSError, ValueError, SyntaxError) as exc:
        logger.info("Photo refused while re-encoding: %s", exc)
        raise _refuse(damaged) from None
    return _Processed(
        kind=Attachment.Kind.IMAGE,
        content_type=content_type,
        extension=extension,
        data=stored,
        thumbnail=thumbnail,
        width=upright.width,
        height=upright.height,
        lat=lat,
        lng=lng,
    )


def _has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return True
    return image.mode == "P" and "transparency" in image.info


def _encode_png(image: Image.Image, has_alpha: bool, icc_profile) -> tuple[bytes, str, str]:
    if image.mode not in ("1", "L", "LA", "RGB", "RGBA", "I;16"):
        image = image.convert("RGBA" if has_alpha else "RGB")
    out = BytesIO()
    options = {"icc_profile": icc_profile} if icc_profile else {}
    image.save(out, format="PNG", **options)
    return out.getvalue(), "image/png", ".png"


def _encode_jpeg(image: Image.Image, icc_profile) -> tuple[bytes, str, str]:
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    out = BytesIO()
    options = {"icc_profile": icc_profile} if icc_profile else {}
    image.save(out, format="JPEG", quality=JPEG_QUALITY, **options)
    return out.getvalue(), "image/jpeg", ".jpg"


def _thumbnail(image: Image.Image, has_alpha: bool) -> bytes:
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.Resampling.LANCZOS)
    if has_alpha:
        rgba = thumb.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        thumb = background
    elif thumb.mode != "RGB":
        thumb = thumb.convert("RGB")
    out = BytesIO()
    thumb.save(out, format="JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()


def _exif_position(image: Image.Image) -> tuple[float | None, float | None]:
    """The GPS position in the photo's EXIF, or (None, None). Never fails."""
    try:
        gps = image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        if not gps:
            return None, None
        lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef))
        lng = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef))
    except Exception:  # malformed EXIF is common; it is only a hint
        logger.debug("Unreadable EXIF GPS", exc_info=True)
        return None, None
    return _valid_position(lat, lng)


def _degrees(value, ref) -> float | None:
    if value is None:
        return None
    if isinstance(value, tuple | list):
        parts = [float(v) for v in value] + [0.0, 0.0]
        degrees = parts[0] + parts[1] / 60 + parts[2] / 3600
    else:
        degrees = float(value)
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    if str(ref or "").strip().upper()[:1] in ("S", "W"):
        degrees = -degrees
    return degrees


def _valid_position(lat, lng) -> tuple[float | None, float | None]:
    if lat is None or lng is None:
        return None, None
    if not (math.isfinite(lat) and math.isfinite(lng)):
        return None, None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == 0 and lng == 0):
        return None, None
    return round(lat, 7), round(lng, 7)


# --------------------------------------------------------------------------------------------
# Videos (ISO base media: MP4, MOV, 3GP)


def _boxes(data, start: int, end: int):
    """The boxes between start and end as (type, box start, payload start, box end).
    Raises ValueError when a box does not fit: a truncated or damaged file."""
    pos = start
    while pos < end:
        if end - pos < 8:
            raise ValueError("trailing bytes")
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            if end - pos < 16:
                raise ValueError("short large box")
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise ValueError(f"box {kind!r} does not fit")
        yield kind, pos, pos + header, pos + size
        pos += size


def _process_video(data: bytes, major: bytes) -> _Processed:
    damaged = _("The video is damaged or incomplete.")
    buffer = bytearray(data)
    try:
        top = list(_boxes(buffer, 0, len(buffer)))
        kinds = [b[0] for b in top]
        if b"moov" not in kinds or not ({b"mdat", b"moof"} & set(kinds)):
            raise ValueError("no movie or no media data")
        found: list[tuple[float, float]] = []
        size: list[int] = []
        for kind, _start, payload, end in top:
            if kind == b"moov":
                _scrub_container(buffer, payload, end, found, size, keys=[])
    except ValueError as exc:
        logger.info("Video refused: %s", exc)
        raise _refuse(damaged) from None
    lat, lng = found[0] if found else (None, None)
    quicktime = major in QUICKTIME_BRANDS
    three_gp = major in THREE_GP_BRANDS
    return _Processed(
        kind=Attachment.Kind.VIDEO,
        content_type="video/quicktime" if quicktime else "video/3gpp" if three_gp else "video/mp4",
        extension=".mov" if quicktime else ".3gp" if three_gp else ".mp4",
        data=bytes(buffer),
        width=size[0] if size else None,
        height=size[1] if size else None,
        lat=lat,
        lng=lng,
    )


def _scrub_container(buffer, start, end, found, size, keys):
    """Walk a container box: read and blank location metadata in place (same length, so no
    offset in the file moves), note the first video track's size."""
    local_keys = keys
    for kind, box_start, payload, box_end in list(_boxes(buffer, start, end)):
        if kind == b"\xa9xyz":
            # QuickTime user data: 2-byte length, 2-byte language, ISO 6709 text.
            text = bytes(buffer[payload + 4 : box_end]).decode("utf-8", "ignore")
            position = _iso6709(text)
            if position:
                found.append(position)
            buffer[box_start + 4 : box_start + 8] = b"free"
            buffer[payload:box_end] = bytes(box_end - payload)
        elif kind == b"tkhd" and not size and box_end - payload >= 84:
            width, height = struct.unpack(">II", buffer[box_end - 8 : box_end])
            if width and height:
                size.extend([width >> 16, height >> 16])
        elif kind == b"keys":
            local_keys = _read_keys(buffer, payload, box_end)
        elif kind == b"ilst":
            _scrub_items(buffer, payload, box_end, local_keys, found)
        elif kind == b"meta":
            # MP4's 'meta' is a full box (4 bytes of version and flags, all zero);
            # QuickTime's starts directly with its first child box.
            full_box = bytes(buffer[payload : payload + 4]) == bytes(4)
            inner = payload + 4 if full_box else payload
            _scrub_container(buffer, inner, box_end, found, size, local_keys)
        elif kind in VIDEO_CONTAINERS:
            _scrub_container(buffer, payload, box_end, found, size, local_keys)


def _read_keys(buffer, start, end) -> list[str]:
    count = struct.unpack(">I", buffer[start + 4 : start + 8])[0]
    keys, pos = [], start + 8
    for _entry in range(count):
        if pos + 8 > end:
            raise ValueError("keys box too short")
        key_size = struct.unpack(">I", buffer[pos : pos + 4])[0]
        if key_size < 8 or pos + key_size > end:
            raise ValueError("bad key entry")
        keys.append(bytes(buffer[pos + 8 : pos + key_size]).decode("utf-8", "ignore"))
        pos += key_size
    return keys


def _scrub_items(buffer, start, end, keys, found):
    for kind, _box_start, payload, box_end in list(_boxes(buffer, start, end)):
        index = struct.unpack(">I", kind)[0]
        key = keys[index - 1] if 1 <= index <= len(keys) else ""
        if "location" not in key.lower():
            continue
        for inner_kind, _s, data_payload, data_end in _boxes(buffer, payload, box_end):
            if inner_kind != b"data":
                continue
            value_start = data_payload + 8  # type indicator and locale
            text = bytes(buffer[value_start:data_end]).decode("utf-8", "ignore")
            position = _iso6709(text)
            if position:
                found.append(position)
            buffer[value_start:data_end] = b" " * (data_end - value_start)


def _iso6709(text: str) -> tuple[float, float] | None:
    """'+22.7000+114.3500+010.000/' -> (22.7, 114.35)."""
    match = re.match(r"\s*([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)", text)
    if not match:
        return None
    lat, lng = _valid_position(float(match.group(1)), float(match.group(2)))
    return (lat, lng) if lat is not None and lng is not None else None


# --------------------------------------------------------------------------------------------
# Storing


def _save(processed: _Processed, *, purpose: str, user, original_name: str) -> Attachment:
    digest = hashlib.sha256(processed.data).hexdigest()
    attachment = Attachment(
        purpose=purpose,
        kind=processed.kind,
        content_type=processed.content_type,
        size=len(processed.data),
        sha256=digest,
        width=processed.width,
        height=processed.height,
        original_name=original_name,
        exif_lat=processed.lat,
        exif_lng=processed.lng,
        uploaded_at=timesource.now(),
        uploaded_by=user,
    )
    storage = attachment.file.storage
    written: list[str] = []
    try:
        attachment.file.save(processed.extension, ContentFile(processed.data), save=False)
        if attachment.file.name:  # set by save()
            written.append(attachment.file.name)
        if processed.thumbnail is not None:
            attachment.thumbnail.save("_thumb.jpg", ContentFile(processed.thumbnail), save=False)
            if attachment.thumbnail.name:
                written.append(attachment.thumbnail.name)
        attachment.save()
    except BaseException:
        for name in written:
            _delete_file(storage, name)
        raise
    return attachment


def _delete_file(storage, name: str) -> None:
    try:
        storage.delete(name)
    except Exception:  # the row is gone; a leftover file is logged, not fatal
        logger.warning("Could not delete stored file %s", name, exc_info=True)
