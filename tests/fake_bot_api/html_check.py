"""Strict checker for Telegram's HTML parse mode.

Modelled on tdlib's `parse_html` (td/telegram/MessageEntity.cpp), which is what the Bot API
server runs, so error texts match what a real bot sees after "Bad Request: can't parse entities: ".
One deliberate difference: a bare '&' that does not start a valid entity (or an entity without
its ';') is refused here, while tdlib keeps it literally; unescaped user text is a bug worth catching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)
_SIMPLE_ENTITY = {
    "i": "italic", "em": "italic",
    "b": "bold", "strong": "bold",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "u": "underline", "ins": "underline",
    "tg-spoiler": "spoiler", "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\v\f\0"
_LINK_RE = re.compile(r"^(https?|tg|ton)://\S+$", re.IGNORECASE)
_DOMAIN_RE = re.compile(r"^[\w.-]+\.[a-z]{2,}(/\S*)?$", re.IGNORECASE)


class HtmlParseError(ValueError):
    """Raised for markup Telegram would refuse; str() is tdlib's message."""


@dataclass(frozen=True)
class FormattedText:
    """Visible text plus Bot API MessageEntity dicts (offsets in UTF-16 code units)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def length(self) -> int:
        """Length as Telegram counts it (UTF-16 code units)."""
        return utf16_len(self.text)


def utf16_len(text: str) -> int:
    """Telegram counts lengths and offsets in UTF-16 code units, so astral chars count twice."""
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    """A start tag waiting for its end tag."""

    tag: str
    argument: str
    utf16_start: int
    text_start: int
    expandable: bool = False


class _Parser:
    """Single-pass tag/entity scanner mirroring tdlib's control flow."""

    def __init__(self, html: str, strict_ampersand: bool) -> None:
        self.src = html
        self.n = len(html)
        self.strict_ampersand = strict_ampersand
        self.out: list[str] = []
        self.out_len = 0  # characters in out
        self.u16 = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def at(self, i: int) -> str:
        """tdlib reads a C string: past the end is NUL."""
        return self.src[i] if i < self.n else "\0"

    def byte_offset(self, i: int) -> int:
        """tdlib reports UTF-8 byte offsets."""
        return len(self.src[:i].encode("utf-8"))

    def emit(self, chars: str) -> None:
        self.out.append(chars)
        self.out_len += len(chars)
        self.u16 += utf16_len(chars)

    def run(self) -> FormattedText:
        i = 0
        while i < self.n:
            c = self.src[i]
            if c == "&":
                decoded, end = self.decode_entity(i)
                if decoded is not None:
                    self.emit(decoded)
                    i = end
                    continue
                if self.strict_ampersand:
                    raise HtmlParseError(
                        f'Unescaped "&" at byte offset {self.byte_offset(i)}: '
                        'use "&amp;" (or a valid entity ending with ";")'
                    )
            if c != "<":
                self.emit(c)
                i += 1
                continue
            if self.at(i + 1) == "/":
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            raise HtmlParseError(f"Can't find end tag corresponding to start tag {self.stack[-1].tag}")
        text = "".join(self.out)
        for entity in self.entities:
            entity.pop("_code_language", None)
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return FormattedText(text, self.entities)

    def decode_entity(self, i: int) -> tuple[str | None, int]:
        """Decode &lt; &gt; &amp; &quot; &#N; &#xN; starting at i; (None, i) when invalid."""
        src = self.src
        j = i + 1
        if self.at(j) == "#":
            j += 1
            if self.at(j) in ("x", "X"):
                j += 1
                start = j
                while j < self.n and src[j] in "0123456789abcdefABCDEF":
                    j += 1
                digits, base = src[start:j], 16
            else:
                start = j
                while j < self.n and src[j].isdigit() and src[j].isascii():
                    j += 1
                digits, base = src[start:j], 10
            if not digits or j - i >= 10:
                return None, i
            code = int(digits, base)
            if code == 0 or code >= 0x10FFFF:
                return None, i
            if 0xD800 <= code <= 0xDFFF:
                raise HtmlParseError(
                    "Text contains invalid Unicode characters after decoding HTML entities, "
                    "check for unmatched surrogate code units"
                )
            value = chr(code)
        else:
            start = j
            while j < self.n and src[j].isascii() and src[j].isalpha():
                j += 1
            value = _NAMED_ENTITIES.get(src[start:j])
            if value is None:
                return None, i
        if self.at(j) == ";":
            return value, j + 1
        if self.strict_ampersand:
            return None, i
        return value, j

    def start_tag(self, begin: int) -> int:
        i = begin + 1
        while self.at(i) not in _SPACES and self.at(i) != ">":
            i += 1
        if i >= self.n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        tag = self.src[begin + 1 : i].lower()
        if tag not in SUPPORTED_TAGS:
            raise HtmlParseError(f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(begin)}')
        argument = ""
        expandable = False
        while self.at(i) != ">":
            while i < self.n and self.at(i) in _SPACES:
                i += 1
            if self.at(i) == ">":
                break
            if i >= self.n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            name_start = i
            while self.at(i) not in _SPACES and self.at(i) not in "=>":
                i += 1
            name = self.src[name_start:i]
            if not name:
                raise HtmlParseError(
                    f'Empty attribute name in the tag "{tag}" at byte offset {self.byte_offset(begin)}'
                )
            while i < self.n and self.at(i) in _SPACES:
                i += 1
            if self.at(i) != "=":
                if tag == "blockquote" and name.lower() == "expandable":
                    expandable = True  # newer tdlib accepts this one valueless attribute
                    continue
                raise HtmlParseError(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                    f"at byte offset {self.byte_offset(begin)}"
                )
            i += 1
            while i < self.n and self.at(i) in _SPACES:
                i += 1
            if i >= self.n:
                raise HtmlParseError(f'Unclosed start tag "{tag}" at byte offset {self.byte_offset(begin)}')
            value, i = self.attribute_value(i)
            if i >= self.n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if tag == "a" and name == "href":
                argument = value
            elif tag == "code" and name == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag == "span" and name == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif tag == "tg-emoji" and name == "emoji-id":
                argument = value
        if tag == "span" and argument != "spoiler":
            raise HtmlParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_Open(tag, argument, self.u16, self.out_len, expandable))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        """Quoted string (entities decoded) or a lower-cased name token."""
        quote = self.at(i)
        if quote not in "'\"":
            start = i
            while self.at(i).isascii() and (self.at(i).isalnum() or self.at(i) in ".-"):
                i += 1
            if self.at(i) not in _SPACES and self.at(i) != ">":
                raise HtmlParseError(f"Unexpected end of name token at byte offset {self.byte_offset(start)}")
            return self.src[start:i].lower(), i
        i += 1
        chars: list[str] = []
        while i < self.n and self.src[i] != quote:
            if self.src[i] == "&":
                decoded, end = self.decode_entity(i)
                if decoded is not None:
                    chars.append(decoded)
                    i = end
                    continue
            chars.append(self.src[i])
            i += 1
        if i < self.n:
            i += 1
        return "".join(chars), i

    def end_tag(self, begin: int) -> int:
        if not self.stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        i = begin + 2
        while self.at(i) not in _SPACES and self.at(i) != ">":
            i += 1
        name = self.src[begin + 2 : i].lower()
        while i < self.n and self.at(i) in _SPACES:
            i += 1
        if self.at(i) != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        top = self.stack[-1]
        if name and name != top.tag:
            raise HtmlParseError(
                f'Unmatched end tag at byte offset {self.byte_offset(begin)}, '
                f'expected "</{top.tag}>", found "</{name}>"'
            )
        self.stack.pop()
        if self.u16 > top.utf16_start:
            self.close_entity(top)
        return i + 1

    def close_entity(self, top: _Open) -> None:
        offset, length = top.utf16_start, self.u16 - top.utf16_start
        base: dict[str, Any] = {"offset": offset, "length": length}
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and last["offset"] == offset and last["length"] == length
        if top.tag in _SIMPLE_ENTITY:
            self.entities.append({"type": _SIMPLE_ENTITY[top.tag], **base})
        elif top.tag == "tg-emoji":
            if not top.argument.isdigit() or int(top.argument) == 0:
                raise HtmlParseError("Invalid custom emoji identifier specified")
            self.entities.append({"type": "custom_emoji", **base, "custom_emoji_id": top.argument})
        elif top.tag == "a":
            url = top.argument or "".join(self.out)[top.text_start :]
            self.entities.extend(_link_entity(url, base))
        elif top.tag == "pre":
            if same_span and last is not None and last["type"] == "code" and last.get("_code_language"):
                last.update(type="pre", language=last.pop("_code_language"))
            else:
                self.entities.append({"type": "pre", **base})
        elif top.tag == "code":
            if same_span and last is not None and last["type"] == "pre" and top.argument:
                last["language"] = top.argument
            else:
                entity = {"type": "code", **base}
                if top.argument:
                    entity["_code_language"] = top.argument
                self.entities.append(entity)
        elif top.tag == "blockquote":
            kind = "expandable_blockquote" if top.expandable else "blockquote"
            self.entities.append({"type": kind, **base})


def _link_entity(url: str, base: dict[str, Any]) -> list[dict[str, Any]]:
    """tg://user?id= becomes a text_mention; an unusable URL silently yields no entity (as tdlib)."""
    mention = re.match(r"^tg://user\?id=(\d+)$", url, re.IGNORECASE)
    if mention:
        user = {"id": int(mention.group(1)), "is_bot": False, "first_name": ""}
        return [{"type": "text_mention", **base, "user": user}]
    if _LINK_RE.match(url):
        return [{"type": "text_link", **base, "url": url}]
    if _DOMAIN_RE.match(url):
        return [{"type": "text_link", **base, "url": f"http://{url}"}]
    return []


def parse_html(html: str, *, strict_ampersand: bool = True) -> FormattedText:
    """Parse Telegram HTML into visible text + entities, raising HtmlParseError like Telegram."""
    return _Parser(html, strict_ampersand).run()


def visible_text(html: str) -> str:
    """The text a user would see (tags removed, entities decoded); raises HtmlParseError."""
    return parse_html(html).text


def strip_formatted(ft: FormattedText) -> FormattedText:
    """Trim surrounding whitespace like Telegram does before storing/limit checks, fixing entities."""
    text = ft.text
    stripped = text.strip()
    if stripped == text:
        return ft
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    entities = []
    for entity in ft.entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return FormattedText(stripped, entities)
