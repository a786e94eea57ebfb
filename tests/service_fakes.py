"""In-memory recording fakes of the ports (bot/runtime/ports.py), so services are tested for what people would see.

RecordingUserChannel stands for a user's channel (Telegram, WhatsApp) and RecordingStaffDesk for the staff group;
both keep every message as the plain text a person would read, with its buttons. No network, no channel library.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Awaitable, Callable

from bot.answers.engine import Engine
from bot.answers.plain import to_plain
from bot.answers.replies import Reply
from bot.broadcasts.content import compose
from bot.conversation.assistant import Assistant
from bot.conversation.subscriptions import Subscriptions
from bot.conversation.turn import FrontDoor
from bot.handoff.service import Handoff
from bot.clock import SettableClock
from bot.runtime.outbox import Outcome, Purpose, RecipientBlocked
from bot.runtime.ports import MessageRef, PlaceGone, RelayItem, StaffDesk, StaffMember
from bot.storage import Broadcast, Storage, User
from bot.texts import Texts

STAFF_CHAT = "-100500"
LUPITA = StaffMember("900", "Lupita")
MARCO = StaffMember("901", "Marco")
WAIT = 10.0   # seconds a test waits for a background job before giving up (a safety net, never a speed claim)


@dataclass(frozen=True)
class Shown:
    """One message as a user saw it: how it came (send, relay, broadcast…), its text and its buttons."""

    kind: str                    # send | replace | relay | edit | broadcast | remind
    user_key: str                # the user's id on the channel
    text: str
    buttons: tuple[tuple[str, str], ...] = ()   # (label, action)
    purpose: Purpose | None = None
    language: str | None = None


def _buttons(reply: Reply) -> tuple[tuple[str, str], ...]:
    return tuple((b.label, b.action) for b in reply.buttons)


class RecordingUserChannel:
    """A user channel that keeps what each user was shown; `blocked` users refuse everything, as a 403 would."""

    def __init__(self, texts: Texts, name: str = "telegram"):
        self.name = name
        self.texts = texts
        self.shown: list[Shown] = []
        self.blocked: set[str] = set()
        self.on_blocked: Callable[[str, str], Awaitable[None]] | None = None   # the outbox's hook, when wired
        self.gate = asyncio.Event()      # broadcasts wait here while a test holds them (clear() holds them)
        self.gate.set()
        self._ids = itertools.count(1)

    def to(self, user: User | str) -> list[str]:
        """The texts one user saw, in order."""
        key = user if isinstance(user, str) else user.external_id
        return [s.text for s in self.shown if s.user_key == key]

    async def _deliver(self, shown: Shown) -> MessageRef:
        if shown.user_key in self.blocked:
            if self.on_blocked is not None:
                await self.on_blocked(self.name, shown.user_key)
            raise RecipientBlocked(Outcome.BLOCKED, "Forbidden: bot was blocked by the user")
        self.shown.append(shown)
        return MessageRef(self.name, shown.user_key, f"u{next(self._ids)}")

    async def send(self, user: User, reply: Reply, purpose: Purpose = Purpose.ANSWER, *,
                   remember: bool = True) -> list[MessageRef]:
        return [await self._deliver(Shown("send", user.external_id, to_plain(reply), _buttons(reply), purpose))]

    async def replace(self, ref: MessageRef, reply: Reply) -> bool:
        await self._deliver(Shown("replace", ref.chat, to_plain(reply), _buttons(reply)))
        return True

    async def relay(self, user: User, item: RelayItem) -> MessageRef:
        return await self._deliver(Shown("relay", user.external_id, item.text or f"[{item.media_kind}]"))

    async def edit_relayed(self, ref: MessageRef, item: RelayItem) -> bool:
        await self._deliver(Shown("edit", ref.chat, item.text or ""))
        return True

    async def broadcast(self, user: User, broadcast: Broadcast, language: str) -> MessageRef:
        await self.gate.wait()
        return await self._deliver(Shown("broadcast", user.external_id, compose(broadcast, language, self.texts).text,
                                         purpose=Purpose.BROADCAST, language=language))

    async def remind(self, user: User, reply: Reply, line: str) -> MessageRef:
        return await self._deliver(Shown("remind", user.external_id, to_plain(reply), _buttons(reply)))


@dataclass(frozen=True)
class Posted:
    """One message in the staff group as staff see it: where (a topic, or None), its text and buttons."""

    kind: str                    # post | copy | answer | say | preview | edit | edit_at
    place: str | None            # the forum topic (thread), or None for the group itself / General
    text: str
    message: str                 # its id (an edit keeps the id of the message it changed)
    buttons: tuple[tuple[str, str], ...] = ()
    reply_to: str | None = None


@dataclass
class RecordingStaffDesk:
    """The staff group: forum topics (or one plain group with headers), every message kept in order."""

    texts: Texts
    topics: bool = True
    chat: str = STAFF_CHAT
    posted: list[Posted] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)        # topic names, in the order they were created
    deleted: set[str] = field(default_factory=set)         # topics staff deleted: posting there fails
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def _add(self, kind: str, place: str | None, text: str, buttons: tuple = (), reply_to: str | None = None,
             message: str | None = None) -> str:
        if place is not None and place in self.deleted and kind not in ("edit", "edit_at"):
            raise PlaceGone(f"topic {place} was deleted")
        message = message or f"s{next(self._ids)}"
        self.posted.append(Posted(kind, place, text, message, buttons, reply_to))
        return message

    def where(self, message: str) -> str | None:
        return next(p.place for p in self.posted if p.message == message)

    def seen_in(self, place: str | None) -> list[str]:
        """Every text shown in one topic (or the group), edits included, in order."""
        return [p.text for p in self.posted if p.place == place]

    def seen(self) -> list[str]:
        return [p.text for p in self.posted]

    def last(self, fragment: str) -> Posted:
        return [p for p in self.posted if fragment in p.text][-1]

    async def wait_for(self, fragment: str) -> Posted:
        """The first message containing `fragment`, once a background job (the broadcaster) has shown it."""
        async with asyncio.timeout(WAIT):
            while not any(fragment in p.text for p in self.posted):
                await asyncio.sleep(0.005)
        return next(p for p in self.posted if fragment in p.text)

    async def uses_topics(self) -> bool:
        return self.topics

    async def open_topic(self, name: str) -> str:
        self.opened.append(name)
        return f"topic-{len(self.opened)}"

    async def post(self, topic: str | None, reply: Reply, purpose: Purpose = Purpose.STAFF) -> str:
        return self._add("post", topic, to_plain(reply), _buttons(reply))

    async def edit(self, message: str, reply: Reply) -> None:
        self._add("edit", self.where(message), to_plain(reply), _buttons(reply), message=message)

    async def copy_in(self, topic: str | None, item: RelayItem, reply_to: str | None = None) -> str:
        return self._add("copy", topic, item.text or f"[{item.media_kind}]", reply_to=reply_to)

    async def edit_copy(self, message: str, item: RelayItem) -> bool:
        self._add("edit", self.where(message), item.text or "", message=message)
        return True

    async def answer(self, item: RelayItem, text: str) -> None:
        self._add("answer", item.thread, text, reply_to=item.source.message)

    async def say(self, chat: str, thread: str | None, reply: Reply, purpose: Purpose = Purpose.STAFF) -> str:
        return self._add("say", thread, to_plain(reply), _buttons(reply))

    async def edit_at(self, chat: str, message: str, reply: Reply, purpose: Purpose = Purpose.PROGRESS) -> None:
        self._add("edit_at", self.where(message), to_plain(reply), _buttons(reply), message=message)

    async def preview(self, chat: str, thread: str | None, broadcast: Broadcast, language: str) -> None:
        self._add("preview", thread, compose(broadcast, language, self.texts).text)

    async def fetch(self, file_ref: str) -> bytes:
        return b"file:" + file_ref.encode()


# ---------------------------------------------------------------------------------------------- wiring
def user_message(user: User, text: str, message: str = "1") -> RelayItem:
    """A user's message as the staff would get it."""
    return RelayItem(MessageRef(user.channel, user.external_id, message), text=text)


def staff_message(desk: StaffDesk, text: str, *, topic: str | None, message: str = "77") -> RelayItem:
    """A staff member's message written in a user's topic."""
    return RelayItem(MessageRef("telegram", desk.chat, message), text=text, thread=topic)


def now_clock() -> SettableClock:
    """A settable clock that starts at the real time (the stored activity times are written by SQLite)."""
    return SettableClock(dt.datetime.now(dt.timezone.utc))


def make_handoff(engine: Engine, storage: Storage, channel: RecordingUserChannel,
                 desk: RecordingStaffDesk | None, *, clock: SettableClock | None = None,
                 release_minutes: int = 60) -> Handoff:
    return Handoff(engine=engine, users=storage.users, handoffs=storage.handoff, subscriptions=storage.subscriptions,
                   channels={channel.name: channel}, desk=desk, release_minutes=release_minutes,
                   clock=(clock or now_clock()).now)


def make_front_door(engine: Engine, storage: Storage, handoff: Handoff) -> FrontDoor:
    assistant = Assistant(engine, storage.users)
    return FrontDoor(assistant, Subscriptions(assistant, storage.subscriptions), handoff, storage.users)


async def a_user(storage: Storage, key: str = "1001", language: str = "es", name: str = "Ana",
                 channel: str = "telegram") -> User:
    return await storage.users.get_or_create_user(channel=channel, external_id=key, language=language,
                                                  display_name=name)

