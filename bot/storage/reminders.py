"""Users' dates and the reminders scheduled from them; a reminder is claimed (status 'sending') in its own
committed UPDATE before any request, so a crash can lose at most the one in hand, never send it twice."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from bot.storage.db import Database, from_utc_iso, utc_iso
from bot.storage.users import JOINED_USER, User, joined_user

REPORTED = {"scheduled": "scheduled", "sending": "sent", "sent": "sent",
            "cancelled": "cancelled", "dropped": "cancelled", "failed": "cancelled"}


@dataclass(frozen=True)
class Deadline:
    user_id: int
    entry_id: str
    given: dt.date


@dataclass(frozen=True)
class Reminder:
    id: int
    user_id: int
    entry_id: str
    given: dt.date
    kind: str
    due_at: dt.datetime
    status: str
    user: User          # where and in which language to send

    @property
    def channel(self) -> str:
        return self.user.channel

    @property
    def external_id(self) -> str:
        return self.user.external_id

    @property
    def language(self) -> str:
        return self.user.language

    @property
    def reported_status(self) -> str:
        """What operators see: scheduled, sent or cancelled (a claimed one counts as sent: it is never resent)."""
        return REPORTED[self.status]


def _reminder(row) -> Reminder:
    """A row of _JOINED (every read joins the user: the scheduler needs where and in which language to send)."""
    return Reminder(id=row["id"], user_id=row["user_id"], entry_id=row["entry_id"],
                    given=dt.date.fromisoformat(row["given_date"]), kind=row["kind"],
                    due_at=from_utc_iso(row["due_at"]), status=row["status"], user=joined_user(row))


_JOINED = f"""SELECT r.*, {JOINED_USER} FROM reminders r JOIN users u ON u.id = r.user_id"""


class ReminderRepository:
    def __init__(self, db: Database):
        self.db = db

    # ------------------------------------------------------------------ the user's dates
    async def save_deadline(self, *, user_id: int, entry_id: str, given: dt.date, now: dt.datetime) -> None:
        async with self.db.transaction() as db:
            await db.execute(
                """INSERT INTO deadlines (user_id, entry_id, given_date, updated_at) VALUES (?, ?, ?, ?)
                   ON CONFLICT (user_id, entry_id) DO UPDATE SET given_date = excluded.given_date,
                       updated_at = excluded.updated_at""", (user_id, entry_id, given.isoformat(), utc_iso(now)))

    async def deadlines(self, *, user_id: int) -> list[Deadline]:
        rows = await self.db.fetchall("SELECT * FROM deadlines WHERE user_id = ? ORDER BY entry_id", (user_id,))
        return [Deadline(r["user_id"], r["entry_id"], dt.date.fromisoformat(r["given_date"])) for r in rows]

    # ------------------------------------------------------------------ scheduling
    async def schedule(self, *, user_id: int, entry_id: str, given: dt.date,
                       moments: Iterable[tuple[str, dt.datetime]], now: dt.datetime) -> int:
        """Schedule reminders for one date; a new date for the same procedure cancels the old date's ones.
        Returns how many are scheduled now (asking twice schedules nothing twice)."""
        async with self.db.transaction() as db:
            await db.execute(
                """UPDATE reminders SET status = 'cancelled', done_at = ? WHERE user_id = ? AND entry_id = ?
                   AND given_date != ? AND status = 'scheduled'""",
                (utc_iso(now), user_id, entry_id, given.isoformat()))
            for kind, due in moments:
                await db.execute(
                    """INSERT INTO reminders (user_id, entry_id, given_date, kind, due_at, created_at)
                       VALUES (?, ?, ?, ?, ?, ?)
                       ON CONFLICT (user_id, entry_id, given_date, kind) DO UPDATE SET status = 'scheduled',
                           due_at = excluded.due_at, done_at = NULL WHERE status = 'cancelled'""",
                    (user_id, entry_id, given.isoformat(), kind, utc_iso(due), utc_iso(now)))
            async with db.execute(
                    "SELECT count(*) FROM reminders WHERE user_id = ? AND entry_id = ? AND given_date = ? "
                    "AND status = 'scheduled'", (user_id, entry_id, given.isoformat())) as cursor:
                return int((await cursor.fetchone())[0])

    async def for_user(self, *, user_id: int) -> list[Reminder]:
        rows = await self.db.fetchall(f"{_JOINED} WHERE r.user_id = ? AND r.status = 'scheduled' ORDER BY r.due_at",
                                      (user_id,))
        return [_reminder(r) for r in rows]

    async def cancel(self, *, user_id: int, reminder_id: int, now: dt.datetime) -> bool:
        """Cancel one of the user's own scheduled reminders (someone else's id changes nothing)."""
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "UPDATE reminders SET status = 'cancelled', done_at = ? WHERE id = ? AND user_id = ? "
                "AND status = 'scheduled'", (utc_iso(now), reminder_id, user_id))
            return cursor.rowcount == 1

    # ------------------------------------------------------------------ the scheduler
    async def due(self, now: dt.datetime, channels: Iterable[str], limit: int = 200) -> list[Reminder]:
        names = tuple(channels)
        if not names:
            return []
        marks = ",".join("?" * len(names))
        rows = await self.db.fetchall(
            f"{_JOINED} WHERE r.status = 'scheduled' AND r.due_at <= ? AND u.channel IN ({marks}) "
            f"ORDER BY r.due_at, r.id LIMIT ?", (utc_iso(now), *names, limit))
        return [_reminder(r) for r in rows]

    async def claim(self, reminder_id: int, now: dt.datetime) -> bool:
        """scheduled -> sending, committed before the request; False if it was cancelled or claimed meanwhile."""
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "UPDATE reminders SET status = 'sending', done_at = ? WHERE id = ? AND status = 'scheduled'",
                (utc_iso(now), reminder_id))
            return cursor.rowcount == 1

    async def finish(self, reminder_id: int, status: str, now: dt.datetime) -> None:
        async with self.db.transaction() as db:
            await db.execute("UPDATE reminders SET status = ?, done_at = ? WHERE id = ?",
                             (status, utc_iso(now), reminder_id))

    async def drop(self, reminder_id: int, now: dt.datetime) -> bool:
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "UPDATE reminders SET status = 'dropped', done_at = ? WHERE id = ? AND status = 'scheduled'",
                (utc_iso(now), reminder_id))
            return cursor.rowcount == 1

    # ------------------------------------------------------------------ operators
    async def listing(self) -> list[Reminder]:
        rows = await self.db.fetchall(f"{_JOINED} ORDER BY r.due_at, r.id")
        return [_reminder(r) for r in rows]
