"""What the health check reads: the inbox's oldest pending update, heartbeats, and the latest sends' outcomes."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.db import Database

SEND_LOG_KEEP = 500     # rows kept per channel; the health check reads the last few


@dataclass(frozen=True)
class Heartbeat:
    name: str
    at: str
    state: str           # running | stopped
    detail: str | None


@dataclass(frozen=True)
class SendOutcome:
    status: str          # accepted | failed
    code: int | None
    error: str | None
    at: str


class HealthRepository:
    def __init__(self, db: Database):
        self.db = db

    # ------------------------------------------------------------------ written by the running bot
    async def beat(self, name: str, *, at_iso: str, state: str = "running", detail: str | None = None) -> None:
        async with self.db.transaction() as db:
            await db.execute("INSERT INTO heartbeats (name, at, state, detail) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT (name) DO UPDATE SET at = excluded.at, state = excluded.state, "
                             "detail = excluded.detail", (name, at_iso, state, detail))

    async def note(self, name: str, detail: str) -> None:
        """A problem worth showing next to the heartbeat, without saying it is alive (e.g. a 409 from Telegram)."""
        async with self.db.transaction() as db:
            await db.execute("UPDATE heartbeats SET detail = ? WHERE name = ?", (detail, name))

    async def prune_send_log(self, keep: int = SEND_LOG_KEEP) -> int:
        async with self.db.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM send_log WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER "
                "(PARTITION BY channel ORDER BY id DESC) AS n FROM send_log) WHERE n > ?)", (keep,))
            return cursor.rowcount

    # ------------------------------------------------------------------ read by the health check
    async def pending_inbox(self) -> tuple[int, str | None]:
        """How many updates wait to be handled, and when the oldest of them arrived."""
        row = await self.db.fetchone("SELECT count(*) AS n, min(received_at) AS oldest FROM inbox "
                                     "WHERE status = 'pending'")
        return (int(row["n"]), row["oldest"]) if row else (0, None)

    async def heartbeat(self, name: str) -> Heartbeat | None:
        row = await self.db.fetchone("SELECT name, at, state, detail FROM heartbeats WHERE name = ?", (name,))
        return Heartbeat(row["name"], row["at"], row["state"], row["detail"]) if row else None

    async def last_sends(self, channel: str, count: int) -> list[SendOutcome]:
        """The latest `count` sends on a channel, newest first."""
        rows = await self.db.fetchall("SELECT status, code, error, at FROM send_log WHERE channel = ? "
                                      "ORDER BY id DESC LIMIT ?", (channel, count))
        return [SendOutcome(r["status"], r["code"], r["error"], r["at"]) for r in rows]
