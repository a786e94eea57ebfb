"""Staff means staff, everywhere; 429 and 5xx in the staff chat and in relays lose nothing; bad input never raises."""

from __future__ import annotations

import pytest_asyncio

from tests.fake_bot_api import updates

from .telegram_helpers import reply_to, running_bot, server_with_staff_chat

STAFF_CHAT = -100555
LUPITA = updates.user(900, "Lupita", "es")
GONE = updates.user(903, "Gonzalo", "es")          # Telegram reports him as 'left'
LEFT_RESTRICTED = updates.user(904, "Rita", "es")  # restricted, then left: is_member false
STILL_RESTRICTED = updates.user(905, "Rosa", "es")
BEN = updates.user(1002, "Ben", "en")


@pytest_asyncio.fixture
async def server():
    async with server_with_staff_chat(STAFF_CHAT, [LUPITA], forum=True) as fake:
        fake.add_chat_member(STAFF_CHAT, GONE["id"], status="left", user=GONE)
        fake.add_chat_member(STAFF_CHAT, LEFT_RESTRICTED["id"], status="restricted", user=LEFT_RESTRICTED,
                             is_member=False)
        fake.add_chat_member(STAFF_CHAT, STILL_RESTRICTED["id"], status="restricted", user=STILL_RESTRICTED,
                             is_member=True)
        yield fake


@pytest_asyncio.fixture
async def bot(server, tmp_path, engine):
    async with running_bot(server, tmp_path / "bot.sqlite3", engine, staff_chat_id=STAFF_CHAT) as running:
        yield running


def in_topic(thread: int | None, who: dict, text: str) -> dict:
    update = (updates.topic_text(STAFF_CHAT, thread, who, text, title="Firm")
              if thread is not None else updates.group_text(STAFF_CHAT, who, text, title="Firm"))
    if text.startswith("/"):
        update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return update


async def ask_for_person(server, who: dict) -> int:
    server.push_update(updates.command(who, "/human"))
    await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "pidió hablar" in c.params["text"])
    return [t for t in server.topics(STAFF_CHAT) if not t.deleted][-1].message_thread_id


async def test_a_restricted_user_who_left_cannot_broadcast_but_a_restricted_member_can(server, bot):
    server.push_update(updates.command(LEFT_RESTRICTED, "/broadcast"))
    refusal = await reply_to(server, LEFT_RESTRICTED["id"])
    assert "solo el equipo" in refusal.params["text"]
    server.push_update(updates.command(STILL_RESTRICTED, "/broadcast"))
    ask = await reply_to(server, STILL_RESTRICTED["id"])
    assert "Manda el texto en español" in ask.params["text"]


async def test_a_sender_who_left_the_staff_chat_can_neither_relay_take_nor_release(server, bot):
    thread = await ask_for_person(server, BEN)
    server.push_update(in_topic(thread, GONE, "hola, soy yo"))
    refusal = await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "solo el equipo"
                                    in c.params["text"])
    assert refusal.params["message_thread_id"] == thread
    server.push_update(in_topic(thread, GONE, "/liberar"))
    server.push_update(in_topic(thread, GONE, "/takeover"))
    card = [c for c in server.calls_to("sendMessage", chat_id=STAFF_CHAT) if "ho:release" in str(c.params)][0]
    server.push_update(updates.callback(GONE, card.result, "ho:release:1"))
    await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "solo el equipo"
                          in c.params["text"], count=3)
    await server.wait_for("answerCallbackQuery", lambda c: "solo el equipo" in c.params.get("text", ""))
    assert server.calls_to("copyMessage", chat_id=BEN["id"]) == []
    assert bot.handoff.has_person(1)  # still waiting for a real staff member
    assert (await bot.storage.handoff.get(1)).owner_id is None


async def test_a_broadcast_started_in_a_customers_topic_never_reaches_the_customer(server, bot):
    thread = await ask_for_person(server, BEN)
    server.push_update(in_topic(thread, LUPITA, "/broadcast"))
    told = await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "tema General"
                                 in c.params["text"])
    assert told.params["message_thread_id"] == thread
    server.push_update(in_topic(None, LUPITA, "/broadcast"))
    await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "Manda el texto en español"
                          in c.params["text"])
    server.push_update(in_topic(thread, LUPITA, "Borrador secreto para todos"))  # typed in the wrong place
    relayed = await server.wait_for("copyMessage", lambda c: c.chat_id == BEN["id"])
    assert relayed  # a message in his topic is for Ben, as staff expect; the draft did not take it
    drafts = await bot.storage.broadcasts.by_status("draft")
    assert len(drafts) == 1 and drafts[0].text_es is None


async def test_forged_and_malformed_callbacks_are_refused_without_raising(server, bot):
    server.push_update(updates.private_text(BEN, "canje"))
    answer = await reply_to(server, BEN["id"])
    for data in ("ho:release:abc", "bcd:go", "bc:explode:1", "ho:take:99999", "s:canje:zz", "e:../../etc"):
        server.push_update(updates.callback(BEN, answer.result, data))
    await server.wait_for("answerCallbackQuery", count=6)
    await reply_to(server, BEN["id"], count=3)  # stale-button answers for the user-side ones
    counts = await bot.storage.inbox.counts()
    assert counts.get("failed", 0) == 0


async def test_a_rate_limited_membership_lookup_is_retried_not_read_as_no(server, bot):
    server.fail("getChatMember", status=429, retry_after=1, times=1)
    server.push_update(in_topic(None, LUPITA, "/broadcasts"))
    reply = await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT, timeout=60)
    assert "solo el equipo" not in reply.params["text"]


async def test_429_and_5xx_in_the_staff_chat_and_relays_lose_nothing(server, bot):
    thread = await ask_for_person(server, BEN)
    server.fail("copyMessage", status=429, retry_after=1, times=3, chat_id=STAFF_CHAT)
    server.fail_server_error("copyMessage", times=2)
    for i in range(5):
        server.push_update(updates.private_text(BEN, f"mensaje {i}"))
    await server.wait_for("copyMessage", lambda c: c.chat_id == STAFF_CHAT and c.result, count=5, timeout=60)
    server.fail("copyMessage", status=429, retry_after=1, times=2, chat_id=BEN["id"])
    server.push_update(in_topic(thread, LUPITA, "Hola Ben"))
    await server.wait_for("copyMessage", lambda c: c.chat_id == BEN["id"] and c.result, timeout=60)
    server.fail("sendMessage", status=429, retry_after=1, times=1, chat_id=STAFF_CHAT)
    server.push_update(in_topic(None, LUPITA, "/broadcast"))
    await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and c.result is not None
                          and "Manda el texto en español" in c.params["text"], timeout=60)
    server.fail("sendMessage", status=429, retry_after=1, times=1, chat_id=BEN["id"])
    server.push_update(in_topic(thread, LUPITA, "/liberar"))
    await server.wait_for("sendMessage", lambda c: c.chat_id == BEN["id"] and c.result is not None
                          and "assistant" in c.params["text"].lower(), timeout=60)


async def test_staff_see_unanswered_questions_and_a_stats_chart(server, bot):
    server.push_update(updates.private_text(BEN, "tacos al pastor <b>"))
    server.push_update(updates.private_text(BEN, "renovar mi residencia temporal"))
    await reply_to(server, BEN["id"], count=2)
    server.push_update(in_topic(None, BEN, "/unanswered"))
    refusal = await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "only the firm's staff"
                                    in c.params["text"])  # Ben is not staff (answered in his own language)
    assert "tacos" not in refusal.params["text"]
    server.push_update(in_topic(None, LUPITA, "/unanswered"))
    listing = await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "no pudo responder"
                                    in c.params["text"])
    assert "tacos al pastor &lt;b&gt;" in listing.params["text"] and "renovar" not in listing.params["text"]
    server.push_update(in_topic(None, LUPITA, "/stats"))
    chart = await server.wait_for("sendPhoto", lambda c: c.chat_id == STAFF_CHAT and c.result, timeout=60)
    assert "2 preguntas, 1 respondidas, 1 sin respuesta" in chart.params["caption"]
    assert "telegram 2" in chart.params["caption"]
    assert chart.files and next(iter(chart.files.values())).data.startswith(b"\x89PNG")


async def test_staff_reload_knowledge_without_a_restart_and_a_bad_edit_keeps_the_running_one(server, tmp_path,
                                                                                           engine):
    import shutil
    from bot.answers.engine import DEFAULT_KNOWLEDGE_DIR, Engine
    knowledge = tmp_path / "knowledge"
    shutil.copytree(DEFAULT_KNOWLEDGE_DIR, knowledge)
    own = Engine.from_directory(knowledge)  # this bot's engine only: the shared test engine stays untouched
    async with running_bot(server, tmp_path / "bot.sqlite3", own, staff_chat_id=STAFF_CHAT,
                           knowledge_dir=knowledge):
        canje = knowledge / "procedures" / "canje.yaml"
        canje.write_text(canje.read_text(encoding="utf-8").replace("    - canje\n", "    - canje\n    - zorbulón\n", 1),
                         encoding="utf-8")
        server.push_update(in_topic(None, LUPITA, "/reload"))  # changed knowledge: the classifier retrains (seconds)
        await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "recargado" in c.params["text"],
                              timeout=120)
        server.push_update(updates.private_text(BEN, "zorbulón"))
        answer = await reply_to(server, BEN["id"])
        assert "canje" in answer.params["text"].lower()
        (knowledge / "procedures" / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
        server.push_update(in_topic(None, LUPITA, "/reload"))
        refused = await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "No apliqué"
                                        in c.params["text"])
        assert "broken.yaml" in refused.params["text"]
        server.push_update(updates.private_text(BEN, "zorbulón"))
        again = await reply_to(server, BEN["id"], count=2)
        assert "canje" in again.params["text"].lower()  # still answering with the knowledge that worked


# Attaching questions from /unanswered (in the database, with a read-only knowledge folder): tests/test_staff_loop.py
