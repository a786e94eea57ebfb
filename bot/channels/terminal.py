"""An interactive chat in the terminal, on the same engine and database as the Telegram bot."""

from __future__ import annotations

import asyncio
import sys
from typing import Callable, TextIO

from bot.conversation.assistant import Assistant, Visitor
from bot.actions import Action
from bot.answers.plain import to_plain
from bot.answers.replies import Button

VISITOR = Visitor(channel="terminal", external_id="local")
QUIT = {"/quit", "/salir", "/exit"}
HELP = {"/help", "/ayuda", "/start"}
LANGUAGE = {"/language", "/idioma", "/lang"}
MENU = {"/menu"}
CONTACT = {"/contact", "/contacto"}
REMINDERS = {"/reminders", "/recordatorios"}


class TerminalChat:
    def __init__(self, assistant: Assistant, *, read: Callable[[str], str] = input, out: TextIO = sys.stdout):
        self.assistant = assistant
        self.read = read
        self.out = out

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    async def run(self) -> None:
        lang = await self.assistant.language_of(VISITOR)
        self.say(self.assistant.engine.texts(lang, "chat.intro"))
        while True:
            try:
                line = await asyncio.to_thread(self.read, "\n> ")
            except (EOFError, KeyboardInterrupt):
                self.say("")
                return
            if not await self.handle(line):
                lang = await self.assistant.language_of(VISITOR)
                self.say(self.assistant.engine.texts(lang, "chat.bye"))
                return

    async def handle(self, line: str) -> bool:
        """Answer one line; False when the user asked to quit."""
        text = line.strip()
        command, _, argument = text.partition(" ")
        command = command.lower()
        if command in QUIT:
            return False
        if command in HELP:
            reply = await self.assistant.help(VISITOR)
        elif command in LANGUAGE:
            reply = await self._language(argument.strip().lower())
        elif command in MENU:
            reply = await self.assistant.act(VISITOR, "menu", full=False)
        elif command in CONTACT:
            reply = await self.assistant.act(VISITOR, "contact", full=False)
        elif command in REMINDERS:
            reply = await self.assistant.reminders(VISITOR)
        elif text.isdigit() and len(text) <= 2:
            reply = await self.assistant.choose(VISITOR, int(text), full=False)
            if reply is None:
                lang = await self.assistant.language_of(VISITOR)
                self.say(self.assistant.engine.texts(lang, "chat.choice_unknown", number=text))
                return True
        else:
            reply = (await self.assistant.ask(VISITOR, line, full=False, numbered=True)).reply
        if reply is not None:
            self.say(to_plain(reply, numbered_buttons=True))
        return True

    async def _language(self, code: str):
        """`/language en` switches at once; a bare `/language` offers both, numbered (it never toggles silently)."""
        if code[:2] in ("es", "en"):
            return await self.assistant.set_language(VISITOR, code[:2])
        user = await self.assistant.user(VISITOR)
        t = self.assistant.engine.texts
        buttons = (Button(t(user.language, "language.button_es"), Action.language("es")),
                   Button(t(user.language, "language.button_en"), Action.language("en")))
        await self.assistant.users.save_choices(user_id=user.id, pending_choices=[b.action for b in buttons])
        return self.assistant.engine.composer.simple(user.language, "language.choose", buttons=buttons)
