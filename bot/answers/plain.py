"""Turn channel-neutral replies into plain text: the terminal, `python -m bot ask`, and the base of other channels."""

from __future__ import annotations

from bot.answers.replies import Block, Reply, Style

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
