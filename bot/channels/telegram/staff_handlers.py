"""Staff handlers: broadcast drafts and controls, takeover commands, card buttons, messages in users' topics.

Every staff action is checked against the staff gate for the sender, now: commands, buttons, relays, releases,
takeovers and notes. They run before the user handlers (groups -3 and -1) and stop them when they act.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3

from telegram import ChatMember, InputFile, Message, Update
from telegram.constants import ChatType
from telegram.ext import (Application, ApplicationHandlerStop, CallbackQueryHandler, ChatMemberHandler,
                          CommandHandler, ContextTypes, MessageHandler, filters)

from bot.actions import Action, Kind, parse
from bot.broadcasts.drafts import Where
from bot.broadcasts.sender import controls
from bot.broadcasts.content import mexico_time
from bot.knowledge.catalogue import KnowledgeError
from bot.languages import STAFF_LANGUAGE, hinted_language
from bot.runtime.outbox import Purpose, Undeliverable
from bot.runtime.ports import StaffMember
from bot.answers.attached import OUT_OF_SCOPE, ExampleRefused, check
from bot.answers.replies import Block, Button, Reply, Style
from bot.runtime.stats import chart_png, collect
from bot.channels.telegram.broadcast_text import body_from
from bot.storage import StorageError
from bot.channels.telegram.context import ack, relay_item, services
from bot.channels.telegram.render import escape
from bot.channels.telegram.staff_gate import Membership

log = logging.getLogger(__name__)
COMMANDS_GROUP = -4
DRAFTS_GROUP = -3
MESSAGES_GROUP = -1


def _lang(update: Update) -> str:
    user = update.effective_user
    return hinted_language(user.language_code if user else None) or STAFF_LANGUAGE


def _t(context: ContextTypes.DEFAULT_TYPE, update: Update, key: str, **values: object) -> str:
    return services(context).assistant.engine.texts(_lang(update), key, **values)


def _staff(update: Update) -> StaffMember:
    user = update.effective_user
    assert user is not None
    return StaffMember(str(user.id), user.full_name)


async def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, buttons=()) -> None:
    """A reply to the staff member, in the chat and topic they wrote in."""
    message = update.effective_message
    if message is None:
        return
    reply = Reply((Block(Style.TEXT, (text,)),), tuple(buttons), _lang(update))
    thread = str(message.message_thread_id) if message.is_topic_message else None
    try:
        await services(context).channel.send_to(str(message.chat_id), reply, Purpose.STAFF, thread=thread)
    except Undeliverable:
        pass


async def _allowed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Is the sender staff now? If not (or Telegram cannot tell), they are told, and nothing else happens."""
    user = update.effective_user
    verdict = await services(context).gate.check(user.id if user else None)
    if verdict is Membership.STAFF:
        return True
    key = "staff.check_failed" if verdict is Membership.UNKNOWN else "staff.not_allowed"
    if update.callback_query is not None:
        await ack(update, context, _t(context, update, key))
    else:
        await _say(update, context, _t(context, update, key))
    return False


def _where(message: Message) -> Where:
    return Where(str(message.chat_id), str(message.message_thread_id) if message.is_topic_message else None)


def _draft_place_ok(context: ContextTypes.DEFAULT_TYPE, message: Message) -> bool:
    """Drafts are written in a private chat with the bot or in the staff chat outside any user's topic."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    return message.chat_id == services(context).settings.staff_chat_id and not message.is_topic_message


# ---------------------------------------------------------------------------------------------- broadcasts
async def broadcast_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not await _allowed(update, context):
        raise ApplicationHandlerStop
    drafts = services(context).drafts
    if drafts is None or not _draft_place_ok(context, message):
        await _say(update, context, _t(context, update, "staff.draft_here"))
        raise ApplicationHandlerStop
    await drafts.start(_staff(update).id, _where(message), _lang(update))
    raise ApplicationHandlerStop


async def draft_input(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A staff member's message while their draft waits for text, a file or a time; others pass through."""
    message, user = update.effective_message, update.effective_user
    drafts = services(context).drafts
    if message is None or user is None or drafts is None or not drafts.waiting(str(user.id), str(message.chat_id)):
        return
    if not _draft_place_ok(context, message) or (message.text or "").startswith("/"):
        return  # commands keep working; a message in a user's topic is for that user, not for the draft
    if not await _allowed(update, context):
        raise ApplicationHandlerStop
    media = None
    if message.photo:
        media = ("photo", message.photo[-1].file_id)
    elif message.document:
        media = ("document", message.document.file_id)
    text = body_from(message.text, message.entities) if message.text else None
    if await drafts.on_input(str(user.id), _where(message), _lang(update), text=text, media=media):
        raise ApplicationHandlerStop  # consumed: nothing typed for a draft reaches anyone else


async def broadcasts_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Recent broadcasts with their figures; running and paused ones get their buttons."""
    if not await _allowed(update, context):
        raise ApplicationHandlerStop
    svc = services(context)
    repo = svc.storage.broadcasts
    jobs = await repo.recent(10)
    if not jobs:
        await _say(update, context, _t(context, update, "bc.list_empty"))
        raise ApplicationHandlerStop
    await _say(update, context, _t(context, update, "bc.list_title"))
    for job in jobs:
        counts = await repo.counts(job.id)
        when = mexico_time(job.scheduled_at or job.started_at or job.created_at)
        line = _t(context, update, "bc.list_line", id=job.id, state=_t(context, update, f"bc.state.{job.status}"),
                  audience=job.audience or "-", sent=counts.sent, total=counts.total, failed=counts.failed,
                  blocked=counts.blocked, when=when)
        await _say(update, context, line, controls(job.id, job.status, svc.assistant.engine.texts, _lang(update)))
    raise ApplicationHandlerStop


async def unanswered_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unanswered: what users asked that the bot could not answer (or answered wrongly, "Not what I asked"), most
    frequent first; ➕ teaches the bot one of them."""
    if not await _allowed(update, context):
        raise ApplicationHandlerStop
    rows = await services(context).storage.users.unanswered(limit=15)
    if not rows:
        await _say(update, context, _t(context, update, "staff.unanswered_none"))
        raise ApplicationHandlerStop
    lines = [_t(context, update, "staff.unanswered_title")]
    for i, r in enumerate(rows, 1):
        line = f"{i}. " + _t(context, update, "staff.unanswered_line", count=r.count, text=r.text[:200],
                             when=mexico_time(r.last_asked))
        if r.entry_id:
            line += _t(context, update, "staff.unanswered_gave", name=_entry_name(context, r.entry_id, _lang(update)))
        lines.append(line)
    lines.append(_t(context, update, "staff.unanswered_attach"))
    buttons = [Button(f"➕ {i}", Action.example(r.question_id)) for i, r in enumerate(rows[:10], 1)]
    await _say(update, context, "\n".join(lines), buttons)
    raise ApplicationHandlerStop


LIKELY_ENTRIES = 5   # the classifier's top candidates offered first when staff attach a question


def _entry_name(context: ContextTypes.DEFAULT_TYPE, entry_id: str, lang: str) -> str:
    engine = services(context).assistant.engine
    if entry_id == OUT_OF_SCOPE:
        return engine.texts(lang, "staff.out_of_scope")
    entry = engine.catalogue.entries.get(entry_id)
    return entry.name.get(lang) if entry is not None else entry_id


def _likely_entries(engine, text: str, answered: str | None) -> list:
    """The entries the classifier finds likeliest for the question (procedures and topics), the one the bot gave
    (that the user said was wrong) left out."""
    offered = {e.id for e in (*engine.catalogue.procedures(), *engine.catalogue.topics())}
    ranked = [label for label, _ in engine.intents.predict(text).ranked if label in offered and label != answered]
    return [engine.catalogue.get(label) for label in ranked[:LIKELY_ENTRIES]]


async def _example_button(update: Update, context: ContextTypes.DEFAULT_TYPE, question_id: int, entry_id: str,
                          *, every: bool = False) -> None:
    """➕ under /unanswered: choose the entry (the likeliest first, or `every` one) or "out of scope"; then the
    question is stored and learnt at once, and the staff member told the outcome, whatever it is."""
    svc = services(context)
    question = await svc.storage.users.question(question_id)
    if question is None:
        await ack(update, context, _t(context, update, "staff.example_gone"))
        return
    await ack(update, context)
    engine = svc.assistant.engine
    lang = _lang(update)
    if not entry_id:
        entries = ([*engine.catalogue.procedures(), *engine.catalogue.topics()] if every
                   else _likely_entries(engine, question.text, question.entry_id))
        buttons = [Button(e.name.get(lang)[:60], Action.example(question_id, e.id)) for e in entries]
        if not every:
            buttons.append(Button(_t(context, update, "button.example_more"), Action.example_all(question_id)))
        buttons.append(Button(_t(context, update, "button.example_none"), Action.example(question_id, OUT_OF_SCOPE)))
        await _say(update, context, _t(context, update, "staff.example_which", text=question.text[:200]), buttons)
        return
    text = question.text
    staff = _staff(update)
    try:
        check(engine.knowledge, entry_id, question.language, text)  # refused at once, before any learning
        await _say(update, context, _t(context, update, "staff.example_learning", text=text[:200]))
        attached = await svc.examples.attach(entry_id, question.language, text, staff_id=staff.id,
                                             staff_name=staff.name)
        await svc.storage.users.answered_as(text=text, entry_id=None if entry_id == OUT_OF_SCOPE else entry_id)
    except Exception as exc:  # noqa: BLE001 - whatever failed, the staff member is told; nothing changed
        log.warning("attaching a question to %s failed: %s", entry_id, type(exc).__name__)
        await _say(update, context, _t(context, update, "staff.example_failed", text=text[:200],
                                       problem=_problem(context, update, exc)))
        return
    key = "staff.example_out_of_scope" if entry_id == OUT_OF_SCOPE else "staff.example_added"
    await _say(update, context, _t(context, update, key, text=text[:200], name=_entry_name(context, entry_id, lang)),
               [Button(_t(context, update, "button.example_remove"), Action.remove_example(attached.example.id))])


def _problem(context: ContextTypes.DEFAULT_TYPE, update: Update, exc: BaseException) -> str:
    """Why an attach or a removal failed, in the staff member's language."""
    if isinstance(exc, ExampleRefused):
        return _t(context, update, exc.key, **exc.values)
    detail = (str(exc) or type(exc).__name__)[:500]
    if isinstance(exc, KnowledgeError):
        return _t(context, update, "staff.example_training", problem=detail)
    if isinstance(exc, (StorageError, sqlite3.Error)):
        return _t(context, update, "staff.example_database", problem=detail)
    return f"{type(exc).__name__}: {detail}"


async def examples_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/examples: the questions staff attached (newest first), each with a ✖ button to remove it."""
    if not await _allowed(update, context):
        raise ApplicationHandlerStop
    rows = await services(context).storage.attached_examples.recent(15)
    if not rows:
        await _say(update, context, _t(context, update, "staff.examples_none"))
        raise ApplicationHandlerStop
    lang = _lang(update)
    lines = [_t(context, update, "staff.examples_title")]
    lines += [_t(context, update, "staff.examples_line", number=i, text=r.text[:200],
                 name=_entry_name(context, r.entry_id, lang), who=r.staff_name or "-",
                 when=mexico_time(r.created_at)) for i, r in enumerate(rows, 1)]
    buttons = [Button(f"✖ {i}", Action.remove_example(r.id)) for i, r in enumerate(rows, 1)]
    await _say(update, context, "\n".join(lines), buttons)
    raise ApplicationHandlerStop


async def _remove_example(update: Update, context: ContextTypes.DEFAULT_TYPE, example_id: int) -> None:
    svc = services(context)
    await ack(update, context)
    try:
        removed = await svc.examples.remove(example_id)
    except Exception as exc:  # noqa: BLE001 - told to the staff member; the example stays
        example = await svc.storage.attached_examples.get(example_id)
        await _say(update, context, _t(context, update, "staff.example_failed",
                                       text=(example.text if example else str(example_id))[:200],
                                       problem=_problem(context, update, exc)))
        return
    if removed is None:
        await _say(update, context, _t(context, update, "staff.example_remove_gone"))
        return
    await _say(update, context, _t(context, update, "staff.example_removed", text=removed.text[:200],
                                   name=_entry_name(context, removed.entry_id, _lang(update))))


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: a chart of the last two weeks (drawn in a thread) with the figures in the caption."""
    if not await _allowed(update, context):
        raise ApplicationHandlerStop
    svc = services(context)
    message = update.effective_message
    assert message is not None
    engine = svc.assistant.engine
    stats = await collect(svc.storage.users, dt.datetime.now(dt.timezone.utc).date())
    lang = _lang(update)
    names = {e.id: e.name.get(lang) for e in engine.catalogue.entries.values()}
    png = await asyncio.to_thread(chart_png, stats, names)
    channels = ", ".join(f"{c} {sum(v)}" for c, v in sorted(stats.per_day.items())) or "-"
    top = ", ".join(f"{names.get(e, e)} ({n})" for e, n in stats.top[:3]) or "-"
    caption = _t(context, update, "stats.caption", days=len(stats.days), total=stats.total, answered=stats.answered,
                 unanswered=stats.unanswered, channels=channels, top=top)
    extra = {"message_thread_id": message.message_thread_id} if message.is_topic_message else {}
    try:
        await svc.channel.call(Purpose.STAFF, message.chat_id, svc.channel.bot.send_photo, chat_id=message.chat_id,
                               photo=InputFile(png, filename="stats.png"), caption=escape(caption)[:1024], **extra)
    except Undeliverable:
        pass
    raise ApplicationHandlerStop


async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reload: apply edited knowledge/ without a restart; a bad edit keeps the running catalogue and says why."""
    if not await _allowed(update, context):
        raise ApplicationHandlerStop
    svc = services(context)
    engine = svc.assistant.engine
    try:
        await svc.examples.reload()  # the knowledge as edited, with the examples staff attached (the database's)
    except KnowledgeError as exc:
        await _say(update, context, _t(context, update, "staff.reload_failed", problems=str(exc)[:3000]))
    else:
        catalogue = engine.catalogue
        await _say(update, context, _t(context, update, "staff.reloaded", entries=len(catalogue.entries),
                                       placeholders=len(catalogue.placeholders)))
    raise ApplicationHandlerStop


# ---------------------------------------------------------------------------------------------- buttons
async def staff_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Draft buttons, broadcast controls and card buttons; a malformed or forged one is refused, never raised."""
    query = update.callback_query
    assert query is not None
    parsed = parse(query.data)
    if parsed is None or parsed.kind not in (Kind.DRAFT, Kind.CONTROL, Kind.CARD, Kind.EXAMPLE, Kind.EXAMPLE_ALL,
                                             Kind.EXAMPLE_REMOVE) or query.message is None:
        await ack(update, context, _t(context, update, "staff.not_allowed"))
        raise ApplicationHandlerStop
    if not await _allowed(update, context):
        raise ApplicationHandlerStop
    svc = services(context)
    message = query.message
    if parsed.kind is Kind.DRAFT:
        await ack(update, context)
        if svc.drafts is not None and isinstance(message, Message):
            await svc.drafts.on_button(_where(message), _lang(update), parsed)
    elif parsed.kind is Kind.CONTROL:
        verbs = {"pause": svc.broadcaster.pause, "resume": svc.broadcaster.resume, "cancel": svc.broadcaster.cancel}
        if await verbs[parsed.value](parsed.target or 0):
            await ack(update, context)
        else:
            job = await svc.storage.broadcasts.get(parsed.target or 0)
            await ack(update, context, _t(context, update, "bc.not_found", id=parsed.target,
                                          state=job.status if job else "?"))
    elif parsed.kind is Kind.EXAMPLE:
        await _example_button(update, context, parsed.target or 0, parsed.value)
    elif parsed.kind is Kind.EXAMPLE_ALL:
        await _example_button(update, context, parsed.target or 0, "", every=True)
    elif parsed.kind is Kind.EXAMPLE_REMOVE:
        await _remove_example(update, context, parsed.target or 0)
    else:
        await _card_button(update, context, parsed.value, parsed.target or 0)
    raise ApplicationHandlerStop


async def _card_button(update: Update, context: ContextTypes.DEFAULT_TYPE, verb: str, user_id: int) -> None:
    svc = services(context)
    user = await svc.storage.users.get_user(user_id)
    if user is None:
        await ack(update, context, _t(context, update, "staff.gone_user"))
        return
    await ack(update, context)
    if verb == "release":
        await svc.handoff.release(user, by=_staff(update).name)
        return
    conv = await svc.handoff.take(user, _staff(update))
    if conv.owner_id != _staff(update).id:
        await _say(update, context, _t(context, update, "staff.owned", owner=conv.owner_name))


# ---------------------------------------------------------------------------------------------- takeover
async def staff_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A message in a user's topic (or a reply to a relayed message) goes to that user; '#' keeps it internal."""
    message = update.effective_message
    if message is None or update.effective_user is None or update.effective_user.is_bot:
        return
    if (message.text or message.caption or "").lstrip().startswith("#"):
        raise ApplicationHandlerStop  # an internal note: never relayed
    svc = services(context)
    reply = message.reply_to_message
    reply_to = None
    if reply is not None and not (reply.forum_topic_created and message.is_topic_message):
        reply_to = str(reply.message_id)
    user = await svc.handoff.target(topic=str(message.message_thread_id) if message.is_topic_message else None,
                                    reply_to=reply_to)
    if user is None:
        return  # not about a user (e.g. a broadcast draft in the General topic)
    if not await _allowed(update, context):
        raise ApplicationHandlerStop
    await svc.handoff.from_staff(user, _staff(update), relay_item(message))
    raise ApplicationHandlerStop


async def staff_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.edited_message
    if message is None or update.effective_user is None:
        return
    if await services(context).gate.check(update.effective_user.id) is Membership.STAFF:
        await services(context).handoff.edit_from_staff(relay_item(message))
    raise ApplicationHandlerStop


async def _staff_target(update: Update, context: ContextTypes.DEFAULT_TYPE):
    """The user a staff command is about, or None after telling the staff member what is missing."""
    if not await _allowed(update, context):
        return None
    svc = services(context)
    message = update.effective_message
    if message is None or message.chat_id != svc.settings.staff_chat_id:
        await _say(update, context, _t(context, update, "staff.no_user"))
        return None
    reply = message.reply_to_message
    reply_to = str(reply.message_id) if reply is not None and not reply.forum_topic_created else None
    user = await svc.handoff.target(topic=str(message.message_thread_id) if message.is_topic_message else None,
                                    reply_to=reply_to)
    if user is None:
        await _say(update, context, _t(context, update, "staff.no_user"))
    return user


async def release_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = await _staff_target(update, context)
    if user is not None:
        await services(context).handoff.release(user, by=_staff(update).name)
    raise ApplicationHandlerStop


async def takeover_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = await _staff_target(update, context)
    if user is not None:
        conv = await services(context).handoff.take(user, _staff(update))
        if conv.owner_id != _staff(update).id:
            await _say(update, context, _t(context, update, "staff.owned", owner=conv.owner_name))
    raise ApplicationHandlerStop


async def note_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/note text: stays in the staff chat (like a message starting with '#'); elsewhere it is refused."""
    chat = update.effective_chat
    if chat is None or chat.id != services(context).settings.staff_chat_id or not await _allowed(update, context):
        if chat is not None and chat.id != services(context).settings.staff_chat_id:
            await _say(update, context, _t(context, update, "staff.not_allowed"))
    raise ApplicationHandlerStop


# ---------------------------------------------------------------------------------------------- finding the ids
async def chatid_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/chatid: the ids STAFF_CHAT_ID and ADMIN_USER_IDS need, from Telegram itself.

    In a private chat anyone learns their own user id. In a group, the group's administrators (and staff) learn
    its id; everyone else is refused, so the command works before STAFF_CHAT_ID is set and in any group.
    """
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    if message is None or chat is None or user is None:
        raise ApplicationHandlerStop
    if chat.type == ChatType.PRIVATE:
        await _say(update, context, _t(context, update, "staff.chatid_private", user_id=user.id))
        raise ApplicationHandlerStop
    svc = services(context)
    allowed = await svc.gate.check(user.id) is Membership.STAFF
    if not allowed:
        try:
            member = await svc.channel.call(Purpose.LOOKUP, chat.id, svc.channel.bot.get_chat_member,
                                            chat_id=chat.id, user_id=user.id)
        except Undeliverable:
            member = None
        allowed = member is not None and member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)
    if not allowed:
        await _say(update, context, _t(context, update, "staff.not_allowed"))
        raise ApplicationHandlerStop
    log.info("/chatid in %s %s: chat id %s, asked by user id %s", chat.type, chat.title or "", chat.id, user.id)
    text = _t(context, update, "staff.chatid_group", chat_id=chat.id, user_id=user.id)
    if chat.type == ChatType.GROUP:
        text += "\n\n" + _t(context, update, "staff.chatid_basic_group")
    await _say(update, context, text)
    raise ApplicationHandlerStop


async def bot_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The bot added to (or removed from) a group: the group's id in the log at INFO, for STAFF_CHAT_ID."""
    change = update.my_chat_member
    if change is None or change.chat.type == ChatType.PRIVATE:
        return
    chat, by = change.chat, change.from_user
    was_in = change.old_chat_member.status not in (ChatMember.LEFT, ChatMember.BANNED)
    is_in = change.new_chat_member.status not in (ChatMember.LEFT, ChatMember.BANNED)
    if is_in and not was_in:
        log.info("added to the %s %r (chat id %s, for STAFF_CHAT_ID) by user id %s", chat.type, chat.title or "",
                 chat.id, by.id if by else "?")
    elif was_in and not is_in:
        log.info("removed from the %s %r (chat id %s) by user id %s", chat.type, chat.title or "", chat.id,
                 by.id if by else "?")
    elif change.new_chat_member.status != change.old_chat_member.status:
        log.info("now %s in the %s %r (chat id %s)", change.new_chat_member.status, chat.type, chat.title or "",
                 chat.id)


async def group_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A basic group became a supergroup (e.g. topics turned on): it has a new id from now on."""
    message = update.effective_message
    if message is not None and message.migrate_to_chat_id:
        staff = services(context).settings.staff_chat_id
        log.info("the group %s became the supergroup %s%s", message.chat_id, message.migrate_to_chat_id,
                 ": set STAFF_CHAT_ID to the new id" if staff == message.chat_id else "")


def register(application: Application, staff_chat_id: int | None) -> None:
    group = COMMANDS_GROUP
    application.add_handler(CommandHandler("chatid", chatid_command), group=group)
    application.add_handler(ChatMemberHandler(bot_membership, ChatMemberHandler.MY_CHAT_MEMBER), group=group)
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, group_migrated), group=group)
    application.add_handler(CommandHandler("broadcast", broadcast_command), group=group)
    application.add_handler(CommandHandler("broadcasts", broadcasts_command), group=group)
    application.add_handler(CommandHandler(["unanswered", "sin_respuesta"], unanswered_command), group=group)
    application.add_handler(CommandHandler(["stats", "estadisticas"], stats_command), group=group)
    application.add_handler(CommandHandler(["reload", "recargar"], reload_command), group=group)
    application.add_handler(CommandHandler(["examples", "ejemplos"], examples_command), group=group)
    application.add_handler(CommandHandler(["release", "liberar"], release_command), group=group)
    application.add_handler(CommandHandler("takeover", takeover_command), group=group)
    application.add_handler(CommandHandler(["note", "nota"], note_command), group=group)
    application.add_handler(CallbackQueryHandler(staff_button, pattern=r"^(bcd|bc|ho|ex|exa|exr):"), group=group)
    content = filters.TEXT | filters.PHOTO | filters.Document.ALL
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & content & ~filters.COMMAND, draft_input),
                            group=DRAFTS_GROUP)
    if staff_chat_id is not None:
        staff_chat = filters.Chat(staff_chat_id)
        application.add_handler(MessageHandler(staff_chat & filters.UpdateType.MESSAGE & ~filters.COMMAND
                                               & ~filters.StatusUpdate.ALL, staff_message), group=MESSAGES_GROUP)
        application.add_handler(MessageHandler(staff_chat & filters.UpdateType.EDITED_MESSAGE, staff_edit),
                                group=MESSAGES_GROUP)
