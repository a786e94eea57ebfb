"""Who is subscribed to update broadcasts, and to which topics."""

from __future__ import annotations

import json
from typing import Iterable

from bot.storage.db import Database

ALL_TOPICS = "all"


class SubscriptionRepository:
    def __init__(self, db: Database):
        self.db = db

    async def subscribe(self, *, user_id: int, topics: Iterable[str] | None = None) -> bool:
        """Subscribe (idempotent); True if the user was not subscribed before. Topics default to all news."""
        async with self.db.transaction() as db:
            async with db.execute("SELECT 1 FROM subscriptions WHERE user_id = ?", (user_id,)) as cursor:
                existed = await cursor.fetchone() is not None
            if not existed:
                await db.execute("INSERT INTO subscriptions (user_id, topics) VALUES (?, ?)",
                                 (user_id, json.dumps(list(topics or [ALL_TOPICS]))))
            elif topics is not None:
                await db.execute("UPDATE subscriptions SET topics = ? WHERE user_id = ?",
                                 (json.dumps(list(topics)), user_id))
        return not existed

    async def unsubscribe(self, *, user_id: int) -> bool:
        """Unsubscribe (idempotent); True if the user was subscribed."""
        async with self.db.transaction() as db:
            cursor = await db.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
            return cursor.rowcount > 0

    async def topics(self, *, user_id: int) -> tuple[str, ...] | None:
        """The user's topics, or None when not subscribed."""
        row = await self.db.fetchone("SELECT topics FROM subscriptions WHERE user_id = ?", (user_id,))
        return tuple(json.loads(row["topics"])) if row else None

    async def set_topics(self, *, user_id: int, topics: Iterable[str]) -> None:
        async with self.db.transaction() as db:
            await db.execute("UPDATE subscriptions SET topics = ? WHERE user_id = ?",
                             (json.dumps(list(topics)), user_id))

    async def is_subscribed(self, user_id: int) -> bool:
        return await self.db.fetchone("SELECT 1 FROM subscriptions WHERE user_id = ?", (user_id,)) is not None
