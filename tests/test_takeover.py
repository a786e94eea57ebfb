"""End to end: a person from the firm answers in the user's chat through the staff group, and hands back."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest_asyncio

from tests.fake_bot_api import FakeBotApi, updates

from .telegram_helpers import buttons_of, reply_to, running_bot, server_with_staff_chat, started

STAFF_CHAT = -100888
LUPITA = updates.user(900, "Lupita", "es")
MARIO = updates.user(902, "Mario", "es")
ANA = updates.user(1001, "Ana <b>&", "es", username="ana_mx")
BEN = updates.user(1002, "Ben", "en")


@pytest_asyncio.fixture
async def server():
    async with server_with_staff_chat(STAFF_CHAT, [LUPITA, MARIO], forum=True) as fake:
        yield fake


@pytest_asyncio.fixture
async def bot(server, tmp_path, engine):
    async with running_bot(server, tmp_path / "bot.sqlite3", engine, staff_chat_id=STAFF_CHAT) as running:
        yield running


def live_topics(server) -> list:
    return [t for t in server.topics(STAFF_CHAT) if not t.deleted]


def in_topic(thread: int, who: dict, text: str) -> dict:
    update = updates.topic_text(STAFF_CHAT, thread, who, text, title="Firm support")
    if text.startswith("/"):
        update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return update


def copies_to(server, chat_id: int) -> list:
    return [c for c in server.calls_to("copyMessage") if c.chat_id == chat_id and c.result is not None]


async def ask_for_person(server, who: dict) -> int:
    """/human, then the topic the staff will use."""
    server.push_update(updates.command(who, "/human"))
    await server.wait_for("sendMessage", lambda c: c.chat_id == who["id"] and "🙋" in c.params["text"])
    await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "pidió hablar" in c.params["text"])
    return live_topics(server)[-1].message_thread_id


async def test_request_by_command_creates_one_topic_with_an_escaped_context_card(server, bot):
    server.push_update(updates.private_text(ANA, "renovación de residencia temporal"))
    await reply_to(server, ANA["id"])
    thread = await ask_for_person(server, ANA)
    assert live_topics(server)[0].name == "Ana <b>& · es"
    card = server.calls_to("sendMessage", chat_id=STAFF_CHAT)[0]
    assert card.params["message_thread_id"] == thread
    assert "👤 Ana &lt;b&gt;&amp;" in card.params["text"]
    assert "Usuario: @ana_mx" in card.params["text"] and "Suscrito a noticias: no" in card.params["text"]
    assert "Preguntó por: Expedición de documento migratorio por renovación" in card.params["text"]
    assert ("✋ Tomar la conversación", "ho:take:1") in buttons_of(card)
    told = server.calls_to("sendMessage", chat_id=ANA["id"])[-1].params["text"]
    assert "🙋" in told and "lo antes posible" in told and "09:00" not in told  # hours not confirmed yet
    assert "Idioma: es · Telegram, id 1001" in card.params["text"]


async def test_request_by_button_and_by_free_text(server, bot):
    server.push_update(updates.command(BEN, "/contact"))
    card = await reply_to(server, BEN["id"])
    server.push_update(updates.callback(BEN, card.result, "human"))
    told = await reply_to(server, BEN["id"], count=2)
    # the firm has not confirmed its hours yet: no opening times are computed or shown as fact
    assert "as soon as possible" in told.params["text"]
    assert "closed" not in told.params["text"] and "09:00" not in told.params["text"]
    server.push_update(updates.private_text(ANA, "hola, quiero hablar con un asesor por favor"))
    assert "🙋" in (await reply_to(server, ANA["id"])).params["text"]
    await server.wait_for("createForumTopic", count=2)


async def test_messages_flow_both_ways_and_the_bot_stays_silent(server, bot):
    thread = await ask_for_person(server, BEN)
    before = len(server.calls_to("sendMessage", chat_id=BEN["id"]))
    server.push_update(updates.private_text(BEN, "canje", message_id=700))
    server.push_update(updates.photo(BEN, caption="my visa"))
    server.push_update(updates.document(BEN))
    server.push_update(updates.voice(BEN))
    await server.wait_for("copyMessage", lambda c: c.chat_id == STAFF_CHAT and c.result, count=4)
    assert all(c.params["message_thread_id"] == thread for c in copies_to(server, STAFF_CHAT))
    assert len(server.calls_to("sendMessage", chat_id=BEN["id"])) == before  # the bot did not answer "canje"

    staff_update = in_topic(thread, LUPITA, "Hola Ben, soy Lupita. ¿Cuándo entraste a México?")
    server.push_update(staff_update)
    to_user = await server.wait_for("copyMessage", lambda c: c.chat_id == BEN["id"] and c.result)
    assert to_user.params["from_chat_id"] == STAFF_CHAT
    await server.wait_for("editMessageText", lambda c: c.chat_id == STAFF_CHAT and "Atendido por Lupita"
                          in c.params["text"])

    server.push_update(updates.edited_text(BEN, 700, "canje, entered 10 days ago"))
    edit = await server.wait_for("editMessageText", lambda c: c.chat_id == STAFF_CHAT
                                 and c.params["text"] == "canje, entered 10 days ago")
    assert edit.params["message_id"] == copies_to(server, STAFF_CHAT)[0].result["message_id"]

    edited = {**staff_update["message"], "text": "Hola Ben, soy Lupita, ex oficial del INM.", "edit_date": 1}
    server.push_update(updates.update("edited_message", edited))
    user_edit = await server.wait_for("editMessageText", lambda c: c.chat_id == BEN["id"])
    assert user_edit.params["message_id"] == to_user.result["message_id"]
    assert user_edit.params["text"] == "Hola Ben, soy Lupita, ex oficial del INM."


async def test_internal_notes_stay_in_the_staff_chat(server, bot):
    thread = await ask_for_person(server, BEN)
    server.push_update(in_topic(thread, LUPITA, "# revisar si su visa es de jubilado"))
    server.push_update(in_topic(thread, LUPITA, "/nota llamar mañana"))
    server.push_update(in_topic(thread, LUPITA, "Hi Ben!"))
    await server.wait_for("copyMessage", lambda c: c.chat_id == BEN["id"])
    assert len(server.calls_to("copyMessage", chat_id=BEN["id"])) == 1


async def test_a_second_staff_member_cannot_take_a_taken_conversation(server, bot):
    thread = await ask_for_person(server, BEN)
    server.push_update(in_topic(thread, LUPITA, "Hi Ben"))
    await server.wait_for("copyMessage", lambda c: c.chat_id == BEN["id"])
    server.push_update(in_topic(thread, MARIO, "Hola, soy Mario"))
    refusal = await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT
                                    and "la atiende Lupita" in c.params["text"])
    assert refusal.params["message_thread_id"] == thread
    assert len(server.calls_to("copyMessage", chat_id=BEN["id"])) == 1


async def test_release_gives_the_chat_back_to_the_bot(server, bot):
    thread = await ask_for_person(server, BEN)
    server.push_update(in_topic(thread, LUPITA, "Hi Ben"))
    await server.wait_for("copyMessage", lambda c: c.chat_id == BEN["id"])
    server.push_update(in_topic(thread, LUPITA, "/liberar"))
    back = await server.wait_for("sendMessage", lambda c: c.chat_id == BEN["id"] and "back with the assistant"
                                 in c.params["text"])
    assert back
    server.push_update(updates.private_text(BEN, "lost my resident card"))
    answer = await server.wait_for("sendMessage", lambda c: c.chat_id == BEN["id"]
                                   and "Needs an appointment" in c.params["text"])
    assert answer
    server.push_update(in_topic(thread, LUPITA, "/takeover"))  # staff can take it again from the topic
    await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "Lupita tomó" in c.params["text"],
                          count=2)
    server.push_update(updates.private_text(BEN, "thanks!"))
    relayed = await server.wait_for("copyMessage", lambda c: c.chat_id == STAFF_CHAT and c.result)
    assert relayed.params["message_thread_id"] == thread


async def test_card_button_releases_and_idle_conversations_are_released_automatically(server, bot):
    thread = await ask_for_person(server, BEN)
    card = server.calls_to("sendMessage", chat_id=STAFF_CHAT)[0]
    takeover = bot.handoff
    assert await takeover.auto_release(now=dt.datetime.now(dt.timezone.utc)) == 0  # not idle yet
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=121)
    assert await takeover.auto_release(now=later) == 1
    told = await server.wait_for("sendMessage", lambda c: c.chat_id == BEN["id"] and "for a while"
                                 in c.params["text"])
    assert told
    await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "120 minutos" in c.params["text"])
    await ask_for_person(server, ANA)
    ana_card = [c for c in server.calls_to("sendMessage", chat_id=STAFF_CHAT) if "Ana" in c.params["text"]][0]
    server.push_update(updates.callback(LUPITA, ana_card.result, "ho:release:2"))
    await server.wait_for("sendMessage", lambda c: c.chat_id == ANA["id"] and "Vuelves a estar con el asistente"
                          in c.params["text"])
    assert thread and card


async def test_a_deleted_topic_is_recreated(server, bot):
    thread = await ask_for_person(server, BEN)
    await bot.telegram.bot.delete_forum_topic(chat_id=STAFF_CHAT, message_thread_id=thread)
    server.push_update(updates.private_text(BEN, "are you there?"))
    copy = await server.wait_for("copyMessage", lambda c: c.chat_id == STAFF_CHAT and c.result)
    new_thread = copy.params["message_thread_id"]
    assert new_thread != thread and [t.message_thread_id for t in live_topics(server)] == [new_thread]
    assert any("👤 Ben" in c.params["text"] and c.params.get("message_thread_id") == new_thread
               for c in server.calls_to("sendMessage", chat_id=STAFF_CHAT))  # a fresh card


async def test_blocked_user_is_reported_in_the_topic(server, bot):
    thread = await ask_for_person(server, BEN)
    server.fail_blocked(BEN["id"])
    server.push_update(in_topic(thread, LUPITA, "Hi Ben"))
    note = await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "bloqueó el bot"
                                 in c.params["text"])
    assert note.params["message_thread_id"] == thread
    server.push_update(updates.my_chat_member_blocked(BEN))
    await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "bloqueó el bot" in c.params["text"],
                          count=2)


async def test_non_staff_cannot_use_staff_commands(server, bot):
    for command in ("/liberar", "/takeover", "/broadcast"):
        server.push_update(updates.command(BEN, command))
    await reply_to(server, BEN["id"], count=3)
    assert all(c.params["text"] == "Sorry, only the firm's staff can do that."
               for c in server.calls_to("sendMessage", chat_id=BEN["id"]))
    assert server.calls_to("copyMessage") == []


async def test_restart_in_the_middle_of_a_takeover_keeps_routing(server, tmp_path, engine):
    database = tmp_path / "bot.sqlite3"
    first = await started(server, database, engine, staff_chat_id=STAFF_CHAT)
    thread = await ask_for_person(server, BEN)
    server.push_update(in_topic(thread, LUPITA, "Hi Ben"))
    await server.wait_for("copyMessage", lambda c: c.chat_id == BEN["id"])
    await first.stop()
    second = await started(server, database, engine, staff_chat_id=STAFF_CHAT)
    try:
        server.push_update(updates.private_text(BEN, "still here"))
        copy = await server.wait_for("copyMessage", lambda c: c.chat_id == STAFF_CHAT and c.result)
        assert copy.params["message_thread_id"] == thread
        server.push_update(in_topic(thread, LUPITA, "Great"))
        await server.wait_for("copyMessage", lambda c: c.chat_id == BEN["id"], count=2)
        assert len(live_topics(server)) == 1
    finally:
        await second.stop()


async def test_a_burst_of_ten_messages_creates_one_topic(server, bot):
    server.push_update(updates.command(ANA, "/asesor"))
    for i in range(9):
        server.push_update(updates.private_text(ANA, f"mensaje {i}"))
    await server.wait_for("copyMessage", lambda c: c.chat_id == STAFF_CHAT and c.result, count=9)
    assert len(live_topics(server)) == 1


async def test_plain_group_mode_routes_replies_through_stored_pairs(tmp_path, engine):
    async with FakeBotApi() as server:
        plain = -100999
        server.add_chat(plain, type="supergroup", title="Staff (no topics)")
        server.add_chat_member(plain, LUPITA["id"], status="member", user=LUPITA)
        bot = await started(server, tmp_path / "bot.sqlite3", engine, staff_chat_id=plain)
        try:
            server.push_update(updates.command(BEN, "/human"))
            await reply_to(server, BEN["id"])
            server.push_update(updates.private_text(BEN, "my FMM says tourist"))
            copy = await server.wait_for("copyMessage", lambda c: c.chat_id == plain and c.result)
            header = [c for c in server.calls_to("sendMessage", chat_id=plain) if "👤 Ben (en)" in c.params["text"]]
            assert header and copy.params["reply_parameters"]["message_id"] == header[-1].result["message_id"]
            relayed = next(m for m in server.chat_messages(plain) if m["message_id"] == copy.result["message_id"])
            await asyncio.sleep(0.2)  # a person reads the message before replying to it
            server.push_update(updates.group_text(plain, LUPITA, "Send me a photo of it", title="Staff (no topics)",
                                                  reply_to=relayed))
            to_user = await server.wait_for("copyMessage", lambda c: c.chat_id == BEN["id"])
            assert to_user.params["from_chat_id"] == plain
            server.push_update(updates.group_text(plain, LUPITA, "unrelated chatter", title="Staff (no topics)"))
            await asyncio.sleep(0.3)
            assert len(server.calls_to("copyMessage", chat_id=BEN["id"])) == 1
            server.assert_no_validation_errors()
        finally:
            await bot.stop()


async def test_the_context_card_shows_the_users_own_deadlines(server, bot):
    server.push_update(updates.private_text(ANA, "mi tarjeta vence el 15/03/2030"))
    window = await reply_to(server, ANA["id"])
    assert "del 13 de febrero al 15 de marzo de 2030" in window.params["text"]
    await ask_for_person(server, ANA)
    card = server.calls_to("sendMessage", chat_id=STAFF_CHAT)[0]
    assert "Plazos: Expedición de documento migratorio por renovación 13 de febrero de 2030–15 de marzo de 2030 " \
           "(aún no abre)" in card.params["text"]
