"""The conversation service every channel calls: remembers language and context, logs every question.

Channels translate their updates into a `Visitor` plus plain values and call these methods; they never touch
the engine or the database directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from .engine import Answer, Engine
from .replies import Action, Reply, Section
from .storage import ConversationState, Exchange, Repository, User

LANGUAGES = ("es", "en")


@dataclass(frozen=True)
class Visitor:
    """Who is writing, as a channel knows them."""

    channel: str
    external_id: str
    language_hint: str | None = None  # e.g. Telegram's language_code ("en-US")
    display_name: str | None = None
    username: str | None = None


def hinted_language(code: str | None) -> str | None:
    """Map a client language code ("es-MX", "en") to one of ours, or None."""
    base = (code or "").split("-")[0].lower()
    return base if base in LANGUAGES else None


class Assistant:
    def __init__(self, engine: Engine, repo: Repository):
        self.engine = engine
        self.repo = repo

    async def user(self, visitor: Visitor) -> User:
        return (await self._user_and_state(visitor))[0]

    async def _user_and_state(self, visitor: Visitor) -> tuple[User, ConversationState]:
        return await self.repo.user_and_state(
            channel=visitor.channel, external_id=visitor.external_id,
            language=hinted_language(visitor.language_hint) or "es",
            display_name=visitor.display_name, username=visitor.username)

    async def ask(self, visitor: Visitor, text: str, *, full: bool, numbered: bool = False) -> Answer:
        """Answer a free-text message in the user's language, remembering what was offered."""
        user, state = await self._user_and_state(visitor)
        answer = self.engine.answer(text, previous_language=user.language,
                                    language=user.language if user.language_chosen else None,
                                    last_entry=state.last_entry_id, full=full, numbered=numbered)
        await self.repo.record_exchange(Exchange(
            user_id=user.id, language=answer.language if answer.language != user.language else None,
            display_name=visitor.display_name, username=visitor.username,
            last_entry_id=answer.intent or state.last_entry_id,
            pending_choices=tuple(b.action for b in answer.reply.buttons), text=text if isinstance(text, str) else "",
            answer_language=answer.language, kind=answer.kind, entry_id=answer.intent,
            candidates=answer.candidates, confidence=answer.confidence, unanswered=answer.unanswered))
        return answer

    async def act(self, visitor: Visitor, action: str, *, full: bool) -> Reply | None:
        """Carry out a button action; None if the action is unknown or stale (the caller says so)."""
        user, state = await self._user_and_state(visitor)
        lang = user.language
        reply, entry_id = self._reply_for(action, lang, full)
        if reply is None:
            if action.startswith("lang:") and action[5:] in LANGUAGES:
                return await self.set_language(visitor, action[5:])
            return None
        await self.repo.save_state(user_id=user.id, last_entry_id=entry_id or state.last_entry_id,
                                   pending_choices=[b.action for b in reply.buttons])
        return reply

    def _reply_for(self, action: str, lang: str, full: bool) -> tuple[Reply | None, str | None]:
        entries = self.engine.catalogue.entries
        composer = self.engine.composer
        kind, _, rest = action.partition(":")
        if kind == "e" and rest in entries:
            return composer.entry(entries[rest], lang, full=full), rest
        if kind == "s":
            entry_id, _, code = rest.partition(":")
            section = next((s for s in Section if s.value == code), None)
            if entry_id in entries and section is not None:
                return composer.section(entries[entry_id], section, lang), entry_id
        if action == Action.CONTACT:
            return composer.contact(lang), None
        if action == Action.MENU:
            return composer.menu(lang), None
        if action in (Action.MENU_WITH, Action.MENU_WITHOUT, Action.MENU_TOPICS):
            return composer.menu(lang, action), None
        return None, None

    async def choose(self, visitor: Visitor, number: int, *, full: bool) -> Reply | None:
        """A numbered choice (terminal, or a WhatsApp list reply); None if there is no such option."""
        user, state = await self._user_and_state(visitor)
        if not 1 <= number <= len(state.pending_choices):
            return None
        return await self.act(visitor, state.pending_choices[number - 1], full=full)

    async def set_language(self, visitor: Visitor, language: str) -> Reply:
        user = await self.user(visitor)
        await self.repo.set_language(user_id=user.id, language=language, chosen=True)
        return self.engine.composer.simple(language, "language.set")

    async def language_of(self, visitor: Visitor) -> str:
        return (await self.user(visitor)).language

    async def help(self, visitor: Visitor) -> Reply:
        lang = await self.language_of(visitor)
        composer = self.engine.composer
        return composer.simple(lang, "help.body", buttons=composer.menu_buttons(lang))

    async def forget(self, visitor: Visitor) -> None:
        user = await self.repo.find_user(channel=visitor.channel, external_id=visitor.external_id)
        if user is not None:
            await self.repo.forget_user(user_id=user.id)
