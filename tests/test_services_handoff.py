"""Handoff on its own: recording fakes for the user's channel and the staff desk, a real database, no network."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.handoff.messages import requested_reply
from bot.languages import STAFF_LANGUAGE
from tests.service_fakes import (LUPITA, MARCO, RecordingStaffDesk, a_user, make_handoff,
                                 now_clock, staff_message, user_message)


@pytest.fixture
def clock():
    return now_clock()


@pytest.fixture
def handoff(engine, storage, channel, desk, clock):
    return make_handoff(engine, storage, channel, desk, clock=clock, release_minutes=30)


def staff(engine, key: str, **values) -> str:
    return engine.texts(STAFF_LANGUAGE, key, **values)


async def test_a_request_opens_one_place_with_its_card_and_asking_again_reuses_it(engine, storage, handoff, desk,
                                                                                    clock):
    ana = await a_user(storage)
    told = await handoff.request(ana)
    assert told == requested_reply(engine.texts, "es", engine.catalogue.firm.confirmed_hours, clock.now())
    assert desk.opened == ["Ana · es"]
    card, note = desk.seen_in("topic-1")
    assert card.startswith("👤 Ana") and "Telegram, id 1001" in card
    assert note == staff(engine, "staff.requested", name="Ana")
    assert handoff.has_person_at("telegram", "1001")

    again = await handoff.request(ana)
    assert again.blocks[0].lines[0] == engine.texts("es", "handoff.already")
    assert desk.opened == ["Ana · es"] and len(desk.seen_in("topic-1")) == 2   # nothing new for the staff


async def test_the_first_staff_member_to_write_takes_the_chat_and_a_second_is_refused(engine, storage, handoff,
                                                                                     channel, desk):
    ana = await a_user(storage)
    await handoff.request(ana)
    await handoff.from_staff(ana, LUPITA, staff_message(desk, "Hola Ana, soy Lupita", topic="topic-1"))
    await handoff.from_staff(ana, MARCO, staff_message(desk, "Hola, soy Marco", topic="topic-1", message="78"))
    assert channel.to(ana) == ["Hola Ana, soy Lupita"]
    assert staff(engine, "staff.taken", owner="Lupita") in desk.seen_in("topic-1")
    refusal = desk.last("la atiende")
    assert refusal.kind == "answer" and refusal.reply_to == "78"
    assert refusal.text == staff(engine, "staff.owned", owner="Lupita")
    assert (await storage.handoff.get(ana.id)).owner_name == "Lupita"


async def test_user_messages_go_to_their_place_while_a_person_has_the_chat(storage, handoff, desk):
    ana, ben = await a_user(storage), await a_user(storage, "1002", "en", "Ben")
    await handoff.request(ana)
    await handoff.request(ben)
    await handoff.from_user(ana, user_message(ana, "¿ya vieron mis papeles?"))
    await handoff.from_user(ben, user_message(ben, "any news?"))
    assert desk.seen_in("topic-1")[-1] == "¿ya vieron mis papeles?"
    assert desk.seen_in("topic-2")[-1] == "any news?"
    copy = desk.last("mis papeles").message
    assert (await handoff.target(topic=None, reply_to=copy)).id == ana.id   # a reply to the copy finds Ana


async def test_without_topics_each_message_gets_a_header_and_staff_reply_to_it(engine, storage, channel, clock):
    desk = RecordingStaffDesk(engine.texts, topics=False)
    handoff = make_handoff(engine, storage, channel, desk, clock=clock)
    ana = await a_user(storage)
    await handoff.request(ana)
    await handoff.from_user(ana, user_message(ana, "hola"))
    header, copy = desk.posted[-2:]
    assert header.text == staff(engine, "staff.header", name="Ana", language="es", user_id="telegram 1001")
    assert copy.text == "hola" and copy.reply_to == header.message and desk.opened == []


async def test_a_deleted_topic_is_opened_again_with_a_new_card(storage, handoff, desk):
    ana = await a_user(storage)
    await handoff.request(ana)
    desk.deleted.add("topic-1")
    await handoff.from_user(ana, user_message(ana, "¿siguen ahí?"))
    assert desk.opened == ["Ana · es", "Ana · es"]
    assert desk.seen_in("topic-2")[0].startswith("👤 Ana") and desk.seen_in("topic-2")[-1] == "¿siguen ahí?"


async def test_release_tells_the_user_and_the_place(engine, storage, handoff, channel, desk):
    ana = await a_user(storage)
    await handoff.request(ana)
    await handoff.from_staff(ana, LUPITA, staff_message(desk, "Listo, ya quedó", topic="topic-1"))
    assert await handoff.release(ana, by="Lupita")
    assert channel.to(ana)[-1] == engine.texts("es", "handoff.released")
    assert staff(engine, "staff.released", who="Lupita") in desk.seen_in("topic-1")
    assert not handoff.has_person(ana.id)
    assert "ho:take" in desk.last("👤 Ana").buttons[0][1]   # the card offers "take" again
    assert not await handoff.release(ana)                     # twice is harmless
    assert channel.to(ana).count(engine.texts("es", "handoff.released")) == 1


async def test_a_quiet_chat_goes_back_to_the_bot_after_the_idle_time(engine, storage, handoff, channel, desk, clock):
    ana = await a_user(storage)
    await handoff.request(ana)
    clock.advance(dt.timedelta(minutes=29))
    assert await handoff.auto_release() == 0
    clock.advance(dt.timedelta(minutes=2))
    assert await handoff.auto_release() == 1
    assert channel.to(ana) == [engine.texts("es", "handoff.auto_released")]
    assert staff(engine, "staff.auto_released", minutes=30) in desk.seen_in("topic-1")
    assert not handoff.has_person_at("telegram", "1001")


async def test_a_user_who_blocked_the_bot_is_announced_in_their_place(engine, storage, handoff, channel, desk):
    ana, ben = await a_user(storage), await a_user(storage, "1002", "en", "Ben")
    await handoff.request(ana)
    channel.blocked.add("1001")
    await handoff.from_staff(ana, LUPITA, staff_message(desk, "¿Sigues ahí?", topic="topic-1"))
    await handoff.user_blocked(ana)
    assert channel.to(ana) == []
    assert desk.seen_in("topic-1")[-1] == staff(engine, "staff.blocked")
    before = len(desk.posted)
    await handoff.user_blocked(ben)          # Ben never had a place: nothing to tell
    assert len(desk.posted) == before


async def test_forgetting_a_user_unmarks_them(storage, handoff):
    ana = await a_user(storage)
    await handoff.request(ana)
    await storage.users.forget_user(user_id=ana.id)
    handoff.forgotten(ana.id)
    assert not handoff.has_person(ana.id) and not handoff.has_person_at("telegram", "1001")
    await handoff.reload()                   # and the database agrees after a restart
    assert not handoff.has_person(ana.id)
