"""Broadcast text (the neutral form, bot/broadcasts/content.py) as WhatsApp shows it: its own markers, plain URLs.

*bold*, _italic_, ~strike~, ```monospace``` and "> " quotes; underline and spoilers have no WhatsApp form and are
plain. A link becomes its label followed by the URL in brackets (or the URL alone when that is its label), since
WhatsApp links only bare URLs. A marker only works snug against its text and within one line, so markers step
over the spaces at a style's ends and are closed before each line break and opened again after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.broadcasts.content import LINK, Body, Toggle

MARKERS = {"bold": "*", "italic": "_", "strike": "~", "code": "```", "pre": "```"}
MONOSPACE = "```"      # spans lines as it is (nothing else is styled inside it)
QUOTE = "> "


def whatsapp_text(body: Body) -> str:
    writer = _Writer()
    for piece in body.walk():
        if isinstance(piece, str):
            writer.text(piece)
        elif piece.opens:
            writer.open(piece)
        else:
            writer.close(piece)
    return writer.out


@dataclass
class _Writer:
    """Writes markers lazily: a style opens at its first visible character and closes before trailing spaces."""

    out: str = ""
    read: str = ""                                       # the text so far without markers (for link labels)
    shown: list[str] = field(default_factory=list)       # markers written and still open, innermost last
    waiting: list[str] = field(default_factory=list)     # markers opened with no visible text yet
    links: list[tuple[str, int]] = field(default_factory=list)   # (URL, where its label starts in `read`)
    quoted: int = 0

    def open(self, toggle: Toggle) -> None:
        if toggle.style == "quote":
            self.quoted += 1
        elif toggle.style == LINK:
            self.links.append((toggle.link or "", len(self.read)))
        elif toggle.style in MARKERS:
            self.waiting.append(MARKERS[toggle.style])

    def close(self, toggle: Toggle) -> None:
        if toggle.style == "quote":
            self.quoted -= 1
        elif toggle.style == LINK:
            url, start = self.links.pop()
            label = self.read[start:].strip()
            if not label:
                self.text(url)
            elif label not in (url, url.split("://", 1)[-1]):
                self._before_spaces(f" ({url})")
        elif toggle.style in MARKERS:
            if self.waiting:       # nothing visible inside: no markers at all
                self.waiting.pop()
            else:
                self._before_spaces(self.shown.pop())

    def text(self, text: str) -> None:
        for number, line in enumerate(text.split("\n")):
            if number:
                self._line_break()
            self._write(line)

    def _write(self, line: str) -> None:
        self.read += line
        if self.quoted and line and (not self.out or self.out.endswith("\n")):
            self.out += QUOTE
        visible = line.lstrip(" \t")
        if self.waiting and visible:
            self.out += line[: len(line) - len(visible)] + "".join(self.waiting) + visible
            self.shown += self.waiting
            self.waiting = []
        else:
            self.out += line

    def _line_break(self) -> None:
        if MONOSPACE not in self.shown:
            for marker in reversed(self.shown):
                self._before_spaces(marker)
            self.waiting = self.shown + self.waiting
            self.shown = []
        self.out += "\n"
        self.read += "\n"

    def _before_spaces(self, closing: str) -> None:
        kept = self.out.rstrip(" \t")
        self.out = kept + closing + self.out[len(kept):]
