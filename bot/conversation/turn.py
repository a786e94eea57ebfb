"""The front door: every channel hands in one user turn as plain values and gets back the replies to send.

One place decides what a message, a command, a word or a button press means, on every channel: it looks the user
up once, records the arrival, relays to the staff when a person has the chat, owns the one table of commands and
words (es/en, slash commands and WhatsApp words alike), and handles unreachable users (the staff topic is told on
every channel). Channels only parse, hand in, and send.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from bot.actions import Action, Kind, Parsed, parse
from bot.answers.engine import Engine
from bot.answers.replies import Button, Reply
from bot.answers.text import fold
from bot.conversation.assistant import Assistant, Known, Route, Visitor
from bot.conversation.choices import WordChoices
from bot.conversation.subscriptions import Subscriptions
from bot.handoff.service import Handoff, NoStaffDesk
from bot.clock import Clock, SystemClock
from bot.runtime.ports import RelayItem
from bot.storage import Storage, User, UserRepository

# Button actions whose answer may replace the message that carried the button (menus, "which one?", choosers).
IN_PLACE = (Kind.MENU, Kind.ENTRY, Kind.LANGUAGE, Kind.DEADLINE, Kind.CANCEL_REMINDER, Kind.TOPIC, Kind.TOPICS_DONE,
            Kind.FORGET)
STAFF_ACTIONS = (Kind.DRAFT, Kind.CONTROL, Kind.CARD, Kind.EXAMPLE)
MAX_WORD_COMMAND = 24   # a longer message is a question, never a command word
NUMBERED_CHANNELS = ("terminal",)   # buttons are shown as numbers there: "which one?" says "type the number"


@dataclass(frozen=True)
class Command:
    """One thing a user can ask for by name: its slash command per language, and the plain words that mean it."""

    name: str                              # the FrontDoor method that carries it out
    slash: tuple[str, str]                 # the command menu's names: (Spanish, English)
    words: tuple[str, ...] = ()            # more names and plain words ("menú", "asesor", "baja")
    private: bool = False                  # not answered in a group chat


COMMANDS: tuple[Command, ...] = (
    Command("start", ("start", "start"), ("inicio",)),
    Command("menu", ("menu", "menu"), ("menú",)),
    Command("help", ("ayuda", "help")),
    Command("language", ("idioma", "language"), ("lang",)),
    Command("contact", ("contacto", "contact")),
    Command("human", ("asesor", "human"), ("humano", "persona", "agente"), private=True),
    Command("subscribe", ("suscribirme", "subscribe"), private=True),
    Command("unsubscribe", ("cancelar_suscripcion", "unsubscribe"), ("baja", "stop", "cancelar suscripcion"),
            private=True),
    Command("reminders", ("recordatorios", "reminders"), ("mis recordatorios", "my reminders"), private=True),
    Command("forget", ("olvidar", "forget"), private=True),
)
# Words that stand for a command with its argument.
ARGUMENT_WORDS = {"english": ("language", "en"), "ingles": ("language", "en"),
                  "espanol": ("language", "es"), "spanish": ("language", "es")}


def command_names(command: Command) -> tuple[str, ...]:
    """Every name a command answers to (slash or word), folded."""
    return tuple(dict.fromkeys(fold(name) for name in (*command.slash, *command.words)))


_BY_NAME = {name: command for command in COMMANDS for name in command_names(command)}
_BY_NAME.update({name.replace("_", " "): command for name, command in list(_BY_NAME.items()) if "_" in name})


def find_command(text: str) -> tuple[Command, str] | None:
    """The command a message stands for, with its argument: "/ayuda", "menu", "Asesor!", "/language en", "english"."""
    stripped = text.strip()
    slash = stripped.startswith("/")
    head, _, rest = stripped.lstrip("/").partition(" ") if slash else (stripped, "", "")
    cleaned = fold(head.split("@")[0] if slash else head).strip(" .!¡?¿")
    if len(cleaned) > MAX_WORD_COMMAND:
        return None
    if cleaned in _BY_NAME:
        return _BY_NAME[cleaned], rest.strip()
    if cleaned in ARGUMENT_WORDS:
        name, argument = ARGUMENT_WORDS[cleaned]
        return next(c for c in COMMANDS if c.name == name), argument
    return None


@dataclass(frozen=True)
class Inbound:
    """One user turn, as any channel hands it in (plain values only)."""

    channel: str
    user_key: str
    text: str | None = None              # a message's text (a command's text when `command` is set)
    command: str | None = None           # a command the channel already recognised (Telegram's /ayuda), by name
    argument: str = ""                   # the command's argument ("/language en", "/start canje")
    action: str | None = None            # a button or list row pressed
    media_kind: str | None = None        # a photo, voice note, sticker, location…: no text to read
    relay: Callable[[], Awaitable[RelayItem]] | None = None   # the message as the staff would see it, made only
                                                               # when a person has the chat (media is downloaded)
    edited: bool = False                 # an edit of an earlier message
    in_group: bool = False               # a group chat (the bot was mentioned): answer questions only
    at_iso: str | None = None            # when the user wrote, as stored (WhatsApp's 24-hour window starts here)
    phone: str | None = None             # the phone id the channel gave (WhatsApp)
    language_hint: str | None = None
    display_name: str | None = None
    username: str | None = None

    @property
    def visitor(self) -> Visitor:
        return Visitor(self.channel, self.user_key, self.language_hint, self.display_name, self.username)


@dataclass(frozen=True)
class Say:
    """One reply to send; `in_place` lets a channel that can edit replace the message whose button was pressed."""

    reply: Reply
    in_place: bool = False


@dataclass
class Turn:
    """What the channel does with a turn: send `says` in order, show `notice` on the pressed button if it can."""

    user: User | None
    says: list[Say] = field(default_factory=list)
    notice: str | None = None            # a short alert for the pressed button (Telegram); otherwise sent as a message
    relayed: bool = False                # the message went to the person who has the chat
    forgotten: bool = False              # the user's data was deleted: record nothing about what is sent now

    @property
    def replies(self) -> list[Reply]:
        return [say.reply for say in self.says]


class FrontDoor:
    def __init__(self, assistant: Assistant, subscriptions: Subscriptions, handoff: Handoff, users: UserRepository):
        self.assistant = assistant
        self.subscriptions = subscriptions
        self.handoff = handoff
        self.users = users
        self.composer = assistant.engine.composer
        self.t = assistant.engine.texts
        self.word_choices = WordChoices()

    # ------------------------------------------------------------------ the turn
    async def take(self, inbound: Inbound) -> Turn:
        """One turn: who it is (read once), the arrival recorded, then the person, a command, a button or a question."""
        visitor = inbound.visitor
        user, state, created = await self.users.arrival(
            channel=inbound.channel, external_id=inbound.user_key, language=visitor.language,
            display_name=inbound.display_name, username=inbound.username)
        if inbound.at_iso is not None and not inbound.in_group:
            await self.users.saw_message(user_id=user.id, at_iso=inbound.at_iso, phone=inbound.phone)
            user = dataclasses.replace(user, phone=inbound.phone or user.phone, active=True,
                                       last_inbound_at=max(user.last_inbound_at or "", inbound.at_iso))
            await self.handoff.deliver_pending(user)
        known = Known(visitor, user, state)
        turn = Turn(user)
        if not inbound.in_group and self.handoff.has_person_at(inbound.channel, inbound.user_key) \
                and not self._is_human_request(inbound):
            return await self._to_person(known, inbound, turn)
        if inbound.action is not None:
            return await self._button(known, inbound.action, turn)
        if inbound.edited and not inbound.text:
            return turn   # a caption edited with nobody to show it to
        if inbound.command is not None:
            command = next((c for c in COMMANDS if c.name == inbound.command), None)
            if command is not None:
                return await self._command(known, command, inbound.argument, inbound, turn)
        if inbound.text is None or not inbound.text.strip():
            return self._say(turn, self.composer.simple(user.language, "media.text_only",
                                                        buttons=self.composer.menu_buttons(user.language)))
        found = find_command(inbound.text)
        if found is not None:
            return await self._command(known, found[0], found[1], inbound, turn)
        if inbound.in_group:
            answer = await self.assistant.ask(known, inbound.text, full=False)
            return self._say(turn, answer.reply)
        stripped = inbound.text.strip()
        if stripped.isdigit() and len(stripped) <= 2:  # a numbered choice
            if 1 <= int(stripped) <= len(state.pending_choices):
                return await self._button(known, state.pending_choices[int(stripped) - 1], turn)
            return self._say(turn, self.composer.simple(user.language, "chat.choice_unknown", number=stripped))
        chosen = self.word_choices.choose(state.pending_choices, inbound.text, self._decided_alone)
        if chosen is not None:   # "la permanente", "not yet": the answer to the "which one?" just asked
            return await self._button(known, chosen, turn)
        return await self._question(known, inbound.text, turn, first_contact=created)

    def _decided_alone(self, text: str) -> str | None:
        """The procedure the engine picks for `text` with no thread (None when it picks no procedure)."""
        answer = self.assistant.engine.answer(text, full=False)
        return answer.intent if answer.kind == "procedure" else None

    @staticmethod
    def _is_human_request(inbound: Inbound) -> bool:
        """/human while a person has the chat is answered by the bot ("a person already has it"), not relayed."""
        if inbound.command == "human":
            return True
        found = find_command(inbound.text) if inbound.text and inbound.text.startswith("/") else None
        return found is not None and found[0].name == "human"

    def _say(self, turn: Turn, *replies: Reply, in_place: bool = False) -> Turn:
        turn.says.extend(Say(reply, in_place) for reply in replies)
        return turn

    # ------------------------------------------------------------------ a person has the chat
    async def _to_person(self, known: Known, inbound: Inbound, turn: Turn) -> Turn:
        """Messages go to the person; a bare button press (nothing to relay) is told that a person has the chat."""
        if inbound.relay is None:
            turn.notice = self.t(known.user.language, "handoff.busy")
            return turn
        item = await inbound.relay()
        if inbound.edited:
            await self.handoff.edit_from_user(known.user, item)
        else:
            await self.handoff.from_user(known.user, item)
        turn.relayed = True
        return turn

    # ------------------------------------------------------------------ questions
    async def _question(self, known: Known, text: str, turn: Turn, *, first_contact: bool) -> Turn:
        routed = await self.assistant.route(known, text, numbered=known.channel in NUMBERED_CHANNELS)
        if routed.route is Route.HUMAN:
            return await self.human(known, "", turn)
        if routed.route is Route.SUBSCRIBE:
            return await self._offer(known, turn, await self.subscriptions.subscribe(known))
        if routed.route is Route.UNSUBSCRIBE:
            return self._say(turn, await self.subscriptions.unsubscribe(known))
        answer = routed.answer
        if routed.route is Route.DEADLINE:
            return self._say(turn, answer.reply)
        if first_contact and answer.kind == "none" and answer.referral is None and answer.decided_by is None:
            return self._say(turn, self.greeting(answer.language))  # "hola": the greeting (an answer still answers)
        return self._say(turn, self.assistant.with_notify_button(answer.reply, answer.intent, known.channel))

    def greeting(self, lang: str) -> Reply:
        buttons = (Button(self.t(lang, "language.button_es"), Action.language("es")),
                   Button(self.t(lang, "language.button_en"), Action.language("en")),
                   Button(self.t(lang, "button.menu"), Action.MENU))
        return self.composer.simple(lang, "greeting.body", buttons=buttons)

    # ------------------------------------------------------------------ commands (the table above)
    async def _command(self, known: Known, command: Command, argument: str, inbound: Inbound, turn: Turn) -> Turn:
        if command.private and inbound.in_group:
            return turn
        return await getattr(self, command.name)(known, argument, turn)

    async def start(self, known: Known, argument: str, turn: Turn) -> Turn:
        """The greeting; `start <entry id>` (a t.me deep link) opens that entry."""
        if argument in self.assistant.engine.catalogue.entries:
            reply = await self.assistant.act(known, Action.entry(argument), full=False)
            if reply is not None:
                return self._say(turn, self.assistant.with_notify_button(reply, argument, known.channel))
        lang = known.user.language
        return self._say(turn, self.composer.simple(lang, "greeting.body", buttons=self.composer.menu_buttons(lang)))

    async def menu(self, known: Known, argument: str, turn: Turn) -> Turn:
        reply = await self.assistant.act(known, Action.MENU, full=False)
        return self._say(turn, reply or self.composer.menu(known.user.language))

    async def help(self, known: Known, argument: str, turn: Turn) -> Turn:
        return self._say(turn, await self.assistant.help(known))

    async def language(self, known: Known, argument: str, turn: Turn) -> Turn:
        """`language en` switches at once; alone it offers both as buttons."""
        wanted = argument.lower()[:2]
        if wanted in ("es", "en"):
            return self._say(turn, await self.assistant.set_language(known, wanted))
        lang = known.user.language
        buttons = (Button(self.t(lang, "language.button_es"), Action.language("es")),
                   Button(self.t(lang, "language.button_en"), Action.language("en")))
        return await self._offer(known, turn, self.composer.simple(lang, "language.choose", buttons=buttons))

    async def contact(self, known: Known, argument: str, turn: Turn) -> Turn:
        reply = await self.assistant.act(known, Action.CONTACT, full=False)
        reply = reply or self.composer.contact(known.user.language)
        return self._say(turn, self.assistant.with_human_button(reply, known.user.language)
                         if known.channel != "terminal" else reply)

    async def human(self, known: Known, argument: str, turn: Turn) -> Turn:
        """A person will answer in this chat; where no staff desk is set up, the firm's contacts instead."""
        try:
            return self._say(turn, await self.handoff.request(known.user))
        except NoStaffDesk:
            lang = known.user.language
            return self._say(turn, self.composer.simple(lang, "handoff.unavailable"), self.composer.contact(lang))

    async def subscribe(self, known: Known, argument: str, turn: Turn) -> Turn:
        return await self._offer(known, turn, await self.subscriptions.subscribe(known))

    async def unsubscribe(self, known: Known, argument: str, turn: Turn) -> Turn:
        return self._say(turn, await self.subscriptions.unsubscribe(known))

    async def reminders(self, known: Known, argument: str, turn: Turn) -> Turn:
        return self._say(turn, await self.assistant.reminders(known))

    async def forget(self, known: Known, argument: str, turn: Turn) -> Turn:
        """Ask before deleting: the user's data goes only after they confirm."""
        lang = known.user.language
        buttons = (Button(self.t(lang, "button.forget_yes"), Action.FORGET_YES),
                   Button(self.t(lang, "button.forget_no"), Action.FORGET_NO))
        return await self._offer(known, turn, self.composer.simple(lang, "forget.confirm", buttons=buttons))

    # ------------------------------------------------------------------ buttons
    async def _button(self, known: Known, data: str, turn: Turn) -> Turn:
        parsed = parse(data)
        lang = known.user.language
        if parsed is None or parsed.kind in STAFF_ACTIONS:
            return self._stale(turn, lang)
        in_place = parsed.kind in IN_PLACE
        if parsed.kind is Kind.HUMAN:
            return await self.human(known, "", turn)
        if parsed.kind is Kind.NOT_WHAT_I_ASKED:
            return self._say(turn, await self.assistant.not_what_i_asked(known))
        if parsed.kind is Kind.FORGET:
            return await self._forget_answer(known, parsed, turn)
        if parsed.kind is Kind.SUBSCRIBE:
            return await self._offer(known, turn, await self.subscriptions.subscribe(known))
        if parsed.kind is Kind.TOPICS_DONE:
            return self._say(turn, await self.subscriptions.done(known), in_place=True)
        if parsed.kind is Kind.TOPIC:
            reply = await self.subscriptions.toggle(known, parsed.value)
            return await self._offer(known, turn, reply, in_place=True) if reply is not None else turn
        reply = await self.assistant.act(known, data, full=False)
        if reply is None:
            return self._stale(turn, lang)
        if parsed.kind is Kind.ENTRY:
            reply = self.assistant.with_notify_button(reply, parsed.value, known.channel)
        elif parsed.kind is Kind.CONTACT and known.channel != "terminal":
            reply = self.assistant.with_human_button(reply, lang)
        return self._say(turn, reply, in_place=in_place)

    async def _offer(self, known: Known, turn: Turn, reply: Reply, *, in_place: bool = False) -> Turn:
        """A reply whose buttons a number may answer (a list past ten rows is numbered text on WhatsApp)."""
        await self.users.save_choices(user_id=known.user.id, pending_choices=[b.action for b in reply.buttons])
        return self._say(turn, reply, in_place=in_place)

    def _stale(self, turn: Turn, lang: str) -> Turn:
        return self._say(turn, self.composer.simple(lang, "stale.button", buttons=self.composer.menu_buttons(lang)))

    async def _forget_answer(self, known: Known, parsed: Parsed, turn: Turn) -> Turn:
        lang = known.user.language
        if parsed.value != "yes":
            return self._say(turn, self.composer.simple(lang, "forget.cancelled"), in_place=True)
        forgotten = await self.assistant.forget(known)
        if forgotten is not None:
            self.handoff.forgotten(forgotten)
        turn.forgotten = True
        return self._say(turn, self.composer.simple(lang, "forget.done"), in_place=True)

    # ------------------------------------------------------------------ unreachable users
    async def unreachable(self, channel: str, key: str) -> None:
        """The channel says the user blocked the bot or is gone: inactive, unsubscribed, and the staff topic told."""
        user = await self.users.find_user(channel=channel, external_id=key)
        if user is not None:
            await self.unreachable_user(user)

    async def unreachable_user(self, user: User) -> None:
        await self.users.mark_unreachable(user_id=user.id)
        await self.handoff.user_blocked(user)

    async def reachable(self, channel: str, key: str) -> None:
        """The user unblocked the bot (Telegram says so); they count as active again."""
        user = await self.users.find_user(channel=channel, external_id=key)
        if user is not None:
            await self.users.set_active(user_id=user.id, active=True)


def terminal_front_door(engine: Engine, storage: Storage, clock: Clock | None = None) -> FrontDoor:
    """The front door for a chat with no phone channel and no staff desk (the terminal): same engine, same rules."""
    from bot.deadlines.service import Deadlines
    deadlines = Deadlines(engine, storage.reminders, clock or SystemClock())
    assistant = Assistant(engine, storage.users, deadlines)
    handoff = Handoff(engine=engine, users=storage.users, handoffs=storage.handoff, subscriptions=storage.subscriptions,
                      channels={}, desk=None, release_minutes=60, deadlines=deadlines)
    return FrontDoor(assistant, Subscriptions(assistant, storage.subscriptions), handoff, storage.users)
