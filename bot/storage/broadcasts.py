"""Broadcast jobs and their recipient rows: the table the sender works from, so nothing is lost on a crash."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.db import NOW, Database
from bot.storage.users import JOINED_USER, User, joined_user


@dataclass(frozen=True)
class Broadcast:
    id: int
    status: str
    draft_step: str | None
    created_by: str
    chat_id: str
    thread_id: str | None
    text_es: str | None
    text_en: str | None
    media_kind: str | None
    media_file_id: str | None
    audience: str | None
    scheduled_at: str | None
    progress_message_id: str | None
    created_at: str
    started_at: str | None
    finished_at: str | None


@dataclass(frozen=True)
class Recipient:
    id: int
    user_id: int
    channel: str
    chat_id: str
    language: str
    attempts: int
    user: User | None = None      # None: the user asked to be forgotten after the job was queued


@dataclass(frozen=True)
class BroadcastCounts:
    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.sending + self.sent + self.failed + self.blocked

    @property
    def remaining(self) -> int:
        return self.pending + self.sending


BROADCAST_FIELDS = ("status", "draft_step", "text_es", "text_en", "media_kind", "media_file_id", "audience",
                    "scheduled_at", "progress_message_id", "started_at", "finished_at", "thread_id")
# Subscribers of an audience ('subscribers' = everyone, else a topic), on every channel.
_AUDIENCE = """SELECT users.id AS user_id, users.channel AS channel, users.external_id AS chat_id,
                      users.language AS language
               FROM subscriptions JOIN users ON users.id = subscriptions.user_id
               WHERE users.active = 1
                 AND (? = 'subscribers' OR EXISTS (SELECT 1 FROM json_each(subscriptions.topics)
                                                   WHERE json_each.value IN ('all', ?)))"""


def _broadcast(row: aiosqlite.Row) -> Broadcast:
    return Broadcast(*(row[name] for name in Broadcast.__dataclass_fields__))


class BroadcastRepository:
    def __init__(self, db: Database):
        self.db = db

    async def audience_size(self, audience: str) -> int:
        return int(await self.db.scalar(f"SELECT count(*) FROM ({_AUDIENCE})", (audience, audience)) or 0)

    async def audience_by_channel(self, audience: str) -> dict[str, int]:
        rows = await self.db.fetchall(f"SELECT channel, count(*) AS n FROM ({_AUDIENCE}) GROUP BY channel",
                                      (audience, audience))
        return {r["channel"]: r["n"] for r in rows}

    async def audience_silent_since(self, audience: str, channel: str, cutoff_iso: str, *,
                                    phone_prefix: str | None = None) -> int:
        """How many of the audience on a channel have not written since the cutoff (WhatsApp: outside the window);
        with `phone_prefix`, only those whose phone number starts with it ("1": +1, US and Canada)."""
        return int(await self.db.scalar(
            f"""SELECT count(*) FROM ({_AUDIENCE}) AS a JOIN users ON users.id = a.user_id
                WHERE a.channel = ? AND coalesce(users.last_inbound_at, '') < ?
                  AND (? IS NULL OR substr(coalesce(users.phone, ''), 1, length(?)) = ?)""",
            (audience, audience, channel, cutoff_iso, phone_prefix, phone_prefix, phone_prefix)) or 0)

    # ------------------------------------------------------------------ jobs
    async def create_draft(self, *, created_by: str, chat_id: str, thread_id: str | None, step: str) -> Broadcast:
        """A new draft; an older open draft of the same staff member in the same chat is cancelled."""
        async with self.db.transaction() as db:
            await db.execute("UPDATE broadcasts SET status = 'cancelled', draft_step = NULL "
                             "WHERE status = 'draft' AND created_by = ? AND chat_id = ?", (created_by, chat_id))
            cursor = await db.execute(
                "INSERT INTO broadcasts (status, draft_step, created_by, chat_id, thread_id) VALUES ('draft', ?, ?, ?, ?)",
                (step, created_by, chat_id, thread_id))
            broadcast_id = cursor.lastrowid
        found = await self.get(int(broadcast_id))
        assert found is not None
        return found

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self.db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return _broadcast(row) if row else None

    async def open_draft(self, *, created_by: str, chat_id: str) -> Broadcast | None:
        row = await self.db.fetchone(
            "SELECT * FROM broadcasts WHERE status = 'draft' AND created_by = ? AND chat_id = ? ORDER BY id DESC",
            (created_by, chat_id))
        return _broadcast(row) if row else None

    async def update(self, broadcast_id: int, **fields: object) -> None:
        unknown = set(fields) - set(BROADCAST_FIELDS)
        if unknown:
            raise ValueError(f"unknown broadcast fields: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        async with self.db.transaction() as db:
            await db.execute(f"UPDATE broadcasts SET {assignments} WHERE id = ?", (*fields.values(), broadcast_id))

    async def set_status(self, broadcast_id: int, status: str, *, allowed: tuple[str, ...]) -> bool:
        """Change the status only from an allowed one (one conditional UPDATE: no lost race)."""
        finished = f", finished_at = {NOW}" if status in ("cancelled", "done") else ""
        marks = ", ".join("?" for _ in allowed)
        async with self.db.transaction() as db:
            cursor = await db.execute(
                f"UPDATE broadcasts SET status = ?{finished} WHERE id = ? AND status IN ({marks})",
                (status, broadcast_id, *allowed))
            return cursor.rowcount > 0

    async def start(self, broadcast_id: int) -> int:
        """Freeze the audience into recipient rows and mark the job running; returns the number of recipients."""
        async with self.db.transaction() as db:
            async with db.execute("SELECT audience, status FROM broadcasts WHERE id = ?", (broadcast_id,)) as cur:
                row = await cur.fetchone()
            if row is None or row["status"] not in ("draft", "scheduled"):
                return 0
            await db.execute(
                f"""INSERT OR IGNORE INTO broadcast_recipients (broadcast_id, user_id, channel, chat_id, language)
                    SELECT ?, user_id, channel, chat_id, language FROM ({_AUDIENCE}) ORDER BY user_id""",
                (broadcast_id, row["audience"], row["audience"]))
            await db.execute(f"UPDATE broadcasts SET status = 'running', draft_step = NULL, started_at = {NOW} "
                             "WHERE id = ?", (broadcast_id,))
        return (await self.counts(broadcast_id)).total

    async def by_status(self, *statuses: str) -> list[Broadcast]:
        marks = ", ".join("?" for _ in statuses)
        rows = await self.db.fetchall(f"SELECT * FROM broadcasts WHERE status IN ({marks}) ORDER BY id", statuses)
        return [_broadcast(r) for r in rows]

    async def due(self, now_iso: str) -> list[Broadcast]:
        rows = await self.db.fetchall(
            "SELECT * FROM broadcasts WHERE status = 'scheduled' AND scheduled_at <= ? ORDER BY scheduled_at",
            (now_iso,))
        return [_broadcast(r) for r in rows]

    async def texts_not_starting(self, prefix: str) -> list[tuple[int, str | None, str | None]]:
        """(id, text_es, text_en) of broadcasts with a text not in the given stored form (to convert it once)."""
        rows = await self.db.fetchall("SELECT id, text_es, text_en FROM broadcasts "
                                      "WHERE substr(text_es, 1, ?) != ? OR substr(text_en, 1, ?) != ?",
                                      (len(prefix), prefix, len(prefix), prefix))
        return [(r["id"], r["text_es"], r["text_en"]) for r in rows]

    async def recent(self, limit: int = 10) -> list[Broadcast]:
        rows = await self.db.fetchall("SELECT * FROM broadcasts WHERE status != 'draft' ORDER BY id DESC LIMIT ?",
                                      (limit,))
        return [_broadcast(r) for r in rows]

    # ------------------------------------------------------------------ recipients
    async def counts(self, broadcast_id: int) -> BroadcastCounts:
        rows = await self.db.fetchall(
            "SELECT status, count(*) AS n FROM broadcast_recipients WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,))
        return BroadcastCounts(**{r["status"]: r["n"] for r in rows})

    async def next_recipients(self, broadcast_id: int, *, after_id: int = 0, limit: int = 200) -> list[Recipient]:
        """Recipients still to do, in order; 'sending' ones (in flight at a crash) come first, to be sent again."""
        rows = await self.db.fetchall(
            f"""SELECT r.id, r.user_id, r.channel AS recipient_channel, r.chat_id, r.language AS recipient_language,
                      r.attempts, u.id AS known, {JOINED_USER}
               FROM broadcast_recipients r LEFT JOIN users u ON u.id = r.user_id
               WHERE r.broadcast_id = ? AND r.status IN ('sending', 'pending') AND r.id > ?
               ORDER BY r.status = 'pending', r.id LIMIT ?""", (broadcast_id, after_id, limit))
        return [Recipient(r["id"], r["user_id"], r["recipient_channel"], r["chat_id"], r["recipient_language"],
                          r["attempts"], joined_user(r) if r["known"] is not None else None)
                for r in rows]

    async def mark_sending(self, recipient_id: int) -> bool:
        """Committed before the request: after a crash only these rows' fate is unknown. False if done already."""
        async with self.db.transaction() as db:
            cursor = await db.execute(
                f"UPDATE broadcast_recipients SET status = 'sending', attempts = attempts + 1, updated_at = {NOW} "
                "WHERE id = ? AND status IN ('pending', 'sending')", (recipient_id,))
            return cursor.rowcount > 0

    async def mark_done(self, recipient_id: int, *, status: str, message_id: str | None = None,
                        error: str | None = None) -> None:
        async with self.db.transaction() as db:
            await db.execute(f"UPDATE broadcast_recipients SET status = ?, message_id = ?, error = ?, updated_at = {NOW} "
                             "WHERE id = ?", (status, message_id, error, recipient_id))
