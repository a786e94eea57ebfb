"""What became of each message sent on a channel that reports it later (WhatsApp status webhooks)."""

from __future__ import annotations

import re
from typing import Awaitable, Callable

from bot.storage.db import NOW, Database

# A status only moves forward: read can arrive without delivered; failed is final.
RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}
_CODE = re.compile(r"^\s*(\d+)\s*:")     # a status error as reported: "131042: Business eligibility payment issue"
FailureHook = Callable[[str, "int | None", str], Awaitable[None]]


def error_code(error: str | None) -> int | None:
    match = _CODE.match(error or "")
    return int(match.group(1)) if match else None


class DeliveryRepository:
    def __init__(self, db: Database):
        self.db = db
        self.on_failed: FailureHook | None = None    # told of every failure a status report brings (operators' log)

    async def accepted(self, *, channel: str, message_id: str, user_id: int) -> None:
        async with self.db.transaction() as db:
            await db.execute("INSERT OR IGNORE INTO sent_messages (channel, message_id, user_id) VALUES (?, ?, ?)",
                             (channel, message_id, user_id))
            await db.execute("INSERT INTO send_log (channel, message_id, status) VALUES (?, ?, 'accepted')",
                             (channel, message_id))

    async def refused(self, *, channel: str, code: int | None, error: str) -> None:
        """A send the channel refused at once (after the outbox's retries): the health check counts these."""
        async with self.db.transaction() as db:
            await db.execute("INSERT INTO send_log (channel, status, code, error) VALUES (?, 'failed', ?, ?)",
                             (channel, code, error[:300]))

    async def report(self, *, channel: str, message_id: str, status: str, error: str | None = None) -> bool:
        """Move a message's status forward (never back); a failed broadcast message marks its recipient failed.
        True if the status changed."""
        rank = RANK.get(status)
        if rank is None:
            return False
        case = " ".join(f"WHEN '{name}' THEN {value}" for name, value in RANK.items())
        async with self.db.transaction() as db:
            cursor = await db.execute(
                f"UPDATE sent_messages SET status = ?, error = coalesce(?, error), updated_at = {NOW} "
                f"WHERE channel = ? AND message_id = ? AND (CASE status {case} END) < ? AND status != 'failed'",
                (status, error, channel, message_id, rank))
            changed = cursor.rowcount > 0
            if status == "failed":
                await db.execute(
                    f"UPDATE broadcast_recipients SET status = 'failed', error = ?, updated_at = {NOW} "
                    "WHERE channel = ? AND message_id = ? AND status = 'sent'", (error or "failed", channel, message_id))
                await db.execute("UPDATE send_log SET status = 'failed', code = ?, error = ? "
                                 "WHERE channel = ? AND message_id = ?",
                                 (error_code(error), (error or "failed")[:300], channel, message_id))
        if status == "failed" and changed and self.on_failed is not None:
            await self.on_failed(channel, error_code(error), error or "failed")
        return changed

    async def status_of(self, channel: str, message_id: str) -> str | None:
        return await self.db.scalar("SELECT status FROM sent_messages WHERE channel = ? AND message_id = ?",
                                    (channel, message_id))  # type: ignore[return-value]

    async def user_of(self, channel: str, message_id: str) -> int | None:
        value = await self.db.scalar("SELECT user_id FROM sent_messages WHERE channel = ? AND message_id = ?",
                                     (channel, message_id))
        return int(value) if value is not None else None
