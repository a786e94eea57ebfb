"""Handlers for staff takeover: they run before the bot's own (group -2) and stop them when they act."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (Application, ApplicationHandlerStop, CallbackQueryHandler, CommandHandler, ContextTypes,
                          MessageHandler, filters)

from ...handoff import STAFF_LANGUAGE
from .handlers import _send, services, visitor
from .staff import _gate, _refuse
from .takeover import NoStaffChat, Staff, Takeover

HANDOFF_COMMANDS = ("human", "asesor")


def takeover(context: ContextTypes.DEFAULT_TYPE) -> Takeover:
    return context.application.bot_data["takeover"]


async def request_person(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/human, the "Talk to a person" button, or "quiero hablar con un asesor": a person will answer here."""
    svc = services(context)
    user = await svc.assistant.user(visitor(update))
    try:
        reply = await takeover(context).request(user)
    except NoStaffChat:
        composer = svc.assistant.engine.composer
        await _send(update, context, composer.simple(user.language, "handoff.unavailable"))
        reply = composer.contact(user.language)
    await _send(update, context, reply)


# ---------------------------------------------------------------------------------------------- the user's side
async def _user_with_staff(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """The stored user when a person has their chat, else None (the bot handles the update as usual)."""
    who = update.effective_user
    if who is None or who.id not in takeover(context).with_staff:
        return None
    return await services(context).assistant.user(visitor(update))


async def user_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """While a person has the chat, everything the user sends goes to the staff and the bot stays silent."""
    user = await _user_with_staff(update, context)
    if user is not None and update.effective_message is not None:
        await takeover(context).from_user(user, update.effective_message)
        raise ApplicationHandlerStop


async def user_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = await _user_with_staff(update, context)
    if user is not None and update.edited_message is not None:
        await takeover(context).edit_from_user(user, update.edited_message)
        raise ApplicationHandlerStop


async def user_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot's old buttons do nothing while a person has the chat (the user is told why)."""
    query = update.callback_query
    if query is None or query.from_user.id not in takeover(context).with_staff:
        return
    lang = await services(context).assistant.language_of(visitor(update))
    await query.answer(services(context).assistant.engine.texts(lang, "handoff.busy"), show_alert=True)
    raise ApplicationHandlerStop


# ---------------------------------------------------------------------------------------------- the staff's side
def _staff(update: Update) -> Staff:
    user = update.effective_user
    assert user is not None
    return Staff(user.id, user.full_name)


async def staff_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message in a user's topic (or a reply to a relayed message) goes to that user; '#' keeps it internal."""
    message = update.effective_message
    if message is None or update.effective_user is None or update.effective_user.is_bot:
        return
    if (message.text or message.caption or "").lstrip().startswith("#"):
        raise ApplicationHandlerStop  # an internal note: never relayed
    user = await takeover(context).target_of(message)
    if user is None:
        return  # not about a user (e.g. a broadcast draft in the General topic)
    await takeover(context).from_staff(user, message, _staff(update))
    raise ApplicationHandlerStop


async def staff_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.edited_message is not None:
        await takeover(context).edit_from_staff(update.edited_message)


async def _staff_target(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """The user a staff command is about, or None after telling the staff member what is missing."""
    message = update.effective_message
    if message is None or message.chat_id != takeover(context).staff_chat_id:
        if not await _gate(context).is_staff(context.bot, update.effective_user.id if update.effective_user else None):
            await _refuse(update, context)
        elif message is not None:
            await message.reply_text(services(context).assistant.engine.texts(STAFF_LANGUAGE, "staff.no_user"))
        return None
    user = await takeover(context).target_of(message)
    if user is None:
        await message.reply_text(services(context).assistant.engine.texts(STAFF_LANGUAGE, "staff.no_user"))
    return user


async def release_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = await _staff_target(update, context)
    if user is not None:
        await takeover(context).release(user, by=_staff(update).name)


async def takeover_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = await _staff_target(update, context)
    if user is None:
        return
    conv = await takeover(context).take(user, _staff(update))
    if conv.owner_id != _staff(update).id and update.effective_message is not None:
        await update.effective_message.reply_text(services(context).assistant.engine.texts(
            STAFF_LANGUAGE, "staff.owned", owner=conv.owner_name))


async def note_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/note text: stays in the staff chat (like a message starting with '#')."""
    if update.effective_chat is None or update.effective_chat.id != takeover(context).staff_chat_id:
        await _refuse(update, context)


async def card_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The card's buttons: take over, or give back to the bot. Only from the staff chat."""
    query = update.callback_query
    assert query is not None
    if query.message is None or query.message.chat.id != takeover(context).staff_chat_id:
        await _refuse(update, context)
        return
    _, action, raw_user = (query.data or "").split(":")
    user = await services(context).assistant.repo.get_user(int(raw_user))
    await query.answer()
    if user is None:
        return
    if action == "release":
        await takeover(context).release(user, by=_staff(update).name)
    else:
        conv = await takeover(context).take(user, _staff(update))
        if conv.owner_id != _staff(update).id:
            await query.answer(services(context).assistant.engine.texts(STAFF_LANGUAGE, "staff.owned",
                                                                        owner=conv.owner_name), show_alert=True)


def register(application: Application, staff_chat_id: int | None) -> None:
    private = filters.ChatType.PRIVATE
    not_handoff_command = ~filters.Regex(r"^/(human|asesor)(@\w+)?\b")
    application.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE & not_handoff_command, user_message),
                            group=-2)
    application.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, user_edit), group=-2)
    application.add_handler(CallbackQueryHandler(user_button, pattern=r"^(?!ho:)"), group=-2)
    application.add_handler(CommandHandler(list(HANDOFF_COMMANDS), request_person, filters=private))
    application.add_handler(CommandHandler(["release", "liberar"], release_command), group=-3)
    application.add_handler(CommandHandler("takeover", takeover_command), group=-3)
    application.add_handler(CommandHandler(["note", "nota"], note_command), group=-3)
    application.add_handler(CallbackQueryHandler(card_button, pattern=r"^ho:(release|take):\d+$"), group=-3)
    if staff_chat_id is not None:
        staff_chat = filters.Chat(staff_chat_id)
        application.add_handler(MessageHandler(staff_chat & filters.UpdateType.MESSAGE & ~filters.COMMAND
                                               & ~filters.StatusUpdate.ALL, staff_message), group=-2)
        application.add_handler(MessageHandler(staff_chat & filters.UpdateType.EDITED_MESSAGE, staff_edit), group=-2)

