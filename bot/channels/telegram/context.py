"""What every Telegram handler needs, typed: the services built once in bot/app.py, and small update helpers."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.answers.examples import StaffExamples
from bot.conversation.assistant import Assistant
from bot.conversation.turn import FrontDoor
from bot.broadcasts.drafts import Drafts
from bot.broadcasts.sender import Broadcaster
from bot.runtime.config import Settings
from bot.handoff.service import Handoff
from bot.runtime.outbox import Purpose
from bot.runtime.ports import MessageRef, RelayItem
from bot.storage import Storage
from bot.conversation.subscriptions import Subscriptions
from bot.channels.telegram.channel import CHANNEL, TelegramUserChannel
from bot.channels.telegram.staff_gate import StaffGate


@dataclass
class BotServices:
    settings: Settings
    storage: Storage
    assistant: Assistant
    front: FrontDoor
    subscriptions: Subscriptions
    handoff: Handoff
    broadcaster: Broadcaster
    drafts: Drafts | None
    channel: TelegramUserChannel
    gate: StaffGate
    examples: StaffExamples


def services(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    return context.application.bot_data["services"]


def _media(message: Message) -> tuple[str | None, str | None, str | None, str | None]:
    """(kind, file id, mime type, file name) of a message's attachment, if any."""
    if message.photo:
        return "photo", message.photo[-1].file_id, "image/jpeg", None
    for kind in ("document", "voice", "audio", "video", "sticker"):
        item = getattr(message, kind)
        if item is not None:
            mime = getattr(item, "mime_type", None) or ("image/webp" if kind == "sticker" else None)
            return kind, item.file_id, mime, getattr(item, "file_name", None)
    return None, None, None, None


def relay_item(message: Message) -> RelayItem:
    """A Telegram message as the handoff service sees it."""
    caption = message.caption is not None
    kind, file_ref, mime, name = _media(message)
    return RelayItem(MessageRef(CHANNEL, str(message.chat_id), str(message.message_id)),
                     text=message.caption if caption else message.text,
                     html=message.caption_html if caption else (message.text_html if message.text else None),
                     is_caption=caption,
                     thread=str(message.message_thread_id) if message.is_topic_message else None,
                     media_kind=kind, file_ref=file_ref, mime_type=mime, file_name=name)


async def ack(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str | None = None) -> None:
    """Answer a button press (stops its spinner); an alert when there is something to say."""
    query = update.callback_query
    if query is None:
        return
    channel = services(context).channel
    await channel.outbox.quietly(Purpose.ACK, CHANNEL, None,
                                 lambda: query.answer(text, show_alert=bool(text)) if text else query.answer())
