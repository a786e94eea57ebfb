"""Staff takeovers: who has each conversation, its place on the staff desk, and every relayed message pair."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.db import NOW, Database


@dataclass(frozen=True)
class Conversation:
    user_id: int
    status: str                     # bot | requested | human
    topic_id: str | None
    card_message_id: str | None
    owner_id: str | None
    owner_name: str | None
    requested_at: str | None
    taken_at: str | None
    last_activity_at: str | None

    @property
    def with_staff(self) -> bool:
        return self.status in ("requested", "human")


@dataclass(frozen=True)
class MessageLink:
    user_id: int
    user_channel: str
    user_chat_id: str
    user_message_id: str
    staff_chat_id: str
    staff_message_id: str
    direction: str


def _conversation(row: aiosqlite.Row) -> Conversation:
    return Conversation(*(row[name] for name in Conversation.__dataclass_fields__))


def _link(row: aiosqlite.Row) -> MessageLink:
    return MessageLink(*(row[name] for name in MessageLink.__dataclass_fields__))


class HandoffRepository:
    def __init__(self, db: Database):
        self.db = db

    async def get(self, user_id: int) -> Conversation:
        row = await self.db.fetchone("SELECT * FROM conversations WHERE user_id = ?", (user_id,))
        return _conversation(row) if row else Conversation(user_id, "bot", None, None, None, None, None, None, None)

    async def by_topic(self, topic_id: str) -> Conversation | None:
        row = await self.db.fetchone("SELECT * FROM conversations WHERE topic_id = ?", (topic_id,))
        return _conversation(row) if row else None

    async def request(self, user_id: int) -> bool:
        """Ask for a person (idempotent); True if the conversation was with the bot until now."""
        async with self.db.transaction() as db:
            await db.execute("INSERT OR IGNORE INTO conversations (user_id) VALUES (?)", (user_id,))
            cursor = await db.execute(
                f"UPDATE conversations SET status = 'requested', requested_at = {NOW}, last_activity_at = {NOW}, "
                "owner_id = NULL, owner_name = NULL, taken_at = NULL WHERE user_id = ? AND status = 'bot'",
                (user_id,))
            return cursor.rowcount > 0

    async def set_topic(self, user_id: int, *, topic_id: str | None, card_message_id: str | None) -> None:
        async with self.db.transaction() as db:
            await db.execute("INSERT OR IGNORE INTO conversations (user_id) VALUES (?)", (user_id,))
            await db.execute("UPDATE conversations SET topic_id = NULL WHERE topic_id = ? AND user_id != ?",
                             (topic_id, user_id))
            await db.execute("UPDATE conversations SET topic_id = ?, card_message_id = ? WHERE user_id = ?",
                             (topic_id, card_message_id, user_id))

    async def take(self, user_id: int, *, staff_id: str, staff_name: str) -> Conversation:
        """First staff member wins: one conditional UPDATE; returns the conversation with its owner."""
        async with self.db.transaction() as db:
            await db.execute("INSERT OR IGNORE INTO conversations (user_id) VALUES (?)", (user_id,))
            await db.execute(
                f"UPDATE conversations SET status = 'human', owner_id = ?, owner_name = ?, taken_at = {NOW}, "
                f"last_activity_at = {NOW} WHERE user_id = ? AND (owner_id IS NULL OR status = 'bot')",
                (staff_id, staff_name, user_id))
        return await self.get(user_id)

    async def touch(self, user_id: int) -> None:
        async with self.db.transaction() as db:
            await db.execute(f"UPDATE conversations SET last_activity_at = {NOW} WHERE user_id = ?", (user_id,))

    async def release(self, user_id: int) -> bool:
        """Back to the bot (idempotent); True if a person had it or had been asked for."""
        async with self.db.transaction() as db:
            cursor = await db.execute(
                f"UPDATE conversations SET status = 'bot', owner_id = NULL, owner_name = NULL, released_at = {NOW} "
                "WHERE user_id = ? AND status != 'bot'", (user_id,))
            return cursor.rowcount > 0

    async def idle_since(self, cutoff_iso: str) -> list[Conversation]:
        rows = await self.db.fetchall(
            "SELECT * FROM conversations WHERE status != 'bot' AND last_activity_at < ?", (cutoff_iso,))
        return [_conversation(r) for r in rows]

    async def link(self, *, user_id: int, user_channel: str, user_chat_id: str, user_message_id: str,
                   staff_chat_id: str, staff_message_id: str, direction: str) -> None:
        async with self.db.transaction() as db:
            await db.execute(
                """INSERT INTO message_links (user_id, user_channel, user_chat_id, user_message_id, staff_chat_id,
                                              staff_message_id, direction) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (user_id, user_channel, user_chat_id, user_message_id, staff_chat_id, staff_message_id, direction))

    async def by_staff_message(self, staff_chat_id: str, staff_message_id: str) -> MessageLink | None:
        row = await self.db.fetchone(
            "SELECT * FROM message_links WHERE staff_chat_id = ? AND staff_message_id = ? ORDER BY id DESC",
            (staff_chat_id, staff_message_id))
        return _link(row) if row else None

    async def by_user_message(self, user_channel: str, user_chat_id: str, user_message_id: str) -> MessageLink | None:
        row = await self.db.fetchone(
            "SELECT * FROM message_links WHERE user_channel = ? AND user_chat_id = ? AND user_message_id = ? "
            "ORDER BY id DESC", (user_channel, user_chat_id, user_message_id))
        return _link(row) if row else None

    async def users_with_staff(self) -> list[tuple[int, str, str]]:
        """(user id, channel, external id) of every conversation with a person (requested or taken)."""
        rows = await self.db.fetchall(
            "SELECT users.id, users.channel, users.external_id FROM conversations "
            "JOIN users ON users.id = conversations.user_id WHERE conversations.status != 'bot'")
        return [(int(r[0]), r[1], r[2]) for r in rows]

    # ------------------------------------------------------------------ replies waiting for a closed window
    async def keep_pending(self, user_id: int, *, staff_chat_id: str, staff_message_id: str, thread: str | None,
                           text: str | None, media_kind: str | None, file_ref: str | None, mime_type: str | None,
                           file_name: str | None) -> None:
        async with self.db.transaction() as db:
            await db.execute(
                """INSERT INTO pending_relays (user_id, staff_chat_id, staff_message_id, thread, text, media_kind,
                                               file_ref, mime_type, file_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (user_id, staff_chat_id, staff_message_id, thread, text, media_kind, file_ref, mime_type, file_name))

    async def pending_for(self, user_id: int) -> list[dict]:
        rows = await self.db.fetchall("SELECT * FROM pending_relays WHERE user_id = ? ORDER BY id", (user_id,))
        return [dict(r) for r in rows]

    async def drop_pending(self, pending_id: int) -> None:
        async with self.db.transaction() as db:
            await db.execute("DELETE FROM pending_relays WHERE id = ?", (pending_id,))
