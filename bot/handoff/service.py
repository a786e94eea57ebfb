"""Staff takeover, channel-neutral: a person answers in the user's chat while the bot steps aside.

Each user gets one place on the staff desk (a forum topic, created once, reused, recreated if deleted) that opens
with a context card; without topics, each relayed message gets a header and staff reply to it. Routing uses the
stored message pairs, never text, so a restart keeps every conversation where it was. The first staff member to
write takes the conversation (one conditional UPDATE); /release, the card's button or a quiet spell gives it back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import TYPE_CHECKING, Callable
from zoneinfo import ZoneInfo

from bot.answers.engine import Engine
from bot.handoff.messages import CardFacts, context_card, requested_reply
from bot.languages import STAFF_LANGUAGE
from bot.runtime.outbox import Outcome, Purpose, RecipientBlocked, Undeliverable
from bot.runtime.ports import MessageRef, PlaceGone, RelayItem, StaffDesk, StaffMember, UserChannel
from bot.actions import Action
from bot.answers.replies import Block, Button, Reply, Style
from bot.storage import Conversation, HandoffRepository, SubscriptionRepository, User, UserRepository, utc_iso

if TYPE_CHECKING:
    from bot.deadlines.service import Deadlines

log = logging.getLogger(__name__)


class NoStaffDesk(Exception):
    """Takeover needs STAFF_CHAT_ID; without it the user is given the firm's contact details instead."""


def _note(text: str) -> Reply:
    return Reply((Block(Style.TEXT, (text,)),), (), STAFF_LANGUAGE)


class Handoff:
    def __init__(self, *, engine: Engine, users: UserRepository, handoffs: HandoffRepository,
                 subscriptions: SubscriptionRepository, channels: dict[str, UserChannel], desk: StaffDesk | None,
                 release_minutes: int, clock: Callable[[], dt.datetime] | None = None,
                 deadlines: "Deadlines | None" = None):
        self.engine = engine
        self.texts = engine.texts
        self.users = users
        self.handoffs = handoffs
        self.subscriptions = subscriptions
        self.channels = channels
        self.desk = desk
        self.release_minutes = release_minutes
        self.deadlines = deadlines
        self.clock = clock or (lambda: dt.datetime.now(dt.timezone.utc))
        self._people: dict[int, tuple[str, str]] = {}   # user id -> (channel, external id) while with a person
        self._at: set[tuple[str, str]] = set()           # the same keys, for the hot path of every message
        self._locks: dict[int, asyncio.Lock] = {}
        self._task: asyncio.Task | None = None

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        for user_id, channel, external_id in await self.handoffs.users_with_staff():
            self._mark(user_id, channel, external_id)
        if self.desk is not None:
            self._task = asyncio.create_task(self._auto_release_loop(), name="auto-release")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def reload(self) -> None:
        """Re-read who is with a person (after a user's channel id changed)."""
        self._people.clear()
        self._at.clear()
        for user_id, channel, external_id in await self.handoffs.users_with_staff():
            self._mark(user_id, channel, external_id)

    def has_person(self, user_id: int) -> bool:
        return user_id in self._people

    def has_person_at(self, channel: str, external_id: str) -> bool:
        """Is a person handling this chat? (checked for every incoming message, without the database)"""
        return (channel, external_id) in self._at

    def _mark(self, user_id: int, channel: str, external_id: str) -> None:
        self._people[user_id] = (channel, external_id)
        self._at.add((channel, external_id))

    def _unmark(self, user_id: int) -> None:
        key = self._people.pop(user_id, None)
        if key is not None:
            self._at.discard(key)

    def _lock(self, user_id: int) -> asyncio.Lock:
        return self._locks.setdefault(user_id, asyncio.Lock())

    def _t(self, key: str, **values: object) -> str:
        return self.texts(STAFF_LANGUAGE, key, **values)

    def _desk(self) -> StaffDesk:
        if self.desk is None:
            raise NoStaffDesk()
        return self.desk

    # ------------------------------------------------------------------ the user asks for a person
    async def request(self, user: User) -> Reply:
        """Hand the chat to a person: open (or reuse) the staff place, tell the user when to expect a reply."""
        self._desk()  # raises NoStaffDesk without STAFF_CHAT_ID: the caller gives the firm's contact instead
        if self.has_person(user.id):
            return self.engine.composer.simple(user.language, "handoff.already")
        await self.handoffs.request(user.id)
        self._mark(user.id, user.channel, user.external_id)
        async with self._lock(user.id):
            topic = await self._ensure_place(user)
            await self._note_in(topic, "staff.requested", name=user.display_name or user.external_id)
        return requested_reply(self.texts, user.language, self.engine.catalogue.firm.confirmed_hours, self.clock())

    async def _ensure_place(self, user: User) -> str | None:
        """The user's topic (forum) or None (plain group); the card is posted when a place is new."""
        desk = self._desk()
        conv = await self.handoffs.get(user.id)
        if not await desk.uses_topics():
            if conv.card_message_id is None:
                card = await desk.post(None, await self._card(user), Purpose.CARD)
                await self.handoffs.set_topic(user.id, topic_id=None, card_message_id=card)
            return None
        if conv.topic_id is not None:
            return conv.topic_id
        name = f"{user.display_name or user.external_id} · {user.language}"[:128]
        topic = await desk.open_topic(name)
        card = await desk.post(topic, await self._card(user), Purpose.CARD)
        await self.handoffs.set_topic(user.id, topic_id=topic, card_message_id=card)
        return topic

    async def _recreate_place(self, user: User) -> str | None:
        await self.handoffs.set_topic(user.id, topic_id=None, card_message_id=None)
        return await self._ensure_place(user)

    # ------------------------------------------------------------------ the context card
    async def _card(self, user: User) -> Reply:
        conv = await self.handoffs.get(user.id)
        facts = CardFacts(name=user.display_name or user.external_id, username=user.username, language=user.language,
                          channel=user.channel, user_id=user.external_id,
                          extra=self._channel_lines(user) + await self._deadline_lines(user),
                          subscribed=await self.subscriptions.is_subscribed(user.id),
                          recent=tuple(await self.users.recent_questions(user_id=user.id, limit=5)),
                          conversation=conv)
        card = context_card(facts, self.texts, self.engine.catalogue)
        buttons = [Button(self._t("card.release"), Action.card("release", user.id))]
        if conv.status != "human":
            buttons.insert(0, Button(self._t("card.take"), Action.card("take", user.id)))
        return Reply(card.blocks, tuple(buttons), card.language)

    async def _deadline_lines(self, user: User) -> tuple[str, ...]:
        """The user's own windows (dates they gave the bot), so staff see what is due."""
        return await self.deadlines.card_lines(user, STAFF_LANGUAGE) if self.deadlines is not None else ()

    def _channel_lines(self, user: User) -> tuple[str, ...]:
        """What staff must know of the user's channel: on WhatsApp the phone and when the 24-hour window closes."""
        window_closes = getattr(self.channels.get(user.channel), "window_closes", None)
        if window_closes is None:  # a channel without a messaging window (Telegram)
            return ()
        lines = [self._t("card.phone", phone=user.phone)] if user.phone else []
        closes = window_closes(user)
        if closes is not None and closes > self.clock():
            when = closes.astimezone(ZoneInfo(self.engine.catalogue.firm.timezone)).strftime("%Y-%m-%d %H:%M")
            state = self._t("card.window_open", when=when)
        else:
            state = self._t("card.window_closed")
        lines.append(self._t("card.window", state=state))
        return tuple(lines)

    async def refresh_card(self, user: User) -> None:
        conv = await self.handoffs.get(user.id)
        if conv.card_message_id is None or self.desk is None:
            return
        try:
            await self.desk.edit(conv.card_message_id, await self._card(user))
        except Undeliverable as exc:
            log.info("card of user %s not updated: %s", user.id, exc.reason)

    # ------------------------------------------------------------------ user -> staff
    async def from_user(self, user: User, item: RelayItem) -> None:
        """Relay a user's message (any kind) to the staff; the pair is stored for replies and edits."""
        desk = self._desk()
        async with self._lock(user.id):
            topic = await self._ensure_place(user)
            for _ in range(2):
                try:
                    copies = await self._copy_in(desk, user, topic, item)
                    break
                except PlaceGone:
                    topic = await self._recreate_place(user)
            else:
                return
            for copy in copies:
                await self.handoffs.link(user_id=user.id, user_channel=item.source.channel,
                                         user_chat_id=item.source.chat, user_message_id=item.source.message,
                                         staff_chat_id=desk.chat, staff_message_id=copy, direction="in")

    async def _copy_in(self, desk: StaffDesk, user: User, topic: str | None, item: RelayItem) -> list[str]:
        if topic is not None:
            return [await desk.copy_in(topic, item)]
        header = self._t("staff.header", name=user.display_name or "?", language=user.language,
                         user_id=f"{user.channel} {user.external_id}")
        first = await desk.post(None, _note(header), Purpose.RELAY_TO_STAFF)
        return [first, await desk.copy_in(None, item, reply_to=first)]

    async def edit_from_user(self, user: User, item: RelayItem) -> None:
        """A user edited a relayed message: edit the staff copy (or post the new version if it can't be)."""
        desk = self._desk()
        link = await self.handoffs.by_user_message(item.source.channel, item.source.chat, item.source.message)
        if link is not None and await desk.edit_copy(link.staff_message_id, item):
            return
        await self.from_user(user, item)

    # ------------------------------------------------------------------ staff -> user
    async def target(self, *, topic: str | None, reply_to: str | None) -> User | None:
        """Which user a staff message is for: its topic, or the relayed message it replies to."""
        if topic is not None:
            conv = await self.handoffs.by_topic(topic)
            if conv is not None:
                return await self.users.get_user(conv.user_id)
        if reply_to is not None and self.desk is not None:
            link = await self.handoffs.by_staff_message(self.desk.chat, reply_to)
            if link is not None:
                return await self.users.get_user(link.user_id)
        return None

    async def from_staff(self, user: User, staff: StaffMember, item: RelayItem) -> None:
        """Relay a staff message; the first staff member to write takes the conversation, others are refused."""
        desk = self._desk()
        conv = await self.take(user, staff)
        if conv.owner_id != staff.id:
            await desk.answer(item, self._t("staff.owned", owner=conv.owner_name))
            return
        channel = self.channels[user.channel]
        try:
            copy = await channel.relay(user, item)
        except RecipientBlocked:
            return  # the outbox's blocked hook marked the user and told the topic
        except Undeliverable as exc:
            if exc.outcome is Outcome.OUTSIDE_WINDOW:
                await self._keep_for_later(user, channel, item)
            else:
                await desk.answer(item, self._t("staff.copy_failed", reason=exc.reason))
            return
        await self.handoffs.link(user_id=user.id, user_channel=user.channel, user_chat_id=copy.chat,
                                 user_message_id=copy.message, staff_chat_id=desk.chat,
                                 staff_message_id=item.source.message, direction="out")
        await self.handoffs.touch(user.id)

    async def _keep_for_later(self, user: User, channel: UserChannel, item: RelayItem) -> None:
        """The user's window is closed: keep the reply, send the approved "you have a reply" template, say so."""
        desk = self._desk()
        await self.handoffs.keep_pending(user.id, staff_chat_id=item.source.chat, staff_message_id=item.source.message,
                                         thread=item.thread, text=item.text, media_kind=item.media_kind,
                                         file_ref=item.file_ref, mime_type=item.mime_type, file_name=item.file_name)
        await self.handoffs.touch(user.id)
        notify = getattr(channel, "reply_waiting", None)
        if notify is not None:
            try:
                await notify(user, user.language)
            except Undeliverable as exc:
                await desk.answer(item, self._t("staff.copy_failed", reason=exc.reason))
                return
        await desk.answer(item, self._t("staff.pending_reply"))

    async def relay_expired(self, user: User, staff_chat_id: str, staff_message_id: str) -> None:
        """A relayed reply was refused later (its window had closed): the reply template, and the topic told."""
        channel = self.channels.get(user.channel)
        notify = getattr(channel, "reply_waiting", None)
        if notify is not None:
            try:
                await notify(user, user.language)
            except Undeliverable:
                pass  # logged by the outbox
        if self.desk is not None:
            conv = await self.handoffs.get(user.id)
            item = RelayItem(MessageRef("telegram", staff_chat_id, staff_message_id), thread=conv.topic_id)
            await self.desk.answer(item, self._t("staff.window_late"))

    async def deliver_pending(self, user: User) -> int:
        """The user wrote again (their window is open): deliver the replies kept for them, in order."""
        channel = self.channels.get(user.channel)
        if channel is None or self.desk is None:   # nothing could have been kept for later: no query
            return 0
        pending = await self.handoffs.pending_for(user.id)
        if not pending:
            return 0
        delivered = 0
        for row in pending:
            item = RelayItem(MessageRef("telegram", row["staff_chat_id"], row["staff_message_id"]), text=row["text"],
                             thread=row["thread"], media_kind=row["media_kind"], file_ref=row["file_ref"],
                             mime_type=row["mime_type"], file_name=row["file_name"])
            try:
                copy = await channel.relay(user, item)
            except Undeliverable as exc:
                await self.desk.answer(item, self._t("staff.copy_failed", reason=exc.reason))
            except Exception as exc:  # noqa: BLE001 - one kept reply must not block the user's messages
                log.exception("a kept reply for user %s could not be delivered", user.id)
                await self.desk.answer(item, self._t("staff.copy_failed", reason=type(exc).__name__))
            else:
                delivered += 1
                await self.handoffs.link(user_id=user.id, user_channel=user.channel, user_chat_id=copy.chat,
                                         user_message_id=copy.message, staff_chat_id=row["staff_chat_id"],
                                         staff_message_id=row["staff_message_id"], direction="out")
            await self.handoffs.drop_pending(row["id"])
        if delivered:
            conv = await self.handoffs.get(user.id)
            await self._note_in(conv.topic_id, "staff.pending_delivered", count=delivered)
        return delivered

    async def edit_from_staff(self, item: RelayItem) -> None:
        desk = self._desk()
        link = await self.handoffs.by_staff_message(desk.chat, item.source.message)
        if link is None or link.direction != "out" or link.user_channel not in self.channels:
            return
        ref = MessageRef(link.user_channel, link.user_chat_id, link.user_message_id)
        channel = self.channels[link.user_channel]
        if not await channel.edit_relayed(ref, item) and not getattr(channel, "can_edit", True):
            await desk.answer(item, self._t("staff.edit_not_mirrored"))

    async def take(self, user: User, staff: StaffMember) -> Conversation:
        before = await self.handoffs.get(user.id)
        conv = await self.handoffs.take(user.id, staff_id=staff.id, staff_name=staff.name)
        self._mark(user.id, user.channel, user.external_id)
        if before.owner_id is None and conv.owner_id == staff.id:
            await self._note_in(conv.topic_id, "staff.taken", owner=staff.name)
            await self.refresh_card(user)
        return conv

    # ------------------------------------------------------------------ release
    async def release(self, user: User, *, by: str | None = None, automatic: bool = False) -> bool:
        """Back to the bot; the user is told, and so is the staff place."""
        if not await self.handoffs.release(user.id):
            return False
        self._unmark(user.id)
        conv = await self.handoffs.get(user.id)
        reply = self.engine.composer.simple(user.language, "handoff.auto_released" if automatic else "handoff.released")
        channel = self.channels.get(user.channel)
        if channel is not None:
            try:
                await channel.send(user, reply, Purpose.NOTICE)
            except Undeliverable:
                pass  # logged by the outbox; a blocked user was marked by its hook
        if automatic:
            await self._note_in(conv.topic_id, "staff.auto_released", minutes=self.release_minutes)
        else:
            await self._note_in(conv.topic_id, "staff.released", who=by or "?")
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
        now = now or self.clock()
        cutoff = utc_iso(now - dt.timedelta(minutes=self.release_minutes))
        released = 0
        for conv in await self.handoffs.idle_since(cutoff):
            user = await self.users.get_user(conv.user_id)
            if user is not None and await self.release(user, automatic=True):
                released += 1
        return released

    # ------------------------------------------------------------------ blocked or forgotten users
    async def user_blocked(self, user: User) -> None:
        conv = await self.handoffs.get(user.id)
        if self.desk is not None and (conv.card_message_id is not None or conv.topic_id is not None):
            await self._note_in(conv.topic_id, "staff.blocked")

    def forgotten(self, user_id: int) -> None:
        self._unmark(user_id)

    async def _note_in(self, topic: str | None, key: str, **values: object) -> None:
        if self.desk is None:
            return
        try:
            await self.desk.post(topic, _note(self._t(key, **values)), Purpose.STAFF)
        except (Undeliverable, PlaceGone) as exc:
            log.warning("staff note %s not posted: %s", key, exc)
