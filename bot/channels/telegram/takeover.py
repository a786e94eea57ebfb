"""Staff takeover on Telegram: a person answers in the user's chat while the bot steps aside.

The staff chat (STAFF_CHAT_ID) is a supergroup. With topics enabled, each user gets one topic (created once,
reused, recreated if deleted) that opens with a context card. Without topics, each user message is posted with
a header and staff answer by replying to it. Either way, routing uses the stored table of message pairs, never
the text or forward metadata, so a restart keeps every conversation where it was.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from ...assistant import Assistant
from ...handoff import STAFF_LANGUAGE, CardFacts, context_card, requested_reply
from ...render import html_chunks
from ...replies import Reply
from ...storage import Conversation, HandoffRepository, User
from .delivery import seconds

log = logging.getLogger(__name__)
THREAD_GONE = ("thread not found", "topic_deleted", "topic not found", "message thread not found")
CHANNEL = "telegram"


class NoStaffChat(Exception):
    """Takeover needs STAFF_CHAT_ID; without it the user is given the firm's contact details instead."""


@dataclass(frozen=True)
class Staff:
    id: int
    name: str


class Takeover:
    def __init__(self, bot: Bot, assistant: Assistant, handoffs: HandoffRepository, staff_chat_id: int | None,
                 release_minutes: int):
        self.bot = bot
        self.assistant = assistant
        self.handoffs = handoffs
        self.staff_chat_id = staff_chat_id
        self.release_minutes = release_minutes
        self.texts = assistant.engine.texts
        self.with_staff: set[int] = set()  # Telegram ids whose chat is with a person (kept in memory: hot path)
        self._forum: bool | None = None
        self._locks: dict[int, asyncio.Lock] = {}
        self._task: asyncio.Task | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        self.with_staff = await self.handoffs.chats_with_staff(CHANNEL)
        self._task = asyncio.create_task(self._auto_release_loop(), name="auto-release")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def _lock(self, user_id: int) -> asyncio.Lock:
        return self._locks.setdefault(user_id, asyncio.Lock())

    async def is_forum(self) -> bool:
        if self._forum is None:
            chat = await self.bot.get_chat(chat_id=self.staff_chat_id)
            self._forum = bool(chat.is_forum)
        return self._forum

    # ------------------------------------------------------------------ the user asks for a person
    async def request(self, user: User, now: dt.datetime | None = None) -> Reply:
        """Hand the chat to a person: open (or reuse) the staff topic, tell the user when to expect a reply."""
        if self.staff_chat_id is None:
            raise NoStaffChat()
        lang = user.language
        if int(user.external_id) in self.with_staff:
            return self.assistant.engine.composer.simple(lang, "handoff.already")
        await self.handoffs.request(user.id)
        self.with_staff.add(int(user.external_id))
        async with self._lock(user.id):
            thread = await self._ensure_place(user)
            await self._staff_note(thread, "staff.requested", name=user.display_name or user.external_id)
        return requested_reply(self.texts, lang, self.assistant.engine.catalogue.firm.hours,
                               now or dt.datetime.now(dt.timezone.utc))

    async def _ensure_place(self, user: User) -> int | None:
        """The user's topic (forum) or None (plain group); the card is posted when a place is new."""
        conv = await self.handoffs.get(user.id)
        if not await self.is_forum():
            if conv.card_message_id is None:
                card = await self._post_card(user, None)
                await self.handoffs.set_topic(user.id, topic_id=None, card_message_id=card.message_id)
            return None
        if conv.topic_id is not None:
            return conv.topic_id
        name = f"{user.display_name or user.external_id} · {user.language}"[:128]
        topic = await self.bot.create_forum_topic(chat_id=self.staff_chat_id, name=name)
        card = await self._post_card(user, topic.message_thread_id)
        await self.handoffs.set_topic(user.id, topic_id=topic.message_thread_id, card_message_id=card.message_id)
        return topic.message_thread_id

    async def _recreate_topic(self, user: User) -> int | None:
        """Someone deleted the topic: forget it and open a new one (with a fresh card)."""
        await self.handoffs.set_topic(user.id, topic_id=None, card_message_id=None)
        return await self._ensure_place(user)

    # ------------------------------------------------------------------ the context card
    async def _card_reply(self, user: User) -> tuple[Reply, InlineKeyboardMarkup]:
        conv = await self.handoffs.get(user.id)
        facts = CardFacts(name=user.display_name or user.external_id, username=user.username,
                          language=user.language, user_id=user.external_id,
                          subscribed=await self.handoffs.subscribed(user.id),
                          recent=tuple(await self.assistant.repo.recent_questions(user_id=user.id, limit=5)),
                          conversation=conv)
        card = context_card(facts, self.texts, self.assistant.engine.catalogue)
        t = self.texts
        buttons = [InlineKeyboardButton(t(STAFF_LANGUAGE, "card.release"), callback_data=f"ho:release:{user.id}")]
        if conv.status != "human":
            buttons.insert(0, InlineKeyboardButton(t(STAFF_LANGUAGE, "card.take"), callback_data=f"ho:take:{user.id}"))
        return card, InlineKeyboardMarkup([buttons])

    async def _post_card(self, user: User, thread: int | None) -> Message:
        card, markup = await self._card_reply(user)
        extra = {"message_thread_id": thread} if thread else {}
        return await self.bot.send_message(chat_id=self.staff_chat_id, text=html_chunks(card)[0], reply_markup=markup,
                                           **extra)

    async def refresh_card(self, user: User) -> None:
        conv = await self.handoffs.get(user.id)
        if conv.card_message_id is None:
            return
        card, markup = await self._card_reply(user)
        try:
            await self.bot.edit_message_text(chat_id=self.staff_chat_id, message_id=conv.card_message_id,
                                             text=html_chunks(card)[0], reply_markup=markup)
        except TelegramError as exc:
            if "not modified" not in str(exc).lower():
                log.info("card of user %s not updated: %s", user.id, exc)

    # ------------------------------------------------------------------ user -> staff
    async def from_user(self, user: User, message: Message) -> None:
        """Copy a user's message (any kind: text, photo, voice, document, album part) to the staff."""
        async with self._lock(user.id):
            thread = await self._ensure_place(user)
            copy = await self._copy_to_staff(user, message, thread)
            if copy is None:
                return
            await self.handoffs.link(user_id=user.id, user_chat_id=message.chat_id,
                                     user_message_id=message.message_id, staff_chat_id=self.staff_chat_id,
                                     staff_message_id=copy, direction="in")

    async def _copy_to_staff(self, user: User, message: Message, thread: int | None) -> int | None:
        for attempt in range(3):
            try:
                if thread is None:  # plain group: a header first, so staff know whose message it is
                    header = self.texts(STAFF_LANGUAGE, "staff.header", name=user.display_name or "?",
                                        language=user.language, user_id=user.external_id)
                    sent = await self.bot.send_message(chat_id=self.staff_chat_id, text=_escape(header))
                    await self.handoffs.link(user_id=user.id, user_chat_id=message.chat_id,
                                             user_message_id=message.message_id, staff_chat_id=self.staff_chat_id,
                                             staff_message_id=sent.message_id, direction="in")
                    result = await self.bot.copy_message(chat_id=self.staff_chat_id, from_chat_id=message.chat_id,
                                                         message_id=message.message_id,
                                                         reply_parameters=_reply_to(sent.message_id))
                else:
                    result = await self.bot.copy_message(chat_id=self.staff_chat_id, from_chat_id=message.chat_id,
                                                         message_id=message.message_id, message_thread_id=thread)
                return result.message_id
            except RetryAfter as exc:
                await asyncio.sleep(seconds(exc.retry_after))
            except BadRequest as exc:
                if thread is not None and any(m in exc.message.lower() for m in THREAD_GONE):
                    thread = await self._recreate_topic(user)
                    continue
                log.error("could not copy a message of user %s to staff: %s", user.id, exc.message)
                return None
            except TelegramError as exc:
                log.error("could not copy a message of user %s to staff: %s", user.id, exc)
                if attempt == 2:
                    return None
                await asyncio.sleep(0.5 * 2 ** attempt)
        return None

    async def edit_from_user(self, user: User, message: Message) -> None:
        """A user edited a relayed message: edit the staff copy (or post the new version if it can't be)."""
        link = await self.handoffs.by_user_message(message.chat_id, message.message_id)
        if link is not None and await self._edit_copy(self.staff_chat_id, link.staff_message_id, message):
            return
        await self.from_user(user, message)

    # ------------------------------------------------------------------ staff -> user
    async def target_of(self, message: Message) -> User | None:
        """Which user a staff message is for: its topic (forum), or the relayed message it replies to."""
        if message.is_topic_message and message.message_thread_id is not None:
            conv = await self.handoffs.by_topic(message.message_thread_id)
            if conv is not None:
                return await self.assistant.repo.get_user(conv.user_id)
        reply = message.reply_to_message
        if reply is not None and not (reply.forum_topic_created and message.is_topic_message):
            link = await self.handoffs.by_staff_message(message.chat_id, reply.message_id)
            if link is not None:
                return await self.assistant.repo.get_user(link.user_id)
        return None

    async def from_staff(self, user: User, message: Message, staff: Staff) -> None:
        """Relay a staff message; the first one takes the conversation, another member's is refused."""
        conv = await self.take(user, staff)
        if conv.owner_id != staff.id:
            await self._reply_in_staff(message, self.texts(STAFF_LANGUAGE, "staff.owned", owner=conv.owner_name))
            return
        try:
            copy = await self.bot.copy_message(chat_id=int(user.external_id), from_chat_id=message.chat_id,
                                               message_id=message.message_id)
        except Forbidden:
            await self.assistant.repo.set_active(user_id=user.id, active=False)
            await self._reply_in_staff(message, self.texts(STAFF_LANGUAGE, "staff.blocked"))
            return
        except TelegramError as exc:
            await self._reply_in_staff(message, self.texts(STAFF_LANGUAGE, "staff.copy_failed", reason=str(exc)))
            return
        await self.handoffs.link(user_id=user.id, user_chat_id=int(user.external_id), user_message_id=copy.message_id,
                                 staff_chat_id=message.chat_id, staff_message_id=message.message_id, direction="out")
        await self.handoffs.touch(user.id)

    async def edit_from_staff(self, message: Message) -> None:
        link = await self.handoffs.by_staff_message(message.chat_id, message.message_id)
        if link is not None and link.direction == "out":
            await self._edit_copy(link.user_chat_id, link.user_message_id, message)

    async def take(self, user: User, staff: Staff) -> Conversation:
        before = await self.handoffs.get(user.id)
        conv = await self.handoffs.take(user.id, staff_id=staff.id, staff_name=staff.name)
        self.with_staff.add(int(user.external_id))
        if before.owner_id is None and conv.owner_id == staff.id:
            await self._staff_note(conv.topic_id, "staff.taken", owner=staff.name)
            await self.refresh_card(user)
        return conv

    # ------------------------------------------------------------------ release
    async def release(self, user: User, *, by: str | None = None, automatic: bool = False) -> bool:
        """Back to the bot; the user is told, and so is the topic."""
        if not await self.handoffs.release(user.id):
            return False
        self.with_staff.discard(int(user.external_id))
        conv = await self.handoffs.get(user.id)
        reply = self.assistant.engine.composer.simple(user.language,
                                                      "handoff.auto_released" if automatic else "handoff.released")
        try:
            await self.bot.send_message(chat_id=int(user.external_id), text=html_chunks(reply)[0])
        except Forbidden:
            await self.assistant.repo.set_active(user_id=user.id, active=False)
        except TelegramError as exc:
            log.warning("could not tell user %s about the release: %s", user.id, exc)
        if automatic:
            await self._staff_note(conv.topic_id, "staff.auto_released", minutes=self.release_minutes)
        else:
            await self._staff_note(conv.topic_id, "staff.released", who=by or "?")
        await self.refresh_card(user)
        return True

    async def _auto_release_loop(self) -> None:
        while True:
            await asyncio.sleep(min(60.0, self.release_minutes * 60 / 4))
            try:
                await self.auto_release()
            except Exception:  # noqa: BLE001 - keep checking whatever one failure was
                log.exception("auto-release check failed")

    async def auto_release(self, now: dt.datetime | None = None) -> int:
        """Release conversations with no staff message for `release_minutes`; returns how many."""
        now = now or dt.datetime.now(dt.timezone.utc)
        cutoff = (now - dt.timedelta(minutes=self.release_minutes)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        released = 0
        for conv in await self.handoffs.idle_since(cutoff):
            user = await self.assistant.repo.get_user(conv.user_id)
            if user is not None and await self.release(user, automatic=True):
                released += 1
        return released

    # ------------------------------------------------------------------ blocked users
    async def user_blocked(self, user: User) -> None:
        conv = await self.handoffs.get(user.id)
        if conv.card_message_id is not None or conv.topic_id is not None:
            await self._staff_note(conv.topic_id, "staff.blocked")

    # ------------------------------------------------------------------ helpers
    async def _staff_note(self, thread: int | None, key: str, **values: object) -> None:
        extra = {"message_thread_id": thread} if thread else {}
        try:
            await self.bot.send_message(chat_id=self.staff_chat_id, text=_escape(self.texts(STAFF_LANGUAGE, key, **values)),
                                        **extra)
        except TelegramError as exc:
            log.warning("staff note %s not posted: %s", key, exc)

    async def _reply_in_staff(self, message: Message, text: str) -> None:
        try:
            await message.reply_text(_escape(text))
        except TelegramError as exc:
            log.warning("could not answer in the staff chat: %s", exc)

    async def _edit_copy(self, chat_id: int, message_id: int, source: Message) -> bool:
        try:
            if source.text is not None:
                await self.bot.edit_message_text(chat_id=chat_id, message_id=message_id, text=source.text_html)
            elif source.caption is not None:
                await self.bot.edit_message_caption(chat_id=chat_id, message_id=message_id,
                                                    caption=source.caption_html)
            else:
                return False
            return True
        except TelegramError as exc:
            if "not modified" in str(exc).lower():
                return True
            log.info("could not edit the copy %s/%s: %s", chat_id, message_id, exc)
            return False


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _reply_to(message_id: int) -> ReplyParameters:
    return ReplyParameters(message_id=message_id)
