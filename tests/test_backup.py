"""`python -m bot backup PATH`: a consistent copy while another connection keeps writing; one-line errors."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bot.runtime.backup import BackupError, backup
from bot.storage import Storage

from .conftest import ROOT


def run_backup(database: Path | str, target: Path | str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_", "WHATSAPP_"))}
    env["DATABASE_PATH"] = str(database)
    return subprocess.run([sys.executable, "-m", "bot", "backup", str(target)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


async def make_database(path: Path, rows: int = 0) -> None:
    """The bot's real schema (migrations run), plus two tables the writer keeps equal in every commit."""
    storage = await Storage.open(path)
    await storage.close()
    with sqlite3.connect(path, isolation_level=None) as db:
        db.execute("CREATE TABLE pair_a (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        db.execute("CREATE TABLE pair_b (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
        db.execute("BEGIN")
        for _ in range(rows):
            db.execute("INSERT INTO pair_a (payload) VALUES (?)", ("a" * 500,))
            db.execute("INSERT INTO pair_b (payload) VALUES (?)", ("b" * 500,))
        db.execute("COMMIT")
    db.close()


class Writer(threading.Thread):
    """Another connection committing in a loop: each commit adds one row to pair_a and one to pair_b."""

    def __init__(self, path: Path, pause: float = 0.0):
        super().__init__(daemon=True)
        self.path = path
        self.pause = pause
        self.stop = threading.Event()
        self.commits = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        try:
            while not self.stop.is_set():
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT INTO pair_a (payload) VALUES ('x')")
                db.execute("INSERT INTO pair_b (payload) VALUES ('y')")
                db.execute("COMMIT")
                self.commits += 1
                if self.pause:
                    time.sleep(self.pause)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            db.close()

    def __enter__(self) -> "Writer":
        self.start()
        deadline = time.monotonic() + 10
        while self.commits < 5 and time.monotonic() < deadline:
            time.sleep(0.005)
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.join(timeout=10)


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                          "AND name NOT LIKE 'sqlite_%'")]
        result = {name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
    db.close()
    return result


async def test_a_backup_while_another_connection_writes_is_one_consistent_snapshot(tmp_path):
    live = tmp_path / "bot.sqlite3"
    await make_database(live, rows=8000)            # about 9 MB: thousands of small steps below
    target = tmp_path / "backups" / "nested" / "copy.sqlite3"
    with Writer(live) as writer:
        before = writer.commits
        result = backup(live, target, pages=8)      # tiny steps: many commits land between them
        during = writer.commits - before
    assert writer.error is None
    assert during > 0, "the writer was blocked while the backup ran"
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"   # one self-contained file
        a, b = (copy.execute(f"SELECT count(*), max(id) FROM {t}").fetchone() for t in ("pair_a", "pair_b"))
    copy.close()
    assert a == b and a[0] == a[1]                 # both halves of every commit, no gap, nothing half-written
    assert 8000 + 5 <= a[0] <= 8000 + writer.commits
    copied = counts(target)
    assert dict(result.tables) == copied and {"users", "inbox", "broadcasts"} <= set(copied)
    assert result.size == target.stat().st_size
    assert not Path(f"{target}-wal").exists() and not Path(f"{target}-journal").exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.sqlite3"]     # no temporary file left
    with sqlite3.connect(live) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


async def test_commits_between_steps_never_restart_the_backup(tmp_path):
    """A commit by another connection between two steps would restart a stepped backup from page 1 (SQLite's
    rule); a writer that commits that often would keep it from ever finishing. The backup holds one read snapshot
    instead: here a commit lands after every single step, and the copy still finishes in one pass and holds exactly
    the database as it was when the backup began."""
    live = tmp_path / "bot.sqlite3"
    await make_database(live, rows=1000)
    writer = sqlite3.connect(live, isolation_level=None, timeout=10)
    steps: list[tuple[int, int]] = []

    def commit_between_steps(status: int, remaining: int, total: int) -> None:
        steps.append((remaining, total))
        if len(steps) > 10_000:
            raise RuntimeError("the backup keeps restarting")
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO pair_a (payload) VALUES ('x')")
        writer.execute("INSERT INTO pair_b (payload) VALUES ('y')")
        writer.execute("COMMIT")

    try:
        result = backup(live, tmp_path / "copy.sqlite3", pages=4, progress=commit_between_steps)
    finally:
        writer.close()
    total = steps[0][1]
    assert len(steps) == -(-total // 4)                              # one pass: no restart
    assert [remaining for remaining, _ in steps] == sorted((r for r, _ in steps), reverse=True)
    assert dict(result.tables)["pair_a"] == dict(result.tables)["pair_b"] == 1000   # the state at the start
    assert counts(live)["pair_a"] == 1000 + len(steps)               # while every commit went through


async def test_the_cli_prints_one_line_and_replaces_an_older_backup(tmp_path):
    live = tmp_path / "bot.sqlite3"
    await make_database(live, rows=3)
    target = tmp_path / "out" / "bot-backup.sqlite3"
    first = run_backup(live, target)
    assert first.returncode == 0, first.stderr
    with sqlite3.connect(live, isolation_level=None) as db:
        db.execute("INSERT INTO pair_a (payload) VALUES ('new')")
    db.close()
    with Writer(live):
        second = run_backup(live, target)
    assert second.returncode == 0, second.stderr
    lines = second.stdout.strip().splitlines()
    assert len(lines) == 1 and second.stderr == ""
    match = re.fullmatch(r"backup written to (.+) \((.+)\): (.+)", lines[0])
    assert match and match.group(1) == str(target)
    printed = dict(item.rsplit(" ", 1) for item in match.group(3).split(", "))
    assert {name: int(n) for name, n in printed.items()} == counts(target)
    assert int(printed["pair_a"]) >= 4 + 5 and printed["users"] == "0"
    assert sorted(p.name for p in target.parent.iterdir()) == ["bot-backup.sqlite3"]


async def test_a_backup_of_a_running_bot_database_through_aiosqlite(tmp_path):
    """The bot's own connection (aiosqlite, WAL, open transaction helper) writing while the copy is taken."""
    import asyncio
    live = tmp_path / "bot.sqlite3"
    await make_database(live, rows=2000)
    storage = await Storage.open(live)
    stop = asyncio.Event()

    async def write() -> int:
        done = 0
        while not stop.is_set():
            async with storage.db.transaction() as db:
                await db.execute("INSERT INTO pair_a (payload) VALUES ('x')")
                await db.execute("INSERT INTO pair_b (payload) VALUES ('y')")
            done += 1
        return done

    writer = asyncio.create_task(write())
    try:
        await asyncio.sleep(0.05)
        result = await asyncio.to_thread(backup, live, tmp_path / "copy.sqlite3", pages=4)
    finally:
        stop.set()
        written = await writer
        await storage.close()
    tables = dict(result.tables)
    assert written > 0 and tables["pair_a"] == tables["pair_b"] >= 2000


@pytest.mark.parametrize("case", ["missing", "live", "wal", "folder", "under_a_file", "unwritable", "not_sqlite"])
async def test_errors_are_one_line_with_a_non_zero_exit(tmp_path, case):
    live = tmp_path / "bot.sqlite3"
    await make_database(live)
    database, target, expected = live, tmp_path / "copy.sqlite3", ""
    if case == "missing":
        database, expected = tmp_path / "none" / "bot.sqlite3", "no database at DATABASE_PATH="
    elif case == "live":
        target, expected = tmp_path / "." / "bot.sqlite3", "refusing to overwrite the live database"
    elif case == "wal":
        target, expected = Path(f"{live}-wal"), "refusing to overwrite the live database"
    elif case == "folder":
        target, expected = tmp_path, "is a folder"
    elif case == "under_a_file":
        (tmp_path / "notes.txt").write_text("x")
        target, expected = tmp_path / "notes.txt" / "copy.sqlite3", "notes.txt is a file, not a folder"
    elif case == "unwritable":
        target, expected = Path("/proc/self/backups/copy.sqlite3"), "cannot write the backup to /proc/self"
    elif case == "not_sqlite":
        database = tmp_path / "notes.sqlite3"
        database.write_text("not a database, just text\n" * 100)
        expected = "file is not a database"
    size_before = live.stat().st_size
    result = run_backup(database, target)
    assert result.returncode == 1
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("error: ") and expected in result.stderr, result.stderr
    assert live.stat().st_size == size_before and counts(live)["pair_a"] == 0     # the live database untouched
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_the_function_refuses_the_live_database_by_another_name(tmp_path):
    live = tmp_path / "bot.sqlite3"
    sqlite3.connect(live).close()
    (tmp_path / "link.sqlite3").symlink_to(live)
    with pytest.raises(BackupError, match="refusing to overwrite the live database"):
        backup(live, tmp_path / "link.sqlite3")
