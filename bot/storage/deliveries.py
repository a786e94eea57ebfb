"""What became of each message sent on a channel that reports it later (WhatsApp status webhooks)."""

from __future__ import annotations

from bot.storage.db import NOW, Database

# A status only moves forward: read can arrive without delivered; failed is final.
RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


class DeliveryRepository:
    def __init__(self, db: Database):
        self.db = db

    async def accepted(self, *, channel: str, message_id: str, user_id: int) -> None:
        async with self.db.transaction() as db:
            await db.execute("INSERT OR IGNORE INTO sent_messages (channel, message_id, user_id) VALUES (?, ?, ?)",
                             (channel, message_id, user_id))

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
        return changed

    async def status_of(self, channel: str, message_id: str) -> str | None:
        return await self.db.scalar("SELECT status FROM sent_messages WHERE channel = ? AND message_id = ?",
                                    (channel, message_id))  # type: ignore[return-value]

    async def user_of(self, channel: str, message_id: str) -> int | None:
        value = await self.db.scalar("SELECT user_id FROM sent_messages WHERE channel = ? AND message_id = ?",
                                     (channel, message_id))
        return int(value) if value is not None else None
