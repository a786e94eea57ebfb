"""Migrations: numbers reserved on other branches (gaps), databases from before the record, and a database a newer
release migrated, which is refused with one line instead of being used or rolled back."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

import bot.storage.db as db_module
from bot.storage import Storage, StorageError, migrations

from .conftest import ROOT

NEWEST = max(number for number, _, _ in migrations())   # the newest migration this release knows


def versions_in(path) -> list[int]:
    with sqlite3.connect(path) as db:
        return [row[0] for row in db.execute("SELECT version FROM schema_migrations ORDER BY version")]


def user_version(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA user_version").fetchone()[0]


async def test_a_database_from_before_the_record_keeps_its_migrations_and_gets_the_new_ones(tmp_path, monkeypatch):
    path = tmp_path / "old.sqlite3"
    known = migrations()
    old = [m for m in known if m[0] <= 7]
    monkeypatch.setattr(db_module, "migrations", lambda: old)
    await (await Storage.open(path)).close()   # opened as a release with 0001-0007 would
    with sqlite3.connect(path) as db:   # what such a release left: user_version 7 and no schema_migrations table
        db.execute("DROP TABLE schema_migrations")
    monkeypatch.setattr(db_module, "migrations", lambda: known)
    storage = await Storage.open(path)
    try:
        assert await storage.db.scalar("SELECT count(*) FROM heartbeats") == 0   # 0010 applied
    finally:
        await storage.close()
    assert versions_in(path) == [v for v, _, _ in known] and user_version(path) == known[-1][0]


async def test_a_migration_that_arrives_later_with_a_lower_number_is_still_applied(tmp_path, monkeypatch):
    """A newer migration ships first; a number below the newest (written on another branch) arrives in a later release and must not be skipped."""
    path = tmp_path / "bot.sqlite3"
    await (await Storage.open(path)).close()
    taken = set(versions_in(path))
    number = next(n for n in range(1, max(taken)) if n not in taken)   # a gap below the newest
    late = (number, f"{number:04d}_late.sql", "CREATE TABLE late_arrival (id INTEGER PRIMARY KEY);")
    monkeypatch.setattr(db_module, "migrations", lambda: sorted([*migrations(), late]))
    storage = await Storage.open(path)
    try:
        assert await storage.db.scalar("SELECT count(*) FROM late_arrival") == 0
    finally:
        await storage.close()
    assert number in versions_in(path) and user_version(path) == max(taken)


def test_two_files_with_one_number_are_refused(monkeypatch):
    class Item:
        def __init__(self, name):
            self.name = name

        def read_text(self, encoding):
            return ""

    class Folder:
        def joinpath(self, _):
            return self

        def iterdir(self):
            return [Item("0001_initial.sql"), Item("0002_a.sql"), Item("0002_b.sql")]

    monkeypatch.setattr(db_module.resources, "files", lambda _: Folder())
    with pytest.raises(StorageError, match="one file per number"):
        migrations()


@pytest.mark.parametrize("how", ["user_version", "record"])
async def test_a_database_migrated_by_a_newer_release_is_refused_and_left_untouched(tmp_path, how):
    path = tmp_path / "bot.sqlite3"
    await (await Storage.open(path)).close()
    with sqlite3.connect(path) as db:
        if how == "user_version":
            db.execute(f"PRAGMA user_version = {NEWEST + 2}")
        else:
            db.execute("INSERT INTO schema_migrations (version) VALUES (?)", (NEWEST + 1,))
        before = db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    with pytest.raises(StorageError) as refused:
        await Storage.open(path)
    message = str(refused.value)
    assert "newer release" in message and f"this release knows up to {NEWEST:04d}" in message and "\n" not in message
    with sqlite3.connect(path) as db:   # nothing rolled back, nothing added
        assert db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == before


def test_the_command_line_refuses_a_newer_database_with_one_line(tmp_path):
    path = tmp_path / "bot.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    env = {"DATABASE_PATH": str(path), "TELEGRAM_BOT_TOKEN": "1:x", "PATH": "/usr/bin:/bin"}
    for command in (["run"], ["reminders"]):
        result = subprocess.run([sys.executable, "-m", "bot", *command], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"error: the database at DATABASE_PATH={path} was migrated by a newer release (schema 0099; this "
            f"release knows up to {NEWEST:04d}): run that release, or restore a backup taken before the upgrade"]
    assert user_version(path) == 99
