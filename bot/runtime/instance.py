"""One instance per database: an exclusive lock beside the SQLite file, released by the OS even on kill -9.

A second process on the same DATABASE_PATH (an overlapping deploy) waits as a standby, sending nothing, and takes
over within a second or two of the first one stopping.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from pathlib import Path

from bot.storage import StorageError

log = logging.getLogger(__name__)
STANDBY_POLL = 1.0


class InstanceLock:
    def __init__(self, database_path: str | Path):
        self.database_path = str(database_path)
        self.path = Path(f"{database_path}.lock")
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True on success."""
        if self._fd is not None:
            return True
        try:
            if Path(self.database_path).is_dir():
                raise IsADirectoryError("it is a folder, not a database file")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise StorageError(f"cannot use DATABASE_PATH={self.database_path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def holder(self) -> str:
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    async def acquire(self, *, stop: asyncio.Event | None = None) -> bool:
        """Take the lock, waiting as a standby while another process holds it; False if stopped first."""
        if self.try_acquire():
            return True
        log.warning("another instance (pid %s) is running on this database; waiting as a standby", self.holder())
        while not (stop is not None and stop.is_set()):
            await asyncio.sleep(STANDBY_POLL)
            if self.try_acquire():
                log.warning("the other instance stopped; this one takes over")
                return True
        return False

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
