"""`python -m bot backup PATH`: a consistent copy of the live SQLite database, safe while the bot runs and writes.

SQLite's online backup API copies the database page by page. The copy is read inside one read transaction on the
source, so in WAL mode it is one snapshot of the database (the state after some commit, never half of one) and the
bot's writers are never blocked: in WAL mode a reader does not stop writers, and because the snapshot is held the
backup is never restarted by their commits. The copy is written to a hidden temporary file in the target's folder,
checked (`PRAGMA quick_check`), switched to a rollback journal so it is one self-contained file, flushed to disk, and
then renamed over PATH: PATH is either the previous file or the complete new backup, never a partial one.

`python -m bot restore BACKUP` is the way back (see restore() below).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

PAGES_PER_STEP = 1024   # pages copied per step (4 KiB pages: 4 MiB), then the source is released for a moment
STEP_PAUSE = 0.001      # seconds between steps
BUSY_TIMEOUT = 10.0     # seconds to wait for a lock the bot holds (only while a checkpoint or a migration runs)


class BackupError(Exception):
    """The backup cannot be made; the message is one line for the operator (paths named, no traceback)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int                              # bytes
    tables: tuple[tuple[str, int], ...]    # (table, rows), by table name

    def summary(self) -> str:
        counts = ", ".join(f"{name} {rows}" for name, rows in self.tables) or "no tables"
        return f"backup written to {self.path} ({_size(self.size)}): {counts}"


def backup(database: str | Path, target: str | Path, *, pages: int = PAGES_PER_STEP, pause: float = STEP_PAUSE,
           progress: Callable[[int, int, int], object] | None = None) -> BackupResult:
    """Copy `database` to `target` atomically; raise BackupError with a one-line reason.

    `progress(status, remaining, total)` is called after every step (sqlite3's backup callback), e.g. by tests.
    """
    source = _source(database)
    destination = _destination(source, target)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".tmp", dir=destination.parent)
        os.close(fd)
    except OSError as exc:
        blocker = next((parent for parent in destination.parents if parent.exists() and not parent.is_dir()), None)
        reason = f"{blocker} is a file, not a folder" if blocker is not None else exc.strerror or str(exc)
        raise BackupError(f"cannot write the backup to {destination}: {reason}") from None
    temp = Path(temp_name)
    try:
        _copy(source, temp, pages=pages, pause=pause, progress=progress)
        tables = _check_and_count(temp)
        _fsync(temp)
        os.replace(temp, destination)
        _fsync_folder(destination.parent)
    except BaseException:
        _remove_with_sidecars(temp)
        raise
    return BackupResult(destination, destination.stat().st_size, tables)


def _remove_with_sidecars(database: Path) -> None:
    """A database file that is not to stay, with its journal, WAL and shared-memory files."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def _database_file(database: str | Path, use: str) -> Path:
    """DATABASE_PATH as a file path, refused (in one line saying why) when it names no file: `use` says for what."""
    where = str(database)
    if where == ":memory:" or where.startswith("file:"):
        raise BackupError(f"DATABASE_PATH={where} is not a database file {use}")
    path = Path(database)
    if path.is_dir():
        raise BackupError(f"DATABASE_PATH={where} is a folder, not a database file")
    return path


def _source(database: str | Path) -> Path:
    path = _database_file(database, "that can be backed up")
    if not path.is_file():
        raise BackupError(f"no database at DATABASE_PATH={database} (nothing to back up)")
    return path


def _destination(source: Path, target: str | Path) -> Path:
    path = Path(target)
    if str(target).strip() == "":
        raise BackupError("give the backup file's path, e.g. python -m bot backup backups/bot.sqlite3")
    if path.is_dir():
        raise BackupError(f"{path} is a folder: give the backup file's path, e.g. {path / 'bot.sqlite3'}")
    live = source.resolve()
    resolved = path.resolve()
    siblings = {live, *(Path(f"{live}{suffix}") for suffix in ("-wal", "-shm", "-journal", ".lock"))}
    if resolved in siblings or (path.exists() and os.path.samefile(path, source)):
        raise BackupError(f"refusing to overwrite the live database {source}: choose another path for the backup")
    return path


def _copy(source: Path, temp: Path, *, pages: int, pause: float, progress) -> None:
    src = dst = None
    try:
        # mode=rw: never create a database that is not there; the backup only reads it.
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT,
                              isolation_level=None)
        dst = sqlite3.connect(temp, isolation_level=None)
        src.execute("BEGIN")                                    # one read snapshot for the whole copy
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        src.backup(dst, pages=pages, progress=progress, sleep=pause)
        src.execute("COMMIT")
        dst.execute("PRAGMA journal_mode=DELETE")               # one self-contained file, no -wal beside it
    except sqlite3.Error as exc:
        raise BackupError(f"cannot back up {source}: {exc}") from None
    finally:
        for connection in (dst, src):
            if connection is not None:
                connection.close()


def _check_and_count(temp: Path) -> tuple[tuple[str, int], ...]:
    connection = sqlite3.connect(temp, isolation_level=None)
    try:
        verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"the copy failed its integrity check ({verdict}); nothing was written")
        names = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        quote = lambda name: '"' + name.replace('"', '""') + '"'  # noqa: E731
        return tuple((name, connection.execute(f"SELECT count(*) FROM {quote(name)}").fetchone()[0])
                     for name in names)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read the copy back: {exc}") from None
    finally:
        connection.close()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); skipped where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


# ---------------------------------------------------------------------------------------------- restore
@dataclass(frozen=True)
class RestoreResult:
    database: Path
    skipped_updates: int          # inbox rows pending in the backup: handled by then, not handled again
    paused_broadcasts: int
    replaced: Path | None         # where the database that was there went

    def summary(self) -> str:
        aside = f"; the database it replaced is kept as {self.replaced}" if self.replaced else ""
        return (f"restored {self.database}: {self.skipped_updates} update(s) that were being handled when the backup "
                f"was taken are not answered again, {self.paused_broadcasts} running broadcast(s) paused (resume "
                f"with /broadcasts){aside}")


def restore(source: str | Path, database: str | Path, *, stdin=None, stamp: str | None = None) -> RestoreResult:
    """`python -m bot restore BACKUP`: put a backup in place of DATABASE_PATH while the bot is stopped.

    A backup taken while the bot ran holds the updates it was handling at that moment as 'pending' (up to 32 at
    once, one per handling slot). The bot that made the backup answered them seconds later, so the restored copy
    marks them 'skipped' instead of answering them again, hours or days late. A broadcast that was running is
    paused, so staff decide whether to resume it (recipients sent after the backup would get it twice).
    BACKUP `-` reads the file from standard input (for `docker compose run -T`).
    """
    from bot.runtime.instance import InstanceLock
    from bot.storage import StorageError
    target = _database_file(database, "to restore into")
    lock = InstanceLock(target)
    try:
        if not lock.try_acquire():
            raise BackupError(f"the bot is running on DATABASE_PATH={target} (pid {lock.holder()}): stop it first, "
                              "then restore")
    except StorageError as exc:
        raise BackupError(str(exc)) from None
    temp = incoming = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".restore", dir=target.parent)
        os.close(fd)
        temp = Path(temp_name)
        if str(source) == "-":
            incoming = Path(f"{temp}.in")
            with open(incoming, "wb") as out:
                out.write((stdin or sys.stdin.buffer).read())
            backup_file = incoming
        else:
            backup_file = Path(source)
            if not backup_file.is_file():
                raise BackupError(f"no backup file at {backup_file}")
            if backup_file.resolve() == target.resolve():
                raise BackupError(f"{backup_file} is DATABASE_PATH itself: give the backup file")
        _copy_backup(backup_file, temp)
        skipped, paused = _settle(temp)
        _fsync(temp)
        os.chmod(temp, 0o600)
        replaced = _move_aside(target, stamp or time.strftime("%Y%m%dT%H%M%S"))
        os.replace(temp, target)
        _fsync_folder(target.parent)
        temp = None
    except OSError as exc:
        raise BackupError(f"cannot restore to {target}: {exc.strerror or exc}") from None
    finally:
        for leftover in (temp, incoming):
            if leftover is not None:
                _remove_with_sidecars(leftover)
        lock.release()
    return RestoreResult(target, skipped, paused, replaced)


def _copy_backup(backup_file: Path, temp: Path) -> None:
    """The backup, checked (a bot database, intact, not from a newer release), copied into `temp`."""
    from bot.storage import StorageError, migrations
    from bot.storage.db import refuse_newer
    src = dst = None
    try:
        src = sqlite3.connect(f"{backup_file.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
        verdict = src.execute("PRAGMA quick_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"{backup_file} failed its integrity check ({verdict}); nothing was changed")
        names = {row[0] for row in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "users" not in names:
            raise BackupError(f"{backup_file} is not a backup of this bot's database (no users table)")
        version = src.execute("PRAGMA user_version").fetchone()[0]
        applied = ({row[0] for row in src.execute("SELECT version FROM schema_migrations")}
                   if "schema_migrations" in names else set(range(1, version + 1)))
        try:
            refuse_newer(str(backup_file), version, applied, migrations())
        except StorageError as exc:
            raise BackupError(str(exc).replace("the database at DATABASE_PATH=", "the backup ")) from None
        dst = sqlite3.connect(temp, isolation_level=None)
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read the backup {backup_file}: {exc}") from None
    finally:
        for connection in (dst, src):
            if connection is not None:
                connection.close()


def _settle(temp: Path) -> tuple[int, int]:
    """In the restored copy: pending updates are skipped (answered before), running broadcasts paused."""
    connection = sqlite3.connect(temp, isolation_level=None)
    try:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        skipped = paused = 0
        connection.execute("BEGIN IMMEDIATE")
        if "inbox" in names:
            skipped = connection.execute(
                "UPDATE inbox SET status = 'skipped', payload = NULL, error = 'restored from a backup taken while it "
                "was being handled', handled_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE status = 'pending'"
            ).rowcount
        if "broadcasts" in names:
            paused = connection.execute("UPDATE broadcasts SET status = 'paused' WHERE status = 'running'").rowcount
        connection.execute("COMMIT")
        return skipped, paused
    except sqlite3.Error as exc:
        raise BackupError(f"cannot prepare the restored copy: {exc}") from None
    finally:
        connection.close()


def _move_aside(target: Path, stamp: str) -> Path | None:
    """The database being replaced, with its -wal and -shm (a stale -wal must never meet the restored file)."""
    aside = Path(f"{target}.replaced-{stamp}")
    moved = False
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{target}{suffix}").exists():
            os.replace(f"{target}{suffix}", f"{aside}{suffix}")
            moved = True
    return aside if moved else None
