"""The one SQLite connection: WAL, numbered migrations, one writer at a time, and the transaction helper."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sqlite3
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import AsyncIterator, Iterable

import aiosqlite

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


class StorageError(Exception):
    """The database cannot be opened or migrated; the message names the path."""


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


def utc_iso(moment: dt.datetime) -> str:
    """A moment in the format every stored timestamp uses (UTC, milliseconds, 'Z'), so text comparison orders them."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def from_utc_iso(value: str) -> dt.datetime:
    """A stored moment (utc_iso's format) back as an aware datetime."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def clean_text(value: str | None) -> str | None:
    """Text SQLite can store: lone surrogates (broken emoji from some clients) become U+FFFD."""
    if value is None:
        return None
    return value.encode("utf-8", "replace").decode("utf-8") if not value.isascii() else value


class Database:
    """The project's only door to SQLite; repositories share it. Writes are serialised by one lock."""

    def __init__(self, connection: aiosqlite.Connection, path: str):
        self._db = connection
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | Path) -> "Database":
        where = str(path)
        try:
            if where != ":memory:":
                folder = Path(path).parent
                folder.mkdir(parents=True, exist_ok=True)
                if Path(path).is_dir():
                    raise StorageError(f"DATABASE_PATH {where} is a folder, not a database file")
            connection = await aiosqlite.connect(where, isolation_level=None, timeout=10)
        except StorageError:
            raise
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the database at DATABASE_PATH={where}: {exc}") from None
        try:
            connection.row_factory = aiosqlite.Row
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
                await connection.execute(f"PRAGMA {pragma}")
            database = cls(connection, where)
            await database._migrate()
            await connection.execute("PRAGMA foreign_keys=ON")
        except StorageError:
            await connection.close()
            raise
        except sqlite3.Error as exc:
            await connection.close()
            raise StorageError(f"cannot use the database at DATABASE_PATH={where}: {exc}") from None
        return database

    async def close(self) -> None:
        await self._db.close()

    async def _migrate(self) -> None:
        """Apply new migrations with foreign keys off (table rebuilds must not cascade), then check them."""
        async with self._db.execute("PRAGMA user_version") as cursor:
            current = (await cursor.fetchone())[0]
        await self._db.execute("PRAGMA foreign_keys=OFF")
        for version, name, sql in migrations():
            if version <= current:
                continue
            try:
                await self._db.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
            except Exception as exc:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise StorageError(f"migration {name} failed on {self.path}: {exc}") from exc
        async with self._db.execute("PRAGMA foreign_key_check") as cursor:
            broken = await cursor.fetchall()
        if broken:
            raise StorageError(f"{self.path}: foreign keys broken after migrating: {[tuple(r) for r in broken][:5]}")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction; BEGIN IMMEDIATE so WAL readers never force a retry mid-way."""
        async with self._write_lock:
            if self._db.in_transaction:  # a BEGIN cancelled mid-way earlier still ran: undo it first
                await self._db.execute("ROLLBACK")
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                yield self._db
            except BaseException:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise
            else:
                await self._db.execute("COMMIT")

    async def fetchone(self, sql: str, params: Iterable = ()) -> aiosqlite.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Iterable = ()) -> list[aiosqlite.Row]:
        """Run and read a query in one step on the database thread.

        A query read in several steps (execute, then fetch) could see another coroutine's write to the same
        connection between the steps, and SQLite leaves such results undefined (seen as NULL statuses).
        """
        return list(await self._db.execute_fetchall(sql, tuple(params)))

    async def scalar(self, sql: str, params: Iterable = ()) -> object:
        row = await self.fetchone(sql, params)
        return row[0] if row else None
