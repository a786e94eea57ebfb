"""Broadcast text between Telegram and the neutral form (bot/broadcasts/content.py): entities in, escaped HTML out."""

from __future__ import annotations

import html
from typing import Any, Iterable

from bot.broadcasts.content import LINK, Body, Entity

# Telegram's entity types that format text, as neutral styles. The others (mentions, hashtags, bare URLs, custom
# emoji, dates, a link to a user's profile) are kept as their plain text: Telegram shows them without help.
STYLES = {"bold": "bold", "italic": "italic", "underline": "underline", "strikethrough": "strike",
          "spoiler": "spoiler", "code": "code", "pre": "pre", "text_link": LINK, "blockquote": "quote",
          "expandable_blockquote": "quote"}
TAGS = {"bold": "b", "italic": "i", "underline": "u", "strike": "s", "spoiler": "tg-spoiler", "code": "code",
        "pre": "pre", "quote": "blockquote"}


def body_from(text: str, entities: Iterable[Any]) -> Body:
    """A staff message as written: its text and its MessageEntity objects (type, offset, length, url)."""
    return Body.from_entities(text, [Entity(STYLES[entity.type], entity.offset, entity.length,
                                            getattr(entity, "url", None))
                                     for entity in entities if entity.type in STYLES])


def to_html(body: Body) -> str:
    """Telegram HTML with every text escaped, so a "<", ">" or "&" staff wrote arrives as written."""
    parts = []
    for piece in body.walk():
        if isinstance(piece, str):
            parts.append(html.escape(piece, quote=False))
        elif piece.style == LINK:
            parts.append(f'<a href="{html.escape(piece.link or "")}">' if piece.opens else "</a>")
        else:
            parts.append(f"<{TAGS[piece.style]}>" if piece.opens else f"</{TAGS[piece.style]}>")
    return "".join(parts)
