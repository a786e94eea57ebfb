"""Telegram handlers for users: an update becomes one front-door Inbound; what comes back is sent.

Every decision (commands, words, buttons, the person who has the chat) is the front door's
(bot/conversation/turn.py); here are only Telegram's own ways: command syntax, edits in place, button alerts,
"typing…", mentions in groups and the my_chat_member update.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re

from telegram import ChatMember, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import (Application, CallbackQueryHandler, ChatMemberHandler, CommandHandler, ContextTypes,
                          MessageHandler, filters)

from bot.conversation.turn import COMMANDS, Inbound, Turn
from bot.runtime.outbox import Undeliverable
from bot.runtime.ports import MessageRef
from bot.storage import utc_iso
from bot.channels.telegram.channel import CHANNEL
from bot.channels.telegram.context import ack, relay_item, services

log = logging.getLogger(__name__)
STAFF_BUTTONS = re.compile(r"^(ho|bcd|bc|ex):")   # handled (and refused to others) by the staff handlers
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


def inbound(update: Update, **values) -> Inbound:
    """The update's sender as the front door sees them, with the turn's values."""
    user = update.effective_user
    assert user is not None
    message = update.effective_message
    private = update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE
    when = message.edit_date or message.date if message is not None and message.date else None
    return Inbound(CHANNEL, str(user.id), language_hint=user.language_code, display_name=user.full_name,
                   username=user.username, in_group=not private,
                   at_iso=utc_iso(when.astimezone(dt.timezone.utc)) if when is not None and private else None,
                   **values)


def _relay(message: Message):
    async def make():
        return relay_item(message)
    return make


async def on_command(name: str, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ayuda, /language en, /start canje…: the command by its name, with its argument."""
    message = update.effective_message
    argument = " ".join(context.args or ())
    await _take(update, context, inbound(update, command=name, argument=argument, text=message.text if message else None,
                                         relay=_relay(message) if message is not None else None))


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A private message, new or edited: text, or media (which the bot cannot read)."""
    message = update.effective_message
    if message is None:
        return
    edited = update.edited_message is not None
    text = message.text if message.text is not None else None
    media = None if text is not None else "media"
    if text is not None and not edited:
        async with services(context).channel.typing_while(str(message.chat_id)):
            turn = await services(context).front.take(inbound(update, text=text, relay=_relay(message)))
        await _send(update, context, turn)
        return
    await _take(update, context, inbound(update, text=text, media_kind=media, edited=edited, relay=_relay(message)))


async def group_mention(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups the bot answers only when mentioned (commands are handled by the command handlers)."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    mention = f"@{context.bot.username}".lower()
    mentions = message.parse_entities([MessageEntity.MENTION])
    if not any(text.lower() == mention for text in mentions.values()):
        return
    question = message.text
    for text in mentions.values():
        question = question.replace(text, " ")
    await _take(update, context, inbound(update, text=question))


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press; its answer may replace the message that carried the button."""
    query = update.callback_query
    assert query is not None
    if STAFF_BUTTONS.match(query.data or ""):
        return
    turn = await services(context).front.take(inbound(update, action=query.data or ""))
    await ack(update, context, turn.notice)
    await _send(update, context, turn)


async def _take(update: Update, context: ContextTypes.DEFAULT_TYPE, value: Inbound) -> None:
    await _send(update, context, await services(context).front.take(value))


async def _send(update: Update, context: ContextTypes.DEFAULT_TYPE, turn: Turn) -> None:
    """Send the turn's replies in order; an answer to a button replaces its message when it fits."""
    chat = update.effective_chat
    if chat is None or turn.user is None:
        return
    channel = services(context).channel
    query = update.callback_query
    for say in turn.says:
        try:
            if say.in_place and query is not None and query.message is not None:
                ref = MessageRef(CHANNEL, str(query.message.chat.id), str(query.message.message_id))
                try:
                    if await channel.replace(ref, say.reply):
                        continue
                except Undeliverable:
                    pass  # e.g. the message is too old to edit: send it as a new one
            await channel.send_to(str(chat.id), say.reply)
        except Undeliverable:
            return  # logged by the outbox (a blocked user was marked by its hook)


async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A private chat's my_chat_member update says the user blocked (kicked) or unblocked the bot."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    front = services(context).front
    if change.new_chat_member.status == ChatMember.BANNED:  # the same handling as a 403 from the outbox
        await front.unreachable(CHANNEL, str(change.chat.id))
    else:
        await front.reachable(CHANNEL, str(change.chat.id))


def register(application: Application) -> None:
    """All user-facing handlers, in one place; the commands come from the front door's one table."""
    private = filters.ChatType.PRIVATE
    new_message = filters.UpdateType.MESSAGE
    for command in COMMANDS:
        names = [n for n in dict.fromkeys((*command.slash, *command.words)) if _COMMAND_NAME.match(n)]
        application.add_handler(CommandHandler(names, functools.partial(on_command, command.name),
                                               filters=private if command.private else None))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(MessageHandler(private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, on_message))
    application.add_handler(MessageHandler(filters.ChatType.GROUPS & new_message & filters.TEXT
                                           & filters.Entity(MessageEntity.MENTION), group_mention))
    application.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
