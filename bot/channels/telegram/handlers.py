"""Telegram handlers: translate an update into plain values, call the Assistant, send what it returns.

Each handler is short on purpose: the decisions live in the channel-neutral core (bot/assistant.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import ChatMember, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import (Application, CallbackQueryHandler, ChatMemberHandler, CommandHandler, ContextTypes,
                          MessageHandler, filters)

from ...assistant import Assistant, Visitor
from ...config import Settings
from ...replies import Action, Button, Reply
from .delivery import Delivery, DeliveryFailed

log = logging.getLogger(__name__)
CHANNEL = "telegram"
FORGET_YES, FORGET_NO = "forget:yes", "forget:no"
HUMAN = "human"
SUBSCRIBE = "sub"


@dataclass
class Services:
    """What handlers need, built once in app.py and kept in application.bot_data."""

    settings: Settings
    assistant: Assistant
    delivery: Delivery


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


def visitor(update: Update) -> Visitor:
    user = update.effective_user
    assert user is not None
    return Visitor(CHANNEL, str(user.id), user.language_code, user.full_name, user.username)


async def _send(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply) -> None:
    chat = update.effective_chat
    assert chat is not None
    try:
        await services(context).delivery.send(chat.id, reply)
    except DeliveryFailed:
        pass  # already logged (and the user marked inactive if they blocked the bot)


def _texts(context: ContextTypes.DEFAULT_TYPE):
    return services(context).assistant.engine.texts


def _composer(context: ContextTypes.DEFAULT_TYPE):
    return services(context).assistant.engine.composer


# ---------------------------------------------------------------------------------------------- commands
async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet in the user's language; `/start <id>` (a t.me deep link) opens that entry directly."""
    assistant = services(context).assistant
    payload = context.args[0] if context.args else ""
    lang = await assistant.language_of(visitor(update))
    if payload in assistant.engine.catalogue.entries:
        reply = await assistant.act(visitor(update), Action.entry(payload), full=False)
    else:
        reply = _composer(context).simple(lang, "greeting.body", buttons=_composer(context).menu_buttons(lang))
    await _send(update, context, reply)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send(update, context, await services(context).assistant.help(visitor(update)))


async def language(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """`/language en` switches at once; `/language` alone offers both as buttons."""
    assistant = services(context).assistant
    wanted = (context.args[0].lower()[:2] if context.args else "")
    if wanted in ("es", "en"):
        await _send(update, context, await assistant.set_language(visitor(update), wanted))
        return
    lang = await assistant.language_of(visitor(update))
    t = _texts(context)
    buttons = (Button(t(lang, "language.button_es"), Action.language("es")),
               Button(t(lang, "language.button_en"), Action.language("en")))
    await _send(update, context, _composer(context).simple(lang, "language.choose", buttons=buttons))


async def menu(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await services(context).assistant.language_of(visitor(update))
    await _send(update, context, _composer(context).menu(lang))


async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = await services(context).assistant.language_of(visitor(update))
    await _send(update, context, _with_human_button(_composer(context).contact(lang), context, lang))


def wants_person(assistant, text: str) -> bool:
    """A message about contacting the firm that asks for a person, not for prices or an address."""
    tokens = set(assistant.engine.matcher.analyzer.tokens(text))
    return bool(tokens & {"PERSON", "TALK"})


def _with_notify_button(reply: Reply, entry_id: str | None, context: ContextTypes.DEFAULT_TYPE) -> Reply:
    """Under an answer about a procedure or topic: "Notify me of changes" subscribes in one tap."""
    if entry_id is None or entry_id in ("suscripcion", "contacto"):
        return reply
    button = Button(_texts(context)(reply.language, "button.notify"), SUBSCRIBE)
    return Reply(reply.blocks, reply.buttons + (button,), reply.language)


def _with_human_button(reply: Reply, context: ContextTypes.DEFAULT_TYPE, lang: str) -> Reply:
    button = Button(_texts(context)(lang, "button.human"), HUMAN)
    return Reply(reply.blocks, reply.buttons + (button,), reply.language)


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send(update, context, await context.application.bot_data["subscriptions"].subscribe(visitor(update)))


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _send(update, context, await context.application.bot_data["subscriptions"].unsubscribe(visitor(update)))


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Ask before deleting: the user's data goes only after they confirm with a button."""
    lang = await services(context).assistant.language_of(visitor(update))
    t = _texts(context)
    buttons = (Button(t(lang, "button.forget_yes"), FORGET_YES), Button(t(lang, "button.forget_no"), FORGET_NO))
    await _send(update, context, _composer(context).simple(lang, "forget.confirm", buttons=buttons))


# ---------------------------------------------------------------------------------------------- messages
async def text_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A free-text question (new or edited): answered by the engine, leading with the appointment line."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    svc = services(context)
    async with svc.delivery.typing_while(message.chat_id):
        answer = await svc.assistant.ask(visitor(update), message.text, full=False)
    if answer.intent == "contacto" and wants_person(svc.assistant, message.text):
        await _human_requested(update, context)  # "quiero hablar con un asesor", "I need a human"
        return
    if answer.intent == "suscripcion":  # "avísenme cuando haya cambios" subscribes; "darme de baja" leaves
        subscriptions = context.application.bot_data["subscriptions"]
        if subscriptions.wants_out(message.text):
            await _send(update, context, await subscriptions.unsubscribe(visitor(update)))
        else:
            await _send(update, context, await subscriptions.subscribe(visitor(update)))
        return
    await _send(update, context, _with_notify_button(answer.reply, answer.intent, context))


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
    svc = services(context)
    answer = await svc.assistant.ask(visitor(update), question, full=False)
    await _send(update, context, answer.reply)


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Photos, voice notes, stickers, documents, locations: say the bot reads text, offer the menu."""
    lang = await services(context).assistant.language_of(visitor(update))
    composer = _composer(context)
    await _send(update, context, composer.simple(lang, "media.text_only", buttons=composer.menu_buttons(lang)))


# ---------------------------------------------------------------------------------------------- buttons
async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Menus and "which one?" choices replace the message in place; sections arrive as new messages."""
    query = update.callback_query
    assert query is not None and query.message is not None
    svc = services(context)
    try:
        await svc.delivery.call(query.answer, idempotent=True, about=query.message.chat.id)
    except DeliveryFailed:
        pass  # the spinner on the button times out by itself
    data = query.data or ""
    who = visitor(update)
    if data in (FORGET_YES, FORGET_NO):
        await _forget_answer(update, context, data == FORGET_YES)
        return
    if data == HUMAN:
        await _human_requested(update, context)
        return
    if data == SUBSCRIBE or data.startswith("sub:"):
        await _subscription_button(update, context, data)
        return
    reply = await svc.assistant.act(who, data, full=False)
    if data.startswith("e:") and reply is not None:
        reply = _with_notify_button(reply, data[2:], context)
    lang = await svc.assistant.language_of(who)
    if reply is None:
        reply = _composer(context).simple(lang, "stale.button", buttons=_composer(context).menu_buttons(lang))
    if data == Action.CONTACT:
        reply = _with_human_button(reply, context, lang)
    chat_id, message_id = query.message.chat.id, query.message.message_id
    try:
        if data.startswith(("menu", "e:", "lang:")) and await svc.delivery.edit(chat_id, message_id, reply):
            return
        await svc.delivery.send(chat_id, reply)
    except DeliveryFailed:
        pass


async def _subscription_button(update: Update, context: ContextTypes.DEFAULT_TYPE, data: str) -> None:
    """Subscribe from under an answer (a new message); topic toggles and Done update the chooser in place."""
    subscriptions = context.application.bot_data["subscriptions"]
    who = visitor(update)
    query = update.callback_query
    assert query is not None and query.message is not None
    delivery = services(context).delivery
    try:
        if data == SUBSCRIBE:
            await delivery.send(query.message.chat.id, await subscriptions.subscribe(who))
            return
        reply = (await subscriptions.done(who) if data == "sub:done"
                 else await subscriptions.toggle(who, data.removeprefix("sub:t:")))
        if reply is not None and not await delivery.edit(query.message.chat.id, query.message.message_id, reply):
            await delivery.send(query.message.chat.id, reply)
    except DeliveryFailed:
        pass


async def _forget_answer(update: Update, context: ContextTypes.DEFAULT_TYPE, confirmed: bool) -> None:
    svc = services(context)
    who = visitor(update)
    lang = await svc.assistant.language_of(who)
    if confirmed:
        await svc.assistant.forget(who)
    query = update.callback_query
    assert query is not None and query.message is not None
    reply = _composer(context).simple(lang, "forget.done" if confirmed else "forget.cancelled")
    try:
        await svc.delivery.edit(query.message.chat.id, query.message.message_id, reply)
    except DeliveryFailed:
        pass


async def _human_requested(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The "Talk to a person" button: the takeover module hands the chat to the staff."""
    from .takeover_handlers import request_person  # the takeover module builds on these handlers
    await request_person(update, context)


# ---------------------------------------------------------------------------------------------- membership, errors
async def membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A private chat's my_chat_member update says the user blocked (kicked) or unblocked the bot."""
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    repo = services(context).assistant.repo
    user = await repo.find_user(channel=CHANNEL, external_id=str(change.chat.id))
    if user is not None:
        blocked = change.new_chat_member.status == ChatMember.BANNED
        await repo.set_active(user_id=user.id, active=not blocked)
        if blocked and "takeover" in context.application.bot_data:
            await context.application.bot_data["takeover"].user_blocked(user)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One failing update never stops the bot: log it with the update id and carry on."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed", update_id, exc_info=context.error)


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
    application.add_handler(CallbackQueryHandler(button))
    application.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, text_message))
    application.add_handler(MessageHandler(filters.ChatType.GROUPS & new_message & filters.TEXT
                                           & filters.Entity(MessageEntity.MENTION), group_mention))
    application.add_handler(MessageHandler(private & new_message & ~filters.TEXT & ~filters.StatusUpdate.ALL,
                                           not_text))
    application.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))
    application.add_error_handler(on_error)
