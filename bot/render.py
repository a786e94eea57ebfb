"""Turn channel-neutral replies into plain text (terminal, `ask`) or Telegram HTML, escaping every piece."""

from __future__ import annotations

import html

from .replies import Block, Reply, Style

TELEGRAM_TEXT_LIMIT = 4096


def _plain_block(block: Block) -> str:
    if block.style is Style.BULLETS:
        return "\n".join(f"• {line}" for line in block.lines)
    if block.style is Style.HEADING:
        return "\n".join(f"▸ {line}" for line in block.lines)
    return "\n".join(block.lines)


def to_plain(reply: Reply, *, numbered_buttons: bool = False) -> str:
    text = "\n\n".join(_plain_block(b) for b in reply.blocks)
    if numbered_buttons and reply.buttons:
        text += "\n\n" + "\n".join(f"  {i}) {b.label}" for i, b in enumerate(reply.buttons, 1))
    return text


def _html_block(block: Block) -> str:
    lines = [html.escape(line, quote=False) for line in block.lines]
    if block.style in (Style.TITLE, Style.HEADING):
        return "\n".join(f"<b>{line}</b>" for line in lines)
    if block.style in (Style.SUBTITLE, Style.NOTE):
        return "\n".join(f"<i>{line}</i>" for line in lines)
    if block.style is Style.BULLETS:
        return "\n".join(f"• {line}" for line in lines)
    return "\n".join(lines)


def html_chunks(reply: Reply, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """The reply as HTML messages, each under Telegram's limit, split between blocks (never inside a tag)."""
    pieces: list[str] = []
    for block in reply.blocks:
        rendered = _html_block(block)
        if len(rendered) <= limit:
            pieces.append(rendered)
            continue
        for line in block.lines:  # a single oversized block: split it line by line, then hard-wrap
            one = _html_block(Block(block.style, (line,)))
            while len(one) > limit:
                cut = line[: max(1, len(line) * limit // len(one) - 16)]
                pieces.append(_html_block(Block(block.style, (cut,))))
                line = line[len(cut):]
                one = _html_block(Block(block.style, (line,)))
            pieces.append(one)
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n\n{piece}" if current else piece
        if len(candidate) > limit and current:
            chunks.append(current)
            current = piece
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks
