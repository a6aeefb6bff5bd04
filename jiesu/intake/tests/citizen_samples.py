# Copyright (c) 2026 The Jiesu contributors
# Jiesu is licensed under Mulan PSL v2.
# You can use this software according to the terms and conditions of the Mulan PSL v2.
# You may obtain a copy of Mulan PSL v2 at:
#          http://license.coscl.org.cn/MulanPSL2
# THIS SOFTWARE IS PROVIDED ON AN "AS IS" BASIS, WITHOUT WARRANTIES OF ANY KIND,
# EITHER EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO NON-INFRINGEMENT,
# MERCHANTABILITY OR FIT FOR A PARTICULAR PURPOSE.
# See the Mulan PSL v2 for more details.
"""Sample uploads for the attachment and citizen-page tests: real photos made with Pillow
(with EXIF GPS and orientation), small ISO-media videos built box by box, disguised files."""

from __future__ import annotations

import struct
from io import BytesIO
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageDraw

# 坪山 (inside the test district square 114–115 E, 22–23 N)
LAT, LNG = 22.7, 114.35


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes_full = (value - degrees) * 60
    minutes = int(minutes_full)
    seconds = round((minutes_full - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def exif_with_gps(lat=LAT, lng=LNG, orientation=None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "JiesuCam"
    exif[ExifTags.Base.Model] = "Secret Phone 12"
    exif[ExifTags.Base.DateTime] = "2026:11:02 09:30:00"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
        ExifTags.GPS.GPSLatitude: _dms(abs(lat)),
        ExifTags.GPS.GPSLongitudeRef: "E" if lng >= 0 else "W",
        ExifTags.GPS.GPSLongitude: _dms(abs(lng)),
    }
    return exif


def picture(width=640, height=480, mode="RGB") -> Image.Image:
    """A photo-like picture: a gradient with shapes, so that encoders have work to do."""
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(0, height, 8):
        draw.rectangle([0, y, width, y + 8], fill=(y * 255 // height, 120, 255 - y * 255 // height))
    draw.ellipse([width // 4, height // 4, width * 3 // 4, height * 3 // 4], fill=(250, 200, 0))
    # A marker in the top-left corner, to see where "up" went after orientation.
    draw.rectangle([0, 0, width // 8, height // 8], fill=(255, 0, 0))
    return image.convert(mode) if mode != "RGB" else image


def jpeg_bytes(width=640, height=480, *, gps=True, orientation=None, **kw) -> bytes:
    out = BytesIO()
    params = {"quality": 90}
    if gps:
        params["exif"] = exif_with_gps(orientation=orientation, **kw).tobytes()
    picture(width, height).save(out, format="JPEG", **params)
    return out.getvalue()


def png_bytes(width=320, height=240, *, gps=True, alpha=False) -> bytes:
    out = BytesIO()
    image = picture(width, height, "RGBA" if alpha else "RGB")
    params = {"exif": exif_with_gps().tobytes()} if gps else {}
    image.save(out, format="PNG", **params)
    return out.getvalue()


def webp_bytes(width=320, height=240) -> bytes:
    out = BytesIO()
    picture(width, height).save(out, format="WEBP", exif=exif_with_gps().tobytes())
    return out.getvalue()


def heic_bytes(width=320, height=240) -> bytes | None:
    """A HEIC photo with EXIF GPS, or None when pillow-heif cannot encode here."""
    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
        out = BytesIO()
        picture(width, height).save(out, format="HEIF", exif=exif_with_gps().tobytes())
        return out.getvalue()
    except Exception:
        return None


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
        b"%%EOF\n"
    )


# -- videos -----------------------------------------------------------------------------------


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def _tkhd(width: int, height: int) -> bytes:
    # version 0: flags, creation, modification, track id, reserved, duration, reserved(8),
    # layer, alternate group, volume, reserved, matrix (36), width, height (16.16)
    payload = (
        bytes(4)
        + bytes(4 * 5)
        + bytes(8)
        + bytes(8)
        + bytes(36)
        + struct.pack(">II", width << 16, height << 16)
    )
    return box(b"tkhd", payload)


def mp4_bytes(
    *,
    brand=b"isom",
    compatible=(b"mp41",),
    location="+22.7000+114.3500+010.000/",
    mdat=b"\x00" * 2048,
) -> bytes:
    """A small ISO-media file: ftyp, moov (a video track header, user data with ©xyz), mdat."""
    ftyp = box(b"ftyp", brand + struct.pack(">I", 512) + brand + b"".join(compatible))
    xyz = b""
    if location:
        text = location.encode()
        xyz = box(b"\xa9xyz", struct.pack(">HH", len(text), 0x15C7) + text)
    udta = box(b"udta", xyz)
    trak = box(b"trak", _tkhd(1280, 720))
    moov = box(b"moov", box(b"mvhd", bytes(100)) + trak + udta)
    return ftyp + moov + box(b"mdat", mdat)


def mov_bytes(location="+22.7000+114.3500+010.000/") -> bytes:
    """A QuickTime movie whose location sits in moov > meta > keys/ilst (as iPhones write)."""
    ftyp = box(b"ftyp", b"qt  " + struct.pack(">I", 0) + b"qt  ")
    key_names = [b"com.apple.quicktime.make", b"com.apple.quicktime.location.ISO6709"]
    keys_payload = bytes(4) + struct.pack(">I", len(key_names))
    for name in key_names:
        keys_payload += struct.pack(">I", 8 + len(name)) + b"mdta" + name
    items = b""
    for index, value in ((1, b"Apple"), (2, location.encode())):
        data = box(b"data", struct.pack(">II", 1, 0) + value)
        items += box(struct.pack(">I", index), data)
    hdlr = box(b"hdlr", bytes(8) + b"mdta" + bytes(12) + b"\x00")
    meta = box(b"meta", hdlr + box(b"keys", keys_payload) + box(b"ilst", items))
    trak = box(b"trak", _tkhd(1920, 1080))
    moov = box(b"moov", box(b"mvhd", bytes(100)) + trak + meta)
    return ftyp + moov + box(b"mdat", b"\x01" * 4096)


def stored_files(media_root: Path) -> list[Path]:
    if not media_root.exists():
        return []
    return sorted(p for p in media_root.rglob("*") if p.is_file())
