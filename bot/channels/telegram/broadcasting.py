"""Deliver broadcasts the way a mail system would: from the table, paced, resumable, nothing lost.

- One job at a time, oldest first; each recipient row goes pending -> sending -> sent | failed | blocked.
- 'sending' is committed before the request. After a crash (kill -9), rows left in 'sending' are the only ones
  whose fate is unknown; they are sent again first. One message is in flight at a time, so a crash can
  duplicate at most one message and never skips anyone.
- Pace: at most RATE messages per second overall (below Telegram's 30/s) and never two within a second to the
  same chat. RetryAfter pauses the whole sender for as long as Telegram asks. Network errors and 5xx are
  retried with backoff, MAX_TRIES times. Forbidden, or "chat not found", marks the recipient blocked and
  unsubscribes them; any other refusal marks that recipient failed. Nothing stops the job but staff.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from ...broadcasts import compose, utc_iso
from ...storage import Broadcast, BroadcastCounts, BroadcastRepository, Recipient
from ...texts import Texts
from .delivery import seconds

log = logging.getLogger(__name__)
RATE = 25.0                 # messages per second overall
PER_CHAT_GAP = 1.0          # seconds between two messages to the same chat
MAX_TRIES = 4               # for network errors and 5xx
PROGRESS_EVERY = 4.0        # seconds between progress edits (a group takes about 20 messages a minute)
SCHEDULE_CHECK = 5.0        # seconds between looks for scheduled jobs that are due
GONE = ("chat not found", "user is deactivated", "bot was blocked", "bot was kicked", "peer_id_invalid")


async def send_broadcast(bot: Bot, broadcast: Broadcast, chat_id: int, language: str, texts: Texts,
                         thread_id: int | None = None) -> Message:
    """Send one broadcast message (the same call makes the staff preview, so it looks exactly the same)."""
    text = compose(broadcast, language, texts)
    extra = {"message_thread_id": thread_id} if thread_id else {}
    if broadcast.media_kind == "photo":
        return await bot.send_photo(chat_id=chat_id, photo=broadcast.media_file_id, caption=text, **extra)
    if broadcast.media_kind == "document":
        return await bot.send_document(chat_id=chat_id, document=broadcast.media_file_id, caption=text, **extra)
    return await bot.send_message(chat_id=chat_id, text=text, **extra)


def controls(broadcast_id: int, status: str, texts: Texts, lang: str) -> InlineKeyboardMarkup | None:
    """Pause/resume and cancel buttons for a running or paused job."""
    if status == "running":
        row = [InlineKeyboardButton(texts(lang, "bc.pause"), callback_data=f"bc:pause:{broadcast_id}")]
    elif status == "paused":
        row = [InlineKeyboardButton(texts(lang, "bc.resume"), callback_data=f"bc:resume:{broadcast_id}")]
    else:
        return None
    row.append(InlineKeyboardButton(texts(lang, "bc.stop"), callback_data=f"bc:cancel:{broadcast_id}"))
    return InlineKeyboardMarkup([row])


def duration(total_seconds: float) -> str:
    total = int(round(total_seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


class Broadcaster:
    def __init__(self, bot: Bot, repo: BroadcastRepository, texts: Texts, *, rate: float = RATE,
                 staff_language: str = "es"):
        self.bot = bot
        self.repo = repo
        self.texts = texts
        self.interval = 1.0 / rate
        self.lang = staff_language
        self.retry_afters = 0
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._next_slot = 0.0
        self._last_to_chat: dict[int, float] = {}
        self._interrupt: dict[int, str] = {}  # job id -> 'paused' | 'cancelled', asked by staff while running

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Resume whatever was running when the process stopped, and watch for scheduled jobs."""
        self._task = asyncio.create_task(self._loop(), name="broadcaster")

    async def stop(self) -> None:
        """Finish the message in flight, then stop; the table keeps everything else for the next start."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def pause(self, broadcast_id: int) -> bool:
        return await self._set_status(broadcast_id, "paused", allowed=("running",))

    async def resume(self, broadcast_id: int) -> bool:
        resumed = await self._set_status(broadcast_id, "running", allowed=("paused",))
        self.wake()
        return resumed

    async def cancel(self, broadcast_id: int) -> bool:
        return await self._set_status(broadcast_id, "cancelled", allowed=("running", "paused", "scheduled"))

    async def _set_status(self, broadcast_id: int, status: str, allowed: tuple[str, ...]) -> bool:
        job = await self.repo.get(broadcast_id)
        if job is None or job.status not in allowed:
            return False
        fields: dict[str, object] = {"status": status}
        if status == "cancelled":
            fields["finished_at"] = utc_iso(dt.datetime.now(dt.timezone.utc))
        await self.repo.update(broadcast_id, **fields)
        if status in ("paused", "cancelled"):
            self._interrupt[broadcast_id] = status
        await self.show_progress(broadcast_id)
        return True

    # ------------------------------------------------------------------ the loop
    async def _loop(self) -> None:
        while not self._stopping:
            try:
                now = utc_iso(dt.datetime.now(dt.timezone.utc))
                for job in await self.repo.due(now):
                    await self.repo.start(job.id)
                running = await self.repo.by_status("running")
                if running:
                    await self._run(running[0])
                    continue
            except Exception:  # noqa: BLE001 - the sender must outlive any single failure
                log.exception("broadcast loop failed; retrying shortly")
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), SCHEDULE_CHECK)
            except asyncio.TimeoutError:
                pass

    async def _run(self, job: Broadcast) -> None:
        started = time.monotonic()
        done_here = 0
        last_progress = 0.0
        self._interrupt.pop(job.id, None)
        await self.show_progress(job.id, rate=0.0)
        while not self._stopping and job.id not in self._interrupt:
            batch = await self.repo.next_recipients(job.id)
            if not batch:
                await self._finish(job, time.monotonic() - started)
                return
            for recipient in batch:
                if self._stopping or job.id in self._interrupt:
                    break
                await self._deliver(job, recipient)
                done_here += 1
                if time.monotonic() - last_progress >= PROGRESS_EVERY:
                    last_progress = time.monotonic()
                    await self.show_progress(job.id, rate=done_here / max(last_progress - started, 1e-6))

    async def _finish(self, job: Broadcast, elapsed: float) -> None:
        await self.repo.update(job.id, status="done", finished_at=utc_iso(dt.datetime.now(dt.timezone.utc)))
        counts = await self.repo.counts(job.id)
        await self.show_progress(job.id)
        text = self.texts(self.lang, "bc.summary", id=job.id, state=self.texts(self.lang, "bc.state.done"),
                          sent=counts.sent, failed=counts.failed, blocked=counts.blocked, total=counts.total,
                          duration=duration(elapsed))
        await self._staff_message(job, text)

    # ------------------------------------------------------------------ one recipient
    async def _pace(self, chat_id: int) -> None:
        now = time.monotonic()
        slot = max(now, self._next_slot)
        previous = self._last_to_chat.get(chat_id)
        if previous is not None:
            slot = max(slot, previous + PER_CHAT_GAP)
        self._next_slot = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)
        if len(self._last_to_chat) > 10_000:  # only the last second matters
            cutoff = time.monotonic() - PER_CHAT_GAP
            self._last_to_chat = {c: t for c, t in self._last_to_chat.items() if t > cutoff}

    async def _deliver(self, job: Broadcast, recipient: Recipient) -> None:
        await self._pace(recipient.chat_id)
        await self.repo.mark_sending(recipient.id)
        tries = 0
        while True:
            try:
                message = await send_broadcast(self.bot, job, recipient.chat_id, recipient.language, self.texts)
            except RetryAfter as exc:
                self.retry_afters += 1
                wait = seconds(exc.retry_after)
                log.warning("broadcast %s: flood control, pausing all sending for %.1f s", job.id, wait)
                await asyncio.sleep(wait)
                await self._pace(recipient.chat_id)  # the retry takes a paced slot like any other send
            except Forbidden as exc:
                await self.repo.mark_done(recipient.id, status="blocked", error=exc.message,
                                          unsubscribe_user=recipient.user_id)
                return
            except BadRequest as exc:
                gone = any(marker in exc.message.lower() for marker in GONE)
                await self.repo.mark_done(recipient.id, status="blocked" if gone else "failed", error=exc.message,
                                          unsubscribe_user=recipient.user_id if gone else None)
                return
            except (TimedOut, NetworkError) as exc:
                tries += 1
                if tries >= MAX_TRIES:
                    await self.repo.mark_done(recipient.id, status="failed", error=f"network: {exc}")
                    return
                await asyncio.sleep(0.5 * 2 ** (tries - 1))
            else:
                self._last_to_chat[recipient.chat_id] = time.monotonic()
                await self.repo.mark_done(recipient.id, status="sent", message_id=message.message_id)
                return

    # ------------------------------------------------------------------ staff chat
    async def show_progress(self, broadcast_id: int, rate: float | None = None) -> None:
        """One progress message per job in the staff chat, edited in place."""
        job = await self.repo.get(broadcast_id)
        if job is None:
            return
        counts = await self.repo.counts(broadcast_id)
        text = self.progress_text(job, counts, rate)
        markup = controls(job.id, job.status, self.texts, self.lang)
        try:
            if job.progress_message_id is None:
                extra = {"message_thread_id": job.thread_id} if job.thread_id else {}
                sent = await self.bot.send_message(chat_id=job.chat_id, text=text, reply_markup=markup, **extra)
                await self.repo.update(job.id, progress_message_id=sent.message_id)
            else:
                await self.bot.edit_message_text(chat_id=job.chat_id, message_id=job.progress_message_id, text=text,
                                                 reply_markup=markup)
        except TelegramError as exc:  # progress is a courtesy: never let it stop the delivery
            if "not modified" not in str(exc).lower():
                log.warning("broadcast %s: progress message not updated: %s", job.id, exc)

    def progress_text(self, job: Broadcast, counts: BroadcastCounts, rate: float | None) -> str:
        state = self.texts(self.lang, f"bc.state.{job.status}") if job.status != "draft" else job.status
        if rate is None or job.status != "running":
            return self.texts(self.lang, "bc.summary", id=job.id, state=state, sent=counts.sent,
                              failed=counts.failed, blocked=counts.blocked, total=counts.total,
                              duration=self._elapsed(job))
        eta = duration(counts.remaining / rate) if rate > 0 else "?"
        return self.texts(self.lang, "bc.progress", id=job.id, state=state, sent=counts.sent, failed=counts.failed,
                          blocked=counts.blocked, remaining=counts.remaining, rate=rate, eta=eta)

    @staticmethod
    def _elapsed(job: Broadcast) -> str:
        if not job.started_at:
            return "-"
        start = dt.datetime.fromisoformat(job.started_at.replace("Z", "+00:00"))
        end = (dt.datetime.fromisoformat(job.finished_at.replace("Z", "+00:00")) if job.finished_at
               else dt.datetime.now(dt.timezone.utc))
        return duration((end - start).total_seconds())

    async def _staff_message(self, job: Broadcast, text: str) -> None:
        extra = {"message_thread_id": job.thread_id} if job.thread_id else {}
        try:
            await self.bot.send_message(chat_id=job.chat_id, text=text, **extra)
        except TelegramError as exc:
            log.warning("broadcast %s: summary not sent: %s", job.id, exc)
