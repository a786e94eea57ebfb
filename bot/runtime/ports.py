"""What the channel-neutral services may ask of a channel: a user channel (Telegram, WhatsApp) and the staff desk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.runtime.outbox import Purpose
from bot.answers.replies import Reply
from bot.storage import Broadcast, User


@dataclass(frozen=True)
class MessageRef:
    """A message as its channel names it (ids as text: "123", "wamid.HBg…")."""

    channel: str
    chat: str
    message: str


@dataclass(frozen=True)
class RelayItem:
    """A message relayed between a user and the staff: its source, and its text or caption when it has one."""

    source: MessageRef
    text: str | None = None          # plain text (or caption)
    html: str | None = None          # the same with its formatting, as Telegram HTML
    is_caption: bool = False
    thread: str | None = None        # the staff topic it was written in, when it comes from the desk
    media_kind: str | None = None    # photo | document | voice | audio | video | sticker
    file_ref: str | None = None      # the source channel's file id (fetched only when another channel needs it)
    mime_type: str | None = None
    file_name: str | None = None
    data: bytes | None = None        # the file itself, when it had to be downloaded at once (WhatsApp media)


@dataclass(frozen=True)
class StaffMember:
    id: str
    name: str


class StoppedWhileStarting(Exception):
    """A stop was asked for while a channel was still connecting at start-up: nothing is wrong."""


class PlaceGone(Exception):
    """The user's place on the staff desk (a forum topic) was deleted; the service opens a new one."""


class UserChannel(Protocol):
    """A user's channel. Every call takes the stored user (as the caller holds it), never a bare chat id, so a
    channel needs no second read of the user row (WhatsApp's 24-hour window comes from `user.last_inbound_at`)."""

    name: str

    async def send(self, user: User, reply: Reply, purpose: Purpose = Purpose.ANSWER, *,
                   remember: bool = True) -> list[MessageRef]:
        """`remember=False`: the user's data was just deleted at their request; record nothing about this send."""
        ...

    async def replace(self, ref: MessageRef, reply: Reply) -> bool: ...

    async def relay(self, user: User, item: RelayItem) -> MessageRef: ...

    async def edit_relayed(self, ref: MessageRef, item: RelayItem) -> bool: ...

    async def broadcast(self, user: User, broadcast: Broadcast, language: str) -> MessageRef: ...

    async def remind(self, user: User, reply: Reply, line: str) -> MessageRef:
        """A deadline reminder: the reply with its buttons, or (outside a messaging window) `line` in a template."""
        ...


class StaffDesk(Protocol):
    """The staff group: one place (forum topic) per user, or one shared stream with headers."""

    chat: str

    async def uses_topics(self) -> bool: ...

    async def open_topic(self, name: str) -> str: ...

    async def post(self, topic: str | None, reply: Reply, purpose: Purpose = Purpose.STAFF) -> str: ...

    async def edit(self, message: str, reply: Reply) -> None: ...

    async def copy_in(self, topic: str | None, item: RelayItem, reply_to: str | None = None) -> str: ...

    async def edit_copy(self, message: str, item: RelayItem) -> bool: ...

    async def answer(self, item: RelayItem, text: str) -> None: ...

    async def say(self, chat: str, thread: str | None, reply: Reply, purpose: Purpose = Purpose.STAFF) -> str: ...

    async def edit_at(self, chat: str, message: str, reply: Reply, purpose: Purpose = Purpose.PROGRESS) -> None: ...

    async def preview(self, chat: str, thread: str | None, broadcast: Broadcast, language: str) -> None: ...

    async def fetch(self, file_ref: str) -> bytes: ...
