"""End to end: subscriptions, the staff broadcast draft, and delivery that survives 403, 429 and restarts."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3

import pytest
import pytest_asyncio

from bot.broadcasts.content import parse_when
from tests.fake_bot_api import updates

from .telegram_helpers import buttons_of, reply_to, running_bot, server_with_staff_chat, started

STAFF_CHAT = -100777
STAFF = updates.user(900, "Lupita", "es", username="lupita")
OUTSIDER = updates.user(901, "Mallory", "en")
ANA = updates.user(1001, "Ana", "es")
BEN = updates.user(1002, "Ben", "en")


@pytest_asyncio.fixture
async def server():
    async with server_with_staff_chat(STAFF_CHAT, [STAFF], forum=False) as fake:
        yield fake


@pytest_asyncio.fixture
async def bot(server, tmp_path, engine):
    async with running_bot(server, tmp_path / "bot.sqlite3", engine, staff_chat_id=STAFF_CHAT) as running:
        yield running


async def subscribe_users(bot, people: list[dict]) -> None:
    """Subscribers created directly in the database (as /subscribe would), for tests that need many."""
    broadcasts = bot.storage.subscriptions
    for person in people:
        user = await bot.storage.users.get_or_create_user(channel="telegram", external_id=str(person["id"]),
                                                 language=person.get("language_code") or "es")
        await broadcasts.subscribe(user_id=user.id)


def in_staff_chat(who: dict, text: str) -> dict:
    """A message in the staff group; a /command carries its bot_command entity, as Telegram sends it."""
    update = updates.group_text(STAFF_CHAT, who, text, title="Staff")
    if text.startswith("/"):
        update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return update


def staff_says(server, text: str) -> None:
    server.push_update(in_staff_chat(STAFF, text))


async def staff_message(server, fragment: str, count: int = 1, timeout: float = 60):
    return await server.wait_for("sendMessage", lambda c: c.chat_id == STAFF_CHAT and c.result is not None
                                 and fragment in c.params.get("text", ""), count=count, timeout=timeout)


async def press(server, who: dict, call, data: str) -> None:
    server.push_update(updates.callback(who, call.result, data))


async def draft_and_send(server, *, es: str, en: str | None, audience: str = "subscribers") -> int:
    """The whole staff flow: /broadcast, texts, skip media, audience, confirm. Returns the broadcast id."""
    staff_says(server, "/broadcast")
    ask = await staff_message(server, "Manda el texto en español")
    broadcast_id = int(ask.params["text"].split("#")[1].split(".")[0])
    if en is None:
        await press(server, STAFF, ask, f"bcd:both:{broadcast_id}")
        await staff_message(server, "ambos idiomas")
        staff_says(server, es)
    else:
        staff_says(server, es)
        await staff_message(server, "Ahora manda el texto en inglés")
        staff_says(server, en)
    media = await staff_message(server, "Agrega una foto")
    await press(server, STAFF, media, f"bcd:skip:{broadcast_id}")
    audience_question = await staff_message(server, "¿Quién lo debe recibir?")
    assert f"bcd:aud:{broadcast_id}:{audience}" in [data for _, data in buttons_of(audience_question)]
    await press(server, STAFF, audience_question, f"bcd:aud:{broadcast_id}:{audience}")
    confirm = await staff_message(server, f"¿Envío el aviso #{broadcast_id}")
    await press(server, STAFF, confirm, f"bcd:go:{broadcast_id}")
    return broadcast_id


def broadcast_texts(server, chat_id: int, marker: str) -> list[str]:
    return [c.params["text"] for c in server.calls_to("sendMessage")
            if c.chat_id == chat_id and c.result is not None and marker in c.params["text"]]


async def test_subscribe_choose_topics_and_unsubscribe(server, bot):
    server.push_update(updates.command(ANA, "/suscribirme"))
    chooser = await reply_to(server, ANA["id"])
    assert "Quedaste suscrito" in chooser.params["text"]
    assert ("✅ Todas las noticias del INM", "sub:t:all") in buttons_of(chooser)
    await press(server, ANA, chooser, "sub:t:fees")
    toggled = await server.wait_for("editMessageText", lambda c: c.chat_id == ANA["id"])
    assert ("✅ Costos y derechos", "sub:t:fees") in buttons_of(toggled)
    assert ("▫️ Todas las noticias del INM", "sub:t:all") in buttons_of(toggled)
    await press(server, ANA, toggled, "sub:done")
    saved = await server.wait_for("editMessageText", lambda c: c.chat_id == ANA["id"], count=2)
    assert "Recibirás noticias sobre: Costos y derechos" in saved.params["text"]
    for _ in range(2):  # idempotent: the same confirmation twice
        server.push_update(updates.command(ANA, "/cancelar_suscripcion"))
    await reply_to(server, ANA["id"], count=3)
    assert all("Ya no recibirás" in t for t in [c.params["text"] for c in server.calls_to("sendMessage",
                                                                                          chat_id=ANA["id"])][1:])
    user = await bot.storage.users.find_user(channel="telegram", external_id=str(ANA["id"]))
    assert await bot.storage.subscriptions.topics(user_id=user.id) is None


async def test_free_text_and_the_button_under_an_answer_subscribe(server, bot):
    server.push_update(updates.private_text(BEN, "please keep me posted about INM news"))
    first = await reply_to(server, BEN["id"])
    assert "You're subscribed" in first.params["text"]
    server.push_update(updates.private_text(BEN, "unsubscribe me from the news"))
    assert "You won't receive update messages" in (await reply_to(server, BEN["id"], count=2)).params["text"]
    server.push_update(updates.private_text(BEN, "lost my resident card"))
    answer = await reply_to(server, BEN["id"], count=3)
    assert ("🔔 Notify me of changes", "sub") in buttons_of(answer)
    await press(server, BEN, answer, "sub")
    assert "You're subscribed" in (await reply_to(server, BEN["id"], count=4)).params["text"]


async def test_non_staff_cannot_broadcast(server, bot):
    server.push_update(updates.command(OUTSIDER, "/broadcast"))
    refusal = await reply_to(server, OUTSIDER["id"])
    assert refusal.params["text"] == "Sorry, only the firm's staff can do that."
    server.push_update(in_staff_chat(OUTSIDER, "/broadcasts"))
    await staff_message(server, "only the firm's staff")
    with sqlite3.connect(bot.settings.database_path) as db:
        assert db.execute("SELECT count(*) FROM broadcasts").fetchone()[0] == 0


async def test_full_draft_preview_confirm_and_delivery_in_both_languages(server, bot):
    await subscribe_users(bot, [ANA, BEN])
    broadcast_id = await draft_and_send(server, es="El INM <cambió> las tarifas & más",
                                        en="INM <changed> the fees & more")
    preview = await staff_message(server, "El INM &lt;cambió&gt; las tarifas &amp; más")
    assert "Para dejar de recibirlas: /cancelar_suscripcion" in preview.params["text"]
    await staff_message(server, f"Aviso #{broadcast_id} terminado: enviados 2")
    spanish = broadcast_texts(server, ANA["id"], "tarifas")
    english = broadcast_texts(server, BEN["id"], "fees")
    assert spanish == [preview.params["text"]]  # exactly what the preview showed
    assert len(english) == 1 and "To stop: /unsubscribe" in english[0]
    staff_says(server, "/broadcasts")
    listing = await staff_message(server, f"#{broadcast_id} terminado ·")
    assert "enviados 2/2" in listing.params["text"]


async def test_blocked_recipients_do_not_stop_the_job_and_are_unsubscribed(server, bot):
    people = [updates.user(3000 + i, f"U{i}", "es") for i in range(6)]
    await subscribe_users(bot, people)
    server.fail_blocked(people[1]["id"])
    server.fail_chat_not_found(people[4]["id"])
    broadcast_id = await draft_and_send(server, es="Aviso importante", en=None)
    summary = await staff_message(server, f"Aviso #{broadcast_id} terminado")
    assert "enviados 4, fallidos 0, bloqueados 2, de 6" in summary.params["text"]
    broadcasts = bot.storage.subscriptions
    for person, subscribed in ((people[1], False), (people[4], False), (people[0], True)):
        user = await bot.storage.users.find_user(channel="telegram", external_id=str(person["id"]))
        assert (await broadcasts.topics(user_id=user.id) is not None) is subscribed


async def test_flood_control_pauses_the_sender_then_delivers_everyone_once(server, bot):
    people = [updates.user(4000 + i, f"U{i}", "en") for i in range(8)]
    await subscribe_users(bot, people)
    pacer = bot.broadcaster.pacer
    held: list[float] = []
    slots_after_hold: list[float] = []
    hold, turn = pacer.hold, pacer.turn

    def recording_hold(wait: float) -> None:
        held.append(pacer.clock() + wait)   # read first: the hold's own reading is later, its end no sooner
        hold(wait)

    async def recording_turn(chat: str) -> float:
        slot = await turn(chat)
        if held:   # a turn that was already waiting when the hold came waits for its end too
            slots_after_hold.append(slot)
        return slot
    pacer.hold, pacer.turn = recording_hold, recording_turn
    server.fail("sendMessage", status=429, retry_after=1, chat_id=people[3]["id"])
    broadcast_id = await draft_and_send(server, es="Hola", en="Hello there")
    await staff_message(server, f"Aviso #{broadcast_id} terminado", timeout=60)
    for person in people:
        assert len(broadcast_texts(server, person["id"], "Hello there")) == 1
    assert bot.broadcaster.retry_afters == 1
    assert [c.response_status for c in server.calls_to("sendMessage", chat_id=people[3]["id"])] == [429, 200]
    # the whole sender waited the retry_after out: every slot given after the hold is past its end (the pacing
    # itself is tested on virtual time below; wall-clock gaps between calls say nothing on a loaded machine)
    assert held and all(slot >= held[0] for slot in slots_after_hold)


async def test_the_pacer_spaces_messages_and_waits_out_a_rate_limit_on_virtual_time():
    from bot.broadcasts.sender import Pacer
    now = [100.0]
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(round(seconds, 6))
        now[0] += seconds
    pacer = Pacer(rate=25, per_chat_gap=1.0, clock=lambda: now[0], sleep=sleep)
    slots = [await pacer.turn(chat) for chat in ("a", "b", "c", "d")]
    assert slots == pytest.approx([100.0, 100.04, 100.08, 100.12])     # 25 a second
    assert await pacer.turn("a") == pytest.approx(101.0)                # one second after a's last message
    pacer.hold(3.0)                                                     # a 429 with retry_after 3
    assert await pacer.turn("e") == pytest.approx(104.0)
    assert await pacer.turn("f") == pytest.approx(104.04)


async def test_a_rate_limit_that_arrives_while_a_turn_waits_holds_that_turn_too():
    from bot.broadcasts.sender import Pacer
    now = [0.0]
    pacer = Pacer(rate=1, clock=lambda: now[0])

    async def sleep(seconds: float) -> None:   # another message's 429 arrives during this wait
        now[0] += seconds
        if now[0] < 2:
            pacer.hold(5.0)
    pacer.sleep = sleep
    assert await pacer.turn("a") == 0.0
    assert await pacer.turn("b") == pytest.approx(6.0)   # its slot was 1.0; the hold from 1.0 lasts until 6.0


async def test_a_late_wake_up_does_not_make_the_pacer_burst():
    from bot.broadcasts.sender import Pacer
    now = [0.0]

    async def oversleep(seconds: float) -> None:   # a loaded machine: every sleep ends half a second late
        now[0] += seconds + 0.5
    pacer = Pacer(rate=25, clock=lambda: now[0], sleep=oversleep)
    slots = [await pacer.turn(str(n)) for n in range(6)]
    assert all(b - a >= 0.04 - 1e-9 for a, b in zip(slots, slots[1:]))  # planned 25/s apart whatever the delays


async def test_restart_in_the_middle_resumes_without_duplicates_or_gaps(server, tmp_path, engine):
    database = tmp_path / "bot.sqlite3"
    first = await started(server, database, engine, staff_chat_id=STAFF_CHAT)
    people = [updates.user(5000 + i, f"U{i}", "es") for i in range(40)]
    await subscribe_users(first, people)
    broadcast_id = await draft_and_send(server, es="Cambio en el sistema de citas", en=None)
    await server.wait_for("sendMessage", lambda c: c.chat_id in {p["id"] for p in people} and c.result, count=10)
    await first.stop()
    delivered_before = sum(len(broadcast_texts(server, p["id"], "sistema de citas")) for p in people)
    assert 10 <= delivered_before < 40
    second = await started(server, database, engine, staff_chat_id=STAFF_CHAT)
    try:
        await staff_message(server, f"Aviso #{broadcast_id} terminado", timeout=60)
    finally:
        await second.stop()
    assert [len(broadcast_texts(server, p["id"], "sistema de citas")) for p in people] == [1] * 40


async def test_scheduled_broadcast_survives_a_restart(server, tmp_path, engine):
    database = tmp_path / "bot.sqlite3"
    first = await started(server, database, engine, staff_chat_id=STAFF_CHAT)
    await subscribe_users(first, [ANA])
    staff_says(server, "/broadcast")
    ask = await staff_message(server, "Manda el texto en español")
    broadcast_id = int(ask.params["text"].split("#")[1].split(".")[0])
    await press(server, STAFF, ask, f"bcd:both:{broadcast_id}")
    await staff_message(server, "ambos idiomas")
    staff_says(server, "Mañana cambia el horario")
    await press(server, STAFF, await staff_message(server, "Agrega una foto"), f"bcd:skip:{broadcast_id}")
    await press(server, STAFF, await staff_message(server, "¿Quién lo debe recibir?"), f"bcd:aud:{broadcast_id}:all")
    await press(server, STAFF, await staff_message(server, "¿Envío el aviso"), f"bcd:later:{broadcast_id}")
    await staff_message(server, "¿Cuándo debe salir?")
    staff_says(server, "ayer a las 9")
    await staff_message(server, "No entendí esa hora")
    staff_says(server, "2099-12-01 09:00")
    await staff_message(server, f"El aviso #{broadcast_id} está programado para el 2099-12-01 09:00")
    await first.stop()
    with sqlite3.connect(database) as db:  # time passes: the job is now due
        db.execute("UPDATE broadcasts SET scheduled_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", (broadcast_id,))
    second = await started(server, database, engine, staff_chat_id=STAFF_CHAT)
    try:
        await staff_message(server, f"Aviso #{broadcast_id} terminado", timeout=60)
    finally:
        await second.stop()
    assert len(broadcast_texts(server, ANA["id"], "Mañana cambia el horario")) == 1


async def test_pause_resume_and_cancel_from_the_progress_message(server, bot):
    people = [updates.user(6000 + i, f"U{i}", "es") for i in range(60)]
    await subscribe_users(bot, people)
    broadcast_id = await draft_and_send(server, es="Aviso largo", en=None)
    progress = await staff_message(server, f"Aviso #{broadcast_id} en curso")
    await press(server, STAFF, progress, f"bc:pause:{broadcast_id}")
    await server.wait_for("editMessageText", lambda c: f"#{broadcast_id} en pausa" in c.params.get("text", ""))
    for _ in range(3000):   # the messages in flight when it paused finish (a bound on hanging, not on speed)
        if (await bot.storage.broadcasts.counts(broadcast_id)).sending == 0:
            break
        await asyncio.sleep(0.02)
    paused_at = len([c for c in server.calls_to("sendMessage") if "Aviso largo" in c.params.get("text", "")])
    await asyncio.sleep(0.5)
    assert len([c for c in server.calls_to("sendMessage") if "Aviso largo" in c.params.get("text", "")]) == paused_at
    await press(server, STAFF, progress, f"bc:resume:{broadcast_id}")
    await asyncio.sleep(0.3)
    await press(server, STAFF, progress, f"bc:cancel:{broadcast_id}")
    await server.wait_for("editMessageText", lambda c: f"#{broadcast_id} cancelado" in c.params.get("text", ""))
    counts = await bot.storage.broadcasts.counts(broadcast_id)
    assert 0 < counts.sent < 60 and counts.pending > 0


def test_schedule_times_are_read_in_mexico_city_time():
    now = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)
    assert parse_when("2026-12-01 09:00", now) == dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.timezone.utc)
    assert parse_when("2026-11-01 09:00", now) is None  # in the past
    assert parse_when("tomorrow", now) is None


async def test_a_photo_goes_out_with_the_text_as_its_caption(server, bot):
    await subscribe_users(bot, [BEN])
    staff_says(server, "/broadcast")
    ask = await staff_message(server, "Manda el texto en español")
    broadcast_id = int(ask.params["text"].split("#")[1].split(".")[0])
    await press(server, STAFF, ask, f"bcd:both:{broadcast_id}")
    await staff_message(server, "ambos idiomas")
    staff_says(server, "Nuevo formato de solicitud")
    await staff_message(server, "Agrega una foto")
    photo = updates.photo(STAFF, caption=None)
    photo["message"]["chat"] = {"id": STAFF_CHAT, "type": "supergroup", "title": "Staff"}
    server.push_update(photo)
    await press(server, STAFF, await staff_message(server, "¿Quién lo debe recibir?"),
                f"bcd:aud:{broadcast_id}:subscribers")
    preview = await server.wait_for("sendPhoto", lambda c: c.chat_id == STAFF_CHAT)
    assert "Nuevo formato de solicitud" in preview.params["caption"]
    await press(server, STAFF, await staff_message(server, "¿Envío el aviso"), f"bcd:go:{broadcast_id}")
    delivered = await server.wait_for("sendPhoto", lambda c: c.chat_id == BEN["id"] and c.result)
    assert delivered.params["photo"] == preview.params["photo"]
    assert "To stop: /unsubscribe" in delivered.params["caption"]


async def test_cancel_during_the_draft_sends_nothing(server, bot):
    await subscribe_users(bot, [ANA])
    staff_says(server, "/broadcast")
    ask = await staff_message(server, "Manda el texto en español")
    broadcast_id = int(ask.params["text"].split("#")[1].split(".")[0])
    staff_says(server, "Texto que no saldrá")
    english = await staff_message(server, "Ahora manda el texto en inglés")
    await press(server, STAFF, english, f"bcd:cancel:{broadcast_id}")
    await staff_message(server, f"Aviso #{broadcast_id} cancelado")
    staff_says(server, "this is just chat now")
    await asyncio.sleep(0.3)
    assert not [c for c in server.calls_to("sendMessage") if c.chat_id == ANA["id"]]
    assert (await bot.storage.broadcasts.get(broadcast_id)).status == "cancelled"


async def test_server_errors_are_retried_with_backoff(server, bot):
    await subscribe_users(bot, [ANA, BEN])
    server.fail("sendMessage", status=502, times=2, chat_id=ANA["id"])
    broadcast_id = await draft_and_send(server, es="Reintento", en="Retry")
    await staff_message(server, f"Aviso #{broadcast_id} terminado: enviados 2", timeout=60)
    assert [c.response_status for c in server.calls_to("sendMessage") if c.chat_id == ANA["id"]] == [502, 502, 200]
