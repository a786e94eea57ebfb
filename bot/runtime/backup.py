"""`python -m bot backup PATH`: a consistent copy of the live SQLite database, safe while the bot runs and writes.

SQLite's online backup API copies the database page by page. The copy is read inside one read transaction on the
source, so in WAL mode it is one snapshot of the database (the state after some commit, never half of one) and the
bot's writers are never blocked: in WAL mode a reader does not stop writers, and because the snapshot is held the
backup is never restarted by their commits. The copy is written to a hidden temporary file in the target's folder,
checked (`PRAGMA quick_check`), switched to a rollback journal so it is one self-contained file, flushed to disk, and
then renamed over PATH: PATH is either the previous file or the complete new backup, never a partial one.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
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
        for leftover in (temp, Path(f"{temp}-journal"), Path(f"{temp}-wal"), Path(f"{temp}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    return BackupResult(destination, destination.stat().st_size, tables)


def _source(database: str | Path) -> Path:
    where = str(database)
    if where == ":memory:" or where.startswith("file:"):
        raise BackupError(f"DATABASE_PATH={where} is not a database file that can be backed up")
    path = Path(database)
    if path.is_dir():
        raise BackupError(f"DATABASE_PATH={where} is a folder, not a database file")
    if not path.is_file():
        raise BackupError(f"no database at DATABASE_PATH={where} (nothing to back up)")
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
