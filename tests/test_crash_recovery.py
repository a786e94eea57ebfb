"""kill -9 at any moment loses nothing: the real bot process against the fake Bot API, killed mid-flow."""

from __future__ import annotations

import asyncio

import pytest_asyncio

from tests.fake_bot_api import updates

from .process_helpers import BotProcess, bot_env, until
from .telegram_helpers import server_with_staff_chat

STAFF_CHAT = -100999
LUPITA = updates.user(900, "Lupita", "es")
USERS = [updates.user(7000 + i, f"U{i}", "es") for i in range(20)]


@pytest_asyncio.fixture
async def server():
    async with server_with_staff_chat(STAFF_CHAT, [LUPITA], forum=True) as fake:
        yield fake


def answered(server, chat_id: int) -> int:
    return len([c for c in server.calls_to("sendMessage") if c.chat_id == chat_id and c.result is not None])


async def test_kill_9_during_a_batch_of_questions_loses_no_question(server, tmp_path):
    env = bot_env(server, tmp_path / "bot.sqlite3")
    first = BotProcess(env, tmp_path / "first.log").start()
    questions = ["renovar residencia temporal", "perdí mi tarjeta", "canje de visa", "cambio de domicilio"]
    for round_ in range(3):
        for user in USERS:
            server.push_update(updates.private_text(user, questions[(user["id"] + round_) % len(questions)]))
    total = 3 * len(USERS)
    await until(lambda: len([c for c in server.calls_to("sendMessage") if c.result]) >= 12)
    first.kill9()
    before = len([c for c in server.calls_to("sendMessage") if c.result])
    assert before < total, "the bot answered everything before the kill; nothing was tested"
    second = BotProcess(env, tmp_path / "second.log").start()
    try:
        await until(lambda: all(answered(server, u["id"]) >= 3 for u in USERS), timeout=60)
    finally:
        assert await second.terminate() == 0
    replies = sum(answered(server, u["id"]) for u in USERS)
    assert replies - total <= 32  # repeats are only updates in hand at the kill (at most one per running slot)


async def test_kill_9_during_a_takeover_burst_loses_no_message_either_way(server, tmp_path):
    env = bot_env(server, tmp_path / "bot.sqlite3", STAFF_CHAT_ID=str(STAFF_CHAT))
    ben = USERS[0]
    first = BotProcess(env, tmp_path / "first.log").start()
    server.push_update(updates.command(ben, "/human"))
    await until(lambda: [t for t in server.topics(STAFF_CHAT) if not t.deleted])
    thread = server.topics(STAFF_CHAT)[-1].message_thread_id
    await until(lambda: any("pidió hablar" in c.params.get("text", "") for c in server.calls_to("sendMessage")))
    user_ids, staff_ids = [], []
    for i in range(40):
        user_ids.append(server.push_update(updates.private_text(ben, f"user says {i}"))["message"]["message_id"])
        staff_ids.append(server.push_update(updates.topic_text(STAFF_CHAT, thread, LUPITA, f"staff says {i}",
                                                               title="Firm support"))["message"]["message_id"])
    await until(lambda: len([c for c in server.calls_to("copyMessage") if c.result]) >= 12)
    first.kill9()
    second = BotProcess(env, tmp_path / "second.log").start()

    def copied(from_chat: int, ids: list[int]) -> set[int]:
        return {c.params["message_id"] for c in server.calls_to("copyMessage")
                if c.result is not None and c.params["from_chat_id"] == from_chat} & set(ids)

    try:
        # a bound on hanging, not on speed: the relays into the staff group alone take up to a minute at
        # Telegram's 20 messages a minute per group (AIORateLimiter), more on a loaded machine
        await until(lambda: len(copied(ben["id"], user_ids)) == 40 and len(copied(STAFF_CHAT, staff_ids)) == 40,
                    timeout=180)
    finally:
        assert await second.terminate() == 0
    assert len(copied(ben["id"], user_ids)) == 40 and len(copied(STAFF_CHAT, staff_ids)) == 40
    server.assert_no_validation_errors()


async def test_kill_9_while_reminders_go_out_never_sends_one_twice(server, tmp_path):
    """20 reminders due at once, each request held 0.4 s by the fake; kill -9 mid-way, restart: none twice."""
    import datetime as dt

    from bot.storage import Storage

    database = tmp_path / "bot.sqlite3"
    storage = await Storage.open(database)
    now = dt.datetime.now(dt.timezone.utc)
    entered = (now - dt.timedelta(days=20)).date()                 # a canje window still open for ten days
    for user in USERS:
        stored, _ = await storage.users.user_and_state(channel="telegram", external_id=str(user["id"]),
                                                       language="es", display_name=None, username=None)
        await storage.reminders.schedule(user_id=stored.id, entry_id="canje", given=entered,
                                         moments=[("closing", now - dt.timedelta(minutes=1))], now=now)
    await storage.close()
    env = bot_env(server, database, REMINDER_HOURS="0-24")
    server.delay("sendMessage", 0.4, times=None)

    def reminded(chat_id: int) -> int:
        return len([c for c in server.calls_to("sendMessage") if c.chat_id == chat_id
                    and "Recordatorio" in c.params.get("text", "")])

    first = BotProcess(env, tmp_path / "first.log").start()
    await until(lambda: sum(reminded(u["id"]) for u in USERS) >= 4)
    first.kill9()
    assert sum(reminded(u["id"]) for u in USERS) < len(USERS), "every reminder went out before the kill"
    server.clear_faults()
    second = BotProcess(env, tmp_path / "second.log").start()
    try:
        await until(lambda: sum(reminded(u["id"]) for u in USERS) >= len(USERS) - 1)
        await asyncio.sleep(0.5)
    finally:
        await second.terminate()
    counts = [reminded(u["id"]) for u in USERS]
    assert max(counts) == 1, f"a reminder was sent twice: {counts}"
    assert counts.count(0) <= 1        # at most the one whose request was in flight at the kill
