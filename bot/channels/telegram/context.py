"""What every Telegram handler needs, typed: the services built once in bot/app.py, and small update helpers."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message, Update
from telegram.ext import ContextTypes

from ...assistant import Assistant, Visitor
from ...broadcast_drafts import Drafts
from ...broadcaster import Broadcaster
from ...config import Settings
from ...handoff import Handoff
from ...outbox import Purpose, Undeliverable
from ...ports import MessageRef, RelayItem
from ...replies import Reply
from ...storage import Storage
from ...subscriptions import Subscriptions
from .channel import CHANNEL, TelegramUserChannel
from .staff_gate import StaffGate


@dataclass
class BotServices:
    settings: Settings
    storage: Storage
    assistant: Assistant
    subscriptions: Subscriptions
    handoff: Handoff
    broadcaster: Broadcaster
    drafts: Drafts | None
    channel: TelegramUserChannel
    gate: StaffGate


def services(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    return context.application.bot_data["services"]


def visitor(update: Update) -> Visitor:
    user = update.effective_user
    assert user is not None
    return Visitor(CHANNEL, str(user.id), user.language_code, user.full_name, user.username)


def relay_item(message: Message) -> RelayItem:
    """A Telegram message as the handoff service sees it."""
    caption = message.caption is not None
    return RelayItem(MessageRef(CHANNEL, str(message.chat_id), str(message.message_id)),
                     text=message.caption if caption else message.text,
                     html=message.caption_html if caption else (message.text_html if message.text else None),
                     is_caption=caption,
                     thread=str(message.message_thread_id) if message.is_topic_message else None)


async def send(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply,
               purpose: Purpose = Purpose.ANSWER) -> None:
    """Send a reply to the chat of the update; a failure has been logged (and a blocked user marked)."""
    chat = update.effective_chat
    assert chat is not None
    try:
        await services(context).channel.send(str(chat.id), reply, purpose)
    except Undeliverable:
        pass


async def ack(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str | None = None) -> None:
    """Answer a button press (stops its spinner); an alert when there is something to say."""
    query = update.callback_query
    if query is None:
        return
    channel = services(context).channel
    await channel.outbox.quietly(Purpose.ACK, CHANNEL, None,
                                 lambda: query.answer(text, show_alert=bool(text)) if text else query.answer())
