"""Telegram handlers for users: translate an update into plain values, call the services, send what they return.

Each handler is short on purpose: the decisions live in the channel-neutral core (bot/conversation/assistant.py and friends).
"""

from __future__ import annotations

import logging

from telegram import ChatMember, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import (Application, CallbackQueryHandler, ChatMemberHandler, CommandHandler, ContextTypes,
                          MessageHandler, filters)

from bot.actions import Action, Kind, parse
from bot.conversation.assistant import Route
from bot.handoff.service import NoStaffDesk
from bot.runtime.outbox import Undeliverable
from bot.runtime.ports import MessageRef
from bot.answers.replies import Button, Reply
from bot.channels.telegram.channel import CHANNEL
from bot.channels.telegram.context import ack, send, services, visitor

log = logging.getLogger(__name__)
EDIT_IN_PLACE = (Kind.MENU, Kind.ENTRY, Kind.LANGUAGE, Kind.DEADLINE, Kind.CANCEL_REMINDER)


# ---------------------------------------------------------------------------------------------- commands
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet in the user's language; `/start <id>` (a t.me deep link) opens that entry directly."""
    assistant = services(context).assistant
    payload = context.args[0] if context.args else ""
    lang = await assistant.language_of(visitor(update))
    if payload in assistant.engine.catalogue.entries:
        reply = await assistant.act(visitor(update), Action.entry(payload), full=False)
    else:
        composer = assistant.engine.composer
        reply = composer.simple(lang, "greeting.body", buttons=composer.menu_buttons(lang))
    if reply is not None:
        await send(update, context, reply)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send(update, context, await services(context).assistant.help(visitor(update)))


async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/language en` switches at once; `/language` alone offers both as buttons."""
    assistant = services(context).assistant
    wanted = (context.args[0].lower()[:2] if context.args else "")
    if wanted in ("es", "en"):
        await send(update, context, await assistant.set_language(visitor(update), wanted))
        return
    lang = await assistant.language_of(visitor(update))
    t = assistant.engine.texts
    buttons = (Button(t(lang, "language.button_es"), Action.language("es")),
               Button(t(lang, "language.button_en"), Action.language("en")))
    await send(update, context, assistant.engine.composer.simple(lang, "language.choose", buttons=buttons))


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assistant = services(context).assistant
    await send(update, context, assistant.engine.composer.menu(await assistant.language_of(visitor(update))))


async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assistant = services(context).assistant
    lang = await assistant.language_of(visitor(update))
    await send(update, context, assistant.with_human_button(assistant.engine.composer.contact(lang), lang))


async def reminders(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reminders, /recordatorios: the user's reminders, each with a button to cancel it."""
    await send(update, context, await services(context).assistant.reminders(visitor(update)))


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send(update, context, await services(context).subscriptions.subscribe(visitor(update)))


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send(update, context, await services(context).subscriptions.unsubscribe(visitor(update)))


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask before deleting: the user's data goes only after they confirm with a button."""
    assistant = services(context).assistant
    lang = await assistant.language_of(visitor(update))
    t = assistant.engine.texts
    buttons = (Button(t(lang, "button.forget_yes"), Action.FORGET_YES),
               Button(t(lang, "button.forget_no"), Action.FORGET_NO))
    await send(update, context, assistant.engine.composer.simple(lang, "forget.confirm", buttons=buttons))


async def request_person(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/human, the "Talk to a person" button, or "quiero hablar con un asesor": a person will answer here."""
    svc = services(context)
    user = await svc.assistant.user(visitor(update))
    try:
        reply = await svc.handoff.request(user)
    except NoStaffDesk:
        composer = svc.assistant.engine.composer
        await send(update, context, composer.simple(user.language, "handoff.unavailable"))
        reply = composer.contact(user.language)
    await send(update, context, reply)


# ---------------------------------------------------------------------------------------------- messages
async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A free-text message (new or edited): a question, a request for a person, or a subscription."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    svc = services(context)
    async with svc.channel.typing_while(str(message.chat_id)):
        routed = await svc.assistant.route(visitor(update), message.text)
    if routed.route is Route.HUMAN:
        await request_person(update, context)
    elif routed.route is Route.SUBSCRIBE:
        await send(update, context, await svc.subscriptions.subscribe(visitor(update)))
    elif routed.route is Route.UNSUBSCRIBE:
        await send(update, context, await svc.subscriptions.unsubscribe(visitor(update)))
    elif routed.route is Route.DEADLINE:
        await send(update, context, routed.answer.reply)
    else:
        answer = routed.answer
        await send(update, context, svc.assistant.with_notify_button(answer.reply, answer.intent))


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
    answer = await services(context).assistant.ask(visitor(update), question, full=False)
    await send(update, context, answer.reply)


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Photos, voice notes, stickers, documents, locations: say the bot reads text, offer the menu."""
    assistant = services(context).assistant
    lang = await assistant.language_of(visitor(update))
    composer = assistant.engine.composer
    await send(update, context, composer.simple(lang, "media.text_only", buttons=composer.menu_buttons(lang)))


# ---------------------------------------------------------------------------------------------- buttons
async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Menus and "which one?" choices replace the message in place; sections arrive as new messages."""
    query = update.callback_query
    assert query is not None
    svc = services(context)
    await ack(update, context)
    data = query.data or ""
    parsed = parse(data)
    who = visitor(update)
    if parsed is None or query.message is None:
        reply = None
    elif parsed.kind is Kind.FORGET:
        await _forget_answer(update, context, parsed.value == "yes")
        return
    elif parsed.kind is Kind.HUMAN:
        await request_person(update, context)
        return
    elif parsed.kind is Kind.NOT_WHAT_I_ASKED:
        await send(update, context, await svc.assistant.not_what_i_asked(who))
        return
    elif parsed.kind in (Kind.SUBSCRIBE, Kind.TOPIC, Kind.TOPICS_DONE):
        await _subscription_button(update, context, parsed)
        return
    elif parsed.kind in (Kind.DRAFT, Kind.CONTROL, Kind.CARD, Kind.EXAMPLE):
        return  # staff buttons are handled (and refused) by the staff handlers
    else:
        reply = await svc.assistant.act(who, data, full=False)
        if reply is not None and parsed.kind is Kind.ENTRY:
            reply = svc.assistant.with_notify_button(reply, parsed.value)
    lang = await svc.assistant.language_of(who)
    composer = svc.assistant.engine.composer
    if reply is None:
        reply = composer.simple(lang, "stale.button", buttons=composer.menu_buttons(lang))
    elif parsed is not None and parsed.kind is Kind.CONTACT:
        reply = svc.assistant.with_human_button(reply, lang)
    await _show(update, context, reply, in_place=parsed is not None and parsed.kind in EDIT_IN_PLACE)


async def _show(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply, *, in_place: bool) -> None:
    query = update.callback_query
    assert query is not None
    channel = services(context).channel
    if in_place and query.message is not None:
        ref = MessageRef(CHANNEL, str(query.message.chat.id), str(query.message.message_id))
        try:
            if await channel.replace(ref, reply):
                return
        except Undeliverable:
            pass  # e.g. the message is too old to edit: send it as a new one
    await send(update, context, reply)


async def _subscription_button(update: Update, context: ContextTypes.DEFAULT_TYPE, parsed) -> None:
    """Subscribe from under an answer (a new message); topic toggles and Done update the chooser in place."""
    subscriptions = services(context).subscriptions
    who = visitor(update)
    if parsed.kind is Kind.SUBSCRIBE:
        await send(update, context, await subscriptions.subscribe(who))
        return
    reply = (await subscriptions.done(who) if parsed.kind is Kind.TOPICS_DONE
             else await subscriptions.toggle(who, parsed.value))
    if reply is not None:
        await _show(update, context, reply, in_place=True)


async def _forget_answer(update: Update, context: ContextTypes.DEFAULT_TYPE, confirmed: bool) -> None:
    svc = services(context)
    who = visitor(update)
    lang = await svc.assistant.language_of(who)
    if confirmed:
        forgotten = await svc.assistant.forget(who)
        if forgotten is not None:
            svc.handoff.forgotten(forgotten)
    reply = svc.assistant.engine.composer.simple(lang, "forget.done" if confirmed else "forget.cancelled")
    await _show(update, context, reply, in_place=True)


# ---------------------------------------------------------------------------------------------- membership, errors
async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A private chat's my_chat_member update says the user blocked (kicked) or unblocked the bot."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    svc = services(context)
    user = await svc.storage.users.find_user(channel=CHANNEL, external_id=str(change.chat.id))
    if user is not None:
        if change.new_chat_member.status == ChatMember.BANNED:  # the same handling as a 403 from the outbox
            await svc.storage.users.mark_unreachable(user_id=user.id)
            await svc.handoff.user_blocked(user)
        else:
            await svc.storage.users.set_active(user_id=user.id, active=True)


def register(application: Application) -> None:
    """All user-facing handlers, in one place."""
    private = filters.ChatType.PRIVATE
    new_message = filters.UpdateType.MESSAGE
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler(["help", "ayuda"], help_command))
    application.add_handler(CommandHandler(["language", "idioma", "lang"], language))
    application.add_handler(CommandHandler("menu", menu))
    application.add_handler(CommandHandler(["contact", "contacto"], contact))
    application.add_handler(CommandHandler(["forget", "olvidar"], forget, filters=private))
    application.add_handler(CommandHandler(["subscribe", "suscribirme"], subscribe, filters=private))
    application.add_handler(CommandHandler(["unsubscribe", "cancelar_suscripcion"], unsubscribe, filters=private))
    application.add_handler(CommandHandler(["human", "asesor"], request_person, filters=private))
    application.add_handler(CommandHandler(["reminders", "recordatorios"], reminders, filters=private))
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, text_message))
    application.add_handler(MessageHandler(filters.ChatType.GROUPS & new_message & filters.TEXT
                                           & filters.Entity(MessageEntity.MENTION), group_mention))
    application.add_handler(MessageHandler(private & new_message & ~filters.TEXT & ~filters.StatusUpdate.ALL,
                                           not_text))
    application.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
