"""Issue 17: a conversation that remembers, through the front door every channel uses.

Each test is one of the failures real users met: a follow-up that left the procedure under discussion, a date asked
for again, an FMM read as a resident card, a future arrival refused or read as last January, an incidental phrase
deciding a long message. Time comes from the settable clock (1 December 2026, noon in Mexico City)."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.answers.plain import to_plain
from bot.conversation.turn import Inbound, terminal_front_door
from bot.clock import SettableClock

NOW = dt.datetime(2026, 12, 1, 18, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["telegram", "whatsapp", "terminal"])
def channel(request):
    """Every test runs on each channel's name: the front door is the same for all of them."""
    return request.param


@pytest.fixture
def front(engine, storage):
    return terminal_front_door(engine, storage, SettableClock(NOW))


class Chat:
    """One user on one channel: say a line, get the plain text of the first reply and what decided it."""

    def __init__(self, front, channel: str, key: str = "1"):
        self.front, self.channel, self.key = front, channel, key

    async def say(self, text: str) -> str:
        turn = await self.front.take(Inbound(self.channel, self.key, text=text))
        assert turn.says, f"no reply to {text!r}"
        return to_plain(turn.says[0].reply)

    async def thread(self) -> str | None:
        _, state = await self.front.users.user_and_state(channel=self.channel, external_id=self.key)
        return state.last_entry_id


async def test_a_fee_question_about_that_permit_stays_on_the_exit_permit(front, channel):
    chat = Chat(front, channel)
    await chat.say("permiso de salida y regreso")
    reply = await chat.say("how much is that permit")
    assert "Exit and re-entry permit" in reply and "work permit" not in reply.lower()
    assert await chat.thread() == "permiso_salida_regreso"


@pytest.mark.parametrize("text, first_words", [("what do i bring for it", "What to prepare"),
                                               ("¿qué llevo para eso?", "Qué preparar")])
async def test_what_to_bring_for_it_after_the_address_change_is_that_procedures_list(front, channel, text, first_words):
    chat = Chat(front, channel)
    await chat.say("aviso de cambio de domicilio al INM")
    reply = await chat.say(text)
    assert first_words in reply and ("Notif" in reply) and "visa" not in reply.lower().split("\n")[0]


async def test_going_permanent_instead_of_renewing_is_the_change_to_permanent(front, channel):
    chat = Chat(front, channel)
    await chat.say("quiero renovar mi residencia temporal")
    reply = await chat.say("can i go permanent instead of renewing?")
    assert reply.startswith("Change from temporary resident to permanent resident")


async def test_a_date_already_given_is_never_asked_for_again(front, channel):
    chat = Chat(front, channel)
    await chat.say("renovación de residencia temporal")
    window = await chat.say("mi tarjeta vence el 15 de marzo de 2027")
    assert "13 de febrero" in window
    again = await chat.say("renovacion de tarjeta temporal")
    assert "Dime la fecha en que vence tu tarjeta" not in again
    assert "15 de marzo de 2027" in again and "13 de febrero" in again


async def test_an_fmm_expiry_is_not_read_as_a_resident_card(front, channel):
    chat = Chat(front, channel)
    reply = await chat.say("mi fmm vence el 5 de febrero")
    assert "renovación" not in reply.lower().split("\n")[0]
    assert "Tu tarjeta vence" not in reply
    assert await chat.thread() != "renovacion"


async def test_an_fmm_about_to_expire_is_answered_as_a_visitor_not_a_renewal(front, channel):
    chat = Chat(front, channel, key="fmm-en")
    reply = await chat.say("my fmm expires on march 3")
    assert not reply.startswith("Renewal") and "Your card expires" not in reply


async def test_an_fmm_held_earlier_keeps_a_later_expiry_date_off_the_card(front, channel):
    chat = Chat(front, channel, key="fmm")
    await chat.say("entré como turista con mi FMM")
    reply = await chat.say("vence el 5 de febrero, ¿qué hago?")
    assert "Tu tarjeta vence" not in reply


async def test_a_future_arrival_is_a_plan_and_a_later_bare_date_is_read_ahead(front, channel):
    chat = Chat(front, channel, key="plan")
    await chat.say("canje de visa de residente")
    plan = await chat.say("we land january 15 2027")
    assert "January 15, 2027" in plan and "February 14, 2027" in plan
    assert "has not happened" not in plan.lower() and "closed" not in plan.lower()
    again = await chat.say("jan 15")
    assert "January 15, 2027" in again and "missed" not in again.lower()


async def test_a_consular_visa_holder_asking_about_the_card_gets_the_canje(front, channel):
    chat = Chat(front, channel, key="visa")
    reply = await chat.say("I got my temporary resident visa at the consulate in Houston and landed in Guadalajara "
                           "last week. The consul said something about four years later. How do I get the card?")
    assert reply.startswith("Exchange of your resident visa for the resident card (canje)")


async def test_flying_abroad_with_a_temporary_card_is_about_leaving_not_a_change_of_status(front, channel):
    chat = Chat(front, channel, key="fly")
    reply = await chat.say("I have to fly to the States, I have my temporary card")
    assert reply.startswith("Exit and re-entry permit")


async def test_facts_survive_in_the_database_between_turns(front, channel, storage):
    chat = Chat(front, channel, key="facts")
    await chat.say("estoy casado con una mexicana y tengo mi tarjeta de residente temporal")
    _, state = await storage.users.user_and_state(channel=channel, external_id="facts")
    assert '"document": "temporary_card"' in state.facts and '"married_mexican": true' in state.facts


@pytest.mark.parametrize("reply, chosen", [("la permanente", "unidad_familiar_permanente"),
                                           ("temporary", "unidad_familiar_temporal")])
async def test_which_one_is_answered_in_words_as_well_as_with_buttons(front, channel, reply, chosen):
    chat = Chat(front, channel, key=f"family-{chosen}")
    turn = await front.take(Inbound(channel, chat.key, text="unidad familiar"))
    offered = [b.action for b in turn.says[0].reply.buttons]
    assert f"e:{chosen}" in offered, offered                    # the family question offers both
    await chat.say(reply)
    assert await chat.thread() == chosen


async def test_a_new_question_after_which_one_is_not_taken_for_an_answer(front, channel):
    chat = Chat(front, channel, key="family-new")
    await chat.say("unidad familiar")
    reply = await chat.say("perdí mi tarjeta de residente permanente")
    assert "reposici" in reply.lower().split("\n")[0]
