"""What a user's words or button presses lead to, as replies to send: the same on every channel without commands.

Telegram has commands, inline keyboards and edits in place, so its handlers call the services directly; WhatsApp
(and any channel like it) sends words and button ids, and gets its replies from here.
"""

from __future__ import annotations

from bot.actions import Action, Kind, parse
from bot.conversation.assistant import Assistant, Route, Visitor
from bot.handoff.service import Handoff, NoStaffDesk
from bot.answers.replies import Button, Reply
from bot.conversation.subscriptions import Subscriptions
from bot.answers.text import fold

# Words that work where Telegram has commands (the slash forms too).
WORDS = {
    "menu": "menu", "menú": "menu", "inicio": "menu", "start": "menu",
    "ayuda": "help", "help": "help",
    "idioma": "language", "language": "language", "lang": "language",
    "english": "lang:en", "ingles": "lang:en", "inglés": "lang:en", "espanol": "lang:es", "español": "lang:es",
    "asesor": "human", "human": "human", "humano": "human", "persona": "human", "agente": "human",
    "olvidar": "forget", "forget": "forget",
    "suscribirme": "sub", "subscribe": "sub",
    "baja": "unsub", "stop": "unsub", "unsubscribe": "unsub", "cancelar suscripcion": "unsub",
    "contacto": "contact", "contact": "contact",
    "recordatorios": "rems", "reminders": "rems", "mis recordatorios": "rems", "my reminders": "rems",
}


def word_command(text: str) -> str | None:
    """The command a short message stands for ("menu", "/ayuda", "Asesor!"), or None."""
    cleaned = fold(text.strip().lstrip("/")).strip(" .!¡?¿")
    return WORDS.get(cleaned) if len(cleaned) <= 24 else None


class Conversation:
    def __init__(self, assistant: Assistant, subscriptions: Subscriptions, handoff: Handoff):
        self.assistant = assistant
        self.subscriptions = subscriptions
        self.handoff = handoff
        self.composer = assistant.engine.composer
        self.t = assistant.engine.texts

    async def on_text(self, visitor: Visitor, text: str, *, new_user: bool = False) -> list[Reply]:
        command = word_command(text)
        if command is not None:
            return await self.on_action(visitor, command)
        stripped = text.strip()
        if stripped.isdigit() and len(stripped) <= 2:  # a numbered choice (lists past 10 choices are numbered)
            action = await self.assistant.choice(visitor, int(stripped))
            if action is not None:
                return await self.on_action(visitor, action)
        routed = await self.assistant.route(visitor, text)
        if routed.route is Route.HUMAN:
            return await self.request_person(visitor)
        if routed.route is Route.SUBSCRIBE:
            return [await self.subscriptions.subscribe(visitor)]
        if routed.route is Route.UNSUBSCRIBE:
            return [await self.subscriptions.unsubscribe(visitor)]
        if routed.route is Route.DEADLINE:
            return [routed.answer.reply]
        answer = routed.answer
        if new_user and answer.kind == "none" and answer.referral is None and answer.decided_by is None:
            return [self.greeting(answer.language)]  # "hola": the greeting (a referral or an answer still answers)
        return [self.assistant.with_notify_button(answer.reply, answer.intent)]

    def greeting(self, lang: str) -> Reply:
        buttons = (Button(self.t(lang, "language.button_es"), Action.language("es")),
                   Button(self.t(lang, "language.button_en"), Action.language("en")),
                   Button(self.t(lang, "button.menu"), Action.MENU))
        return self.composer.simple(lang, "greeting.body", buttons=buttons)

    async def on_action(self, visitor: Visitor, data: str) -> list[Reply]:
        lang = await self.assistant.language_of(visitor)
        if data == "help":
            return [await self.assistant.help(visitor)]
        if data == "language":
            buttons = (Button(self.t(lang, "language.button_es"), Action.language("es")),
                       Button(self.t(lang, "language.button_en"), Action.language("en")))
            return [self.composer.simple(lang, "language.choose", buttons=buttons)]
        if data == "forget":
            buttons = (Button(self.t(lang, "button.forget_yes"), Action.FORGET_YES),
                       Button(self.t(lang, "button.forget_no"), Action.FORGET_NO))
            return [self.composer.simple(lang, "forget.confirm", buttons=buttons)]
        if data == "unsub":
            return [await self.subscriptions.unsubscribe(visitor)]
        parsed = parse(data)
        if parsed is None or parsed.kind in (Kind.DRAFT, Kind.CONTROL, Kind.CARD, Kind.EXAMPLE):
            return [self.composer.simple(lang, "stale.button", buttons=self.composer.menu_buttons(lang))]
        if parsed.kind is Kind.HUMAN:
            return await self.request_person(visitor)
        if parsed.kind is Kind.NOT_WHAT_I_ASKED:
            return [await self.assistant.not_what_i_asked(visitor)]
        if parsed.kind is Kind.FORGET:
            if parsed.value != "yes":
                return [self.composer.simple(lang, "forget.cancelled")]
            forgotten = await self.assistant.forget(visitor)
            if forgotten is not None:
                self.handoff.forgotten(forgotten)
            return [self.composer.simple(lang, "forget.done")]
        if parsed.kind is Kind.SUBSCRIBE:
            return [await self.subscriptions.subscribe(visitor)]
        if parsed.kind is Kind.TOPICS_DONE:
            return [await self.subscriptions.done(visitor)]
        if parsed.kind is Kind.TOPIC:
            reply = await self.subscriptions.toggle(visitor, parsed.value)
            return [reply] if reply is not None else []
        reply = await self.assistant.act(visitor, data, full=False)
        if reply is None:
            return [self.composer.simple(lang, "stale.button", buttons=self.composer.menu_buttons(lang))]
        if parsed.kind is Kind.ENTRY:
            reply = self.assistant.with_notify_button(reply, parsed.value)
        elif parsed.kind is Kind.CONTACT:
            reply = self.assistant.with_human_button(reply, lang)
        return [reply]

    async def request_person(self, visitor: Visitor) -> list[Reply]:
        user = await self.assistant.user(visitor)
        try:
            return [await self.handoff.request(user)]
        except NoStaffDesk:
            return [self.composer.simple(user.language, "handoff.unavailable"), self.composer.contact(user.language)]
