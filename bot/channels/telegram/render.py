"""Telegram's view of a reply: HTML messages under 4,096 characters and an inline keyboard, every piece escaped."""

from __future__ import annotations

import html
from typing import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.actions import MAX_ACTION_BYTES
from bot.answers.replies import Block, Button, Reply, Style

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def _html_block(block: Block) -> str:
    lines = [escape(line) for line in block.lines]
    if block.style in (Style.TITLE, Style.HEADING):
        return "\n".join(f"<b>{line}</b>" for line in lines)
    if block.style in (Style.SUBTITLE, Style.NOTE):
        return "\n".join(f"<i>{line}</i>" for line in lines)
    if block.style is Style.BULLETS:
        return "\n".join(f"• {line}" for line in lines)
    return "\n".join(lines)


def html_chunks(reply: Reply, limit: int = TEXT_LIMIT) -> list[str]:
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


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """Inline keyboard for reply buttons: short labels two per row, long ones alone."""
    if not buttons:
        return None
    for button in buttons:
        if not 0 < len(button.action.encode()) <= MAX_ACTION_BYTES:
            raise ValueError(f"callback_data must be 1-64 bytes: {button.action!r}")
    rows: list[list[InlineKeyboardButton]] = []
    short = all(len(b.label) <= 22 for b in buttons)
    for button in buttons:
        item = InlineKeyboardButton(button.label, callback_data=button.action)
        if short and rows and len(rows[-1]) == 1:
            rows[-1].append(item)
        else:
            rows.append([item])
    return InlineKeyboardMarkup(rows)


def rows(*lines: Sequence[Button]) -> InlineKeyboardMarkup:
    """A keyboard laid out exactly as given: one tuple of buttons per row (staff prompts)."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.action) for b in line]
                                 for line in lines if line])
