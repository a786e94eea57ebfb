"""Deliver broadcasts the way a mail system would: from the table, paced, resumable, nothing lost. Channel-neutral.

- One job at a time, oldest first; each recipient row goes pending -> sending -> sent | failed | blocked.
- A window of WINDOW messages is in flight at once, so the rate holds whatever the round trip (Mexico to Telegram
  is 100-200 ms). Each row is committed as 'sending' before its request; after a crash (kill -9) the rows left in
  'sending' are the only ones whose fate is unknown, and they are sent again first: at most WINDOW duplicates
  (one per slot), never a gap. A graceful stop lets the messages in flight finish: no duplicate.
- Pace: at most RATE messages per second overall and never two within PER_CHAT_GAP to the same chat. A rate limit
  anywhere on the channel pauses the whole sender for as long as asked. Retries, blocked recipients and refusals
  follow the one outbox policy; a blocked recipient is unsubscribed. Nothing stops the job but staff.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Awaitable, Callable

from bot.languages import STAFF_LANGUAGE
from bot.runtime.outbox import Outbox, Outcome, RecipientBlocked, Undeliverable
from bot.runtime.ports import StaffDesk, UserChannel
from bot.answers.replies import Block, Button, Reply, Style
from bot.actions import Action
from bot.storage import Broadcast, BroadcastCounts, BroadcastRepository, Recipient, from_utc_iso, utc_iso
from bot.texts import Texts

log = logging.getLogger(__name__)
RATE = 25.0                 # messages per second overall (Telegram allows about 30)
PER_CHAT_GAP = 1.0          # seconds between two messages to the same chat
WINDOW = 8                  # messages in flight at once
PROGRESS_EVERY = 4.0        # seconds between progress edits (a group takes about 20 messages a minute)
SCHEDULE_CHECK = 5.0        # seconds between looks for scheduled jobs that are due


def duration(total_seconds: float) -> str:
    total = int(round(total_seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def controls(broadcast_id: int, status: str, texts: Texts, lang: str = STAFF_LANGUAGE) -> tuple[Button, ...]:
    """Pause/resume and cancel buttons for a running or paused job."""
    if status == "running":
        first = Button(texts(lang, "bc.pause"), Action.control("pause", broadcast_id))
    elif status == "paused":
        first = Button(texts(lang, "bc.resume"), Action.control("resume", broadcast_id))
    else:
        return ()
    return first, Button(texts(lang, "bc.stop"), Action.control("cancel", broadcast_id))


class Pacer:
    """When the next broadcast message may go: RATE a second overall, PER_CHAT_GAP between two to one chat, and
    nothing until a rate limit's wait is over. The clock and the sleep are injectable (tests run on virtual time).

    Each slot is planned from the clock's reading when it is asked for: a sleep that ends late (a loaded machine)
    delays that message, and the sender does not then try to catch up with a burst.
    """

    def __init__(self, rate: float = RATE, per_chat_gap: float = PER_CHAT_GAP, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.interval = 1.0 / rate
        self.per_chat_gap = per_chat_gap
        self.clock = clock
        self.sleep = sleep
        self._next_slot = 0.0
        self._hold_until = 0.0
        self._last_to_chat: dict[str, float] = {}

    def hold(self, wait: float) -> None:
        """A rate limit: nothing goes out for `wait` seconds from now (also a turn already waiting for its slot)."""
        self._hold_until = max(self._hold_until, self.clock() + wait)

    async def turn(self, chat: str) -> float:
        """Wait for this chat's next slot; returns the slot (a clock reading). One caller at a time."""
        previous = self._last_to_chat.get(chat)
        while True:
            now = self.clock()
            slot = max(now, self._next_slot, self._hold_until)
            if previous is not None:
                slot = max(slot, previous + self.per_chat_gap)
            if slot > now:
                await self.sleep(slot - now)
            if self._hold_until <= slot:   # no rate limit arrived while waiting
                break
        self._next_slot = slot + self.interval
        self._last_to_chat[chat] = slot
        if len(self._last_to_chat) > 10_000:  # only the last gap matters
            cutoff = self.clock() - self.per_chat_gap
            self._last_to_chat = {c: t for c, t in self._last_to_chat.items() if t > cutoff}
        return slot


class Broadcaster:
    def __init__(self, repo: BroadcastRepository, channels: dict[str, UserChannel], desk: StaffDesk | None,
                 texts: Texts, outbox: Outbox, *, rate: float = RATE, window: int = WINDOW,
                 pacer: Pacer | None = None):
        self.repo = repo
        self.channels = channels
        self.desk = desk
        self.texts = texts
        self.pacer = pacer or Pacer(rate)
        self.window = window
        self.lang = STAFF_LANGUAGE
        self.retry_afters = 0
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task | None = None
        self._interrupt: dict[int, str] = {}
        outbox.rate_limit_listeners.append(self._rate_limited)

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Resume whatever was running when the process stopped, and watch for scheduled jobs."""
        self._stopping = False
        self._task = asyncio.create_task(self._loop(), name="broadcaster")

    async def stop(self) -> None:
        """Let the messages in flight finish, then stop; the table keeps everything else for the next start."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    def _rate_limited(self, channel: str, wait: float) -> None:
        self.retry_afters += 1
        self.pacer.hold(wait)

    async def pause(self, broadcast_id: int) -> bool:
        return await self._set_status(broadcast_id, "paused", allowed=("running",))

    async def resume(self, broadcast_id: int) -> bool:
        resumed = await self._set_status(broadcast_id, "running", allowed=("paused",))
        self.wake()
        return resumed

    async def cancel(self, broadcast_id: int) -> bool:
        return await self._set_status(broadcast_id, "cancelled", allowed=("running", "paused", "scheduled"))

    async def _set_status(self, broadcast_id: int, status: str, allowed: tuple[str, ...]) -> bool:
        if not await self.repo.set_status(broadcast_id, status, allowed=allowed):
            return False
        if status in ("paused", "cancelled"):
            self._interrupt[broadcast_id] = status
        await self.show_progress(broadcast_id)
        return True

    # ------------------------------------------------------------------ the loop
    async def _loop(self) -> None:
        while not self._stopping:
            try:
                for job in await self.repo.due(utc_iso(dt.datetime.now(dt.timezone.utc))):
                    await self.repo.start(job.id)
                running = await self.repo.by_status("running")
                if running:
                    await self._run(running[0])
                    continue
            except Exception:  # noqa: BLE001 - the sender must outlive any single failure
                log.exception("broadcast loop failed; retrying shortly")
                await asyncio.sleep(1.0)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), SCHEDULE_CHECK)
            except asyncio.TimeoutError:
                pass

    async def _run(self, job: Broadcast) -> None:
        started = time.monotonic()
        done_here = 0
        last_progress = 0.0
        after_id = 0
        in_flight: set[asyncio.Task] = set()
        self._interrupt.pop(job.id, None)
        await self.show_progress(job.id, rate=0.0)
        try:
            while not self._stopping and job.id not in self._interrupt:
                batch = await self.repo.next_recipients(job.id, after_id=after_id)
                if not batch:
                    if in_flight:
                        await asyncio.wait(in_flight)
                        continue
                    await self._finish(job, time.monotonic() - started)
                    return
                for recipient in batch:
                    after_id = max(after_id, recipient.id)
                    while len(in_flight) >= self.window:
                        await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
                    await self.pacer.turn(recipient.chat_id)
                    if self._stopping or job.id in self._interrupt:   # paused or stopped while it waited
                        break
                    if not await self.repo.mark_sending(recipient.id):
                        continue
                    task = asyncio.create_task(self._deliver(job, recipient))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                    done_here += 1
                    if time.monotonic() - last_progress >= PROGRESS_EVERY:
                        last_progress = time.monotonic()
                        await self.show_progress(job.id, rate=done_here / max(last_progress - started, 1e-6))
        finally:
            if in_flight:  # stopping or paused: the messages already sent finish and are marked
                await asyncio.gather(*in_flight, return_exceptions=True)
                if job.id in self._interrupt:  # paused or cancelled: the figures now include those last sends
                    await self.show_progress(job.id)

    async def _finish(self, job: Broadcast, elapsed: float) -> None:
        await self.repo.set_status(job.id, "done", allowed=("running",))
        counts = await self.repo.counts(job.id)
        await self.show_progress(job.id)
        text = self.texts(self.lang, "bc.summary", id=job.id, state=self.texts(self.lang, "bc.state.done"),
                          sent=counts.sent, failed=counts.failed, blocked=counts.blocked, total=counts.total,
                          duration=duration(elapsed))
        await self._staff_text(job, text)

    # ------------------------------------------------------------------ one recipient
    async def _deliver(self, job: Broadcast, recipient: Recipient) -> None:
        channel = self.channels.get(recipient.channel)
        try:
            if channel is None:
                raise Undeliverable(Outcome.REJECTED, f"channel {recipient.channel} is not configured")
            if recipient.user is None:
                raise Undeliverable(Outcome.REJECTED, "the user asked to be forgotten")
            ref = await channel.broadcast(recipient.user, job, recipient.language)
        except RecipientBlocked as exc:
            await self.repo.mark_done(recipient.id, status="blocked", error=exc.reason[:200])
        except Undeliverable as exc:
            await self.repo.mark_done(recipient.id, status="failed", error=exc.reason[:200])
        except Exception as exc:  # noqa: BLE001 - one recipient never stops the job
            log.exception("broadcast %s: recipient %s failed", job.id, recipient.id)
            await self.repo.mark_done(recipient.id, status="failed", error=type(exc).__name__)
        else:
            await self.repo.mark_done(recipient.id, status="sent", message_id=ref.message)

    # ------------------------------------------------------------------ staff chat
    async def show_progress(self, broadcast_id: int, rate: float | None = None) -> None:
        """One progress message per job where the draft was written, edited in place."""
        job = await self.repo.get(broadcast_id)
        if job is None or self.desk is None:
            return
        counts = await self.repo.counts(broadcast_id)
        reply = Reply((Block(Style.TEXT, (self.progress_text(job, counts, rate),)),),
                      controls(job.id, job.status, self.texts, self.lang), self.lang)
        try:
            if job.progress_message_id is None:
                message = await self.desk.say(job.chat_id, job.thread_id, reply)
                await self.repo.update(job.id, progress_message_id=message)
            else:
                await self.desk.edit_at(job.chat_id, job.progress_message_id, reply)
        except Undeliverable as exc:  # progress is a courtesy: never let it stop the delivery
            log.warning("broadcast %s: progress message not updated: %s", job.id, exc.reason)

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
        start = from_utc_iso(job.started_at)
        end = (from_utc_iso(job.finished_at) if job.finished_at
               else dt.datetime.now(dt.timezone.utc))
        return duration((end - start).total_seconds())

    async def _staff_text(self, job: Broadcast, text: str) -> None:
        if self.desk is None:
            return
        try:
            await self.desk.say(job.chat_id, job.thread_id, Reply((Block(Style.TEXT, (text,)),), (), self.lang))
        except Undeliverable as exc:
            log.warning("broadcast %s: summary not sent: %s", job.id, exc.reason)
