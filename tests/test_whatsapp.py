"""End to end on WhatsApp: the real webhook, signatures, answers as buttons and lists, statuses, broadcasts inside
and outside the 24-hour window, the Telegram staff desk both ways, business-scoped ids."""

from __future__ import annotations

import datetime as dt
import time

import aiohttp

from tests.fake_bot_api import updates

from .whatsapp_bot import LUPITA, STAFF_CHAT, VERIFY_TOKEN

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def replies(graph, user, count: int = 1, timeout: float = 60):
    await graph.wait_for("messages", lambda c: c.recipient == user.key and c.kind != "read" and c.result,
                         count=count, timeout=timeout)
    return [m for m in graph.messages_to(user)]


async def test_verification_echoes_the_challenge_only_for_the_right_token(graph, bot):
    async with aiohttp.ClientSession() as session:
        ok = await session.get(graph.webhook_url, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                                          "hub.challenge": "1158201444"})
        assert ok.status == 200 and await ok.text() == "1158201444"
        bad = await session.get(graph.webhook_url, params={"hub.mode": "subscribe", "hub.verify_token": "nope",
                                                           "hub.challenge": "x"})
        assert bad.status == 403


async def test_missing_and_bad_signatures_are_refused_and_nothing_is_stored(graph, bot):
    ana = graph.user(wa_id="5213312345678", name="Ana")
    payload = {"object": "whatsapp_business_account", "entry": []}
    assert (await graph.send_raw(payload, signature=None)).status == 401
    assert (await graph.send_raw(payload, signature="sha256=" + "0" * 64)).status == 403
    assert await bot.storage.inbox.counts() == {}
    assert graph.messages_to(ana) == []


async def test_questions_in_both_languages_are_answered_with_reply_buttons_and_marked_read(graph, bot):
    ana = graph.user(wa_id="5213312345678", name="Ana")
    delivery = await graph.send_text(ana, "se me vence la tarjeta de residente temporal, ¿necesito cita?")
    assert delivery.status == 200
    answer = (await replies(graph, ana))[-1]
    assert "renovación" in (answer.text or "").lower() or "renov" in str(answer.body).lower()
    assert delivery.message_id in graph.read_marks
    assert delivery.message_id in graph.typing_marks   # "typing…" with the blue ticks: the bot is answering
    assert {c.path.split("/")[1] for c in graph.calls if c.endpoint == "messages"} == {"v26.0"}  # the default
    ben = graph.user(wa_id="14155550123", name="Ben")
    await graph.send_text(ben, "I lost my resident card, what do I do?")
    await graph.wait_for("interactive", lambda c: c.recipient == ben.key and c.result)
    received = graph.messages_to(ben)
    assert len(received) <= 2  # every message is billed: the answer, then its choices in one interactive message
    assert "replacement" in str([m.body for m in received]).lower()
    assert received[-1].type == "interactive" and "s:reposicion:r" in received[-1].choice_ids


async def test_buttons_lists_and_words_work_like_commands(graph, bot):
    ana = graph.user(wa_id="5213312345679", name="Ana")
    await graph.send_text(ana, "menu")
    menu = (await replies(graph, ana))[-1]
    assert menu.type == "interactive" and "menu:with" in menu.choice_ids
    await graph.send_list_reply(ana, "menu:with") if menu.body["interactive"]["type"] == "list" \
        else await graph.send_button_reply(ana, "menu:with")
    listing = (await replies(graph, ana, count=2))[-1]
    assert any(i.startswith("e:") for i in listing.choice_ids) or "1." in (listing.text or "")
    await graph.send_text(ana, "idioma")
    choose = (await replies(graph, ana, count=3))[-1]
    assert set(choose.choice_ids) == {"lang:es", "lang:en"}
    await graph.send_button_reply(ana, "lang:en")
    done = (await replies(graph, ana, count=4))[-1]
    assert "English" in (done.text or "")


async def test_a_duplicate_webhook_is_handled_once_and_statuses_move_forward_only(graph, bot):
    ana = graph.user(wa_id="5213312345670", name="Ana")
    first, again = await graph.send_twice(ana, "canje")
    assert first.status == again.status == 200
    await replies(graph, ana)
    await bot.inbox.drain()
    sent = graph.messages_to(ana)
    assert len(sent) == len({str(m.body) for m in sent}) <= 2  # one answer, not two
    assert (await bot.storage.inbox.counts()) == {"done": 1}
    wamid = sent[0].wamid
    await graph.send_status(wamid, "read")
    await graph.send_status(wamid, "delivered")
    await bot.inbox.drain()
    assert await bot.storage.deliveries.status_of("whatsapp", wamid) == "read"
    await graph.send_status(wamid, "failed", errors=[131026])
    await bot.inbox.drain()
    assert await bot.storage.deliveries.status_of("whatsapp", wamid) == "failed"


async def test_media_outside_a_takeover_gets_the_text_only_reply(graph, bot):
    ana = graph.user(wa_id="5213312345671", name="Ana")
    await graph.send_media(ana, "image", PNG, "image/png", caption="mi tarjeta")
    reply = (await replies(graph, ana))[-1]
    assert "texto" in (reply.text or "").lower()
    await graph.send_location(ana)
    await replies(graph, ana, count=2)


async def test_subscription_and_a_broadcast_inside_and_outside_the_window(graph, telegram, bot):
    inside = graph.user(wa_id="5213312345672", name="Ines")
    outside = graph.user(wa_id="14155550173", name="Oscar")   # a +1 (US) number
    await graph.send_text(inside, "suscribirme")
    await replies(graph, inside)
    await graph.send_text(outside, "suscribirme", timestamp=time.time() - 25 * 3600)  # his last message: 25 h ago
    await bot.inbox.drain()
    assert graph.messages_to(outside) == []  # outside the window nothing but a template may be sent
    staff_says = lambda text: telegram.push_update(updates.group_text(STAFF_CHAT, LUPITA, text, title="Firm"))  # noqa
    command = updates.group_text(STAFF_CHAT, LUPITA, "/broadcast", title="Firm")
    command["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": 10}]
    telegram.push_update(command)
    ask = await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "español" in c.params["text"])
    broadcast_id = int(ask.params["text"].split("#")[1].split(".")[0])
    telegram.push_update(updates.callback(LUPITA, ask.result, f"bcd:both:{broadcast_id}"))
    await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "ambos idiomas" in c.params["text"])
    staff_says("Nuevo horario de citas\nen Guadalajara")
    media = await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "foto" in c.params["text"])
    telegram.push_update(updates.callback(LUPITA, media.result, f"bcd:skip:{broadcast_id}"))
    audience = await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "recibir" in
                                       c.params["text"])
    telegram.push_update(updates.callback(LUPITA, audience.result, f"bcd:aud:{broadcast_id}:subscribers"))
    channels = await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "por canal" in
                                       c.params["text"])
    assert "whatsapp: 2" in channels.params["text"].lower() and "1 de WhatsApp" in channels.params["text"]
    shown = await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "Novedades de la firma"
                                    in c.params["text"])  # the template text they will see, on one line
    assert "Nuevo horario de citas" in shown.params["text"] and "Guadalajara" in shown.params["text"]
    us = await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "+1 (EE. UU.)" in
                                 c.params["text"])   # Oscar, outside his window: Marketing templates never reach him
    assert us.params["text"].startswith("⚠️ 1 de ellos") and "“inm_update”" in us.params["text"]
    confirm = await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "bcd:go" in
                                      str(c.params.get("reply_markup")))
    telegram.push_update(updates.callback(LUPITA, confirm.result, f"bcd:go:{broadcast_id}"))
    await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "terminado" in c.params["text"],
                            timeout=60)
    got_inside = graph.messages_to(inside)[-1]
    assert got_inside.type == "text" and "Nuevo horario de citas" in got_inside.text
    got_outside = graph.messages_to(outside)[-1]
    assert got_outside.type == "template" and got_outside.body["template"]["name"] == "inm_update"
    parameter = got_outside.body["template"]["components"][0]["parameters"][0]["text"]
    assert "\n" not in parameter and "Nuevo horario de citas" in parameter


async def test_takeover_both_ways_with_media_and_a_reply_after_the_window_closed(graph, telegram, bot):
    ana = graph.user(wa_id="5213312345674", name="Ana", user_id="MX.1502576394655843")
    await graph.send_text(ana, "quiero hablar con un asesor")
    await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "pidió hablar" in c.params["text"])
    card = [c for c in telegram.calls_to("sendMessage", chat_id=STAFF_CHAT) if "ho:take" in str(c.params)][0]
    assert "WhatsApp" in card.params["text"] and "+5213312345674" in card.params["text"]
    assert "abierta hasta" in card.params["text"]
    thread = [t for t in telegram.topics(STAFF_CHAT) if not t.deleted][-1].message_thread_id
    visa = await graph.send_media(ana, "image", PNG, "image/png", caption="mi visa")
    photo = await telegram.wait_for("sendPhoto", lambda c: c.chat_id == STAFF_CHAT and c.result)
    # read, but no "typing…": the bot is not the one who answers her now
    assert visa.message_id in graph.read_marks and visa.message_id not in graph.typing_marks
    assert photo.params["message_thread_id"] == thread and photo.params["caption"] == "mi visa"
    telegram.push_update(updates.topic_text(STAFF_CHAT, thread, LUPITA, "Hola Ana, ¿cuándo entraste?", title="F"))
    await graph.wait_for("text", lambda c: c.recipient == ana.key and c.result
                         and c.body["text"]["body"] == "Hola Ana, ¿cuándo entraste?")
    telegram.add_file("doc-1", b"%PDF-1.4 fake", file_name="lista.pdf")
    doc = updates.message(updates.group_chat(STAFF_CHAT, "F", is_forum=True), LUPITA,
                          document={"file_id": "doc-1", "file_unique_id": "u1", "file_name": "lista.pdf",
                                    "mime_type": "application/pdf"}, message_thread_id=thread, is_topic_message=True)
    telegram.push_update(updates.update("message", doc))
    await graph.wait_for("document", lambda c: c.recipient == ana.key and c.result)
    # a day passes and her window closes: the next staff reply waits, she gets the template, then the reply
    graph.advance(25 * 3600)
    later = bot.channels["whatsapp"].clock() + dt.timedelta(hours=25)
    bot.channels["whatsapp"].clock = lambda: later
    telegram.push_update(updates.topic_text(STAFF_CHAT, thread, LUPITA, "Ya tengo tu cita", title="F"))
    await graph.wait_for("template", lambda c: c.recipient == ana.key and c.result)
    await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "ventana" in c.params["text"])
    await graph.send_text(ana, "hola, ¿qué pasó?")
    await graph.wait_for("text", lambda c: c.recipient == ana.key and c.result and
                         c.body["text"]["body"] == "Ya tengo tu cita")
    await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "entregué 1" in c.params["text"])


async def test_a_user_known_only_by_the_business_scoped_id_is_answered_with_recipient(graph, bot):
    bsuid = graph.user(user_id="MX.1502576394655999", name="Sin número")
    await graph.send_text(bsuid, "perdí mi tarjeta de residente")
    await replies(graph, bsuid)
    sent = [c for c in graph.calls_to("messages") if c.recipient == bsuid.key and c.kind != "read"]
    assert sent and all("recipient" in c.body and "to" not in c.body for c in sent)


async def test_a_changed_number_keeps_the_users_history(graph, bot):
    ana = graph.user(wa_id="5213312345675", name="Ana")
    await graph.send_text(ana, "canje")
    await replies(graph, ana)
    await graph.send_system_changed_number(ana, "5213399999999")
    await bot.inbox.drain()
    users = await bot.storage.db.fetchall("SELECT external_id, phone FROM users WHERE channel = 'whatsapp'")
    assert len(users) == 1 and users[0]["phone"] == "5213399999999"


async def test_a_staff_edit_is_not_mirrored_and_the_topic_says_so(graph, telegram, bot):
    ana = graph.user(wa_id="5213312345676", name="Ana")
    await graph.send_text(ana, "asesor")
    await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "pidió hablar" in c.params["text"])
    thread = [t for t in telegram.topics(STAFF_CHAT) if not t.deleted][-1].message_thread_id
    staff = updates.topic_text(STAFF_CHAT, thread, LUPITA, "Tu cita es el lunes", title="F")
    telegram.push_update(staff)
    await graph.wait_for("text", lambda c: c.recipient == ana.key and c.body["text"]["body"] == "Tu cita es el lunes")
    edited = {**staff["message"], "text": "Tu cita es el martes", "edit_date": 1}
    telegram.push_update(updates.update("edited_message", edited))
    note = await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "no permite editar"
                                   in c.params["text"])
    assert note.params["message_thread_id"] == thread
    assert not [m for m in graph.messages_to(ana) if "martes" in str(m.body)]


async def test_forget_is_confirmed_and_a_user_who_gains_a_business_scoped_id_stays_one_person(graph, bot):
    phone_only = graph.user(wa_id="5213312345699", name="Pepe")
    await graph.send_text(phone_only, "canje")
    await replies(graph, phone_only)
    await bot.inbox.drain()
    both = graph.user(wa_id="5213312345698", name="Pepa", user_id="MX.1502576394650001")
    await bot.storage.users.get_or_create_user(channel="whatsapp", external_id="5213312345698", language="es")
    await graph.send_text(both, "renovación")
    await replies(graph, both)
    rows = await bot.storage.db.fetchall("SELECT external_id, phone FROM users WHERE phone = '5213312345698'")
    assert [(r["external_id"], r["phone"]) for r in rows] == [("MX.1502576394650001", "5213312345698")]
    await graph.send_text(phone_only, "olvidar")
    confirm = await graph.wait_for("interactive", lambda c: c.recipient == phone_only.key and
                                   "forget:yes" in str(c.body))
    assert confirm
    await graph.send_button_reply(phone_only, "forget:yes")
    await graph.wait_for("text", lambda c: c.recipient == phone_only.key and c.result and
                         "borr" in c.body["text"]["body"].lower())
    await bot.inbox.drain()
    assert await bot.storage.users.find_user(channel="whatsapp", external_id=phone_only.key) is None


async def test_a_staff_reply_refused_later_with_131047_sends_the_template_and_tells_the_topic(graph, telegram, bot):
    ana = graph.user(wa_id="5213312345660", name="Ana")
    await graph.send_text(ana, "asesor")
    await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "pidió hablar" in c.params["text"])
    thread = [t for t in telegram.topics(STAFF_CHAT) if not t.deleted][-1].message_thread_id
    telegram.push_update(updates.topic_text(STAFF_CHAT, thread, LUPITA, "Te escribo mañana", title="F"))
    sent = await graph.wait_for("text", lambda c: c.recipient == ana.key and c.result
                                and c.body["text"]["body"] == "Te escribo mañana")
    await bot.inbox.drain()
    await graph.send_status(sent.result["messages"][0]["id"], "failed", errors=[131047])
    await graph.wait_for("template", lambda c: c.recipient == ana.key and c.result)
    told = await telegram.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and "rechazó después"
                                   in c.params["text"])
    assert told.params["message_thread_id"] == thread


async def test_a_conversation_keeps_the_thread_refers_elsewhere_and_follows_the_language(graph, bot):
    """Issue 10 on WhatsApp: referral, small talk, follow-ups on the procedure under discussion, an office for it,
    a clear sentence in the other language, and "not what I asked"."""
    ana = graph.user(wa_id="5213312345699", name="Ana")

    async def say(text: str) -> str:
        before = len(graph.messages_to(ana))
        await graph.send_text(ana, text)
        await graph.wait_for("messages", lambda c: c.recipient == ana.key and c.kind != "read" and c.result,
                             count=before + 1)
        await bot.inbox.drain()
        return " ".join(str(m.body) for m in graph.messages_to(ana)[before:])

    assert "no es un trámite del INM" in await say("necesito sacar mi RFC en el SAT")
    assert "Con gusto" in await say("gracias")
    await say("renovación de residencia temporal")
    docs = await say("q documentos")
    assert "Qué preparar" in docs and "renovación" in docs.lower()
    chapala = await say("¿y en Chapala?")
    assert "Chapala" in chapala and "Sobre Expedición de documento migratorio por renovación" in chapala
    english = await say("sorry I don't speak Spanish, how do I renew my temporary card")
    assert "Renewal of the temporary resident card" in english
    before = len(graph.messages_to(ana))
    await graph.send_button_reply(ana, "nope")
    await graph.wait_for("messages", lambda c: c.recipient == ana.key and c.kind != "read" and c.result,
                         count=before + 1)
    assert "review your question" in str(graph.messages_to(ana)[-1].body) or \
        "revisará tu pregunta" in str(graph.messages_to(ana)[-1].body)
    unanswered = await bot.storage.users.unanswered(limit=10)
    assert any("sorry I don't speak Spanish" in row.text for row in unanswered)


async def test_template_status_and_quality_webhooks_tell_the_operators(graph, bot, caplog):
    import logging
    caplog.set_level(logging.INFO, logger="bot.channels.whatsapp.webhook")
    paused = await graph.send_template_status("inm_update", "es_MX", "PAUSED", other_info={
        "title": "FIRST_PAUSE", "description": "Your template was paused for 3 hours because of low quality."})
    await graph.send_template_status("staff_reply", "en_US", "APPROVED")
    await graph.send_template_quality("inm_reminder", "es_MX", "GREEN", "YELLOW")
    assert paused.status == 200 and await bot.storage.inbox.counts() == {}   # nothing to handle, only to tell
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "bot.channels.whatsapp.webhook"]
    assert lines == [
        ("ERROR", "WhatsApp template inm_update (es_MX), the bot's WHATSAPP_UPDATE_TEMPLATE, is now PAUSED: "
                  "FIRST_PAUSE; Your template was paused for 3 hours because of low quality. (operators must act: "
                  "WhatsApp Manager > Message templates; sends with it fail meanwhile)"),
        ("INFO", "WhatsApp template staff_reply (en_US), the bot's WHATSAPP_REPLY_TEMPLATE, is now APPROVED"),
        ("WARNING", "WhatsApp template inm_reminder (es_MX), the bot's WHATSAPP_REMINDER_TEMPLATE, quality changed "
                    "from GREEN to YELLOW")]
