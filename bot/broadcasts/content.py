"""What a broadcast says and when it goes: composing each language's message, lengths, scheduling times.

The delivery itself is channel-specific (bot/channels/telegram/broadcasting.py); the job state is in the
database (BroadcastRepository), never only in memory.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from enum import Enum
from zoneinfo import ZoneInfo

from bot.storage import Broadcast, from_utc_iso
from bot.texts import Texts

MEXICO = ZoneInfo("America/Mexico_City")
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024
_TAG = re.compile(r"<[^>]+>")


class Step(str, Enum):
    TEXT_ES = "text_es"
    TEXT_EN = "text_en"
    TEXT_BOTH = "text_both"
    MEDIA = "media"
    AUDIENCE = "audience"
    SCHEDULE = "schedule"
    PREVIEW = "preview"


def visible_length(html_text: str) -> int:
    """Length Telegram counts: the text without tags and with entities decoded (UTF-16 units)."""
    plain = html.unescape(_TAG.sub("", html_text))
    return len(plain.encode("utf-16-le")) // 2


def compose(broadcast: Broadcast, language: str, texts: Texts) -> str:
    """The HTML a subscriber receives: the text in their language, then how to unsubscribe."""
    body = (broadcast.text_en if language == "en" else broadcast.text_es) or broadcast.text_es or ""
    hint = html.escape(texts(language, "broadcast.hint"), quote=False)
    return f"{body}\n\n<i>{hint}</i>"


def limit_for(broadcast: Broadcast) -> int:
    return CAPTION_LIMIT if broadcast.media_file_id else TEXT_LIMIT


def too_long(broadcast: Broadcast, texts: Texts) -> tuple[str, int] | None:
    """(language, length) of the first version over Telegram's limit, hint included; None when all fit."""
    for language in ("es", "en"):
        length = visible_length(compose(broadcast, language, texts))
        if length > limit_for(broadcast):
            return language, length
    return None


def parse_when(text: str, now: dt.datetime) -> dt.datetime | None:
    """'2026-12-01 09:00' in Mexico City time -> UTC datetime; None if unreadable or not in the future."""
    cleaned = " ".join(text.strip().replace("T", " ").split())
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            local = dt.datetime.strptime(cleaned, pattern).replace(tzinfo=MEXICO)
        except ValueError:
            continue
        when = local.astimezone(dt.timezone.utc)
        return when if when > now else None
    return None


def mexico_time(iso: str) -> str:
    moment = from_utc_iso(iso)
    return moment.astimezone(MEXICO).strftime("%Y-%m-%d %H:%M")
