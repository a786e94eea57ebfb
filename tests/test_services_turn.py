"""The front door on its own: one Inbound in, one Turn out, with recording fakes for the channel and the desk."""

from __future__ import annotations

import pytest

from bot.actions import Action
from bot.answers.plain import to_plain
from bot.conversation.turn import FrontDoor, Inbound, Turn
from bot.languages import STAFF_LANGUAGE
from tests.service_fakes import make_front_door, make_handoff, user_message


@pytest.fixture
def door(engine, storage, channel, desk):
    return make_front_door(engine, storage, make_handoff(engine, storage, channel, desk))


async def ana_says(door: FrontDoor, text: str | None = None, **values) -> Turn:
    """One turn of Ana's on Telegram (Spanish, as her Telegram app says)."""
    return await door.take(Inbound("telegram", "1001", text=text, language_hint="es", display_name="Ana", **values))


def seen(turn: Turn) -> list[str]:
    """What the user reads, message by message."""
    return [to_plain(reply) for reply in turn.replies]


async def relayed(user, text: str):
    """The message as the channel would hand it to the staff (made only when a person has the chat)."""
    return user_message(user, text)


def actions(turn: Turn) -> list[str]:
    return [button.action for button in turn.replies[-1].buttons]


async def test_a_question_is_answered_with_notify_and_not_what_i_asked(engine, door):
    turn = await ana_says(door, "perdí mi tarjeta de residente")
    name = engine.catalogue.get("reposicion").name.get("es")
    assert seen(turn)[0].startswith(name)
    assert actions(turn)[-2:] == [Action.SUBSCRIBE, Action.NOT_WHAT_I_ASKED]
    assert turn.replies[0].buttons[-2].label == "🔔 Avísame de cambios"


async def test_the_terminal_offers_no_notify_button_it_could_never_deliver(door):
    turn = await door.take(Inbound("terminal", "local", text="perdí mi tarjeta de residente"))
    assert Action.SUBSCRIBE not in actions(turn) and Action.NOT_WHAT_I_ASKED in actions(turn)


async def test_a_follow_up_stays_on_the_procedure_under_discussion(engine, door):
    await ana_says(door, "perdí mi tarjeta de residente")
    follow_up = await ana_says(door, "¿cuánto cuesta?")
    name = engine.catalogue.get("reposicion").name.get("es")
    assert seen(follow_up)[0].startswith(f"Sobre {name}")


@pytest.mark.parametrize("text, key, language", [("ayuda", "help.body", "es"), ("/help", "help.body", "es"),
                                                 ("english", "language.set", "en"), ("/idioma en", "language.set",
                                                                                     "en")])
async def test_a_command_word_in_either_language(engine, storage, door, text, key, language):
    turn = await ana_says(door, text)
    assert seen(turn)[0] == engine.texts(language, key)
    assert (await storage.users.find_user(channel="telegram", external_id="1001")).language == language


async def test_a_command_the_channel_recognised_needs_no_text(engine, door):
    turn = await ana_says(door, "/ayuda@inm_bot", command="help")
    assert seen(turn) == [engine.texts("es", "help.body")]


async def test_a_number_answers_the_choice_just_offered(engine, door):
    offer = await ana_says(door, "/idioma")
    assert actions(offer) == [Action.language("es"), Action.language("en")]
    assert seen(await ana_says(door, "7")) == [engine.texts("es", "chat.choice_unknown", number="7")]
    assert seen(await ana_says(door, "2")) == [engine.texts("en", "language.set")]


async def test_forget_asks_first_then_deletes_everything(engine, storage, door):
    confirm = await ana_says(door, "/olvidar")
    assert seen(confirm) == [engine.texts("es", "forget.confirm")]
    assert actions(confirm) == [Action.FORGET_YES, Action.FORGET_NO]
    done = await ana_says(door, action=Action.FORGET_YES)
    assert done.forgotten and done.says[0].in_place
    assert seen(done) == [engine.texts("es", "forget.done")]
    assert await storage.users.find_user(channel="telegram", external_id="1001") is None


async def test_asking_for_a_person_without_a_staff_desk_gives_the_contact(engine, storage, channel):
    door = make_front_door(engine, storage, make_handoff(engine, storage, channel, None))
    turn = await ana_says(door, "/asesor")
    assert seen(turn)[0] == engine.texts("es", "handoff.unavailable")
    assert seen(turn)[1] == to_plain(engine.composer.contact("es"))


async def test_while_a_person_has_the_chat_messages_go_to_them_and_buttons_get_a_notice(engine, storage, door,
                                                                                         desk):
    asked = await ana_says(door, "quiero hablar con un asesor")
    assert desk.opened == ["Ana · es"] and "pidió hablar con una persona" in desk.seen_in("topic-1")[-1]
    ana = asked.user
    turn = await ana_says(door, "¿me ayudan con mi visa?", relay=lambda: relayed(ana, "¿me ayudan con mi visa?"))
    assert turn.relayed and turn.says == []
    assert desk.seen_in("topic-1")[-1] == "¿me ayudan con mi visa?"
    pressed = await ana_says(door, action=Action.MENU)
    assert pressed.notice == engine.texts("es", "handoff.busy") and pressed.says == []


async def test_an_unreachable_user_is_made_inactive_and_the_staff_place_is_told(engine, storage, door, desk):
    await ana_says(door, "/asesor")
    await ana_says(door, "/suscribirme")
    await door.unreachable("telegram", "1001")
    ana = await storage.users.find_user(channel="telegram", external_id="1001")
    assert not ana.active and not await storage.subscriptions.is_subscribed(ana.id)
    assert desk.seen_in("topic-1")[-1] == engine.texts(STAFF_LANGUAGE, "staff.blocked")
    before = len(desk.posted)
    await door.unreachable("telegram", "9999")             # someone the bot never met: nothing happens
    assert len(desk.posted) == before
