"""Users, their conversation state and the question log (group-committed exchanges, retention, forgetting)."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Iterable

import aiosqlite

from bot.folding import fold
from bot.storage.db import NOW, Database, clean_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class User:
    id: int
    channel: str
    external_id: str
    language: str
    language_chosen: bool
    display_name: str | None
    username: str | None
    active: bool
    phone: str | None = None             # WhatsApp wa_id as received
    last_inbound_at: str | None = None   # the user's last message (WhatsApp: from its timestamp)


@dataclass(frozen=True)
class ConversationState:
    last_entry_id: str | None
    pending_choices: tuple[str, ...]
    facts: str = "{}"          # what the user told us about themselves, as JSON (bot/conversation/facts.py)


@dataclass(frozen=True)
class Exchange:
    """One question and its answer, as stored: the user's learnt language, their state, the log line."""

    user_id: int
    language: str | None            # new language learnt from the message, or None to keep it
    display_name: str | None
    username: str | None
    last_entry_id: str | None
    pending_choices: tuple[str, ...]
    text: str
    answer_language: str
    kind: str
    entry_id: str | None
    candidates: tuple[str, ...]
    confidence: float
    unanswered: bool


@dataclass(frozen=True)
class QuestionRecord:
    text: str
    language: str
    kind: str
    entry_id: str | None
    created_at: str


@dataclass(frozen=True)
class UnansweredQuestion:
    text: str
    count: int
    last_asked: str
    question_id: int = 0      # the latest of the group (staff attach it to an entry by this id)
    language: str = "es"
    entry_id: str | None = None   # what the bot answered with ("Not what I asked"), None when it found nothing


USER_COLUMNS = ("channel", "external_id", "language", "language_chosen", "display_name", "username", "active", "phone",
                "last_inbound_at")
JOINED_USER = ", ".join(f"u.{name}" for name in USER_COLUMNS)   # add to a SELECT that joins `users u`


def _user(row: aiosqlite.Row, id_column: str = "id") -> User:
    return User(row[id_column], row["channel"], row["external_id"], row["language"], bool(row["language_chosen"]),
                row["display_name"], row["username"], bool(row["active"]), row["phone"], row["last_inbound_at"])


def joined_user(row: aiosqlite.Row) -> User:
    """The user of a row that joined `users u` with JOINED_USER (its id is the row's user_id)."""
    return _user(row, "user_id")


class UserRepository:
    """The SQL of users, conversation state and questions."""

    def __init__(self, db: Database):
        self.db = db
        self._pending: list[tuple[Exchange, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)

    # ------------------------------------------------------------------ users
    async def get_or_create_user(self, *, channel: str, external_id: str, language: str | None = None,
                                 display_name: str | None = None, username: str | None = None) -> User:
        """The user, created on first contact; name and username refreshed, last_seen_at touched."""
        async with self.db.transaction() as db:
            await db.execute(
                f"""INSERT INTO users (channel, external_id, language, display_name, username)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (channel, external_id) DO UPDATE SET
                       display_name = coalesce(excluded.display_name, users.display_name),
                       username = coalesce(excluded.username, users.username),
                       active = 1, last_seen_at = {NOW}""",
                (channel, str(external_id), language or "es", clean_text(display_name), clean_text(username)))
        found = await self.find_user(channel=channel, external_id=external_id)
        assert found is not None
        return found

    async def user_and_state(self, *, channel: str, external_id: str, language: str | None = None,
                             display_name: str | None = None, username: str | None = None
                             ) -> tuple[User, ConversationState]:
        """The user and their conversation state in one read; the user is created on first contact."""
        user, state, _ = await self.arrival(channel=channel, external_id=external_id, language=language,
                                            display_name=display_name, username=username)
        return user, state

    async def arrival(self, *, channel: str, external_id: str, language: str | None = None,
                      display_name: str | None = None, username: str | None = None
                      ) -> tuple[User, ConversationState, bool]:
        """user_and_state(), and whether this message created the user (a first contact is greeted)."""
        sql = """SELECT users.*, conversation_state.last_entry_id, conversation_state.pending_choices,
                        conversation_state.facts
                 FROM users LEFT JOIN conversation_state ON conversation_state.user_id = users.id
                 WHERE channel = ? AND external_id = ?"""
        row = await self.db.fetchone(sql, (channel, str(external_id)))
        if row is None:
            await self.get_or_create_user(channel=channel, external_id=external_id, language=language,
                                          display_name=display_name, username=username)
            row = await self.db.fetchone(sql, (channel, str(external_id)))
            created = True
        else:
            created = False
        assert row is not None
        state = ConversationState(row["last_entry_id"], tuple(json.loads(row["pending_choices"] or "[]")),
                                  row["facts"] or "{}")
        return _user(row), state, created

    async def find_user(self, *, channel: str, external_id: str) -> User | None:
        row = await self.db.fetchone("SELECT * FROM users WHERE channel = ? AND external_id = ?",
                                     (channel, str(external_id)))
        return _user(row) if row else None

    async def get_user(self, user_id: int) -> User | None:
        row = await self.db.fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
        return _user(row) if row else None

    async def set_language(self, *, user_id: int, language: str, chosen: bool) -> None:
        async with self.db.transaction() as db:
            await db.execute("UPDATE users SET language = ?, language_chosen = max(language_chosen, ?) WHERE id = ?",
                             (language, int(chosen), user_id))

    async def set_active(self, *, user_id: int, active: bool) -> None:
        async with self.db.transaction() as db:
            await db.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), user_id))

    async def saw_message(self, *, user_id: int, at_iso: str, phone: str | None) -> None:
        """A message arrived (its own time, which starts WhatsApp's 24-hour window); the phone id as received."""
        async with self.db.transaction() as db:
            await db.execute("UPDATE users SET last_inbound_at = max(coalesce(last_inbound_at, ''), ?), "
                             "phone = coalesce(?, phone), active = 1 WHERE id = ?", (at_iso, phone, user_id))

    async def rekey(self, *, channel: str, old: str, new: str, phone: str | None = None) -> bool:
        """The channel gave the user a new id (WhatsApp number or business-scoped id change): keep their history."""
        async with self.db.transaction() as db:
            async with db.execute("SELECT 1 FROM users WHERE channel = ? AND external_id = ?", (channel, new)) as cur:
                taken = await cur.fetchone() is not None
            if taken:
                return False
            cursor = await db.execute("UPDATE users SET external_id = ?, phone = coalesce(?, phone) "
                                      "WHERE channel = ? AND external_id = ?", (new, phone, channel, old))
            await db.execute("UPDATE broadcast_recipients SET chat_id = ? WHERE channel = ? AND chat_id = ? "
                             "AND status IN ('pending', 'sending')", (new, channel, old))
            await db.execute("UPDATE inbox SET user_key = ? WHERE channel = ? AND user_key = ?", (new, channel, old))
            return cursor.rowcount > 0

    async def mark_unreachable(self, *, user_id: int) -> None:
        """Blocked or gone: inactive, and no more broadcasts."""
        async with self.db.transaction() as db:
            await db.execute("UPDATE users SET active = 0 WHERE id = ?", (user_id,))
            await db.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))

    async def forget_user(self, *, user_id: int) -> None:
        """Delete every row that names the user: the user (cascading to state, questions, subscriptions,
        conversations, relayed message pairs and broadcast recipients) and their stored updates."""
        async with self.db.transaction() as db:
            async with db.execute("SELECT channel, external_id, phone FROM users WHERE id = ?", (user_id,)) as cursor:
                row = await cursor.fetchone()
            if row is None:
                return
            for key in {row["external_id"], row["phone"]} - {None}:
                await db.execute("DELETE FROM inbox WHERE channel = ? AND (user_key = ? OR chat_key = ?)",
                                 (row["channel"], key, key))
            await db.execute("DELETE FROM users WHERE id = ?", (user_id,))

    async def count_users(self) -> int:
        return int(await self.db.scalar("SELECT count(*) FROM users") or 0)

    # ------------------------------------------------------------------ conversation state
    async def save_state(self, *, user_id: int, last_entry_id: str | None, pending_choices: Iterable[str]) -> None:
        async with self.db.transaction() as db:
            await db.execute(
                f"""INSERT INTO conversation_state (user_id, last_entry_id, pending_choices) VALUES (?, ?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET last_entry_id = excluded.last_entry_id,
                       pending_choices = excluded.pending_choices, updated_at = {NOW}""",
                (user_id, last_entry_id, json.dumps(list(pending_choices))))

    async def save_facts(self, *, user_id: int, facts: str) -> None:
        """What the user told us about themselves (JSON), written only when it changed."""
        async with self.db.transaction() as db:
            await db.execute(
                f"""INSERT INTO conversation_state (user_id, facts) VALUES (?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET facts = excluded.facts, updated_at = {NOW}""",
                (user_id, facts))

    async def save_choices(self, *, user_id: int, pending_choices: Iterable[str]) -> None:
        """The choices just offered (a numbered list answers with their numbers), keeping the thread."""
        async with self.db.transaction() as db:
            await db.execute(
                f"""INSERT INTO conversation_state (user_id, pending_choices) VALUES (?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET pending_choices = excluded.pending_choices, updated_at = {NOW}""",
                (user_id, json.dumps(list(pending_choices))))

    async def record_exchange(self, exchange: Exchange) -> None:
        """Store an exchange; returns once it is committed.

        Exchanges arriving together are committed together (group commit). If the batch fails, each exchange
        is written on its own, so one bad row never costs other users their answers.
        """
        future = asyncio.get_running_loop().create_future()
        self._pending.append((exchange, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())
        await future

    async def _write_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                await self._write([x for x, _ in batch])
            except Exception:  # noqa: BLE001 - fall back to one transaction per exchange
                for exchange, future in batch:
                    try:
                        await self._write([exchange])
                    except Exception as exc:  # noqa: BLE001 - that waiter alone gets the error
                        if not future.done():
                            future.set_exception(exc)
                    else:
                        if not future.done():
                            future.set_result(None)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)

    async def _write(self, items: list[Exchange]) -> None:
        async with self.db.transaction() as db:
            await db.executemany(
                f"""UPDATE users SET language = coalesce(?, language),
                       display_name = coalesce(?, display_name), username = coalesce(?, username),
                       active = 1, last_seen_at = {NOW} WHERE id = ?""",
                [(x.language, clean_text(x.display_name), clean_text(x.username), x.user_id) for x in items])
            await db.executemany(
                f"""INSERT INTO conversation_state (user_id, last_entry_id, pending_choices) VALUES (?, ?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET last_entry_id = excluded.last_entry_id,
                       pending_choices = excluded.pending_choices, updated_at = {NOW}""",
                [(x.user_id, x.last_entry_id, json.dumps(list(x.pending_choices))) for x in items])
            await db.executemany(
                """INSERT INTO questions (user_id, text, language, kind, entry_id, candidates, confidence,
                                          unanswered) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [(x.user_id, clean_text(x.text[:2000]), x.answer_language, x.kind, x.entry_id,
                  json.dumps(list(x.candidates)), x.confidence, int(x.unanswered)) for x in items])

    # ------------------------------------------------------------------ questions
    async def recent_questions(self, *, user_id: int, limit: int = 5) -> list[QuestionRecord]:
        rows = await self.db.fetchall(
            """SELECT text, language, kind, entry_id, created_at FROM questions WHERE user_id = ?
               ORDER BY id DESC LIMIT ?""", (user_id, limit))
        return [QuestionRecord(r["text"], r["language"], r["kind"], r["entry_id"], r["created_at"]) for r in rows]

    async def unanswered(self, *, limit: int = 20) -> list[UnansweredQuestion]:
        """The questions the bot could not match, most frequent first (grouped by their folded text)."""
        rows = await self.db.fetchall(
            "SELECT id, text, language, created_at, entry_id FROM questions WHERE unanswered = 1 ORDER BY id")
        groups: dict[str, list] = {}
        for row in rows:
            key = fold(row["text"])
            if not key:
                continue
            group = groups.setdefault(key, [row["text"], 0, "", 0, "es", None])
            group[1] += 1
            group[2], group[3], group[4], group[5] = row["created_at"], row["id"], row["language"], row["entry_id"]
        ranked = sorted(groups.values(), key=lambda g: g[2], reverse=True)  # most recent first among equals
        ranked.sort(key=lambda g: g[1], reverse=True)
        return [UnansweredQuestion(*group) for group in ranked[:limit]]

    async def question(self, question_id: int) -> QuestionRecord | None:
        row = await self.db.fetchone("SELECT text, language, kind, entry_id, created_at FROM questions WHERE id = ?",
                                     (question_id,))
        return QuestionRecord(row["text"], row["language"], row["kind"], row["entry_id"], row["created_at"]) \
            if row else None

    async def answered_as(self, *, text: str, entry_id: str | None) -> int:
        """Staff attached a question to an entry (None: marked it out of scope): it and its repeats leave the
        review list."""
        async with self.db.transaction() as db:
            cursor = await db.execute("UPDATE questions SET unanswered = 0, entry_id = ? WHERE unanswered = 1 "
                                      "AND text = ?", (entry_id, text))
            return cursor.rowcount

    async def question_counts(self, since_date: str) -> list[tuple[str, str, str | None, bool, int]]:
        """(day, channel, entry id, unanswered, questions) since a date, for /stats."""
        rows = await self.db.fetchall(
            """SELECT substr(q.created_at, 1, 10) AS day, u.channel AS channel, q.entry_id AS entry_id,
                      q.unanswered AS unanswered, count(*) AS n
               FROM questions q JOIN users u ON u.id = q.user_id WHERE q.created_at >= ?
               GROUP BY day, channel, entry_id, unanswered ORDER BY day""", (since_date,))
        return [(r["day"], r["channel"], r["entry_id"], bool(r["unanswered"]), r["n"]) for r in rows]

    async def mark_last_question_unanswered(self, *, user_id: int) -> bool:
        """"Not what I asked": the user's last question joins the staff's review list."""
        async with self.db.transaction() as db:
            cursor = await db.execute("UPDATE questions SET unanswered = 1 WHERE id = (SELECT max(id) FROM questions "
                                      "WHERE user_id = ?)", (user_id,))
            return cursor.rowcount > 0

    async def delete_questions_before(self, cutoff_iso: str) -> int:
        """Retention: question texts older than the cutoff are deleted; returns how many."""
        async with self.db.transaction() as db:
            cursor = await db.execute("DELETE FROM questions WHERE created_at < ?", (cutoff_iso,))
            return cursor.rowcount
