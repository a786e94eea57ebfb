"""End to end: the real python-telegram-bot Application against the project's fake Bot API server."""

from __future__ import annotations

import asyncio

import pytest_asyncio

from bot.storage import Storage
from tests.fake_bot_api import FakeBotApi, updates

from .telegram_helpers import buttons_of, free_port, reply_to, started, texts_to

ANA = updates.user(1001, "Ana", "es")
BEN = updates.user(1002, "Ben", "en")


@pytest_asyncio.fixture
async def server():
    async with FakeBotApi() as fake:
        yield fake
        fake.assert_no_validation_errors()


@pytest_asyncio.fixture
async def bot(server, tmp_path, engine):
    running = await started(server, tmp_path / "bot.sqlite3", engine)
    yield running
    await running.stop()


async def test_start_greets_in_the_users_language(server, bot):
    server.push_update(updates.command(ANA, "/start"))
    server.push_update(updates.command(BEN, "/start"))
    spanish = await reply_to(server, ANA["id"])
    english = await reply_to(server, BEN["id"])
    assert "Soy el asistente de la firma" in spanish.params["text"]
    assert "I'm the firm's assistant" in english.params["text"]
    assert buttons_of(english)[0] == ("📅 With online appointment", "menu:with")


async def test_command_menu_is_registered_in_both_languages(server, bot):
    spanish = [c["command"] for c in server.commands(language_code="es")]
    english = [c["command"] for c in server.commands(language_code="en")]
    assert {"ayuda", "idioma", "contacto", "olvidar"} <= set(spanish)
    assert {"help", "language", "contact", "forget"} <= set(english)


async def test_deep_link_opens_the_procedure(server, bot):
    server.push_update(updates.command(BEN, "/start", "canje"))
    call = await reply_to(server, BEN["id"])
    assert "Exchange of your resident visa for the resident card (canje)" in call.params["text"]
    assert "s:canje:r" in [data for _, data in buttons_of(call)]


async def test_free_text_leads_with_the_appointment_and_offers_sections(server, bot):
    server.push_update(updates.private_text(BEN, "lost my residency card, what do I do?"))
    call = await reply_to(server, BEN["id"])
    text = call.params["text"]
    assert call.params["parse_mode"] == "HTML"
    assert text.index("Needs an appointment") < text.index("Who it is for")
    labels = [label for label, _ in buttons_of(call)]
    assert labels == ["📄 Requirements", "🖥️ Portal steps", "💲 Fees and deadlines", "👤 Talk to the firm",
                      "🔔 Notify me of changes", "🤔 Not what I asked"]
    assert all(len(data.encode()) <= 64 for _, data in buttons_of(call))


async def test_typing_is_shown_while_a_slow_answer_is_prepared(server, bot, monkeypatch):
    assistant = bot.assistant
    original = assistant._ask

    async def slow_ask(*args, **kwargs):
        await asyncio.sleep(0.6)  # e.g. a busy database
        return await original(*args, **kwargs)

    monkeypatch.setattr(assistant, "_ask", slow_ask)
    server.push_update(updates.private_text(BEN, "canje"))
    await reply_to(server, BEN["id"])
    typing = server.calls_to("sendChatAction", chat_id=BEN["id"])
    assert typing and typing[0].params["action"] == "typing"
    assert typing[0].time < server.calls_to("sendMessage", chat_id=BEN["id"])[0].time


async def test_section_button_sends_the_section_and_choice_button_edits_in_place(server, bot):
    server.push_update(updates.private_text(ANA, "unidad familiar"))
    question = await reply_to(server, ANA["id"])
    assert "¿Temporal o permanente: qué residencia solicitas por tu vínculo familiar?" in question.params["text"]
    choice = next(data for _, data in buttons_of(question) if data == "e:unidad_familiar_temporal")
    server.push_update(updates.callback(ANA, question.result, choice))
    edit = await server.wait_for("editMessageText", lambda c: c.chat_id == ANA["id"])
    assert "unidad familiar" in edit.params["text"].lower()
    requirements = next(data for _, data in buttons_of(edit) if data.endswith(":r"))
    server.push_update(updates.callback(ANA, edit.result, requirements))
    section = await reply_to(server, ANA["id"], count=2)
    assert "Qué preparar" in section.params["text"]
    assert len(server.calls_to("answerCallbackQuery")) == 2


async def test_language_switch_is_remembered(server, bot):
    server.push_update(updates.command(ANA, "/idioma"))
    offer = await reply_to(server, ANA["id"])
    server.push_update(updates.callback(ANA, offer.result, "lang:en"))
    done = await server.wait_for("editMessageText", lambda c: c.chat_id == ANA["id"])
    assert "Done: I'll answer in English." in done.params["text"]
    server.push_update(updates.private_text(ANA, "canje"))
    answer = await reply_to(server, ANA["id"], count=2)
    assert "Needs an appointment" in answer.params["text"]


async def test_menu_browses_the_catalogue_with_buttons(server, bot):
    server.push_update(updates.command(BEN, "/menu"))
    top = await reply_to(server, BEN["id"])
    server.push_update(updates.callback(BEN, top.result, "menu:without"))
    listing = await server.wait_for("editMessageText", lambda c: c.chat_id == BEN["id"])
    assert "e:constancia_empleador" in [data for _, data in buttons_of(listing)]
    server.push_update(updates.callback(BEN, listing.result, "e:constancia_empleador"))
    constancia = await server.wait_for("editMessageText", lambda c: c.chat_id == BEN["id"], count=2)
    assert "No appointment in INM's online system" in constancia.params["text"]


async def test_photos_and_other_media_get_a_text_only_reply(server, bot):
    for update in (updates.photo(ANA), updates.voice(ANA), updates.sticker(ANA), updates.location(ANA),
                   updates.document(ANA)):
        server.push_update(update)
    await reply_to(server, ANA["id"], count=5)
    assert all("Solo puedo leer mensajes de texto" in t for t in texts_to(server, ANA["id"]))


async def test_edited_message_is_answered_again(server, bot):
    server.push_update(updates.private_text(BEN, "renewal", message_id=500))
    await reply_to(server, BEN["id"])
    server.push_update(updates.edited_text(BEN, 500, "lost my card"))
    second = await reply_to(server, BEN["id"], count=2)
    assert "replacement" in second.params["text"].lower() or "reposición" in second.params["text"]


async def test_ten_thousand_character_message_is_answered_within_limits(server, bot):
    server.push_update(updates.private_text(BEN, "how do I renew my temporary resident card? " + "x" * 10_000))
    call = await reply_to(server, BEN["id"])
    assert "answered from its first part" in call.params["text"]
    assert len(call.params["text"]) <= 4096


async def test_blocked_user_is_marked_inactive_and_others_still_served(server, bot, tmp_path):
    server.fail_blocked(ANA["id"])
    server.push_update(updates.private_text(ANA, "canje"))
    await server.wait_for("sendMessage", lambda c: c.chat_id == ANA["id"] and c.response_status == 403)
    server.push_update(updates.private_text(BEN, "canje"))
    await reply_to(server, BEN["id"])
    user = await bot.storage.users.find_user(channel="telegram", external_id=str(ANA["id"]))
    assert user is not None and not user.active


async def test_block_and_unblock_updates_change_the_users_status(server, bot):
    server.push_update(updates.private_text(BEN, "hi"))
    await reply_to(server, BEN["id"])
    server.push_update(updates.my_chat_member_blocked(BEN))
    for _ in range(50):
        user = await bot.storage.users.find_user(channel="telegram", external_id=str(BEN["id"]))
        if not user.active:
            break
        await asyncio.sleep(0.05)
    assert not user.active


async def test_flood_control_on_send_message_waits_and_delivers(server, bot):
    server.fail("sendMessage", status=429, retry_after=1, chat_id=BEN["id"])
    waits: list[tuple[str, float]] = []
    bot.outbox.rate_limit_listeners.append(lambda channel, wait: waits.append((channel, wait)))
    server.push_update(updates.private_text(BEN, "canje"))
    call = await reply_to(server, BEN["id"], timeout=60)
    assert waits == [("telegram", 1.1)]   # retry_after plus a margin, waited before the one retry
    assert "canje" in call.params["text"]
    assert [c.response_status for c in server.calls_to("sendMessage")] == [429, 200]


async def test_a_bad_request_is_logged_and_does_not_stop_the_bot(server, bot):
    server.fail("sendMessage", status=400, description="Bad Request: chat not found", chat_id=BEN["id"])
    server.push_update(updates.private_text(BEN, "canje"))
    await server.wait_for("sendMessage", lambda c: c.response_status == 400)
    server.push_update(updates.private_text(ANA, "canje"))
    await reply_to(server, ANA["id"])
    assert len(server.calls_to("sendMessage", chat_id=BEN["id"])) == 1  # not retried in a loop


async def test_restart_in_the_middle_of_a_conversation_keeps_state(server, tmp_path, engine):
    database = tmp_path / "bot.sqlite3"
    first = await started(server, database, engine)
    server.push_update(updates.private_text(BEN, "lost my resident card"))
    await reply_to(server, BEN["id"])
    await first.stop()
    second = await started(server, database, engine)
    try:
        server.push_update(updates.private_text(BEN, "how much is it?"))
        follow_up = await reply_to(server, BEN["id"], count=2)
        assert "Government fees" in follow_up.params["text"]
        assert "reposición" in follow_up.params["text"].lower() or "replace" in follow_up.params["text"].lower()
    finally:
        await second.stop()
    storage = await Storage.open(database)
    repo = storage.users
    try:
        user = await repo.find_user(channel="telegram", external_id=str(BEN["id"]))
        assert user.language == "en"
        assert [q.entry_id for q in await repo.recent_questions(user_id=user.id)] == ["reposicion", "reposicion"]
    finally:
        await storage.close()


async def test_groups_get_answers_only_to_mentions_and_commands(server, bot):
    group = -2001
    server.push_update(updates.group_text(group, BEN, "canje appointment"))
    mention = updates.group_text(group, BEN, "@test_bot canje appointment")
    mention["message"]["entities"] = [{"type": "mention", "offset": 0, "length": 9}]
    server.push_update(mention)
    call = await reply_to(server, group)
    assert "canje" in call.params["text"].lower()
    await asyncio.sleep(0.3)
    assert len(texts_to(server, group)) == 1


async def test_forget_deletes_the_users_data_after_confirmation(server, bot):
    server.push_update(updates.private_text(ANA, "renovación"))
    await reply_to(server, ANA["id"])
    server.push_update(updates.command(ANA, "/olvidar"))
    confirm = await reply_to(server, ANA["id"], count=2)
    assert await bot.storage.users.find_user(channel="telegram", external_id=str(ANA["id"])) is not None
    server.push_update(updates.callback(ANA, confirm.result, "forget:yes"))
    done = await server.wait_for("editMessageText", lambda c: c.chat_id == ANA["id"])
    assert "borré todo" in done.params["text"]
    assert await bot.storage.users.find_user(channel="telegram", external_id=str(ANA["id"])) is None


async def test_contact_shows_the_firm_and_offers_a_person(server, bot):
    server.push_update(updates.command(BEN, "/contact"))
    card = await reply_to(server, BEN["id"])
    assert "former immigration officers" in card.params["text"]
    assert "PLACEHOLDER" not in card.params["text"]
    assert ("🙋 Talk to a person", "human") in buttons_of(card)


async def test_webhook_refuses_requests_without_the_secret(server, tmp_path, engine):
    port = free_port()
    bot = await started(server, tmp_path / "bot.sqlite3", engine, webhook_url="https://bot.example.org/telegram",
                        webhook_secret="s3cret-token", port=port)
    try:
        assert server.webhook["url"] == "https://bot.example.org/telegram"
        assert server.webhook["secret_token"] == "s3cret-token"
        url = f"http://127.0.0.1:{port}/telegram"
        update = updates.private_text(BEN, "canje")
        assert await server.webhook_post(url, update, secret=None) == 403
        assert await server.webhook_post(url, update, secret="wrong") == 403
        assert server.calls_to("sendMessage") == []
        assert await server.webhook_post(url, update, secret="s3cret-token") == 200
        await reply_to(server, BEN["id"])
    finally:
        await bot.stop()


async def test_server_error_on_an_idempotent_edit_is_retried(server, bot):
    server.push_update(updates.command(BEN, "/menu"))
    top = await reply_to(server, BEN["id"])
    server.fail_server_error("editMessageText")
    server.push_update(updates.callback(BEN, top.result, "menu:topics"))
    edited = await server.wait_for("editMessageText", lambda c: c.response_status == 200)
    assert "e:citas" in [data for _, data in buttons_of(edited)]
    assert [c.response_status for c in server.calls_to("editMessageText")] == [502, 200]


async def test_a_timed_out_send_is_retried_so_the_user_is_never_left_without_an_answer(server, bot):
    server.delay("sendMessage", 6.0, times=1)  # longer than python-telegram-bot's 5 s timeout
    server.push_update(updates.private_text(BEN, "canje"))
    await server.wait_for("sendMessage", lambda c: c.chat_id == BEN["id"], count=2, timeout=60)
    await asyncio.sleep(6.5)
    sends = server.calls_to("sendMessage", chat_id=BEN["id"])
    assert len(sends) == 2  # the slow one (Telegram may still deliver it) and one retry: a duplicate, never silence
    assert all("Exchange" in c.params["text"] for c in sends)


async def test_not_what_i_asked_sends_the_question_to_the_staff_review_list(server, bot):
    server.push_update(updates.private_text(BEN, "canje"))
    answer = await reply_to(server, BEN["id"])
    server.push_update(updates.callback(BEN, answer.result, "nope"))
    thanks = await reply_to(server, BEN["id"], count=2)
    assert "review your question" in thanks.params["text"] and "human" in str(thanks.params["reply_markup"])
    assert [q.text for q in await bot.storage.users.unanswered()] == ["canje"]


async def test_a_conversation_keeps_the_thread_refers_elsewhere_and_follows_the_language(server, bot):
    """Issue 10 on Telegram: referral, small talk, follow-ups on the procedure under discussion (also with typos),
    an office for it, and a clear sentence in the other language after an explicit choice."""
    count = 0

    async def say(text: str) -> str:
        nonlocal count
        server.push_update(updates.private_text(ANA, text))
        count += 1
        return (await reply_to(server, ANA["id"], count=count)).params["text"]

    server.push_update(updates.command(ANA, "/language", "es"))
    count += 1
    await reply_to(server, ANA["id"], count=count)
    assert "no es un trámite del INM" in await say("necesito sacar mi RFC en el SAT")
    assert "Con gusto" in await say("gracias")
    await say("renovación de residencia temporal")
    docs = await say("q documentos")
    assert "Qué preparar" in docs and "renovación" in docs
    chapala = await say("¿y en Chapala?")
    assert "Chapala" in chapala and "Sobre Expedición de documento migratorio por renovación" in chapala
    assert "Renewal of the temporary resident card" in await say(
        "sorry I don't speak Spanish, how do I renew my temporary card")


async def test_a_token_revoked_while_polling_stops_polling_with_one_error(server, bot, caplog):
    """@BotFather /revoke: getUpdates gets 401, which PTB's raw-request door reports as EndPointNotFound."""
    import logging
    caplog.set_level(logging.WARNING, logger="bot.channels.telegram.inbound")
    server.revoke_token()
    server.push_update(updates.private_text(BEN, "hola"))   # ends the long poll in flight
    for _ in range(3000):   # a bound on hanging, not on speed
        if any("refused TELEGRAM_BOT_TOKEN" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.02)
    polling = [r.getMessage() for r in caplog.records if r.name == "bot.channels.telegram.inbound"]
    assert polling == ["Telegram refused TELEGRAM_BOT_TOKEN; polling stopped"]   # once, never retried
    assert bot.telegram.poller._task.done()
