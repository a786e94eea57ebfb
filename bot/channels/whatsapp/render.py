"""Render a channel-neutral `Reply` as WhatsApp Cloud API message bodies, within `WhatsAppLimits`.

Since October 2026 every message the business sends is billed, so the ladder aims at one message: text alone;
≤ 3 short choices → one reply-button message; 4–10 (or long labels) → one list message; more → pages of 9 rows plus
a "more" row (`parse_more`), or numbered text. Text longer than an interactive body (1,024) goes first as text
(split between blocks under 4,096) and the choices follow with the answer's closing blocks or a short prompt.
The bodies have no `to`/`recipient`/`messaging_product`: the sender adds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.answers.replies import Block, Button, Reply, Style

from bot.channels.whatsapp.limits import WHATSAPP_LIMITS, WhatsAppLimits, measure

JSONDict = dict[str, Any]
ELLIPSIS = "…"
MORE_PREFIX = "more:"

LIST_BUTTON = {"es": "Ver opciones", "en": "Options"}
PROMPT = {"es": "Elige una opción:", "en": "Choose an option:"}
MORE_LABEL = {"es": "Ver más…", "en": "More…"}

_TRAILING_JOINERS = ("\u200d", "\ufe0f", "\ufe0e")
_BULLETS = ("•", "-", "–", "*")


# text helpers ---------------------------------------------------------------------------------------------
def shorten(text: str, limit: int, *, words: bool = True) -> str:
    """`text` if it fits `limit` UTF-16 units, else cut (at a word when that keeps most of it) and end with "…"."""
    if measure(text) <= limit:
        return text
    if limit < 1:
        return ""
    cut = text
    while cut and measure(cut) > limit - 1:
        cut = cut[:-1]
    if words and " " in cut:
        at_word = cut[: cut.rfind(" ")]
        if measure(at_word) >= limit * 0.6:
            cut = at_word
    cut = _clean_end(cut.rstrip(" ,;:.-–—"))
    return cut + ELLIPSIS


def _clean_end(text: str) -> str:
    """No dangling emoji joiner, variation selector or half of a flag after a cut."""
    text = text.rstrip("".join(_TRAILING_JOINERS))
    tail = len(text) - len(text.rstrip("".join(chr(c) for c in range(0x1F1E6, 0x1F200))))
    if tail % 2:
        text = text[:-1]
    return text


def _one_line(text: str) -> str:
    return " ".join(text.split())


def format_block(block: Block) -> str:
    """WhatsApp formatting: *bold* titles and headings, _italic_ subtitles and notes, • bullets."""
    lines = [_one_line(line) for line in block.lines]
    lines = [line for line in lines if line]
    if block.style in (Style.TITLE, Style.HEADING):
        return "\n".join(f"*{line}*" for line in lines)
    if block.style in (Style.SUBTITLE, Style.NOTE):
        return "\n".join(f"_{line}_" for line in lines)
    if block.style is Style.BULLETS:
        return "\n".join(f"• {line}" for line in lines)
    return "\n".join(lines)


@dataclass(frozen=True)
class _Piece:
    text: str
    heading: bool


def _pieces(reply: Reply, limit: int) -> list[_Piece]:
    """Formatted blocks, each within `limit` (an oversized block is split by lines, then by words)."""
    pieces: list[_Piece] = []
    for block in reply.blocks:
        text = format_block(block)
        if not text:
            continue
        heading = block.style is Style.HEADING
        if measure(text) <= limit:
            pieces.append(_Piece(text, heading))
            continue
        for line in text.split("\n"):
            pieces.extend(_Piece(part, heading) for part in _wrap(line, limit))
    return pieces


def _wrap(line: str, limit: int) -> list[str]:
    """A single line cut into parts of at most `limit`, at spaces where possible."""
    parts = []
    while measure(line) > limit:
        cut = line
        while measure(cut) > limit:
            cut = cut[: max(1, len(cut) * limit // max(1, measure(cut)) - 1)]
        if " " in cut[len(cut) // 2:]:
            cut = cut[: cut.rfind(" ")]
        parts.append(cut.rstrip())
        line = line[len(cut):].lstrip()
    if line:
        parts.append(line)
    return parts


def _join(pieces: list[_Piece], limit: int) -> list[str]:
    """Pack pieces into as few messages as fit, blank line between blocks."""
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n\n{piece.text}" if current else piece.text
        if current and measure(candidate) > limit:
            chunks.append(current)
            current = piece.text
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def text_message(body: str, *, preview_url: bool = False) -> JSONDict:
    return {"type": "text", "text": {"body": body, "preview_url": preview_url}}


def text_chunks(reply: Reply, limits: WhatsAppLimits = WHATSAPP_LIMITS) -> list[str]:
    """The reply's text as WhatsApp-formatted messages, each under the text limit, split between blocks."""
    return _join(_pieces(reply, limits.text_body), limits.text_body)


# choices --------------------------------------------------------------------------------------------------
def more_row_id(page: int, key: str = "") -> str:
    """The id of the "more" row that asks for `page`; `key` lets the bot rebuild the reply (e.g. "menu:topics")."""
    return f"{MORE_PREFIX}{page}:{key}"


def parse_more(row_id: str) -> tuple[int, str] | None:
    """(page, key) for a "more" row id, else None (the id is an ordinary Button.action)."""
    if not row_id.startswith(MORE_PREFIX):
        return None
    page, _, key = row_id[len(MORE_PREFIX):].partition(":")
    if not page.isdigit():
        return None
    return int(page), key


def _choices(reply: Reply) -> list[Button]:
    """Buttons with a usable label, one per action (WhatsApp refuses duplicate ids)."""
    seen: set[str] = set()
    result = []
    for button in reply.buttons:
        label = _one_line(button.label)
        if not button.action or not label:
            raise ValueError(f"button needs an action and a label: {button!r}")
        if button.action not in seen:
            seen.add(button.action)
            result.append(Button(label, button.action))
    return result


def _check_id(action: str, limit: int, what: str) -> str:
    if measure(action) > limit:
        raise ValueError(f"{what} id longer than {limit}: {action!r}")
    return action


def _unique_titles(labels: list[str], limit: int) -> list[str]:
    """Cut to `limit` and make titles unique with a " 2", " 3" suffix (WhatsApp refuses repeated titles)."""
    titles: list[str] = []
    for label in labels:
        title = shorten(label, limit)
        n = 2
        while title in titles:
            suffix = f" {n}"
            title = shorten(label, limit - len(suffix)) + suffix
            n += 1
        titles.append(title)
    return titles


def buttons_message(body: str, choices: list[Button], limits: WhatsAppLimits = WHATSAPP_LIMITS) -> JSONDict:
    titles = _unique_titles([c.label for c in choices], limits.button_title)
    buttons = [{"type": "reply", "reply": {"id": _check_id(c.action, limits.button_id, "button"), "title": t}}
               for c, t in zip(choices, titles)]
    return {"type": "interactive",
            "interactive": {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}}}


def _row(choice: Button, limits: WhatsAppLimits) -> JSONDict:
    row: JSONDict = {"id": _check_id(choice.action, limits.row_id, "row"),
                     "title": shorten(choice.label, limits.row_title)}
    if row["title"] != choice.label:
        row["description"] = shorten(choice.label, limits.row_description)
    return row


def list_message(body: str, rows: list[JSONDict], button: str,
                 limits: WhatsAppLimits = WHATSAPP_LIMITS) -> JSONDict:
    action = {"button": shorten(_one_line(button), limits.list_button), "sections": [{"rows": rows}]}
    return {"type": "interactive", "interactive": {"type": "list", "body": {"text": body}, "action": action}}


def _page_rows(choices: list[Button], page: int, more_key: str, more_label: str,
               limits: WhatsAppLimits) -> list[JSONDict]:
    """Rows of one page: 9 choices and a "more" row, or the last ≤ 10 choices."""
    per_page = limits.list_rows - 1
    start = page * per_page
    rest = choices[start:]
    if not rest:
        raise ValueError(f"page {page} is past the last choice")
    if len(rest) <= limits.list_rows:
        return [_row(c, limits) for c in rest]
    rows = [_row(c, limits) for c in rest[:per_page]]
    more = {"id": _check_id(more_row_id(page + 1, more_key), limits.row_id, "row"),
            "title": shorten(more_label, limits.row_title),
            "description": shorten(f"{start + per_page + 1}–{len(choices)}", limits.row_description)}
    return rows + [more]


# the renderer ---------------------------------------------------------------------------------------------
def render(
    reply: Reply,
    *,
    list_button: str | None = None,
    prompt: str | None = None,
    more_label: str | None = None,
    more_key: str = "",
    page: int = 0,
    overflow: str = "pages",
    limits: WhatsAppLimits = WHATSAPP_LIMITS,
) -> list[JSONDict]:
    """Message bodies for one reply, in sending order (see the module docstring for the ladder).

    `page` > 0 renders only the list of that page (the text was sent with page 0). `overflow="numbered"` turns
    more than `list_rows` choices into numbered text lines instead of pages.
    """
    lang = reply.language if reply.language in PROMPT else "es"
    list_button = list_button or LIST_BUTTON[lang]
    prompt = prompt or PROMPT[lang]
    more_label = more_label or MORE_LABEL[lang]
    choices = _choices(reply)
    fits_buttons = (len(choices) <= limits.reply_buttons_max
                    and all(measure(c.label) <= limits.button_title for c in choices))
    if not choices:
        return [text_message(chunk) for chunk in text_chunks(reply, limits)]
    if len(choices) > limits.list_rows and overflow == "numbered":
        numbered = Block(Style.TEXT, tuple(f"{i}. {c.label}" for i, c in enumerate(choices, 1)))
        return render(Reply(reply.blocks + (numbered,), (), reply.language), limits=limits)
    if page > 0:
        rows = _page_rows(choices, page, more_key, more_label, limits)
        return [list_message(shorten(prompt, limits.interactive_body), rows, list_button, limits)]
    texts, body = _split_for_interactive(reply, prompt, limits)
    if fits_buttons:
        last = buttons_message(body, choices, limits)
    else:
        last = list_message(body, _page_rows(choices, 0, more_key, more_label, limits), list_button, limits)
    return [text_message(t) for t in texts] + [last]


def _split_for_interactive(reply: Reply, prompt: str, limits: WhatsAppLimits) -> tuple[list[str], str]:
    """Text messages to send first, and the interactive body: the answer's closing blocks that fit, or `prompt`.

    A heading is never left as the last thing before the split: it moves with the blocks it introduces.
    """
    pieces = _pieces(reply, limits.text_body)
    whole = "\n\n".join(p.text for p in pieces)
    if whole and measure(whole) <= limits.interactive_body:
        return [], whole
    for k in range(1, len(pieces)):
        tail = "\n\n".join(p.text for p in pieces[k:])
        if measure(tail) <= limits.interactive_body and not pieces[k - 1].heading:
            return _join(pieces[:k], limits.text_body), tail
    return _join(pieces, limits.text_body), shorten(prompt, limits.interactive_body)


# templates ------------------------------------------------------------------------------------------------
def template_parameter(text: str, limit: int) -> str:
    """One template body parameter: on one line (Meta refuses newlines, tabs and 4+ spaces) and within `limit`.

    Lines are joined with a space after punctuation or between bullets, with ". " otherwise (a title line becomes
    a sentence), then the text is shortened with "…" at a word boundary.
    """
    lines = [_one_line(line) for line in text.splitlines()]
    lines = [line for line in lines if line]
    folded = ""
    for line in lines:
        if not folded:
            folded = line
        elif folded[-1] in ".!?…:;,)" or line.startswith(_BULLETS):
            folded += " " + line
        else:
            folded += ". " + line
    return shorten(folded, limit)
