"""The reminder scheduler: sends due reminders through each user's channel, at most once each.

Every few seconds it reads the reminders that are due; each is claimed (status 'sending', committed) before the
request, as broadcast messages are, so a crash can lose the one in hand but never send it twice. A reminder that
fell due while the bot was down is sent on start-up if its window is still open, otherwise dropped with a log line;
when several of one window fell due, only the latest is sent.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Mapping

from bot.answers.engine import Engine
from bot.clock import MEXICO_CITY, Clock, local_today
from bot.runtime.outbox import Undeliverable
from bot.runtime.ports import UserChannel
from bot.storage import Reminder, ReminderRepository
from bot.deadlines.replies import WindowComposer
from bot.deadlines.windows import ReminderKind, window_for

log = logging.getLogger(__name__)
SEND_HOURS = (8, 21)     # local hours in which reminders go out (they are scheduled for 09:00); REMINDER_HOURS


class ReminderSender:
    def __init__(self, repository: ReminderRepository, engine: Engine, channels: Mapping[str, UserChannel],
                 clock: Clock, *, every: float = 30.0, hours: tuple[int, int] = SEND_HOURS):
        self.repository = repository
        self.engine = engine          # the catalogue is read at each send: /reload applies to reminders too
        self.channels = channels
        self.clock = clock
        self.every = every
        self.hours = hours
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="reminders")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # noqa: BLE001 - one bad pass must not stop reminders for good
                log.exception("reminder pass failed")
            await asyncio.sleep(self.every)

    def quiet(self) -> bool:
        """No reminders at night (Mexico City time): one that fell due while the bot was down waits for morning."""
        hour = self.clock.now().astimezone(MEXICO_CITY).hour
        return not self.hours[0] <= hour < self.hours[1]

    async def tick(self) -> int:
        """Send what is due now; returns how many were sent."""
        if self.quiet():
            return 0
        now = self.clock.now()
        due = await self.repository.due(now, self.channels)
        latest: dict[tuple[int, str, str], Reminder] = {}
        for reminder in due:  # ordered by due time: a later one of the same window supersedes an earlier one
            key = (reminder.user_id, reminder.entry_id, reminder.given.isoformat())
            earlier = latest.get(key)
            if earlier is not None and await self.repository.drop(earlier.id, now):
                log.info("reminder %d dropped: superseded by reminder %d of the same window", earlier.id, reminder.id)
            latest[key] = reminder
        sent = 0
        for reminder in latest.values():
            sent += await self._send(reminder)
        return sent

    async def _send(self, reminder: Reminder) -> int:
        now = self.clock.now()
        entry = self.engine.catalogue.entries.get(reminder.entry_id)
        if entry is None or entry.window is None:
            await self.repository.drop(reminder.id, now)
            log.info("reminder %d dropped: procedure %s has no window any more", reminder.id, reminder.entry_id)
            return 0
        window = window_for(entry.id, entry.window, reminder.given)
        if not window.still_useful(local_today(self.clock)):
            await self.repository.drop(reminder.id, now)
            log.info("reminder %d dropped: due %s while the bot was down, and the window closed on %s",
                     reminder.id, reminder.due_at.isoformat(), window.closes)
            return 0
        channel = self.channels.get(reminder.channel)
        if channel is None or not await self.repository.claim(reminder.id, now):
            return 0
        composer = WindowComposer(self.engine.catalogue, self.engine.texts)
        kind, today = ReminderKind(reminder.kind), local_today(self.clock)
        reply = composer.reminder(entry, window, kind, today, reminder.language)
        line = composer.reminder_line(entry, window, kind, today, reminder.language)
        try:
            await channel.remind(reminder.user, reply, line)
        except Undeliverable as exc:
            await self.repository.finish(reminder.id, "failed", self.clock.now())
            log.info("reminder %d not delivered: %s", reminder.id, exc.outcome.value)
            return 0
        except Exception:  # noqa: BLE001 - retries are the outbox's; whatever still fails is not retried here
            await self.repository.finish(reminder.id, "failed", self.clock.now())
            log.exception("reminder %d failed", reminder.id)
            return 0
        await self.repository.finish(reminder.id, "sent", self.clock.now())
        return 1
