"""Evidence attachments: type and size limits checked on the bytes, then stored by hash."""

from __future__ import annotations

from pathlib import PurePath

from service.errors import ServiceError
from service.evidence import blobs
from service.extensions import db
from service.models import Attachment

MB = 1024 * 1024
# mime -> (size limit, extensions a file of that type may carry, label for messages)
KINDS: dict[str, tuple[int, frozenset[str], str]] = {
    "image/jpeg": (10 * MB, frozenset({".jpg", ".jpeg"}), "JPEG 图片"),
    "image/png": (10 * MB, frozenset({".png"}), "PNG 图片"),
    "application/pdf": (20 * MB, frozenset({".pdf"}), "PDF 文件"),
    "audio/mpeg": (50 * MB, frozenset({".mp3"}), "MP3 录音"),
    "audio/mp4": (50 * MB, frozenset({".m4a"}), "M4A 录音"),
    "audio/amr": (50 * MB, frozenset({".amr"}), "AMR 录音"),
    "audio/wav": (50 * MB, frozenset({".wav"}), "WAV 录音"),
}
ALLOWED_TEXT = "JPEG/PNG 图片（10MB 以内）、PDF（20MB 以内）、MP3/M4A/AMR/WAV 录音（50MB 以内）"
_M4A_BRANDS = (b"M4A ", b"M4B ", b"mp42", b"mp41", b"isom", b"iso2", b"3gp4", b"3gp5")


def sniff(data: bytes) -> str | None:
    """Return the mime type the file's leading bytes show, or None if it is not one we keep."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if data[4:8] == b"ftyp" and data[8:12] in _M4A_BRANDS:
        return "audio/mp4"
    if data.startswith(b"#!AMR"):
        return "audio/amr"
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return "audio/wav"
    return None


def check(filename: str, data: bytes) -> str:
    """Return the file's mime type, or refuse it naming the file and the reason."""
    name = PurePath(filename).name or "附件"
    if not data:
        raise ServiceError(f"附件“{name}”是空文件")
    mime = sniff(data)
    if mime is None:
        raise ServiceError(f"附件“{name}”的文件类型不支持，只接受{ALLOWED_TEXT}")
    limit, extensions, label = KINDS[mime]
    if PurePath(name).suffix.lower() not in extensions:
        raise ServiceError(f"附件“{name}”的内容是{label}，与文件扩展名不符")
    if len(data) > limit:
        raise ServiceError(f"附件“{name}”超过{label}的大小上限 {limit // MB}MB")
    return mime


def store_attachment(filename: str, data: bytes, *, uploaded_by: str) -> Attachment:
    """Check and store one uploaded file; the entry that cites it links it when appended."""
    mime = check(filename, data)
    digest, rel = blobs.put(data)
    att = Attachment(
        sha256=digest, size=len(data), mime=mime, filename=PurePath(filename).name[:255],
        stored_path=rel, uploaded_by=uploaded_by,
    )
    db.session.add(att)
    return att
