"""Staff commands for broadcasts: /broadcast (a guided draft), /broadcasts, pause/resume/cancel.

Only staff may use them: members of STAFF_CHAT_ID or ids in ADMIN_USER_IDS. Anyone else gets a polite refusal
and nothing happens. The draft lives in the database (a broadcast row in status 'draft'), so a restart in the
middle of writing one loses nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from telegram import ChatMember, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import (Application, ApplicationHandlerStop, CallbackQueryHandler, CommandHandler, ContextTypes,
                          MessageHandler, filters)

from ...assistant import hinted_language
from ...broadcasts import Step, limit_for, mexico_time, parse_when, too_long, utc_iso
from ...storage import Broadcast
from .broadcasting import controls, send_broadcast
from .handlers import services

log = logging.getLogger(__name__)
STAFF_STATUSES = {ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER, ChatMember.RESTRICTED}
STAFF_CACHE_SECONDS = 300


class StaffGate:
    """Who is staff: ADMIN_USER_IDS, or a member of the staff chat (asked to Telegram, cached 5 minutes)."""

    def __init__(self, staff_chat_id: int | None, admin_ids: frozenset[int]):
        self.staff_chat_id = staff_chat_id
        self.admin_ids = admin_ids
        self._cache: dict[int, tuple[bool, float]] = {}

    async def is_staff(self, bot, user_id: int | None) -> bool:
        if user_id is None:
            return False
        if user_id in self.admin_ids:
            return True
        if self.staff_chat_id is None:
            return False
        cached = self._cache.get(user_id)
        if cached and time.monotonic() - cached[1] < STAFF_CACHE_SECONDS:
            return cached[0]
        try:
            member = await bot.get_chat_member(chat_id=self.staff_chat_id, user_id=user_id)
            allowed = member.status in STAFF_STATUSES
        except TelegramError as exc:
            log.warning("could not check staff membership of %s: %s", user_id, exc)
            return False
        self._cache[user_id] = (allowed, time.monotonic())
        return allowed


class DraftOwners:
    """(staff id, chat id) pairs with a draft open, kept in memory so ordinary messages skip the database."""

    def __init__(self) -> None:
        self.pairs: set[tuple[int, int]] = set()

    async def load(self, repo) -> None:
        self.pairs = {(b.created_by, b.chat_id) for b in await repo.by_status("draft")}


def _owners(context: ContextTypes.DEFAULT_TYPE) -> DraftOwners:
    return context.application.bot_data["draft_owners"]


def _gate(context: ContextTypes.DEFAULT_TYPE) -> StaffGate:
    return context.application.bot_data["staff_gate"]


def _lang(update: Update) -> str:
    user = update.effective_user
    return hinted_language(user.language_code if user else None) or "es"


async def _refuse(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The polite refusal for anyone who is not staff; nothing else happens."""
    text = services(context).assistant.engine.texts(_lang(update), "staff.not_allowed")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(text)


async def _is_staff(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    return await _gate(context).is_staff(context.bot, user.id if user else None)


def _t(context: ContextTypes.DEFAULT_TYPE, update: Update, key: str, **values: object) -> str:
    return services(context).assistant.engine.texts(_lang(update), key, **values)


def _keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in rows])


def _cancel_row(context, update, broadcast_id: int) -> list[tuple[str, str]]:
    return [(_t(context, update, "bc.cancel"), f"bcd:cancel:{broadcast_id}")]


# ---------------------------------------------------------------------------------------------- /broadcast
async def broadcast_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not await _is_staff(update, context):
        await _refuse(update, context)
        return
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    draft = await context.application.bot_data["broadcasts"].create_draft(
        created_by=update.effective_user.id, chat_id=message.chat_id, thread_id=message.message_thread_id,
        step=Step.TEXT_ES.value)
    _owners(context).pairs.add((update.effective_user.id, message.chat_id))
    await message.reply_text(_t(context, update, "bc.ask_es", id=draft.id), reply_markup=_keyboard(
        [(_t(context, update, "bc.same_text"), f"bcd:both:{draft.id}")], _cancel_row(context, update, draft.id)))


async def draft_input(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A staff member's message while their draft waits for text, a file or a time; others pass through."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or (user.id, message.chat_id) not in _owners(context).pairs:
        return
    repo = context.application.bot_data["broadcasts"]
    draft = await repo.open_draft(created_by=user.id, chat_id=message.chat_id)
    if draft is None or draft.draft_step in (Step.AUDIENCE.value, Step.PREVIEW.value):
        return
    if message.text and message.text.startswith("/"):
        return  # commands keep working (and /broadcast starts over)
    await _advance(update, context, draft, message)
    raise ApplicationHandlerStop  # consumed: the question-answering handlers must not see it


async def _advance(update: Update, context: ContextTypes.DEFAULT_TYPE, draft: Broadcast, message: Message) -> None:
    repo = context.application.bot_data["broadcasts"]
    step = Step(draft.draft_step)
    if step in (Step.TEXT_ES, Step.TEXT_EN, Step.TEXT_BOTH):
        if not message.text or not message.text.strip():
            await message.reply_text(_t(context, update, "bc.empty_text"))
            return
        text = message.text_html
        fields = {"text_es": text, "text_en": text} if step is Step.TEXT_BOTH else {step.value: text}
        next_step = Step.TEXT_EN if step is Step.TEXT_ES else Step.MEDIA
        await repo.update(draft.id, draft_step=next_step.value, **fields)
        if next_step is Step.TEXT_EN:
            await message.reply_text(_t(context, update, "bc.ask_en"),
                                     reply_markup=_keyboard(_cancel_row(context, update, draft.id)))
        else:
            await _ask_media(update, context, draft.id, message)
    elif step is Step.MEDIA:
        kind, file_id = _media_of(message)
        if file_id is None:
            await _ask_media(update, context, draft.id, message)
            return
        await repo.update(draft.id, media_kind=kind, media_file_id=file_id)
        await _after_media(update, context, draft.id, message)
    elif step is Step.SCHEDULE:
        when = parse_when(message.text or "", dt.datetime.now(dt.timezone.utc))
        if when is None:
            await message.reply_text(_t(context, update, "bc.bad_time"))
            return
        await repo.update(draft.id, status="scheduled", draft_step=None, scheduled_at=utc_iso(when))
        _owners(context).pairs.discard((draft.created_by, draft.chat_id))
        count = await repo.audience_size(draft.audience or "subscribers")
        await message.reply_text(_t(context, update, "bc.scheduled", id=draft.id, when=mexico_time(utc_iso(when)),
                                    count=count))
        context.application.bot_data["broadcaster"].wake()


def _media_of(message: Message) -> tuple[str | None, str | None]:
    if message.photo:
        return "photo", message.photo[-1].file_id
    if message.document:
        return "document", message.document.file_id
    return None, None


async def _ask_media(update, context, broadcast_id: int, message: Message) -> None:
    await message.reply_text(_t(context, update, "bc.ask_media"), reply_markup=_keyboard(
        [(_t(context, update, "bc.skip_media"), f"bcd:skip:{broadcast_id}")], _cancel_row(context, update, broadcast_id)))


async def _after_media(update, context, broadcast_id: int, message: Message) -> None:
    """Check the lengths (captions are shorter), then ask for the audience."""
    repo = context.application.bot_data["broadcasts"]
    draft = await repo.get(broadcast_id)
    assert draft is not None
    texts = services(context).assistant.engine.texts
    problem = too_long(draft, texts)
    if problem is not None:
        language, length = problem
        step = Step.TEXT_BOTH if draft.text_es == draft.text_en else Step(f"text_{language}")
        await repo.update(broadcast_id, draft_step=step.value)
        why = _t(context, update, "bc.too_long_media") if draft.media_file_id else ""
        await message.reply_text(_t(context, update, "bc.too_long", length=length, limit=limit_for(draft), why=why),
                                 reply_markup=_keyboard(_cancel_row(context, update, broadcast_id)))
        return
    await repo.update(broadcast_id, draft_step=Step.AUDIENCE.value)
    subscriptions = context.application.bot_data["subscriptions"]
    rows = [[(_t(context, update, "bc.audience_all", count=await repo.audience_size("subscribers")),
              f"bcd:aud:{broadcast_id}:subscribers")]]
    for topic in subscriptions.topics:
        count = await repo.audience_size(topic)
        if count:
            label = _t(context, update, "bc.audience_topic", topic=subscriptions.label(topic, _lang(update)),
                       count=count)
            rows.append([(label, f"bcd:aud:{broadcast_id}:{topic}")])
    rows.append(_cancel_row(context, update, broadcast_id))
    await message.reply_text(_t(context, update, "bc.ask_audience"), reply_markup=_keyboard(*rows))


async def _preview(update, context, draft: Broadcast, message: Message) -> None:
    """Exactly what subscribers will see, in each language, then the number of recipients and the choice."""
    repo = context.application.bot_data["broadcasts"]
    texts = services(context).assistant.engine.texts
    count = await repo.audience_size(draft.audience or "subscribers")
    thread = message.message_thread_id
    await message.reply_text(_t(context, update, "bc.preview_header", id=draft.id, count=count))
    languages = ("es",) if draft.text_es == draft.text_en else ("es", "en")
    for language in languages:
        if len(languages) > 1:
            await message.reply_text(_t(context, update, "bc.preview_language",
                                        language="español" if language == "es" else "English"))
        await send_broadcast(context.bot, draft, message.chat_id, language, texts, thread_id=thread)
    await message.reply_text(_t(context, update, "bc.preview_confirm", id=draft.id, count=count), reply_markup=_keyboard(
        [(_t(context, update, "bc.confirm"), f"bcd:go:{draft.id}"),
         (_t(context, update, "bc.schedule"), f"bcd:later:{draft.id}")], _cancel_row(context, update, draft.id)))


async def draft_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Buttons of the draft: one text for both, skip media, audience, send now, schedule, cancel."""
    query = update.callback_query
    assert query is not None
    if not await _is_staff(update, context):
        await _refuse(update, context)
        return
    await query.answer()
    _, action, raw_id, *rest = (query.data or "").split(":")
    repo = context.application.bot_data["broadcasts"]
    draft = await repo.get(int(raw_id))
    message = query.message
    if draft is None or draft.status != "draft" or not isinstance(message, Message):
        return
    if action == "cancel":
        await repo.update(draft.id, status="cancelled", draft_step=None)
        _owners(context).pairs.discard((draft.created_by, draft.chat_id))
        await message.reply_text(_t(context, update, "bc.cancelled", id=draft.id))
    elif action == "both" and draft.draft_step == Step.TEXT_ES.value:
        await repo.update(draft.id, draft_step=Step.TEXT_BOTH.value)
        await message.reply_text(_t(context, update, "bc.ask_both"),
                                 reply_markup=_keyboard(_cancel_row(context, update, draft.id)))
    elif action == "skip" and draft.draft_step == Step.MEDIA.value:
        await _after_media(update, context, draft.id, message)
    elif action == "aud" and rest and draft.draft_step == Step.AUDIENCE.value:
        if await repo.audience_size(rest[0]) == 0:
            await message.reply_text(_t(context, update, "bc.no_recipients"))
            return
        await repo.update(draft.id, audience=rest[0], draft_step=Step.PREVIEW.value)
        await _preview(update, context, await repo.get(draft.id), message)
    elif action == "go" and draft.draft_step == Step.PREVIEW.value:
        await repo.start(draft.id)
        _owners(context).pairs.discard((draft.created_by, draft.chat_id))
        context.application.bot_data["broadcaster"].wake()
    elif action == "later" and draft.draft_step == Step.PREVIEW.value:
        await repo.update(draft.id, draft_step=Step.SCHEDULE.value)
        await message.reply_text(_t(context, update, "bc.ask_time"),
                                 reply_markup=_keyboard(_cancel_row(context, update, draft.id)))


# ---------------------------------------------------------------------------------------------- running jobs
async def broadcasts_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Recent broadcasts with their figures; running and paused ones get their buttons."""
    if not await _is_staff(update, context):
        await _refuse(update, context)
        return
    message = update.effective_message
    assert message is not None
    repo = context.application.bot_data["broadcasts"]
    jobs = await repo.recent(10)
    if not jobs:
        await message.reply_text(_t(context, update, "bc.list_empty"))
        return
    await message.reply_text(_t(context, update, "bc.list_title"))
    texts = services(context).assistant.engine.texts
    for job in jobs:
        counts = await repo.counts(job.id)
        when = mexico_time(job.scheduled_at or job.started_at or job.created_at)
        line = _t(context, update, "bc.list_line", id=job.id, state=_t(context, update, f"bc.state.{job.status}"),
                  audience=job.audience or "-", sent=counts.sent, total=counts.total, failed=counts.failed,
                  blocked=counts.blocked, when=when)
        await message.reply_text(line, reply_markup=controls(job.id, job.status, texts, _lang(update)))


async def control_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pause, resume or cancel a running job."""
    query = update.callback_query
    assert query is not None
    if not await _is_staff(update, context):
        await _refuse(update, context)
        return
    _, action, raw_id = (query.data or "").split(":")
    broadcaster = context.application.bot_data["broadcaster"]
    done = await {"pause": broadcaster.pause, "resume": broadcaster.resume, "cancel": broadcaster.cancel}[action](
        int(raw_id))
    if done:
        await query.answer()
    else:
        job = await context.application.bot_data["broadcasts"].get(int(raw_id))
        await query.answer(_t(context, update, "bc.not_found", id=raw_id, state=job.status if job else "?"),
                           show_alert=True)


def register(application: Application) -> None:
    """Staff handlers; draft input runs before the question handlers (group -1) and stops them when consumed."""
    content = filters.TEXT | filters.PHOTO | filters.Document.ALL
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE & content, draft_input), group=-1)
    application.add_handler(CommandHandler("broadcast", broadcast_command))
    application.add_handler(CommandHandler("broadcasts", broadcasts_command))
    application.add_handler(CallbackQueryHandler(draft_button, pattern=r"^bcd:"))
    application.add_handler(CallbackQueryHandler(control_button, pattern=r"^bc:(pause|resume|cancel):\d+$"))

