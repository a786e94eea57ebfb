"""The Telegram user channel: replies, relays and broadcasts to a private chat, every call through the outbox."""

from __future__ import annotations

import asyncio
import contextlib
from typing import AsyncIterator

from telegram import Bot, Message
from telegram.constants import ChatAction

from bot.broadcasts.content import compose
from bot.channels.telegram.broadcast_text import to_html
from bot.runtime.outbox import Outbox, Outcome, Purpose, Undeliverable
from bot.runtime.ports import MessageRef, RelayItem
from bot.answers.replies import Reply
from bot.storage import Broadcast, User
from bot.texts import Texts
from bot.channels.telegram.render import html_chunks, keyboard

CHANNEL = "telegram"


def ref_of(message: Message) -> MessageRef:
    return MessageRef(CHANNEL, str(message.chat_id), str(message.message_id))


class TelegramUserChannel:
    name = CHANNEL
    can_edit = True

    def __init__(self, bot: Bot, outbox: Outbox, texts: Texts):
        self.bot = bot
        self.outbox = outbox
        self.texts = texts

    async def call(self, purpose: Purpose, chat: str | int | None, method, **kwargs):
        """One Bot API call under the outbox policy."""
        return await self.outbox.deliver(purpose, CHANNEL, chat, lambda: method(**kwargs))

    async def send(self, user: User, reply: Reply, purpose: Purpose = Purpose.ANSWER, *,
                   remember: bool = True) -> list[MessageRef]:
        """A reply to the user's private chat (Telegram records nothing per send, so `remember` changes nothing)."""
        return await self.send_to(user.external_id, reply, purpose)

    async def send_to(self, chat: str, reply: Reply, purpose: Purpose = Purpose.ANSWER, *,
                      thread: str | None = None) -> list[MessageRef]:
        """A reply as one or more HTML messages under 4,096 characters; buttons go on the last one."""
        chunks = html_chunks(reply)
        sent = []
        extra = {"message_thread_id": int(thread)} if thread else {}
        for i, chunk in enumerate(chunks):
            markup = keyboard(reply.buttons) if i == len(chunks) - 1 else None
            message = await self.call(purpose, chat, self.bot.send_message, chat_id=int(chat), text=chunk,
                                      reply_markup=markup, **extra)
            if message is not None:
                sent.append(ref_of(message))
        return sent

    async def remind(self, user: User, reply: Reply, line: str) -> MessageRef:
        """Telegram has no messaging window: the reminder with its buttons."""
        return (await self.send(user, reply, Purpose.REMINDER))[-1]

    async def replace(self, ref: MessageRef, reply: Reply) -> bool:
        """Replace a message in place; False when the reply does not fit one message (send it instead)."""
        chunks = html_chunks(reply)
        if len(chunks) != 1:
            return False
        await self.call(Purpose.ANSWER, ref.chat, self.bot.edit_message_text, chat_id=int(ref.chat),
                        message_id=int(ref.message), text=chunks[0], reply_markup=keyboard(reply.buttons))
        return True

    async def relay(self, user: User, item: RelayItem) -> MessageRef:
        """Staff -> user: a copy of the staff message (any kind), without the staff member's name."""
        if item.source.channel != CHANNEL:
            raise Undeliverable(Outcome.REJECTED, "cross-channel relay to Telegram is not supported")
        chat = user.external_id
        copy = await self.call(Purpose.RELAY_TO_USER, chat, self.bot.copy_message, chat_id=int(chat),
                               from_chat_id=int(item.source.chat), message_id=int(item.source.message))
        return MessageRef(CHANNEL, chat, str(copy.message_id))

    async def edit_relayed(self, ref: MessageRef, item: RelayItem) -> bool:
        return await edit_copy(self, Purpose.RELAY_TO_USER, ref.chat, ref.message, item)

    async def broadcast(self, user: User, broadcast: Broadcast, language: str) -> MessageRef:
        """One broadcast message to a user."""
        return await self.broadcast_to(user.external_id, broadcast, language)

    async def broadcast_to(self, chat: str, broadcast: Broadcast, language: str, *,
                           purpose: Purpose = Purpose.BROADCAST, thread: str | None = None) -> MessageRef:
        """One broadcast message to a chat (the staff preview uses the same call, so it looks exactly the same)."""
        text = to_html(compose(broadcast, language, self.texts))
        extra = {"message_thread_id": int(thread)} if thread else {}
        if broadcast.media_kind == "photo":
            message = await self.call(purpose, chat, self.bot.send_photo, chat_id=int(chat),
                                      photo=broadcast.media_file_id, caption=text, **extra)
        elif broadcast.media_kind == "document":
            message = await self.call(purpose, chat, self.bot.send_document, chat_id=int(chat),
                                      document=broadcast.media_file_id, caption=text, **extra)
        else:
            message = await self.call(purpose, chat, self.bot.send_message, chat_id=int(chat), text=text, **extra)
        return MessageRef(CHANNEL, chat, str(message.message_id))

    async def typing(self, chat: str) -> None:
        await self.outbox.quietly(Purpose.TYPING, CHANNEL, chat,
                                  lambda: self.bot.send_chat_action(chat_id=int(chat), action=ChatAction.TYPING))

    @contextlib.asynccontextmanager
    async def typing_while(self, chat: str, *, after: float = 0.25, every: float = 4.5) -> AsyncIterator[None]:
        """Show "typing…" only while the work inside takes longer than `after` seconds (each call is a request)."""
        async def keep_typing() -> None:
            await asyncio.sleep(after)
            while True:
                await self.typing(chat)
                await asyncio.sleep(every)  # Telegram shows the action for about five seconds

        task = asyncio.create_task(keep_typing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def edit_copy(channel: TelegramUserChannel, purpose: Purpose, chat: str, message: str, item: RelayItem) -> bool:
    """Edit a relayed copy to match its edited source; False if it cannot be (then it is posted again)."""
    try:
        if item.is_caption:
            await channel.call(purpose, chat, channel.bot.edit_message_caption, chat_id=int(chat),
                               message_id=int(message), caption=item.html)
        elif item.html is not None:
            await channel.call(purpose, chat, channel.bot.edit_message_text, chat_id=int(chat),
                               message_id=int(message), text=item.html)
        else:
            return False
    except Undeliverable:
        return False
    return True
