"""What a broadcast says and when it goes: its text in a channel-neutral form, lengths, scheduling times.

Staff write a broadcast once, in Telegram; it is stored neither as Telegram HTML nor as WhatsApp markers but as a
`Body`: runs of text (`Span`), each with its styles and the link it points to. Each channel renders a Body its own
way (bot/channels/telegram/broadcast_text.py: escaped HTML; bot/channels/whatsapp/broadcast_text.py: *bold*,
_italic_, links as plain URLs). In the database a Body is JSON in the broadcast's text columns (no schema change;
texts an older version stored as Telegram HTML are converted once at start-up, bot/broadcasts/legacy.py):

    {"v":1,"spans":[{"text":"Nuevas tarifas "},{"text":"del INM","styles":["bold"]},
                    {"text":"aquí","link":"https://www.gob.mx/inm"}]}

Styles: quote, bold, italic, underline, strike, spoiler, code, pre, and a span's link; inside code or pre nothing
else is styled (Telegram's rule). A stored text that is not such JSON is read as plain text. The delivery itself is
the Broadcaster's (sender.py); the job state is in the database, never only in memory.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Iterable, Iterator
from zoneinfo import ZoneInfo

from bot.storage import Broadcast, from_utc_iso
from bot.texts import Texts

MEXICO = ZoneInfo("America/Mexico_City")
TEXT_LIMIT, CAPTION_LIMIT = 4096, 1024
STYLES = ("quote", "bold", "italic", "underline", "strike", "spoiler", "code", "pre")
LINK = "link"                                  # the walk's name for a link
_NESTING = ("quote", LINK) + STYLES[1:]        # outermost first, for styles that start and end together
FORMAT_VERSION = 1
STORED_PREFIX = '{"v":%d,' % FORMAT_VERSION  # how a stored Body starts (anything else is plain text)


@dataclass(frozen=True)
class Span:
    """A run of text with one set of styles and at most one link: the unit of a broadcast's neutral form."""

    text: str
    styles: tuple[str, ...] = ()     # a subset of STYLES, in STYLES order
    link: str | None = None

    @classmethod
    def of(cls, text: str, styles: Iterable[str] = (), link: str | None = None) -> "Span":
        """A span with its styles put in order; inside code or pre only a quote remains (and no link)."""
        chosen = set(styles) & set(STYLES)
        mono = next((style for style in ("pre", "code") if style in chosen), None)
        if mono is not None:
            chosen, link = {mono} | (chosen & {"quote"}), None
        return cls(text, tuple(style for style in STYLES if style in chosen), link or None)

    @property
    def marks(self) -> tuple[tuple[str, str | None], ...]:
        """(style, link) pairs in nesting order, outermost first; a link is the pair (LINK, its URL)."""
        found = {style: None for style in self.styles}
        if self.link is not None:
            found[LINK] = self.link
        return tuple((style, found[style]) for style in _NESTING if style in found)


@dataclass(frozen=True)
class Entity:
    """A style over part of a text, the way a channel marks it: offset and length in UTF-16 units (Telegram's)."""

    style: str                       # one of STYLES, or LINK with its URL
    offset: int
    length: int
    link: str | None = None


@dataclass(frozen=True)
class Toggle:
    """A style starting or ending while a Body is walked; renderers turn toggles into tags or markers."""

    opens: bool
    style: str
    link: str | None = None


@dataclass(frozen=True)
class Body:
    """A broadcast's text with its formatting, neutral: adjacent spans with the same styles are always merged."""

    spans: tuple[Span, ...] = ()

    @classmethod
    def of(cls, *spans: Span) -> "Body":
        merged: list[Span] = []
        for span in spans:
            if not span.text:
                continue
            if merged and (merged[-1].styles, merged[-1].link) == (span.styles, span.link):
                merged[-1] = Span(merged[-1].text + span.text, span.styles, span.link)
            else:
                merged.append(span)
        return cls(tuple(merged))

    @classmethod
    def plain(cls, text: str) -> "Body":
        return cls.of(Span(text))

    @classmethod
    def from_entities(cls, text: str, entities: Iterable[Entity]) -> "Body":
        """The text with its entities (UTF-16 offsets, nested or overlapping) as spans."""
        at = _utf16_index(text)
        marks = [(at(e.offset), at(e.offset + e.length), e) for e in entities if e.length > 0]
        cuts = sorted({0, len(text)} | {start for start, _, _ in marks} | {end for _, end, _ in marks})
        spans = []
        for start, end in zip(cuts, cuts[1:]):
            covering = [e for first, last, e in marks if first <= start and end <= last]
            link = next((e.link for e in covering if e.style == LINK and e.link), None)
            spans.append(Span.of(text[start:end], (e.style for e in covering), link))
        return cls.of(*spans)

    @property
    def text(self) -> str:
        """The text as read, without any formatting."""
        return "".join(span.text for span in self.spans)

    @property
    def length(self) -> int:
        """Length as Telegram counts it (UTF-16 units), the count its message and caption limits use."""
        return len(self.text.encode("utf-16-le")) // 2

    def __add__(self, other: "Body") -> "Body":
        return Body.of(*self.spans, *other.spans)

    def walk(self) -> Iterator[Toggle | str]:
        """Texts and the styles that open and close around them, always properly nested (a stack of styles).

        Of the styles that open together, the one that lasts longest opens first (outermost), so it need not be
        closed and opened again when the others end: "<b><a>here</a> today</b>", not "<a><b>here</b></a><b>…"."""
        stack: list[tuple[str, str | None]] = []
        marks = [span.marks for span in self.spans]
        for index, span in enumerate(self.spans):
            wanted = marks[index]
            keep = 0
            while keep < len(stack) and stack[keep] in wanted:
                keep += 1
            while len(stack) > keep:
                style, link = stack.pop()
                yield Toggle(False, style, link)
            opening = [mark for mark in wanted if mark not in stack]
            opening.sort(key=lambda mark: -_lasting(marks, index, mark))   # stable: nesting order breaks ties
            for style, link in opening:
                stack.append((style, link))
                yield Toggle(True, style, link)
            yield span.text
        while stack:
            style, link = stack.pop()
            yield Toggle(False, style, link)

    def dumps(self) -> str:
        """The stored form (see the module docstring); the same Body always gives the same string."""
        spans = [{"text": s.text, **({"styles": list(s.styles)} if s.styles else {}),
                  **({"link": s.link} if s.link else {})} for s in self.spans]
        return json.dumps({"v": FORMAT_VERSION, "spans": spans}, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def loads(cls, stored: str | None) -> "Body":
        """A stored Body; a text not in the stored form (written by hand, say) is plain text."""
        if not stored:
            return cls()
        if not stored.startswith(STORED_PREFIX):
            return cls.plain(stored)
        data = json.loads(stored)
        return cls.of(*(Span.of(s["text"], s.get("styles", ()), s.get("link")) for s in data["spans"]))


def _lasting(marks: list[tuple[tuple[str, str | None], ...]], start: int, mark: tuple[str, str | None]) -> int:
    """How many spans in a row, from `start`, carry the mark."""
    count = 0
    while start + count < len(marks) and mark in marks[start + count]:
        count += 1
    return count


def _utf16_index(text: str) -> Callable[[int], int]:
    """Python string index of a UTF-16 offset (an offset inside a surrogate pair moves to the character's end)."""
    starts = {}
    units = 0
    for index, char in enumerate(text):
        starts[units] = index
        units += 2 if ord(char) > 0xFFFF else 1
    starts[units] = len(text)

    def index_of(offset: int) -> int:
        offset = max(0, min(offset, units))
        while offset not in starts:
            offset += 1
        return starts[offset]
    return index_of


class Step(str, Enum):
    TEXT_ES = "text_es"
    TEXT_EN = "text_en"
    TEXT_BOTH = "text_both"
    MEDIA = "media"
    AUDIENCE = "audience"
    SCHEDULE = "schedule"
    PREVIEW = "preview"


def body_of(broadcast: Broadcast, language: str) -> Body:
    """The text staff wrote for a language (the Spanish one when there is no other)."""
    return Body.loads((broadcast.text_en if language == "en" else broadcast.text_es) or broadcast.text_es)


def compose(broadcast: Broadcast, language: str, texts: Texts) -> Body:
    """What a subscriber receives: the text in their language, then (in italics) how to unsubscribe."""
    hint = Span.of(texts(language, "broadcast.hint"), ("italic",))
    return body_of(broadcast, language) + Body.of(Span("\n\n"), hint)


def limit_for(broadcast: Broadcast) -> int:
    return CAPTION_LIMIT if broadcast.media_file_id else TEXT_LIMIT


def too_long(broadcast: Broadcast, texts: Texts) -> tuple[str, int] | None:
    """(language, length) of the first version over Telegram's limit, hint included; None when all fit."""
    for language in ("es", "en"):
        length = compose(broadcast, language, texts).length
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
