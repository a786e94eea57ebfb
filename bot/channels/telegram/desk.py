"""The staff desk on Telegram: the staff supergroup, with one forum topic per user or headers in a plain group."""

from __future__ import annotations

from telegram import InputFile, ReplyParameters

from bot.runtime.outbox import Purpose, Undeliverable
from bot.runtime.ports import PlaceGone, RelayItem
from bot.answers.replies import Block, Reply, Style
from bot.storage import Broadcast
from bot.channels.telegram.channel import CHANNEL, TelegramUserChannel, edit_copy
from bot.channels.telegram.render import CAPTION_LIMIT, TEXT_LIMIT, escape, html_chunks, keyboard

# How a file from another channel is posted in the staff chat: the Bot API method and its file parameter.
FOREIGN_MEDIA = {"image": ("send_photo", "photo"), "photo": ("send_photo", "photo"),
                 "document": ("send_document", "document"), "audio": ("send_audio", "audio"),
                 "voice": ("send_voice", "voice"), "video": ("send_video", "video"),
                 "sticker": ("send_document", "document")}
THREAD_GONE = ("thread not found", "topic_deleted", "topic not found", "message thread not found")


def _gone(exc: Undeliverable) -> bool:
    return any(marker in exc.reason.lower() for marker in THREAD_GONE)


class TelegramStaffDesk:
    def __init__(self, channel: TelegramUserChannel, staff_chat_id: int):
        self.channel = channel
        self.bot = channel.bot
        self.chat = str(staff_chat_id)
        self._forum: bool | None = None

    async def uses_topics(self) -> bool:
        if self._forum is None:
            chat = await self.channel.call(Purpose.LOOKUP, self.chat, self.bot.get_chat, chat_id=int(self.chat))
            self._forum = bool(chat.is_forum)
        return self._forum

    async def open_topic(self, name: str) -> str:
        topic = await self.channel.call(Purpose.STAFF, self.chat, self.bot.create_forum_topic,
                                        chat_id=int(self.chat), name=name)
        return str(topic.message_thread_id)

    async def post(self, topic: str | None, reply: Reply, purpose: Purpose = Purpose.STAFF) -> str:
        return await self.say(self.chat, topic, reply, purpose)

    async def say(self, chat: str, thread: str | None, reply: Reply, purpose: Purpose = Purpose.STAFF) -> str:
        try:
            sent = await self.channel.send_to(chat, reply, purpose, thread=thread)
        except Undeliverable as exc:
            if thread is not None and _gone(exc):
                raise PlaceGone(exc.reason) from exc
            raise
        return sent[-1].message

    async def edit(self, message: str, reply: Reply) -> None:
        await self.edit_at(self.chat, message, reply, Purpose.CARD)

    async def edit_at(self, chat: str, message: str, reply: Reply, purpose: Purpose = Purpose.PROGRESS) -> None:
        await self.channel.call(purpose, chat, self.bot.edit_message_text, chat_id=int(chat), message_id=int(message),
                                text=html_chunks(reply)[0], reply_markup=keyboard(reply.buttons))

    async def copy_in(self, topic: str | None, item: RelayItem, reply_to: str | None = None) -> str:
        """User -> staff: the user's message (any kind) in their topic, or under its header."""
        extra: dict = {}
        if topic is not None:
            extra["message_thread_id"] = int(topic)
        if reply_to is not None:
            extra["reply_parameters"] = ReplyParameters(message_id=int(reply_to), allow_sending_without_reply=True)
        try:
            if item.source.channel == CHANNEL:  # Telegram to Telegram: a copy keeps every kind of content
                sent = await self.channel.call(Purpose.RELAY_TO_STAFF, self.chat, self.bot.copy_message,
                                               chat_id=int(self.chat), from_chat_id=int(item.source.chat),
                                               message_id=int(item.source.message), **extra)
            else:
                sent = await self._post_foreign(item, extra)
        except Undeliverable as exc:
            if topic is not None and _gone(exc):
                raise PlaceGone(exc.reason) from exc
            raise
        return str(sent.message_id)

    async def _post_foreign(self, item: RelayItem, extra: dict):
        """A message from another channel: its text, or its file (downloaded when it arrived) with the caption."""
        caption = escape(item.text)[:CAPTION_LIMIT] if item.text else None
        method, field = FOREIGN_MEDIA.get(item.media_kind or "", (None, None))
        if method is not None and item.data is not None:
            upload = InputFile(item.data, filename=item.file_name or f"{item.media_kind}")
            return await self.channel.call(Purpose.RELAY_TO_STAFF, self.chat, getattr(self.bot, method),
                                           chat_id=int(self.chat), **{field: upload}, caption=caption, **extra)
        text = escape(item.text) if item.text else escape(f"[{item.media_kind or 'message'}]")
        return await self.channel.call(Purpose.RELAY_TO_STAFF, self.chat, self.bot.send_message,
                                       chat_id=int(self.chat), text=text[:TEXT_LIMIT], **extra)

    async def fetch(self, file_ref: str) -> bytes:
        """A file staff sent (for a channel that needs the bytes, never the Telegram file URL with the token)."""
        file = await self.channel.call(Purpose.LOOKUP, None, self.bot.get_file, file_id=file_ref)
        data = await self.channel.outbox.deliver(Purpose.LOOKUP, CHANNEL, None, file.download_as_bytearray)
        return bytes(data or b"")

    async def edit_copy(self, message: str, item: RelayItem) -> bool:
        return await edit_copy(self.channel, Purpose.RELAY_TO_STAFF, self.chat, message, item)

    async def answer(self, item: RelayItem, text: str) -> None:
        """A short reply to a staff member's message, in the same chat and topic."""
        staff_message = item.source
        reply = Reply((Block(Style.TEXT, (text,)),), (), "es")
        extra: dict = {"reply_parameters": ReplyParameters(message_id=int(staff_message.message),
                                                           allow_sending_without_reply=True)}
        if item.thread is not None:
            extra["message_thread_id"] = int(item.thread)
        try:
            chunks = html_chunks(reply)
            await self.channel.call(Purpose.STAFF, staff_message.chat, self.bot.send_message,
                                    chat_id=int(staff_message.chat), text=chunks[0], **extra)
        except Undeliverable:
            pass  # logged by the outbox

    async def preview(self, chat: str, thread: str | None, broadcast: Broadcast, language: str) -> None:
        await self.channel.broadcast_to(chat, broadcast, language, purpose=Purpose.STAFF, thread=thread)
