"""The durable inbox: every incoming update is a row before the channel is told it arrived."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.storage.db import NOW, Database, clean_text


@dataclass(frozen=True)
class InboxItem:
    id: int
    channel: str
    update_key: str
    chat_key: str | None
    payload: dict


@dataclass(frozen=True)
class Arrival:
    """One update as a channel received it, ready to be stored."""

    channel: str
    update_key: str
    chat_key: str | None
    user_key: str | None
    payload: dict


class InboxRepository:
    def __init__(self, db: Database):
        self.db = db

    async def store(self, arrivals: list[Arrival]) -> int:
        """Store updates (a repeated update key is ignored); returns how many were new. Committed on return."""
        if not arrivals:
            return 0
        async with self.db.transaction() as db:
            before = db.total_changes
            await db.executemany(
                "INSERT OR IGNORE INTO inbox (channel, update_key, chat_key, user_key, payload) VALUES (?, ?, ?, ?, ?)",
                [(a.channel, a.update_key, a.chat_key, a.user_key,
                  clean_text(json.dumps(a.payload, ensure_ascii=False))) for a in arrivals])
            return db.total_changes - before

    async def pending(self, *, after_id: int = 0, limit: int = 200) -> list[InboxItem]:
        rows = await self.db.fetchall(
            "SELECT id, channel, update_key, chat_key, payload FROM inbox WHERE status = 'pending' AND id > ? "
            "ORDER BY id LIMIT ?", (after_id, limit))
        items = []
        for r in rows:
            try:
                payload = json.loads(r["payload"] or "null")
            except ValueError:
                payload = None
            items.append(InboxItem(r["id"], r["channel"], r["update_key"], r["chat_key"], payload))
        return items

    async def finish(self, item_id: int, *, error: str | None = None) -> None:
        """Handled: the payload (user text) is dropped; a failure keeps its error, never the text, and never retries."""
        async with self.db.transaction() as db:
            await db.execute(f"UPDATE inbox SET status = ?, error = ?, payload = NULL, handled_at = {NOW} WHERE id = ?",
                             ("failed" if error else "done", error, item_id))

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, count(*) AS n FROM inbox GROUP BY status")
        return {r["status"]: r["n"] for r in rows}

    async def delete_handled_before(self, cutoff_iso: str) -> int:
        """Handled rows are kept a while (so a repeated delivery is still recognised), then deleted."""
        async with self.db.transaction() as db:
            cursor = await db.execute("DELETE FROM inbox WHERE status != 'pending' AND handled_at < ?", (cutoff_iso,))
            return cursor.rowcount
