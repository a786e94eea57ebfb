"""`python -m bot restore BACKUP`: a backup taken while the bot ran is put back without answering again the updates
that were being handled at that moment, a running broadcast comes back paused, the replaced database is kept, and
everything that cannot work is one line and a non-zero exit."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import App
from bot.runtime.backup import BackupError, backup, restore
from bot.runtime.instance import InstanceLock
from bot.storage import Arrival, Storage
from tests.fake_bot_api import FakeBotApi, updates

from .conftest import ROOT
from .telegram_helpers import TEST_TUNING, settings_for

ANA = updates.user(1001, "Ana", "es")
BEN = updates.user(1002, "Ben", "en")


def run_restore(database: Path, source: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_", "WHATSAPP_"))}
    env["DATABASE_PATH"] = str(database)
    return subprocess.run([sys.executable, "-m", "bot", "restore", source], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, timeout=120)


async def live_database_with_work_in_hand(path: Path) -> None:
    """What a backup of a running bot holds: updates being handled (pending) and a broadcast in progress."""
    storage = await Storage.open(path)
    try:
        for n, person in enumerate((ANA, BEN), start=900001):   # ids Telegram gave before the backup
            update = updates.private_text(person, "canje")
            update["update_id"] = n
            await storage.inbox.store([Arrival("telegram", str(n), str(person["id"]), str(person["id"]), update)])
        draft = await storage.broadcasts.create_draft(created_by="900", chat_id="-100777", thread_id=None,
                                                      step="preview")
        await storage.broadcasts.update(draft.id, text_es="Aviso", text_en="Notice", audience="subscribers")
        await storage.broadcasts.start(draft.id)
    finally:
        await storage.close()


def statuses(path: Path) -> tuple[list[tuple[str, str]], list[str]]:
    with sqlite3.connect(path) as db:
        inbox = [tuple(row) for row in db.execute("SELECT update_key, status FROM inbox ORDER BY id")]
        jobs = [row[0] for row in db.execute("SELECT status FROM broadcasts")]
    return inbox, jobs


async def test_a_live_backup_restored_answers_nothing_twice_and_pauses_the_broadcast(tmp_path, engine):
    live, saved, restored = tmp_path / "live.sqlite3", tmp_path / "backups" / "b.sqlite3", tmp_path / "bot.sqlite3"
    await live_database_with_work_in_hand(live)
    backup(live, saved)
    assert statuses(saved) == ([("900001", "pending"), ("900002", "pending")], ["running"])   # an exact copy
    result = restore(saved, restored)
    assert (result.skipped_updates, result.paused_broadcasts, result.replaced) == (2, 1, None)
    assert statuses(restored) == ([("900001", "skipped"), ("900002", "skipped")], ["paused"])
    assert oct(restored.stat().st_mode & 0o777) == "0o600"
    async with FakeBotApi() as server:   # the bot starts on it: nothing is answered again, nothing is re-sent
        app = App(settings_for(server, restored), engine, TEST_TUNING)
        await app.start()
        try:
            await app.inbox.drain()
            server.push_update(updates.private_text(ANA, "renovación"))      # a new message is answered as usual
            await server.wait_for("sendMessage", lambda c: c.chat_id == ANA["id"] and c.result)
            assert [c.params["text"] for c in server.calls_to("sendMessage", chat_id=ANA["id"])
                    if "canje" in c.params["text"].lower()] == []
            assert server.calls_to("sendMessage", chat_id=BEN["id"]) == []
            assert (await app.storage.broadcasts.get(1)).status == "paused"
        finally:
            await app.stop()


async def test_the_replaced_database_and_its_wal_are_kept_aside(tmp_path):
    saved, target = tmp_path / "b.sqlite3", tmp_path / "bot.sqlite3"
    await live_database_with_work_in_hand(saved)
    await (await Storage.open(target)).close()
    Path(f"{target}-wal").write_bytes(b"stale")
    result = restore(saved, target, stamp="20261201T093000")
    aside = tmp_path / "bot.sqlite3.replaced-20261201T093000"
    assert result.replaced == aside and aside.exists() and Path(f"{aside}-wal").read_bytes() == b"stale"
    assert not Path(f"{target}-wal").exists()
    assert "restored" in result.summary() and str(aside) in result.summary()


async def test_restore_refuses_while_the_bot_runs(tmp_path):
    saved, target = tmp_path / "b.sqlite3", tmp_path / "bot.sqlite3"
    await live_database_with_work_in_hand(saved)
    lock = InstanceLock(target)
    assert lock.try_acquire()
    try:
        with pytest.raises(BackupError, match="the bot is running on DATABASE_PATH=.*stop it first"):
            restore(saved, target)
    finally:
        lock.release()
    assert not target.exists()


@pytest.mark.parametrize("case", ["missing", "not sqlite", "not ours", "newer"])
async def test_what_cannot_be_restored_is_one_line_and_exit_1(tmp_path, case):
    source, target = tmp_path / "b.sqlite3", tmp_path / "bot.sqlite3"
    await (await Storage.open(target)).close()
    before = target.read_bytes()
    if case == "not sqlite":
        source.write_bytes(b"this is not a database" * 100)
    elif case == "not ours":
        with sqlite3.connect(source) as db:
            db.execute("CREATE TABLE t (x)")
    elif case == "newer":
        await live_database_with_work_in_hand(source)
        with sqlite3.connect(source) as db:
            db.execute("INSERT INTO schema_migrations (version) VALUES (42)")
    result = run_restore(target, str(source))
    stderr = result.stderr.decode()
    assert result.returncode == 1 and result.stdout == b"" and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1 and stderr.startswith("error: ")
    assert {"missing": "no backup file", "not sqlite": "cannot read the backup", "not ours": "not a backup of this",
            "newer": "migrated by a newer release"}[case] in stderr
    assert target.read_bytes() == before   # nothing changed


async def test_the_backup_can_come_on_standard_input_for_docker(tmp_path):
    saved, target = tmp_path / "b.sqlite3", tmp_path / "data" / "bot.sqlite3"
    await live_database_with_work_in_hand(saved)
    result = run_restore(target, "-", stdin=saved.read_bytes())
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode().strip().splitlines()
    assert out == [f"restored {target}: 2 update(s) that were being handled when the backup was taken are not "
                   "answered again, 1 running broadcast(s) paused (resume with /broadcasts)"]
    assert statuses(target)[1] == ["paused"]
    assert sorted(p.name for p in target.parent.iterdir()) == ["bot.sqlite3", "bot.sqlite3.lock"]   # no leftovers
