"""The durable inbox: stored before acknowledged, handled in order per chat, a bad update never blocks others."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import pytest_asyncio

from bot.runtime.inbox import Inbox
from bot.storage import Arrival, Exchange, Storage
from tests.fake_bot_api import updates

from .telegram_helpers import reply_to, running_bot, server_with_staff_chat


def arrival(key: int, chat: str, text: str = "x") -> Arrival:
    return Arrival("test", str(key), chat, chat, {"update_id": key, "text": text})


async def test_updates_of_one_chat_run_in_order_while_chats_run_concurrently(storage):
    inbox = Inbox(storage.inbox, concurrency=8)
    events: list[tuple[str, str, str]] = []

    async def handle(item) -> None:
        events.append((item.chat_key, item.update_key, "start"))
        await asyncio.sleep(0.05 if item.update_key == "1" else 0)
        events.append((item.chat_key, item.update_key, "end"))

    inbox.handle("test", handle)
    await inbox.receive([arrival(1, "a"), arrival(2, "a"), arrival(3, "b")])
    await inbox.start()
    await inbox.drain()
    await inbox.stop()
    chat_a = [(key, what) for chat, key, what in events if chat == "a"]
    assert chat_a == [("1", "start"), ("1", "end"), ("2", "start"), ("2", "end")]
    assert events.index(("b", "3", "end")) < events.index(("a", "1", "end"))  # chat b did not wait for chat a


async def test_a_repeated_update_is_stored_once(storage):
    inbox = Inbox(storage.inbox)
    assert await inbox.receive([arrival(1, "a")]) == 1
    assert await inbox.receive([arrival(1, "a"), arrival(2, "a")]) == 1


async def test_a_failing_update_is_marked_failed_logged_once_without_its_text_and_never_retried(storage, caplog):
    inbox = Inbox(storage.inbox)
    seen: list[str] = []

    async def handle(item) -> None:
        seen.append(item.update_key)
        if item.update_key == "2":
            raise ValueError(f"cannot handle {item.payload['text']}")

    inbox.handle("test", handle)
    await inbox.receive([arrival(1, "a"), arrival(2, "a", "my secret passport number"), arrival(3, "a")])
    with caplog.at_level(logging.DEBUG, logger="bot"):
        await inbox.start()
        await inbox.drain()
        await asyncio.sleep(1.2)  # a full idle check later: still not retried
        await inbox.stop()
    assert seen == ["1", "2", "3"]
    assert await storage.inbox.counts() == {"done": 2, "failed": 1}
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 1 and "passport" not in caplog.text
    row = await storage.db.fetchone("SELECT error, payload FROM inbox WHERE update_key = '2'")
    assert row["error"].startswith("ValueError") and row["payload"] is None


async def test_pending_updates_survive_a_restart(tmp_path):
    first = await Storage.open(tmp_path / "bot.sqlite3")
    await Inbox(first.inbox).receive([arrival(1, "a"), arrival(2, "b")])
    await first.close()  # stopped before handling anything (as after kill -9)
    second = await Storage.open(tmp_path / "bot.sqlite3")
    try:
        handled: list[str] = []
        inbox = Inbox(second.inbox)

        async def handle(item) -> None:
            handled.append(item.update_key)
        inbox.handle("test", handle)
        await inbox.start()
        await inbox.drain()
        await inbox.stop()
        assert sorted(handled) == ["1", "2"]
    finally:
        await second.close()


async def test_one_exchange_with_a_lone_surrogate_does_not_cost_others_their_answers(storage):
    users = [await storage.users.get_or_create_user(channel="telegram", external_id=str(i)) for i in range(7)]

    def exchange(user_id: int, text: str) -> Exchange:
        return Exchange(user_id=user_id, language=None, display_name="\ud83d broken", username=None,
                        last_entry_id=None, pending_choices=(), text=text, answer_language="es", kind="none",
                        entry_id=None, candidates=(), confidence=0.0, unanswered=True)

    await asyncio.gather(*(storage.users.record_exchange(exchange(u.id, "hola \ud83d" if i == 0 else f"q{i}"))
                           for i, u in enumerate(users)))
    assert len(await storage.users.unanswered(limit=20)) == 7


# ---------------------------------------------------------------------------------------------- end to end
STAFF_CHAT = -100444
LUPITA = updates.user(900, "Lupita", "es")
ANA = updates.user(1001, "Ana", "es")


@pytest_asyncio.fixture
async def server():
    async with server_with_staff_chat(STAFF_CHAT, [LUPITA], forum=True) as fake:
        yield fake


async def test_an_update_the_library_cannot_parse_is_marked_failed_and_the_bot_goes_on(server, tmp_path, engine,
                                                                                        caplog):
    async with running_bot(server, tmp_path / "bot.sqlite3", engine, staff_chat_id=STAFF_CHAT) as bot:
        broken = updates.private_text(ANA, "texto privado de Ana")
        del broken["message"]["chat"]  # a field gone after an API change
        server.push_update(broken)
        server.push_update(updates.private_text(ANA, "canje"))
        answer = await reply_to(server, ANA["id"])
        assert "canje" in answer.params["text"].lower()
        await bot.inbox.drain()
        assert (await bot.storage.inbox.counts()).get("failed") == 1
    assert "texto privado" not in caplog.text
    assert len([r for r in caplog.records if r.name == "bot.runtime.inbox"]) == 1


async def test_forget_removes_every_row_that_names_the_user(server, tmp_path, engine):
    database = tmp_path / "bot.sqlite3"
    async with running_bot(server, database, engine, staff_chat_id=STAFF_CHAT) as bot:
        server.push_update(updates.private_text(ANA, "canje"))
        await reply_to(server, ANA["id"])
        server.push_update(updates.private_text(ANA, "mi tarjeta vence el 15/03/2030"))   # a date and reminders
        window = await reply_to(server, ANA["id"], count=2)
        server.push_update(updates.callback(ANA, window.result, "rem:renovacion:20300315"))
        await reply_to(server, ANA["id"], count=3)
        server.push_update(updates.command(ANA, "/subscribe"))
        server.push_update(updates.command(ANA, "/human"))
        await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "pidió" in c.params["text"])
        thread = [t for t in server.topics(STAFF_CHAT) if not t.deleted][-1].message_thread_id
        server.push_update(updates.topic_text(STAFF_CHAT, thread, LUPITA, "hola Ana", title="Firm"))
        await server.wait_for("copyMessage", lambda c: c.chat_id == ANA["id"])
        release = updates.topic_text(STAFF_CHAT, thread, LUPITA, "/liberar", title="Firm")
        release["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": 8}]
        server.push_update(release)
        await server.wait_for("sendMessage", lambda c: c.chat_id == ANA["id"] and "asistente" in c.params["text"])
        user = await bot.storage.users.find_user(channel="telegram", external_id=str(ANA["id"]))
        await bot.storage.broadcasts.create_draft(created_by="900", chat_id=str(STAFF_CHAT), thread_id=None,
                                                  step="text_es")
        draft = (await bot.storage.broadcasts.by_status("draft"))[0]
        await bot.storage.broadcasts.update(draft.id, audience="subscribers")
        await bot.storage.broadcasts.start(draft.id)
        await bot.broadcaster.cancel(draft.id)
        server.push_update(updates.command(ANA, "/forget"))
        confirm = await server.wait_for("sendMessage", lambda c: c.chat_id == ANA["id"] and "forget:yes"
                                        in str(c.params.get("reply_markup")))
        server.push_update(updates.callback(ANA, confirm.result, "forget:yes"))
        await server.wait_for("editMessageText", lambda c: c.chat_id == ANA["id"])
        await bot.inbox.drain()
        assert user is not None
    with sqlite3.connect(database) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]
            for column in columns:
                hits = db.execute(f"SELECT count(*) FROM {table} WHERE CAST({column} AS TEXT) IN (?, ?)",
                                  (str(ANA["id"]), str(user.id) if column == "user_id" else "-")).fetchone()[0]
                text_hits = db.execute(f"SELECT count(*) FROM {table} WHERE CAST({column} AS TEXT) LIKE ?",
                                       (f"%{ANA['id']}%",)).fetchone()[0]
                assert hits == 0 and text_hits == 0, f"{table}.{column} still names the user"


async def test_question_texts_are_deleted_after_the_retention_period(server, tmp_path, engine):
    import datetime as dt
    async with running_bot(server, tmp_path / "bot.sqlite3", engine, question_retention_days=180) as bot:
        server.push_update(updates.private_text(ANA, "canje"))
        await reply_to(server, ANA["id"])
        await bot.inbox.drain()
        now = dt.datetime.now(dt.timezone.utc)
        assert (await bot.sweep(now + dt.timedelta(days=179)))[0] == 0  # handled updates go after a week
        deleted, _ = await bot.sweep(now + dt.timedelta(days=181))
        assert deleted == 1
        user = await bot.storage.users.find_user(channel="telegram", external_id=str(ANA["id"]))
        assert await bot.storage.users.recent_questions(user_id=user.id) == []


async def test_an_update_stored_after_a_deleted_one_is_still_handled(storage):
    """Ids are never reused (AUTOINCREMENT): the newest row deleted by /forget must not hide the next update."""
    inbox = Inbox(storage.inbox)
    handled: list[str] = []

    async def handle(item) -> None:
        handled.append(item.update_key)
        if item.update_key == "2":  # the forget update deletes its own row
            await storage.db._db.execute("DELETE FROM inbox WHERE update_key = '2'")

    inbox.handle("test", handle)
    await inbox.start()
    await inbox.receive([arrival(1, "a"), arrival(2, "b")])
    await inbox.drain()
    await inbox.receive([arrival(3, "c")])
    await inbox.drain()
    await inbox.stop()
    assert handled == ["1", "2", "3"]
