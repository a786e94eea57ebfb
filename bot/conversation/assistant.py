"""The conversation service every channel calls: remembers language and context, logs every question.

Channels translate their updates into a `Visitor` plus plain values and call these methods; they never touch
the engine or the database directly. `route()` decides what a free-text message means (a question, a request
for a person, a subscription) so that every channel only dispatches on the result.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from bot.actions import Action, Kind, Section, parse, parse_day
from bot.answers.engine import Answer, Engine
from bot.languages import DEFAULT_LANGUAGE, LANGUAGES, hinted_language
from bot.answers.replies import Button, Reply
from bot.storage import ConversationState, Exchange, User, UserRepository
from bot.answers.text import words
from bot.conversation.facts import PLANNED, FactReader, Facts
from bot.conversation.follow_ups import FollowUps

if TYPE_CHECKING:
    from bot.deadlines.service import Deadlines

NO_NOTIFY_BUTTON = ("suscripcion", "contacto")
CHANNELS_WITHOUT_PEOPLE = ("terminal",)  # no staff member can answer there: the contact answer says so


@dataclass(frozen=True)
class Visitor:
    """Who is writing, as a channel knows them."""

    channel: str
    external_id: str
    language_hint: str | None = None  # e.g. Telegram's language_code ("en-US")
    display_name: str | None = None
    username: str | None = None

    @property
    def language(self) -> str:
        """The language a new user starts in: their app's, when it is one the assistant speaks."""
        return hinted_language(self.language_hint) or DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Known:
    """A user the front door already looked up this turn: the services use it instead of reading the row again."""

    visitor: Visitor
    user: User
    state: ConversationState

    @property
    def channel(self) -> str:
        return self.visitor.channel

    @property
    def display_name(self) -> str | None:
        return self.visitor.display_name

    @property
    def username(self) -> str | None:
        return self.visitor.username


Who = Visitor | Known


class Route(str, Enum):
    ANSWER = "answer"
    HUMAN = "human"
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    DEADLINE = "deadline"      # the message gave a date: the user's own window (answer.reply is about it)


@dataclass(frozen=True)
class Routed:
    route: Route
    answer: Answer


class Assistant:
    def __init__(self, engine: Engine, users: UserRepository, deadlines: "Deadlines | None" = None):
        self.engine = engine
        self.users = users
        self.deadlines = deadlines
        self.facts = FactReader()
        self.follow_ups = FollowUps(engine, self.facts)

    async def user(self, visitor: Who) -> User:
        return (await self._user_and_state(visitor))[0]

    async def _user_and_state(self, visitor: Who) -> tuple[User, ConversationState]:
        if isinstance(visitor, Known):
            return visitor.user, visitor.state
        return await self.users.user_and_state(
            channel=visitor.channel, external_id=visitor.external_id,
            language=visitor.language,
            display_name=visitor.display_name, username=visitor.username)

    async def ask(self, visitor: Who, text: str, *, full: bool, numbered: bool = False) -> Answer:
        """Answer a free-text message in the user's language, remembering what was offered."""
        return (await self._ask(visitor, text, full=full, numbered=numbered))[0]

    async def _ask(self, visitor: Who, text: str, *, full: bool, numbered: bool = False) -> tuple[Answer, bool]:
        """The answer, and whether it is about a date the message gave (the user's own window)."""
        user, state = await self._user_and_state(visitor)
        # A language the user chose is a default, not a lock: a message clearly in the other language is answered
        # in it ("sorry I don't speak Spanish, how do I renew"); short or mixed ones keep the choice.
        keep = user.language if user.language_chosen and not self._clearly_other(text, user.language) else None
        remembered = Facts.from_json(state.facts)
        said = self.facts.read(text)
        facts = remembered.merged(said)
        thread = state.last_entry_id
        answer = self.engine.answer(text, previous_language=user.language, language=keep,
                                    last_entry=thread, full=full, numbered=numbered)
        answer = self.follow_ups.answer(answer, text, thread)
        answer = self._fit_document(answer, said.document, full)
        dated = None
        if self.deadlines is not None:
            dated = await self.deadlines.read(user, text, answer.language, matched=answer.intent, thread=thread,
                                              visitor_document=facts.holds_visitor_document, arrival=said.arrival,
                                              planned=facts.arrival == PLANNED)
            if dated is not None:
                answer = dataclasses.replace(answer, reply=dated.reply)
                if dated.given is not None and dated.day is not None:
                    facts = facts.with_date(dated.given.value, dated.day)
                    thread = dated.entry_id or thread
        if dated is None and self.deadlines is not None and answer.kind == "procedure":
            answer = dataclasses.replace(answer, reply=self.deadlines.with_known_date(
                answer.reply, answer.intent, facts.dates, answer.language))
        if facts != remembered:
            await self.users.save_facts(user_id=user.id, facts=facts.to_json())
        learnt = answer.language if answer.language != user.language and not user.language_chosen else None
        await self.users.record_exchange(Exchange(
            user_id=user.id, language=learnt,
            display_name=visitor.display_name, username=visitor.username,
            # the thread is the procedure under discussion: a topic answer (offices, appointments) does not end it
            last_entry_id=answer.intent if answer.kind == "procedure" and dated is None else thread,
            pending_choices=tuple(b.action for b in answer.reply.buttons), text=text if isinstance(text, str) else "",
            answer_language=answer.language, kind=answer.kind, entry_id=answer.intent,
            candidates=answer.candidates, confidence=answer.confidence, unanswered=answer.unanswered))
        return answer, dated is not None

    def _fit_document(self, answer: Answer, document: str | None, full: bool) -> Answer:
        """An answer the user's own document rules out ("my FMM expires…" is no card renewal): the next candidate
        that fits, or what that document's holder asks about."""
        excluded, instead = self.facts.ruled_out(document)
        if answer.intent not in excluded:
            return answer
        entries = self.engine.catalogue.entries
        chosen = next((c for c in answer.candidates if c not in excluded and c in entries), instead)
        if chosen is None or chosen not in entries:
            return answer
        entry = entries[chosen]
        return dataclasses.replace(answer, intent=chosen, candidates=(chosen,), decided_by=f"document: {document}",
                                   reply=self.engine.composer.entry(entry, answer.language, full=full),
                                   appointment=entry.appointment.value if entry.appointment else None)

    def _clearly_other(self, text: str, chosen: str) -> bool:
        """A sentence (four words or more) that is confidently in the other language."""
        if not isinstance(text, str) or len(words(text)) < 4:
            return False
        detection = self.engine.detector.detect(text, chosen)
        return detection.confident and detection.language != chosen

    async def route(self, visitor: Who, text: str, *, numbered: bool = False) -> Routed:
        """A free-text message on a phone channel: a question (answered with a "Notify me" button), a request for
        a person ("quiero hablar con un asesor"), or a subscription ("avísenme", "darme de baja")."""
        answer, dated = await self._ask(visitor, text, full=False, numbered=numbered)
        if dated:
            return Routed(Route.DEADLINE, answer)
        if answer.intent not in ("contacto", "suscripcion") or not isinstance(text, str):
            return Routed(Route.ANSWER, answer)  # the common case: no second look at the words
        tokens = set(self.engine.matcher.analyzer.tokens(text))
        if answer.intent == "contacto":
            return Routed(Route.HUMAN if tokens & {"PERSON", "TALK"} else Route.ANSWER, answer)
        return Routed(Route.UNSUBSCRIBE if "UNSUBSCRIBE" in tokens else Route.SUBSCRIBE, answer)

    def with_notify_button(self, reply: Reply, entry_id: str | None, channel: str | None = None) -> Reply:
        """Under an answer about a procedure or topic: "Notify me of changes" subscribes in one tap (not where
        nothing can be delivered: the terminal), and "Not what I asked" sends the question to the staff's review."""
        if entry_id is None or entry_id in NO_NOTIFY_BUTTON:
            return reply
        t = self.engine.texts
        notify = (Button(t(reply.language, "button.notify"), Action.SUBSCRIBE),) \
            if channel not in CHANNELS_WITHOUT_PEOPLE else ()
        buttons = notify + (Button(t(reply.language, "button.not_what_i_asked"), Action.NOT_WHAT_I_ASKED),)
        return Reply(reply.blocks, reply.buttons + buttons, reply.language)

    async def not_what_i_asked(self, visitor: Who) -> Reply:
        """The user says the last answer missed: their question goes to /unanswered, and a person is offered."""
        user = await self.user(visitor)
        await self.users.mark_last_question_unanswered(user_id=user.id)
        return self.with_human_button(self.engine.composer.simple(user.language, "feedback.thanks"), user.language)

    def with_human_button(self, reply: Reply, lang: str) -> Reply:
        button = Button(self.engine.texts(lang, "button.human"), Action.HUMAN)
        return Reply(reply.blocks, reply.buttons + (button,), reply.language)

    async def act(self, visitor: Who, action: str, *, full: bool) -> Reply | None:
        """Carry out a button action; None if the action is unknown or stale (the caller says so)."""
        user, state = await self._user_and_state(visitor)
        lang = user.language
        reply, entry_id = self._reply_for(action, lang, full, in_chat=visitor.channel not in CHANNELS_WITHOUT_PEOPLE)
        if reply is None:
            reply = await self._dates(user, action, delivered=visitor.channel not in CHANNELS_WITHOUT_PEOPLE)
        if reply is None:
            parsed = parse(action)
            if parsed is not None and parsed.kind is Kind.LANGUAGE:
                return await self.set_language(visitor, parsed.value)
            return None
        await self.users.save_state(user_id=user.id, last_entry_id=entry_id or state.last_entry_id,
                                    pending_choices=[b.action for b in reply.buttons])
        return reply

    async def _dates(self, user: User, action: str, *, delivered: bool) -> Reply | None:
        """Date and reminder buttons: this date, remind me, my reminders, cancel one."""
        parsed = parse(action)
        if self.deadlines is None or parsed is None:
            return None
        if parsed.kind in (Kind.DEADLINE, Kind.REMIND):
            day = parse_day(parsed.extra)
            assert day is not None
            if parsed.kind is Kind.DEADLINE:
                return await self.deadlines.confirm(user, parsed.value, day)
            return await self.deadlines.remind(user, parsed.value, day, delivered=delivered)
        if parsed.kind is Kind.REMINDERS:
            return await self.deadlines.listing(user, delivered=delivered)
        if parsed.kind is Kind.CANCEL_REMINDER and parsed.target is not None:
            return await self.deadlines.cancel(user, parsed.target, delivered=delivered)
        return None

    async def reminders(self, visitor: Who) -> Reply:
        """/reminders: the user's scheduled reminders, each with a button to cancel it."""
        return await self.act(visitor, Action.REMINDERS, full=False) or self.engine.composer.fallback(
            await self.language_of(visitor))

    def _reply_for(self, action: str, lang: str, full: bool, *, in_chat: bool = True
                   ) -> tuple[Reply | None, str | None]:
        entries = self.engine.catalogue.entries
        composer = self.engine.composer
        parsed = parse(action)
        if parsed is None:
            return None, None
        if parsed.kind is Kind.ENTRY and parsed.value in entries:
            return composer.entry(entries[parsed.value], lang, full=full), parsed.value
        if parsed.kind is Kind.SECTION and parsed.value in entries:
            section = Section(parsed.extra)
            return composer.section(entries[parsed.value], section, lang), parsed.value
        if parsed.kind is Kind.CONTACT:
            return composer.contact(lang, in_chat=in_chat), None
        if parsed.kind is Kind.MENU:
            return composer.menu(lang, action) if parsed.value else composer.menu(lang), None
        return None, None

    async def choice(self, visitor: Who, number: int) -> str | None:
        """The action behind a numbered choice, or None if there is no such option."""
        _, state = await self._user_and_state(visitor)
        return state.pending_choices[number - 1] if 1 <= number <= len(state.pending_choices) else None

    async def choose(self, visitor: Who, number: int, *, full: bool) -> Reply | None:
        """A numbered choice (terminal, or a WhatsApp list reply); None if there is no such option."""
        user, state = await self._user_and_state(visitor)
        if not 1 <= number <= len(state.pending_choices):
            return None
        return await self.act(visitor, state.pending_choices[number - 1], full=full)

    async def set_language(self, visitor: Who, language: str) -> Reply:
        user = await self.user(visitor)
        language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        await self.users.set_language(user_id=user.id, language=language, chosen=True)
        return self.engine.composer.simple(language, "language.set")

    async def language_of(self, visitor: Who) -> str:
        return (await self.user(visitor)).language

    async def help(self, visitor: Who) -> Reply:
        lang = await self.language_of(visitor)
        composer = self.engine.composer
        return composer.simple(lang, "help.body", buttons=composer.menu_buttons(lang))

    async def forget(self, visitor: Who) -> int | None:
        """Delete everything stored about the user; returns the id they had (None if unknown)."""
        if isinstance(visitor, Known):
            user: User | None = visitor.user
        else:
            user = await self.users.find_user(channel=visitor.channel, external_id=visitor.external_id)
        if user is None:
            return None
        await self.users.forget_user(user_id=user.id)
        return user.id
