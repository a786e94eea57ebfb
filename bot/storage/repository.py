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


# ---------------------------------------------------------------------------------------------- broadcasts
@dataclass(frozen=True)
class Broadcast:
    id: int
    status: str
    draft_step: str | None
    created_by: int
    chat_id: int
    thread_id: int | None
    text_es: str | None
    text_en: str | None
    media_kind: str | None
    media_file_id: str | None
    audience: str | None
    scheduled_at: str | None
    progress_message_id: int | None
    created_at: str
    started_at: str | None
    finished_at: str | None


@dataclass(frozen=True)
class Recipient:
    id: int
    chat_id: int
    user_id: int | None
    language: str
    attempts: int


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


class BroadcastRepository:
    """The SQL of subscriptions and broadcasts, on the same connection and writer lock as Repository."""

    def __init__(self, repo: Repository):
        self.repo = repo

    # ------------------------------------------------------------------ subscriptions
    async def subscribe(self, *, user_id: int, topics: Iterable[str] | None = None) -> bool:
        """Subscribe (idempotent); True if the user was not subscribed before. Topics default to all news."""
        async with self.repo.transaction() as db:
            async with db.execute("SELECT 1 FROM subscriptions WHERE user_id = ?", (user_id,)) as cursor:
                existed = await cursor.fetchone() is not None
            if not existed:
                await db.execute("INSERT INTO subscriptions (user_id, topics) VALUES (?, ?)",
                                 (user_id, json.dumps(list(topics or ["all"]))))
            elif topics is not None:
                await db.execute("UPDATE subscriptions SET topics = ? WHERE user_id = ?",
                                 (json.dumps(list(topics)), user_id))
        return not existed

    async def unsubscribe(self, *, user_id: int) -> bool:
        """Unsubscribe (idempotent); True if the user was subscribed."""
        async with self.repo.transaction() as db:
            cursor = await db.execute("DELETE FROM subscriptions WHERE user_id = ?", (user_id,))
            return cursor.rowcount > 0

    async def topics(self, *, user_id: int) -> tuple[str, ...] | None:
        """The user's topics, or None when not subscribed."""
        row = await self.repo._fetchone("SELECT topics FROM subscriptions WHERE user_id = ?", (user_id,))
        return tuple(json.loads(row["topics"])) if row else None

    async def set_topics(self, *, user_id: int, topics: Iterable[str]) -> None:
        async with self.repo.transaction() as db:
            await db.execute("UPDATE subscriptions SET topics = ? WHERE user_id = ?",
                             (json.dumps(list(topics)), user_id))

    _AUDIENCE = """SELECT users.id AS user_id, users.external_id AS chat_id, users.language AS language
                   FROM subscriptions JOIN users ON users.id = subscriptions.user_id
                   WHERE users.active = 1 AND users.channel = 'telegram'
                     AND (? = 'subscribers' OR EXISTS (SELECT 1 FROM json_each(subscriptions.topics)
                                                       WHERE json_each.value IN ('all', ?)))"""

    async def audience_size(self, audience: str) -> int:
        row = await self.repo._fetchone(f"SELECT count(*) FROM ({self._AUDIENCE})", (audience, audience))
        return int(row[0]) if row else 0

    # ------------------------------------------------------------------ jobs
    @staticmethod
    def _broadcast(row: aiosqlite.Row) -> Broadcast:
        return Broadcast(*(row[name] for name in Broadcast.__dataclass_fields__))

    async def create_draft(self, *, created_by: int, chat_id: int, thread_id: int | None, step: str) -> Broadcast:
        async with self.repo.transaction() as db:
            await db.execute("UPDATE broadcasts SET status = 'cancelled', draft_step = NULL "
                             "WHERE status = 'draft' AND created_by = ? AND chat_id = ?", (created_by, chat_id))
            cursor = await db.execute(
                "INSERT INTO broadcasts (status, draft_step, created_by, chat_id, thread_id) VALUES ('draft', ?, ?, ?, ?)",
                (step, created_by, chat_id, thread_id))
            broadcast_id = cursor.lastrowid
        found = await self.get(broadcast_id)
        assert found is not None
        return found

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self.repo._fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return self._broadcast(row) if row else None

    async def open_draft(self, *, created_by: int, chat_id: int) -> Broadcast | None:
        row = await self.repo._fetchone(
            "SELECT * FROM broadcasts WHERE status = 'draft' AND created_by = ? AND chat_id = ? ORDER BY id DESC",
            (created_by, chat_id))
        return self._broadcast(row) if row else None

    async def update(self, broadcast_id: int, **fields: object) -> None:
        unknown = set(fields) - set(BROADCAST_FIELDS)
        if unknown:
            raise ValueError(f"unknown broadcast fields: {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        async with self.repo.transaction() as db:
            await db.execute(f"UPDATE broadcasts SET {assignments} WHERE id = ?", (*fields.values(), broadcast_id))

    async def start(self, broadcast_id: int) -> int:
        """Freeze the audience into recipient rows and mark the job running; returns the number of recipients."""
        async with self.repo.transaction() as db:
            async with db.execute("SELECT audience, status FROM broadcasts WHERE id = ?", (broadcast_id,)) as cur:
                row = await cur.fetchone()
            if row is None or row["status"] not in ("draft", "scheduled"):
                return 0
            await db.execute(
                f"""INSERT OR IGNORE INTO broadcast_recipients (broadcast_id, user_id, chat_id, language)
                    SELECT ?, user_id, CAST(chat_id AS INTEGER), language FROM ({self._AUDIENCE}) ORDER BY user_id""",
                (broadcast_id, row["audience"], row["audience"]))
            await db.execute("UPDATE broadcasts SET status = 'running', draft_step = NULL, "
                             "started_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?", (broadcast_id,))
        return (await self.counts(broadcast_id)).total

    async def by_status(self, *statuses: str) -> list[Broadcast]:
        marks = ", ".join("?" for _ in statuses)
        rows = await self.repo._fetchall(f"SELECT * FROM broadcasts WHERE status IN ({marks}) ORDER BY id", statuses)
        return [self._broadcast(r) for r in rows]

    async def due(self, now_iso: str) -> list[Broadcast]:
        rows = await self.repo._fetchall(
            "SELECT * FROM broadcasts WHERE status = 'scheduled' AND scheduled_at <= ? ORDER BY scheduled_at", (now_iso,))
        return [self._broadcast(r) for r in rows]

    async def recent(self, limit: int = 10) -> list[Broadcast]:
        rows = await self.repo._fetchall(
            "SELECT * FROM broadcasts WHERE status != 'draft' ORDER BY id DESC LIMIT ?", (limit,))
        return [self._broadcast(r) for r in rows]

    # ------------------------------------------------------------------ recipients
    async def counts(self, broadcast_id: int) -> BroadcastCounts:
        rows = await self.repo._fetchall(
            "SELECT status, count(*) AS n FROM broadcast_recipients WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,))
        return BroadcastCounts(**{r["status"]: r["n"] for r in rows})

    async def next_recipients(self, broadcast_id: int, limit: int = 200) -> list[Recipient]:
        """Recipients still to do, in order; 'sending' ones (in flight at a crash) come first, to be sent again."""
        rows = await self.repo._fetchall(
            """SELECT id, chat_id, user_id, language, attempts FROM broadcast_recipients
               WHERE broadcast_id = ? AND status IN ('sending', 'pending')
               ORDER BY status = 'pending', id LIMIT ?""", (broadcast_id, limit))
        return [Recipient(r["id"], r["chat_id"], r["user_id"], r["language"], r["attempts"]) for r in rows]

    async def mark_sending(self, recipient_id: int) -> None:
        """Committed before the request: after a crash this row is the only one whose fate is unknown."""
        async with self.repo.transaction() as db:
            await db.execute("UPDATE broadcast_recipients SET status = 'sending', attempts = attempts + 1, "
                             "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?", (recipient_id,))

    async def mark_done(self, recipient_id: int, *, status: str, message_id: int | None = None,
                        error: str | None = None, unsubscribe_user: int | None = None) -> None:
        async with self.repo.transaction() as db:
            await db.execute("UPDATE broadcast_recipients SET status = ?, message_id = ?, error = ?, "
                             "updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                             (status, message_id, error, recipient_id))
            if unsubscribe_user is not None:  # blocked or gone: stop sending them anything
                await db.execute("DELETE FROM subscriptions WHERE user_id = ?", (unsubscribe_user,))
                await db.execute("UPDATE users SET active = 0 WHERE id = ?", (unsubscribe_user,))


# ---------------------------------------------------------------------------------------------- staff takeover
@dataclass(frozen=True)
class Conversation:
    user_id: int
    status: str                     # bot | requested | human
    topic_id: int | None
    card_message_id: int | None
    owner_id: int | None
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
    user_chat_id: int
    user_message_id: int
    staff_chat_id: int
    staff_message_id: int
    direction: str


_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


class HandoffRepository:
    """The SQL of takeovers: conversation state per user and the relayed message pairs."""

    def __init__(self, repo: Repository):
        self.repo = repo

    @staticmethod
    def _conversation(row: aiosqlite.Row) -> Conversation:
        return Conversation(*(row[name] for name in Conversation.__dataclass_fields__))

    async def get(self, user_id: int) -> Conversation:
        row = await self.repo._fetchone("SELECT * FROM conversations WHERE user_id = ?", (user_id,))
        return self._conversation(row) if row else Conversation(user_id, "bot", None, None, None, None, None, None,
                                                                None)

    async def by_topic(self, topic_id: int) -> Conversation | None:
        row = await self.repo._fetchone("SELECT * FROM conversations WHERE topic_id = ?", (topic_id,))
        return self._conversation(row) if row else None

    async def request(self, user_id: int) -> bool:
        """Ask for a person (idempotent); True if the conversation was with the bot until now."""
        async with self.repo.transaction() as db:
            await db.execute("INSERT OR IGNORE INTO conversations (user_id) VALUES (?)", (user_id,))
            cursor = await db.execute(
                f"UPDATE conversations SET status = 'requested', requested_at = {_NOW}, last_activity_at = {_NOW}, "
                "owner_id = NULL, owner_name = NULL, taken_at = NULL WHERE user_id = ? AND status = 'bot'",
                (user_id,))
            return cursor.rowcount > 0

    async def set_topic(self, user_id: int, *, topic_id: int | None, card_message_id: int | None) -> None:
        async with self.repo.transaction() as db:
            await db.execute("INSERT OR IGNORE INTO conversations (user_id) VALUES (?)", (user_id,))
            await db.execute("UPDATE conversations SET topic_id = NULL WHERE topic_id = ? AND user_id != ?",
                             (topic_id, user_id))
            await db.execute("UPDATE conversations SET topic_id = ?, card_message_id = ? WHERE user_id = ?",
                             (topic_id, card_message_id, user_id))

    async def take(self, user_id: int, *, staff_id: int, staff_name: str) -> Conversation:
        """The first staff member to write takes it; returns the conversation with its (possibly other) owner."""
        async with self.repo.transaction() as db:
            await db.execute("INSERT OR IGNORE INTO conversations (user_id) VALUES (?)", (user_id,))
            await db.execute(
                f"UPDATE conversations SET status = 'human', owner_id = ?, owner_name = ?, taken_at = {_NOW}, "
                f"last_activity_at = {_NOW} WHERE user_id = ? AND (owner_id IS NULL OR status = 'bot')",
                (staff_id, staff_name, user_id))
        return await self.get(user_id)

    async def touch(self, user_id: int) -> None:
        async with self.repo.transaction() as db:
            await db.execute(f"UPDATE conversations SET last_activity_at = {_NOW} WHERE user_id = ?", (user_id,))

    async def release(self, user_id: int) -> bool:
        """Back to the bot (idempotent); True if a person had it or had been asked for."""
        async with self.repo.transaction() as db:
            cursor = await db.execute(
                f"UPDATE conversations SET status = 'bot', owner_id = NULL, owner_name = NULL, released_at = {_NOW} "
                "WHERE user_id = ? AND status != 'bot'", (user_id,))
            return cursor.rowcount > 0

    async def idle_since(self, cutoff_iso: str) -> list[Conversation]:
        rows = await self.repo._fetchall(
            "SELECT * FROM conversations WHERE status != 'bot' AND last_activity_at < ?", (cutoff_iso,))
        return [self._conversation(r) for r in rows]

    async def link(self, *, user_id: int, user_chat_id: int, user_message_id: int, staff_chat_id: int,
                   staff_message_id: int, direction: str) -> None:
        async with self.repo.transaction() as db:
            await db.execute(
                """INSERT INTO message_links (user_id, user_chat_id, user_message_id, staff_chat_id, staff_message_id,
                                              direction) VALUES (?, ?, ?, ?, ?, ?)""",
                (user_id, user_chat_id, user_message_id, staff_chat_id, staff_message_id, direction))

    async def by_staff_message(self, staff_chat_id: int, staff_message_id: int) -> MessageLink | None:
        row = await self.repo._fetchone(
            "SELECT * FROM message_links WHERE staff_chat_id = ? AND staff_message_id = ? ORDER BY id DESC",
            (staff_chat_id, staff_message_id))
        return MessageLink(*(row[n] for n in MessageLink.__dataclass_fields__)) if row else None

    async def by_user_message(self, user_chat_id: int, user_message_id: int) -> MessageLink | None:
        row = await self.repo._fetchone(
            "SELECT * FROM message_links WHERE user_chat_id = ? AND user_message_id = ? ORDER BY id DESC",
            (user_chat_id, user_message_id))
        return MessageLink(*(row[n] for n in MessageLink.__dataclass_fields__)) if row else None

    async def chats_with_staff(self, channel: str) -> set[int]:
        """External ids of the users whose conversation is with a person (requested or taken)."""
        rows = await self.repo._fetchall(
            "SELECT users.external_id FROM conversations JOIN users ON users.id = conversations.user_id "
            "WHERE conversations.status != 'bot' AND users.channel = ?", (channel,))
        return {int(r[0]) for r in rows}

    async def subscribed(self, user_id: int) -> bool:
        return await self.repo._fetchone("SELECT 1 FROM subscriptions WHERE user_id = ?", (user_id,)) is not None
