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
    """(version, file name, SQL) of every migration, in order.

    Numbers may have gaps: a number can be reserved by a change still on another branch (0010 here while 0008 and
    0009 are being written elsewhere). Each database records which migrations it has (schema_migrations), so one
    that arrives later with a lower number is still applied. Two files with one number are an error.
    """
    folder = resources.files("bot.storage").joinpath("migrations")
    found = []
    for item in folder.iterdir():
        match = _MIGRATION_NAME.match(item.name)
        if match:
            found.append((int(match.group(1)), item.name, item.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if not versions or versions[0] != 1 or len(set(versions)) != len(versions):
        raise StorageError(f"migrations must be numbered from 0001, one file per number: {versions}")
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


_MIGRATIONS_TABLE = f"""CREATE TABLE schema_migrations (
    version     INTEGER PRIMARY KEY,
    applied_at  TEXT    NOT NULL DEFAULT ({NOW})
);
"""


def refuse_newer(where: str, user_version: int, applied: set[int], known: list[tuple[int, str, str]]) -> None:
    """A database that has a migration this release does not know was migrated by a newer release: refuse it.

    Going back would mean running old code on a schema it was never written for (or silently undoing the newer
    migrations); the way back is the backup taken before the upgrade.
    """
    versions = {v for v, _, _ in known}
    unknown = sorted(v for v in applied | {user_version} if v > 0 and v not in versions)
    if unknown:
        raise StorageError(
            f"the database at DATABASE_PATH={where} was migrated by a newer release (schema {max(unknown):04d}; "
            f"this release knows up to {max(versions):04d}): run that release, or restore a backup taken before "
            "the upgrade")


class Database:
    """The project's only door to SQLite; repositories share it. Writes are serialised by one lock."""

    def __init__(self, connection: aiosqlite.Connection, path: str):
        self._db = connection
        self.path = path
        self._write_lock = asyncio.Lock()
        self._unsettled = False

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

    @classmethod
    async def open_readonly(cls, path: str | Path) -> "Database":
        """The database another process (the running bot) writes, for reading only: never created, never migrated."""
        where = str(path)
        if not Path(path).is_file():
            raise StorageError(f"no database at DATABASE_PATH={where}")
        try:
            connection = await aiosqlite.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True,
                                                 isolation_level=None, timeout=10)
        except (OSError, sqlite3.Error) as exc:
            raise StorageError(f"cannot open the database at DATABASE_PATH={where}: {exc}") from None
        connection.row_factory = aiosqlite.Row
        return cls(connection, where)

    async def close(self) -> None:
        await self._db.close()

    async def _migrate(self) -> None:
        """Apply the migrations this database lacks, in order, with foreign keys off (table rebuilds must not
        cascade), then check them. A database a newer release migrated is refused, never rolled back."""
        known = migrations()
        current = await self.scalar("PRAGMA user_version")
        has_table = await self.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'")
        if has_table:
            applied = {int(row[0]) for row in await self.fetchall("SELECT version FROM schema_migrations")}
        else:  # before schema_migrations existed, migrations were applied 1..user_version without gaps
            applied = set(range(1, int(current) + 1))
        refuse_newer(self.path, int(current), applied, known)
        await self._db.execute("PRAGMA foreign_keys=OFF")
        if not has_table:
            rows = ", ".join(f"({v})" for v in sorted(applied))
            await self._db.executescript(
                "BEGIN IMMEDIATE;\n" + _MIGRATIONS_TABLE
                + (f"INSERT INTO schema_migrations (version) VALUES {rows};\n" if rows else "") + "COMMIT;")
        for version, name, sql in known:
            if version in applied:
                continue
            try:
                await self._db.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nINSERT INTO schema_migrations (version) VALUES ({version});\n"
                    f"PRAGMA user_version = {max(version, int(current))};\nCOMMIT;")
            except Exception as exc:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise StorageError(f"migration {name} failed on {self.path}: {exc}") from exc
            current = max(version, int(current))
        async with self._db.execute("PRAGMA foreign_key_check") as cursor:
            broken = await cursor.fetchall()
        if broken:
            raise StorageError(f"{self.path}: foreign keys broken after migrating: {[tuple(r) for r in broken][:5]}")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction; BEGIN IMMEDIATE so WAL readers never force a retry mid-way."""
        async with self._write_lock:
            if self._unsettled:  # a cancelled transaction's statements may still wait in the database thread's
                self._unsettled = False           # queue (a BEGIN among them): let them run before looking
                await self._db.execute("SELECT 1")
            if self._db.in_transaction:  # a BEGIN cancelled mid-way earlier still ran: undo it first
                await self._db.execute("ROLLBACK")
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                yield self._db
            except BaseException as exc:
                if isinstance(exc, asyncio.CancelledError):
                    self._unsettled = True
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
