"""Broadcast texts stored before the neutral form (as Telegram HTML), converted once when the bot starts."""

from __future__ import annotations

import logging
from html.parser import HTMLParser

from bot.broadcasts.content import STORED_PREFIX, Body, Span
from bot.storage import BroadcastRepository

log = logging.getLogger(__name__)
# The tags python-telegram-bot's text_html wrote, as neutral styles (<a> is a link; the rest is plain text).
TAG_STYLES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
              "s": "strike", "strike": "strike", "del": "strike", "tg-spoiler": "spoiler", "code": "code",
              "pre": "pre", "blockquote": "quote"}


class _Reader(HTMLParser):
    """Telegram HTML to spans: each text keeps the styles of the tags open around it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, str | None, str | None]] = []    # (tag, style, link)
        self.spans: list[Span] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        style = TAG_STYLES.get(tag)
        if tag == "span" and found.get("class") == "tg-spoiler":
            style = "spoiler"
        href = found.get("href") if tag == "a" else None
        link = href if href and not href.startswith("tg://") else None   # a user's profile link stays plain
        self.open.append((tag, style, link))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                return

    def handle_data(self, data: str) -> None:
        link = next((link for _, _, link in reversed(self.open) if link), None)
        self.spans.append(Span.of(data, (style for _, style, _ in self.open if style), link))


def from_telegram_html(html_text: str) -> Body:
    reader = _Reader()
    reader.feed(html_text)
    reader.close()
    return Body.of(*reader.spans)


async def convert_stored_texts(repo: BroadcastRepository) -> int:
    """Rewrite every broadcast text still in Telegram HTML in the neutral form; returns how many broadcasts."""
    converted = 0
    for broadcast_id, text_es, text_en in await repo.texts_not_starting(STORED_PREFIX):
        fields = {name: from_telegram_html(text).dumps() for name, text in (("text_es", text_es),
                                                                            ("text_en", text_en))
                  if text is not None and not text.startswith(STORED_PREFIX)}
        await repo.update(broadcast_id, **fields)
        converted += 1
    if converted:
        log.info("converted the texts of %d broadcasts from Telegram HTML to the neutral form", converted)
    return converted
