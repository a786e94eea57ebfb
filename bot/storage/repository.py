"""All SQL lives here: one aiosqlite connection in WAL mode, numbered migrations, one writer at a time."""

from __future__ import annotations

import asyncio
import json
import re
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import AsyncIterator, Iterable

import aiosqlite

from ..text import fold

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class StorageError(Exception):
    """The database cannot be opened or migrated."""


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


@dataclass(frozen=True)
class ConversationState:
    last_entry_id: str | None
    pending_choices: tuple[str, ...]


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


def migrations() -> list[tuple[int, str, str]]:
    """(version, file name, SQL) of every migration, in order."""
    folder = resources.files("bot.storage").joinpath("migrations")
    found = []
    for item in folder.iterdir():
        match = _MIGRATION_NAME.match(item.name)
        if match:
            found.append((int(match.group(1)), item.name, item.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise StorageError(f"migrations must be numbered 0001, 0002, ... without gaps: {versions}")
    return found


class Repository:
    """The project's only door to SQLite. Writes are serialised by one lock (SQLite has one writer anyway)."""

    def __init__(self, connection: aiosqlite.Connection):
        self._db = connection
        self._write_lock = asyncio.Lock()
        self._pending: list[tuple[Exchange, asyncio.Future]] = []
        self._writer: asyncio.Task | None = None

    @classmethod
    async def open(cls, path: str | Path) -> "Repository":
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection = await aiosqlite.connect(str(path), isolation_level=None, timeout=10)
        try:
            connection.row_factory = aiosqlite.Row
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
                await connection.execute(f"PRAGMA {pragma}")
            repo = cls(connection)
            await repo._migrate()
        except Exception:
            await connection.close()
            raise
        return repo

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        await self._db.close()

    async def _migrate(self) -> None:
        async with self._db.execute("PRAGMA user_version") as cursor:
            current = (await cursor.fetchone())[0]
        for version, name, sql in migrations():
            if version <= current:
                continue
            try:
                await self._db.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
            except Exception as exc:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise StorageError(f"migration {name} failed: {exc}") from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction; BEGIN IMMEDIATE so WAL readers never force a retry mid-way."""
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            else:
                await self._db.execute("COMMIT")

    async def _fetchone(self, sql: str, params: Iterable = ()) -> aiosqlite.Row | None:
        async with self._db.execute(sql, tuple(params)) as cursor:
            return await cursor.fetchone()

    async def _fetchall(self, sql: str, params: Iterable = ()) -> list[aiosqlite.Row]:
        async with self._db.execute(sql, tuple(params)) as cursor:
            return list(await cursor.fetchall())

    # ------------------------------------------------------------------ users
    @staticmethod
    def _user(row: aiosqlite.Row) -> User:
        return User(row["id"], row["channel"], row["external_id"], row["language"], bool(row["language_chosen"]),
                    row["display_name"], row["username"], bool(row["active"]))

    async def get_or_create_user(self, *, channel: str, external_id: str, language: str | None = None,
                                 display_name: str | None = None, username: str | None = None) -> User:
        """The user, created on first contact; name and username refreshed, last_seen_at touched."""
        async with self.transaction() as db:
            await db.execute(
                """INSERT INTO users (channel, external_id, language, display_name, username)
                   VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (channel, external_id) DO UPDATE SET
                       display_name = coalesce(excluded.display_name, users.display_name),
                       username = coalesce(excluded.username, users.username),
                       active = 1,
                       last_seen_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')""",
                (channel, str(external_id), language or "es", display_name, username))
        row = await self._fetchone("SELECT * FROM users WHERE channel = ? AND external_id = ?",
                                   (channel, str(external_id)))
        assert row is not None
        return self._user(row)

    async def user_and_state(self, *, channel: str, external_id: str, language: str | None = None,
                             display_name: str | None = None, username: str | None = None
                             ) -> tuple[User, ConversationState]:
        """The user and their conversation state in one read; the user is created on first contact."""
        sql = """SELECT users.*, conversation_state.last_entry_id, conversation_state.pending_choices
                 FROM users LEFT JOIN conversation_state ON conversation_state.user_id = users.id
                 WHERE channel = ? AND external_id = ?"""
        row = await self._fetchone(sql, (channel, str(external_id)))
        if row is None:
            await self.get_or_create_user(channel=channel, external_id=external_id, language=language,
                                          display_name=display_name, username=username)
            row = await self._fetchone(sql, (channel, str(external_id)))
        assert row is not None
        state = ConversationState(row["last_entry_id"], tuple(json.loads(row["pending_choices"] or "[]")))
        return self._user(row), state

    async def find_user(self, *, channel: str, external_id: str) -> User | None:
        row = await self._fetchone("SELECT * FROM users WHERE channel = ? AND external_id = ?",
                                   (channel, str(external_id)))
        return self._user(row) if row else None

    async def get_user(self, user_id: int) -> User | None:
        row = await self._fetchone("SELECT * FROM users WHERE id = ?", (user_id,))
        return self._user(row) if row else None

    async def set_language(self, *, user_id: int, language: str, chosen: bool) -> None:
        async with self.transaction() as db:
            await db.execute("UPDATE users SET language = ?, language_chosen = max(language_chosen, ?) WHERE id = ?",
                             (language, int(chosen), user_id))

    async def set_active(self, *, user_id: int, active: bool) -> None:
        async with self.transaction() as db:
            await db.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), user_id))

    async def forget_user(self, *, user_id: int) -> None:
        """Delete the user and everything stored about them (cascades to state and questions)."""
        async with self.transaction() as db:
            await db.execute("DELETE FROM users WHERE id = ?", (user_id,))

    async def count_users(self) -> int:
        row = await self._fetchone("SELECT count(*) FROM users")
        return int(row[0]) if row else 0

    # ------------------------------------------------------------------ conversation state
    async def get_state(self, *, user_id: int) -> ConversationState:
        row = await self._fetchone("SELECT last_entry_id, pending_choices FROM conversation_state WHERE user_id = ?",
                                   (user_id,))
        if row is None:
            return ConversationState(None, ())
        return ConversationState(row["last_entry_id"], tuple(json.loads(row["pending_choices"] or "[]")))

    async def save_state(self, *, user_id: int, last_entry_id: str | None, pending_choices: Iterable[str]) -> None:
        async with self.transaction() as db:
            await db.execute(
                """INSERT INTO conversation_state (user_id, last_entry_id, pending_choices) VALUES (?, ?, ?)
                   ON CONFLICT (user_id) DO UPDATE SET last_entry_id = excluded.last_entry_id,
                       pending_choices = excluded.pending_choices,
                       updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')""",
                (user_id, last_entry_id, json.dumps(list(pending_choices))))

    async def record_exchange(self, exchange: Exchange) -> None:
        """Store an exchange; returns once it is committed.

        Exchanges arriving together are committed together (group commit): one transaction and one
        executemany per table for the whole batch, instead of a thread hop per statement per message.
        """
        future = asyncio.get_running_loop().create_future()
        self._pending.append((exchange, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_pending())
        await future

    async def _write_pending(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            items = [exchange for exchange, _ in batch]
            try:
                async with self.transaction() as db:
                    await db.executemany(
                        """UPDATE users SET language = coalesce(?, language),
                               display_name = coalesce(?, display_name), username = coalesce(?, username),
                               active = 1, last_seen_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?""",
                        [(x.language, x.display_name, x.username, x.user_id) for x in items])
                    await db.executemany(
                        """INSERT INTO conversation_state (user_id, last_entry_id, pending_choices) VALUES (?, ?, ?)
                           ON CONFLICT (user_id) DO UPDATE SET last_entry_id = excluded.last_entry_id,
                               pending_choices = excluded.pending_choices,
                               updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')""",
                        [(x.user_id, x.last_entry_id, json.dumps(list(x.pending_choices))) for x in items])
                    await db.executemany(
                        """INSERT INTO questions (user_id, text, language, kind, entry_id, candidates, confidence,
                                                  unanswered) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                        [(x.user_id, x.text[:2000], x.answer_language, x.kind, x.entry_id,
                          json.dumps(list(x.candidates)), x.confidence, int(x.unanswered)) for x in items])
            except Exception as exc:  # noqa: BLE001 - every waiter gets the error, none is left hanging
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)

    # ------------------------------------------------------------------ questions
    async def log_question(self, *, user_id: int, text: str, language: str, kind: str, entry_id: str | None,
                           candidates: Iterable[str], confidence: float, unanswered: bool) -> None:
        async with self.transaction() as db:
            await db.execute(
                """INSERT INTO questions (user_id, text, language, kind, entry_id, candidates, confidence, unanswered)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (user_id, text[:2000], language, kind, entry_id, json.dumps(list(candidates)), confidence,
                 int(unanswered)))

    async def recent_questions(self, *, user_id: int, limit: int = 5) -> list[QuestionRecord]:
        rows = await self._fetchall(
            """SELECT text, language, kind, entry_id, created_at FROM questions WHERE user_id = ?
               ORDER BY id DESC LIMIT ?""", (user_id, limit))
        return [QuestionRecord(r["text"], r["language"], r["kind"], r["entry_id"], r["created_at"]) for r in rows]

    async def unanswered(self, *, limit: int = 20) -> list[UnansweredQuestion]:
        """The questions the bot could not match, most frequent first (grouped by their folded text)."""
        rows = await self._fetchall(
            "SELECT text, created_at FROM questions WHERE unanswered = 1 ORDER BY id")
        groups: dict[str, list] = {}
        for row in rows:
            key = fold(row["text"])
            if not key:
                continue
            group = groups.setdefault(key, [row["text"], 0, ""])
            group[1] += 1
            group[2] = row["created_at"]
        ranked = sorted(groups.values(), key=lambda g: g[2], reverse=True)  # most recent first among equals
        ranked.sort(key=lambda g: g[1], reverse=True)
        return [UnansweredQuestion(text, count, last) for text, count, last in ranked[:limit]]
