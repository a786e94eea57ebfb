"""While a person has a user's chat: everything the user sends goes to the staff desk, and the bot stays silent.

These handlers run before the bot's own (group -2) and stop them when they act.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.channels.telegram.channel import CHANNEL
from bot.channels.telegram.context import ack, relay_item, services, visitor

GROUP = -2


def _with_person(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    who = update.effective_user
    return who is not None and services(context).handoff.has_person_at(CHANNEL, str(who.id))


async def user_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not _with_person(update, context):
        return
    svc = services(context)
    user = await svc.assistant.user(visitor(update))
    await svc.handoff.from_user(user, relay_item(message))
    raise ApplicationHandlerStop


async def user_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.edited_message is None or not _with_person(update, context):
        return
    svc = services(context)
    user = await svc.assistant.user(visitor(update))
    await svc.handoff.edit_from_user(user, relay_item(update.edited_message))
    raise ApplicationHandlerStop


async def user_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot's old buttons do nothing while a person has the chat (the user is told why)."""
    if not _with_person(update, context):
        return
    assistant = services(context).assistant
    lang = await assistant.language_of(visitor(update))
    await ack(update, context, assistant.engine.texts(lang, "handoff.busy"))
    raise ApplicationHandlerStop


def register(application: Application) -> None:
    private = filters.ChatType.PRIVATE
    not_handoff_command = ~filters.Regex(r"^/(human|asesor)(@\w+)?\b")
    application.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE & not_handoff_command, user_message),
                            group=GROUP)
    application.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, user_edit), group=GROUP)
    application.add_handler(CallbackQueryHandler(user_button, pattern=r"^(?!(ho|bcd|bc|ex):)"), group=GROUP)
