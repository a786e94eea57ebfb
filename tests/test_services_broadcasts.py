"""The broadcast services on their own: the Broadcaster's delivery job and the staff's Drafts, with recording fakes."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio

from bot.actions import Action, parse
from bot.broadcasts.content import Body, compose
from bot.broadcasts.drafts import Drafts, Where
from bot.broadcasts.sender import Broadcaster
from bot.conversation.assistant import Assistant
from bot.conversation.subscriptions import Subscriptions
from bot.runtime.outbox import Outbox
from tests.service_fakes import LUPITA, STAFF_CHAT, WAIT, RecordingStaffDesk, a_user

HERE = Where(STAFF_CHAT)


def make_broadcaster(engine, storage, channel, desk, window: int = 8) -> Broadcaster:
    return Broadcaster(storage.broadcasts, {channel.name: channel}, desk, engine.texts, Outbox(), rate=1000,
                       window=window)


@pytest_asyncio.fixture
async def broadcaster(engine, storage, channel, desk):
    sender = make_broadcaster(engine, storage, channel, desk)
    yield sender
    await sender.stop()


async def subscribed(storage, count: int, language: str = "es", first: int = 2000, topics=None) -> list:
    people = []
    for n in range(first, first + count):
        user = await a_user(storage, str(n), language, f"U{n}")
        await storage.subscriptions.subscribe(user_id=user.id, topics=topics)
        people.append(user)
    return people


async def running_job(storage, es: str, en: str | None = None, audience: str = "subscribers") -> int:
    """A job as Drafts leaves it after "send now": texts stored, recipients frozen, status running."""
    draft = await storage.broadcasts.create_draft(created_by=LUPITA.id, chat_id=STAFF_CHAT, thread_id=None,
                                                  step="preview")
    await storage.broadcasts.update(draft.id, text_es=Body.plain(es).dumps(), text_en=Body.plain(en or es).dumps(),
                                    audience=audience)
    await storage.broadcasts.start(draft.id)
    return draft.id


async def until(condition) -> None:
    async with asyncio.timeout(WAIT):
        while not await condition():
            await asyncio.sleep(0.005)


def summary(engine, job: int, state: str, sent: int, total: int, failed: int = 0, blocked: int = 0) -> str:
    """The final figures as staff read them (the duration left out)."""
    text = engine.texts("es", "bc.summary", id=job, state=engine.texts("es", f"bc.state.{state}"), sent=sent,
                        failed=failed, blocked=blocked, total=total, duration="")
    return text.rsplit(",", 1)[0]


# ---------------------------------------------------------------------------------------------- Broadcaster
async def test_a_job_reaches_every_subscriber_once_in_their_language(engine, storage, channel, desk, broadcaster):
    ana, = await subscribed(storage, 1, "es")
    ben, = await subscribed(storage, 1, "en", first=3000)
    await a_user(storage, "4000", "es", "Carla")          # not subscribed
    job = await running_job(storage, "Cambian las tarifas", "Fees change")
    await broadcaster.start()
    await desk.wait_for(summary(engine, job, "done", sent=2, total=2))
    broadcast = await storage.broadcasts.get(job)
    assert channel.to(ana) == [compose(broadcast, "es", engine.texts).text]
    assert channel.to(ben) == [compose(broadcast, "en", engine.texts).text]
    assert "Cambian las tarifas" in channel.to(ana)[0] and "Fees change" in channel.to(ben)[0]
    assert channel.to("4000") == []


async def test_a_blocked_recipient_is_marked_and_the_others_still_get_it(engine, storage, channel, desk, broadcaster):
    people = await subscribed(storage, 3)
    channel.blocked.add(people[1].external_id)
    job = await running_job(storage, "Aviso importante")
    await broadcaster.start()
    await desk.wait_for(summary(engine, job, "done", sent=2, total=3, blocked=1))
    assert [len(channel.to(p)) for p in people] == [1, 0, 1]
    assert (await storage.broadcasts.counts(job)).blocked == 1


async def test_after_a_crash_the_job_resumes_without_losing_anyone(engine, storage, channel, desk, broadcaster):
    people = await subscribed(storage, 5)
    job = await running_job(storage, "Cambio en el sistema de citas")
    rows = await storage.broadcasts.next_recipients(job)
    for row in rows[:2]:                                   # delivered before the crash
        await storage.broadcasts.mark_sending(row.id)
        await storage.broadcasts.mark_done(row.id, status="sent", message_id="old")
    await storage.broadcasts.mark_sending(rows[2].id)      # in flight when the process died: fate unknown
    await broadcaster.start()
    await desk.wait_for(summary(engine, job, "done", sent=5, total=5))
    assert [len(channel.to(p)) for p in people] == [0, 0, 1, 1, 1]
    assert channel.shown[0].user_key == people[2].external_id   # the unknown one goes first


async def test_pause_then_resume_delivers_everyone_once(engine, storage, channel, desk):
    sender = make_broadcaster(engine, storage, channel, desk, window=2)
    people = await subscribed(storage, 6)
    job = await running_job(storage, "Aviso largo")
    channel.gate.clear()                                   # the first two stay in flight
    await sender.start()
    try:
        await until(lambda: counts_are(storage, job, sending=2))
        assert await sender.pause(job)
        assert desk.seen()[-1].startswith(summary(engine, job, "paused", sent=0, total=6))
        assert [label for label, _ in desk.posted[-1].buttons] == ["▶️ Reanudar", "⏹ Cancelar"]
        channel.gate.set()
        await until(lambda: counts_are(storage, job, sending=0))
        assert len(channel.shown) == 2 and (await storage.broadcasts.counts(job)).pending == 4
        await desk.wait_for(summary(engine, job, "paused", sent=2, total=6))   # the figures catch up
        assert await sender.resume(job)
        await desk.wait_for(summary(engine, job, "done", sent=6, total=6))
    finally:
        await sender.stop()
    assert [len(channel.to(p)) for p in people] == [1] * 6


async def test_cancel_stops_the_job_for_good(engine, storage, channel, desk):
    sender = make_broadcaster(engine, storage, channel, desk, window=2)
    await subscribed(storage, 6)
    job = await running_job(storage, "Aviso equivocado")
    channel.gate.clear()
    await sender.start()
    try:
        await until(lambda: counts_are(storage, job, sending=2))
        assert await sender.cancel(job)
        channel.gate.set()
        await until(lambda: counts_are(storage, job, sending=0))
        assert not await sender.resume(job)                 # a cancelled job cannot be resumed
    finally:
        await sender.stop()
    assert (await storage.broadcasts.get(job)).status == "cancelled"
    assert len(channel.shown) == 2
    final = await desk.wait_for(summary(engine, job, "cancelled", sent=2, total=6))
    assert final.buttons == ()


async def counts_are(storage, job: int, **expected: int) -> bool:
    counts = await storage.broadcasts.counts(job)
    return all(getattr(counts, name) == value for name, value in expected.items())


# ---------------------------------------------------------------------------------------------- Drafts
@pytest.fixture
def drafts(engine, storage, desk, broadcaster):
    assistant = Assistant(engine, storage.users)
    return Drafts(storage.broadcasts, Subscriptions(assistant, storage.subscriptions), desk, engine.texts,
                  broadcaster)


async def write(drafts: Drafts, text: str | None, media: tuple[str, str] | None = None) -> bool:
    """Lupita's message while her draft waits."""
    return await drafts.on_input(LUPITA.id, HERE, "es", text=None if text is None else Body.plain(text), media=media)


async def press(drafts: Drafts, verb: str, job: int, audience: str | None = None) -> None:
    parsed = parse(Action.draft(verb, job, audience))
    assert parsed is not None
    await drafts.on_button(HERE, "es", parsed)


def labels(desk: RecordingStaffDesk) -> list[str]:
    return [label for label, _ in desk.posted[-1].buttons]


async def test_the_draft_asks_step_by_step_and_the_preview_is_what_users_get(engine, storage, channel, desk,
                                                                            drafts, broadcaster):
    ana, = await subscribed(storage, 1, "es")
    ben, = await subscribed(storage, 1, "en", first=3000)
    await drafts.start(LUPITA.id, HERE, "es")
    assert desk.seen()[-1].startswith("Nuevo aviso #1. Manda el texto en español")
    assert labels(desk) == ["Un solo texto para ambos", "✖️ Cancelar"]
    assert await write(drafts, "Nuevas tarifas del INM")
    assert desk.seen()[-1] == "Ahora manda el texto en inglés."
    await write(drafts, "New INM fees")
    assert desk.seen()[-1].startswith("Agrega una foto o un documento")
    await press(drafts, "skip", 1)
    assert desk.seen()[-1] == "¿Quién lo debe recibir?"
    assert labels(desk)[0] == "Todos los suscritos (2)" and "Costos y derechos (2)" in labels(desk)
    await press(drafts, "aud", 1, "subscribers")
    header, spanish, es_preview, english, en_preview, confirm = desk.seen()[-6:]
    assert header.startswith("Vista previa del aviso #1: 2 destinatarios")
    assert (spanish, english) == ("— Versión en español:", "— Versión en English:")
    assert confirm == "¿Envío el aviso #1 a 2 destinatarios?"
    assert labels(desk) == ["✅ Enviar ahora", "🕒 Programar", "✖️ Cancelar"]
    await press(drafts, "go", 1)
    assert (await storage.broadcasts.get(1)).status == "running" and not drafts.waiting(LUPITA.id, STAFF_CHAT)
    await broadcaster.start()
    await desk.wait_for(summary(engine, 1, "done", sent=2, total=2))
    assert channel.to(ana) == [es_preview] and channel.to(ben) == [en_preview]


async def test_one_text_for_both_then_a_schedule(storage, desk, drafts):
    await subscribed(storage, 1)
    await drafts.start(LUPITA.id, HERE, "es")
    await press(drafts, "both", 1)
    assert desk.seen()[-1] == "Manda el texto para ambos idiomas."
    await write(drafts, "Mañana cambia el horario")
    await press(drafts, "skip", 1)
    await press(drafts, "aud", 1, "all")
    assert "— Versión en English:" not in desk.seen()      # one text: one preview
    await press(drafts, "later", 1)
    assert desk.seen()[-1].startswith("¿Cuándo debe salir?")
    await write(drafts, "mañana temprano")
    assert desk.seen()[-1].startswith("No entendí esa hora")
    await write(drafts, "2099-12-01 09:00")
    assert desk.seen()[-1].startswith("El aviso #1 está programado para el 2099-12-01 09:00 (hora del centro de "
                                      "México), a 1 destinatarios")
    job = await storage.broadcasts.get(1)
    assert (job.status, job.scheduled_at) == ("scheduled", "2099-12-01T15:00:00.000Z")


async def test_texts_too_long_for_a_message_or_a_caption_are_refused(storage, desk, drafts):
    await subscribed(storage, 1)
    await drafts.start(LUPITA.id, HERE, "es")
    await write(drafts, "  ")
    assert desk.seen()[-1] == "Manda el texto como mensaje (no vacío), por favor."
    await press(drafts, "both", 1)
    await write(drafts, "x" * 4097)
    await press(drafts, "skip", 1)
    assert "el límite es 4096)" in desk.seen()[-1]
    await write(drafts, "y" * 1100)                         # fits a message…
    await write(drafts, None, media=("photo", "photo-1"))
    assert "el límite es 1024 por el archivo adjunto" in desk.seen()[-1]   # …not a caption
    await write(drafts, "Nuevo formato de solicitud")
    await write(drafts, None, media=("photo", "photo-1"))
    assert desk.seen()[-1] == "¿Quién lo debe recibir?"
    job = await storage.broadcasts.get(1)
    assert (job.media_kind, job.media_file_id) == ("photo", "photo-1")


async def test_audience_counts_follow_the_topics_and_an_empty_audience_is_refused(storage, desk, drafts):
    await subscribed(storage, 2, topics=["fees"])
    await subscribed(storage, 1, first=3000, topics=["citas"])
    await drafts.start(LUPITA.id, HERE, "es")
    await press(drafts, "both", 1)
    await write(drafts, "Aviso")
    await press(drafts, "skip", 1)
    assert labels(desk)[:3] == ["Todos los suscritos (3)", "El sistema de citas (1)", "Costos y derechos (2)"]
    await press(drafts, "aud", 1, "all")                    # nobody chose "all news"
    assert desk.seen()[-1] == "Nadie está suscrito a ese público todavía; elige otro o cancela."
    await press(drafts, "aud", 1, "fees")
    assert desk.last("Vista previa").text.startswith("Vista previa del aviso #1: 2 destinatarios")


async def test_cancel_drops_the_draft_and_frees_the_chat(storage, desk, drafts):
    await drafts.start(LUPITA.id, HERE, "es")
    await write(drafts, "Texto que no saldrá")
    await press(drafts, "cancel", 1)
    assert desk.seen()[-1] == "Aviso #1 cancelado. No se envió nada."
    assert (await storage.broadcasts.get(1)).status == "cancelled"
    assert not await write(drafts, "solo plática")            # no longer for the draft
