"""An interactive chat in the terminal, on the same front door, engine and database as the phone channels."""

from __future__ import annotations

import asyncio
import sys
from typing import Callable, TextIO

from bot.answers.plain import to_plain
from bot.conversation.turn import FrontDoor, Inbound

CHANNEL = "terminal"
USER_KEY = "local"
QUIT = {"/quit", "/salir", "/exit"}


class TerminalChat:
    def __init__(self, front: FrontDoor, *, read: Callable[[str], str] = input, out: TextIO = sys.stdout):
        self.front = front
        self.read = read
        self.out = out

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def language(self) -> str:
        return await self.front.assistant.language_of(Inbound(CHANNEL, USER_KEY).visitor)

    async def run(self) -> None:
        self.say(self.front.t(await self.language(), "chat.intro"))
        while True:
            try:
                line = await asyncio.to_thread(self.read, "\n> ")
            except (EOFError, KeyboardInterrupt):
                self.say("")
                return
            if not await self.handle(line):
                self.say(self.front.t(await self.language(), "chat.bye"))
                return

    async def handle(self, line: str) -> bool:
        """Answer one line; False when the user asked to quit."""
        text = line.strip()
        if text.split(" ")[0].lower() in QUIT:
            return False
        turn = await self.front.take(Inbound(CHANNEL, USER_KEY, text=line))
        for say in turn.says:
            self.say(to_plain(say.reply, numbered_buttons=True))
        if turn.notice:
            self.say(turn.notice)
        return True
