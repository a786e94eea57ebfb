"""Media rules of the Cloud API (types, sizes, expiry) and the fake's media store."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass

from . import errors as E
from .errors import GraphError
from .models import StoredMedia

MEDIA_KINDS = ("image", "audio", "video", "document", "sticker")
MB = 1024 * 1024
KB = 1024
DAY = 86400.0
UPLOAD_TTL = 30 * DAY          # ids from uploads
INBOUND_TTL = 7 * DAY          # ids from webhooks
URL_TTL = 300.0                # GET /{media_id} download URLs


@dataclass(frozen=True)
class Rule:
    kind: str
    max_bytes: int


DOCUMENT_TYPES = (
    "text/plain", "application/pdf", "application/msword", "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)
RULES: dict[str, Rule] = {
    "image/jpeg": Rule("image", 5 * MB),
    "image/png": Rule("image", 5 * MB),
    "image/webp": Rule("sticker", 500 * KB),     # animated; static stickers are limited to 100 KB
    "video/mp4": Rule("video", 16 * MB),
    "video/3gpp": Rule("video", 16 * MB),
    **{t: Rule("audio", 16 * MB) for t in ("audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg")},
    **{t: Rule("document", 100 * MB) for t in DOCUMENT_TYPES},
}
STATIC_STICKER_BYTES = 100 * KB
# which message types may carry media of a given mime type (a PDF is a document, never an image)
MESSAGE_TYPES_FOR_MIME: dict[str, tuple[str, ...]] = {
    mime: (rule.kind,) for mime, rule in RULES.items()
}
MESSAGE_TYPES_FOR_MIME.update({"image/jpeg": ("image", "document"), "image/png": ("image", "document"),
                               "video/mp4": ("video", "document")})


def base_mime(mime: str) -> str:
    """`audio/ogg; codecs=opus` → `audio/ogg` (Meta accepts the codecs form for voice notes)."""
    return mime.split(";", 1)[0].strip().lower()


def is_animated_webp(data: bytes) -> bool:
    """An animated WebP has an ANIM chunk after the VP8X header."""
    return data[:4] == b"RIFF" and data[8:12] == b"WEBP" and b"ANIM" in data[12:64]


def check_upload(data: bytes, mime: str) -> str:
    """Raise what /media refuses (code 100 for an unsupported type, 131053 for a size over the limit); return kind."""
    rule = RULES.get(base_mime(mime))
    if rule is None or (base_mime(mime) == "audio/ogg" and "codecs" in mime and "opus" not in mime):
        allowed = ", ".join(RULES)
        raise GraphError(400, E.INVALID_PARAMETER,
                         f"Param file must be a file with one of the following types: {allowed}."
                         f" Received file of type '{mime}'.", message=f"(#100) Param file must be a file with"
                         f" one of the following types: {allowed}. Received file of type '{mime}'.")
    limit = rule.max_bytes
    if rule.kind == "sticker" and not is_animated_webp(data):
        limit = STATIC_STICKER_BYTES
    if not data:
        raise GraphError(400, E.MEDIA_UPLOAD_ERROR, "The file is empty.")
    if len(data) > limit:
        raise GraphError(400, E.MEDIA_UPLOAD_ERROR,
                         f"File too large: {len(data)} bytes, the {rule.kind} limit for {mime} is {limit} bytes.")
    return rule.kind


class MediaStore:
    """Media by id, with Meta's expiry; ids are long digit strings like Meta's."""

    def __init__(self) -> None:
        self.items: dict[str, StoredMedia] = {}
        self._ids = itertools.count(1_000_000_000_000_001)

    def add(self, data: bytes, mime: str, kind: str, now: float, *, inbound: bool, filename: str | None = None,
            media_id: str | None = None) -> StoredMedia:
        media_id = media_id or str(next(self._ids))
        media = StoredMedia(media_id, data, mime, hashlib.sha256(data).hexdigest(), kind,
                            now + (INBOUND_TTL if inbound else UPLOAD_TTL), filename, inbound)
        self.items[media_id] = media
        return media

    def get(self, media_id: str, now: float) -> StoredMedia | None:
        """The media if it exists, is not deleted and has not expired."""
        media = self.items.get(media_id)
        if media is None or media.deleted or now >= media.expires_at:
            return None
        return media
