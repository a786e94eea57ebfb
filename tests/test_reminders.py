"""Deadlines and reminders through the channel-neutral services, on a settable clock: what the user is told, what is
scheduled, and what the scheduler sends (once), keeps or drops."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest

from bot.conversation.assistant import Assistant, Route, Visitor
from bot.clock import MEXICO_CITY, SettableClock
from bot.deadlines.service import Deadlines
from bot.runtime.outbox import Outcome, Undeliverable
from bot.runtime.ports import MessageRef
from bot.deadlines.reminders import ReminderSender
from bot.answers.plain import to_plain

UTC = dt.timezone.utc
NOON_DEC_1 = dt.datetime(2026, 12, 1, 18, 0, tzinfo=UTC)        # 12:00 in Mexico City
ANA = Visitor("telegram", "1001", "es")
BEN = Visitor("telegram", "1002", "en")


class RecordingChannel:
    """A user channel that records reminders (and what the database said while each was being sent)."""

    name = "telegram"

    def __init__(self, storage, fail: Outcome | None = None):
        self.storage = storage
        self.sent: list[tuple[str, str, tuple[str, ...]]] = []
        self.status_during_send: list[str] = []
        self.fail = fail

    async def remind(self, user, reply, line):
        chat = user.external_id
        rows = await self.storage.db.fetchall("SELECT status FROM reminders WHERE status = 'sending'")
        self.status_during_send.extend(r["status"] for r in rows)
        if self.fail is not None:
            raise Undeliverable(self.fail, "refused")
        self.sent.append((chat, to_plain(reply), tuple(b.action for b in reply.buttons)))
        return MessageRef("telegram", chat, str(len(self.sent)))


@pytest.fixture
def clock():
    return SettableClock(NOON_DEC_1)


@pytest.fixture
def assistant(engine, storage, clock):
    return Assistant(engine, storage.users, Deadlines(engine, storage.reminders, clock))


def _text(routed) -> str:
    return to_plain(routed.answer.reply)


def _actions(routed) -> list[str]:
    return [b.action for b in routed.answer.reply.buttons]


async def test_a_date_in_the_users_words_gets_their_window_and_the_offer_of_reminders(assistant):
    routed = await assistant.route(BEN, "my card expires March 15 2027")
    assert routed.route is Route.DEADLINE
    text = _text(routed)
    assert "Your card expires on March 15, 2027." in text
    assert "from February 13 to March 15, 2027" in text
    assert "not open yet: it opens in 74 days" in text
    assert "when it opens (February 13), a week before it closes (March 8), the day before the last day (March 14)" \
        in text
    assert _actions(routed)[0] == "rem:renovacion:20270315"


async def test_spanish_dates_get_spanish_windows(assistant):
    canje = _text(await assistant.route(ANA, "entré a México el 10 de noviembre"))
    assert "Tu plazo: hasta el 10 de diciembre de 2026." in canje and "te quedan 9 días" in canje
    change = _text(await assistant.route(ANA, "me cambié de casa el 1 de octubre"))
    assert "hasta el 30 de diciembre de 2026" in change


async def test_the_bots_question_is_answered_with_a_bare_date(assistant):
    overview = await assistant.route(BEN, "how do I renew my temporary residency")
    assert "Tell me the date your card expires" in _text(overview)
    routed = await assistant.route(BEN, "15/03/2027")
    assert routed.route is Route.DEADLINE and "from February 13 to March 15, 2027" in _text(routed)


async def test_a_bare_date_without_a_procedure_asks_what_it_is(assistant):
    routed = await assistant.route(BEN, "25/11/2026")
    assert "What happens on November 25, 2026?" in _text(routed)
    assert "dl:canje:20261125" in _actions(routed) and "dl:renovacion:20261125" in _actions(routed)
    window = await assistant.act(BEN, "dl:canje:20261125", full=False)
    assert "until December 25, 2026" in to_plain(window)


async def test_an_ambiguous_date_is_confirmed_with_two_buttons(assistant):
    routed = await assistant.route(BEN, "my card expires on 03/04/2027")
    assert "Is April 3, 2027 or March 4, 2027 the date you mean?" in _text(routed)
    assert _actions(routed) == ["dl:renovacion:20270403", "dl:renovacion:20270304"]
    chosen = await assistant.act(BEN, "dl:renovacion:20270304", full=False)
    assert "from February 2 to March 4, 2027" in to_plain(chosen)


async def test_missed_windows_say_what_to_do_and_absurd_dates_are_refused_kindly(assistant):
    missed = await assistant.route(BEN, "my card expired on 1 November")
    assert "This window closed on November 1, 2026." in _text(missed)
    assert "e:regularizacion_documento_vencido" in _actions(missed) and "contact" in _actions(missed)
    assert not any(a.startswith("rem:") for a in _actions(missed))
    assert "years away from today" in _text(await assistant.route(BEN, "my card expires 2099-01-01"))
    assert "has not happened yet" in _text(await assistant.route(BEN, "I entered Mexico on 10 January 2027"))


async def test_at_year_four_an_expiry_date_gets_the_change_to_permanent_window_not_a_renewal(assistant):
    """Issue 18: "my card expires …" said at year 4 is the change to permanent's window (30 days before the
    expiry, closing on it), marked unconfirmed, with reminders for that procedure."""
    routed = await assistant.route(ANA, "mi tarjeta temporal vence el 15 de marzo de 2027 y ya cumplo 4 años")
    text = _text(routed)
    assert routed.route is Route.DEADLINE and "Cambio de residente temporal a residente permanente" in text
    assert "del 13 de febrero al 15 de marzo de 2027" in text and "no está confirmado" in text
    assert _actions(routed)[0] == "rem:temporal_a_permanente:20270315"
    english = await assistant.route(BEN, "I've had temporary residency 4 years, my card expires March 15 2027")
    assert "from February 13 to March 15, 2027" in _text(english)
    assert _actions(english)[0] == "rem:temporal_a_permanente:20270315"


async def test_the_thread_on_the_change_to_permanent_takes_the_expiry_date_unless_the_user_asks_to_renew(assistant):
    await assistant.route(BEN, "how do I change from temporary to permanent resident")
    routed = await assistant.route(BEN, "my card expires March 15 2027")
    assert _actions(routed)[0] == "rem:temporal_a_permanente:20270315"
    assert "Change from temporary resident to permanent resident" in _text(routed)
    await assistant.route(ANA, "quiero pasar de temporal a permanente")
    renewal = await assistant.route(ANA, "no, quiero renovar: mi tarjeta vence el 15 de marzo de 2027")
    assert _actions(renewal)[0] == "rem:renovacion:20270315"


async def test_a_missed_change_to_permanent_points_to_the_regularisation(assistant):
    missed = await assistant.route(BEN, "I have 4 years as a temporary resident but my card expired on 1 November")
    assert "This window closed on November 1, 2026." in _text(missed)
    assert "e:regularizacion_documento_vencido" in _actions(missed)
    assert "e:temporal_a_permanente" in _actions(missed)


async def test_a_residence_start_date_is_no_longer_taken_for_a_window(assistant):
    """The old rule counted 4 years from the first card; now the bot asks for the card's expiry instead."""
    routed = await assistant.route(ANA, "tengo residencia temporal desde el 5 de mayo de 2023, ya puedo pedir la permanente?")
    assert routed.route is not Route.DEADLINE
    assert "Dime la fecha en que vence tu tarjeta" in _text(routed)


async def test_a_bare_date_offers_the_change_to_permanent_beside_the_renewal(assistant):
    routed = await assistant.route(BEN, "15/03/2027")
    assert "dl:renovacion:20270315" in _actions(routed) and "dl:temporal_a_permanente:20270315" in _actions(routed)
    labels = [b.label for b in routed.answer.reply.buttons]
    assert "My card expires" in labels and "My card expires and I reach 4 years (going permanent)" in labels


async def test_a_confident_answer_about_another_procedure_is_not_taken_for_a_deadline(assistant):
    routed = await assistant.route(BEN, "I arrived on 10 November as a tourist, can I change to resident from here?")
    assert routed.route is not Route.DEADLINE


async def test_reminders_are_scheduled_at_nine_mexico_city_time_once(assistant, storage):
    reply = await assistant.act(BEN, "rem:renovacion:20270315", full=False)
    assert "9:00 (Mexico City time): February 13, 2027, March 8, 2027, March 14, 2027" in to_plain(reply)
    await assistant.act(BEN, "rem:renovacion:20270315", full=False)          # tapped twice
    rows = await storage.reminders.listing()
    assert [(r.kind, r.due_at.astimezone(MEXICO_CITY).isoformat()) for r in rows] == [
        ("opens", "2027-02-13T09:00:00-06:00"), ("closing", "2027-03-08T09:00:00-06:00"),
        ("last_day", "2027-03-14T09:00:00-06:00")]


async def test_the_list_cancels_each_and_a_new_date_replaces_the_old_ones(assistant, storage):
    await assistant.act(BEN, "rem:renovacion:20270315", full=False)
    listing = await assistant.reminders(BEN)
    cancels = [b.action for b in listing.buttons]
    assert len(cancels) == 3 and all(a.startswith("remx:") for a in cancels)
    after = await assistant.act(BEN, cancels[0], full=False)
    assert "Reminder cancelled." in to_plain(after) and len(after.buttons) == 2
    await assistant.act(BEN, "rem:renovacion:20270415", full=False)          # the card's date was wrong
    scheduled = [r for r in await storage.reminders.listing() if r.status == "scheduled"]
    assert {r.given.isoformat() for r in scheduled} == {"2027-04-15"}


async def test_someone_elses_reminder_cannot_be_cancelled(assistant, storage):
    await assistant.act(BEN, "rem:renovacion:20270315", full=False)
    other = (await storage.reminders.listing())[0].id
    reply = await assistant.act(ANA, f"remx:{other}", full=False)
    assert "ya se envió o se canceló" in to_plain(reply)
    assert all(r.status == "scheduled" for r in await storage.reminders.listing())


async def test_forget_deletes_dates_and_reminders(assistant, storage):
    await assistant.route(BEN, "my card expires March 15 2027")
    await assistant.act(BEN, "rem:renovacion:20270315", full=False)
    await assistant.forget(BEN)
    assert await storage.db.scalar("SELECT count(*) FROM reminders") == 0
    assert await storage.db.scalar("SELECT count(*) FROM deadlines") == 0


# ---------------------------------------------------------------------------------------------- the scheduler
def _sender(storage, engine, clock, channel) -> ReminderSender:
    return ReminderSender(storage.reminders, engine, {"telegram": channel}, clock)


async def test_a_due_reminder_is_sent_once_claimed_before_the_request_and_never_again(assistant, storage, engine,
                                                                                       clock):
    await assistant.act(BEN, "rem:renovacion:20270315", full=False)
    channel = RecordingChannel(storage)
    sender = _sender(storage, engine, clock, channel)
    assert await sender.tick() == 0                                          # nothing due yet
    clock.set(dt.datetime(2027, 2, 13, 15, 0, tzinfo=UTC))                   # 09:00 in Mexico City
    assert await sender.tick() == 1
    chat, text, actions = channel.sent[0]
    assert chat == "1002" and "your window for Renewal of the temporary resident card opens today" in text
    assert "until March 15, 2027" in text and actions == ("e:renovacion", "contact", "rems")
    assert channel.status_during_send == ["sending"]                         # marked before the request
    restarted = _sender(storage, engine, clock, channel)                     # a restart: a new scheduler
    assert await restarted.tick() == 0 and len(channel.sent) == 1
    statuses = [r.reported_status for r in await storage.reminders.listing()]
    assert statuses == ["sent", "scheduled", "scheduled"]


async def test_reminders_due_while_the_bot_was_down(assistant, storage, engine, clock, caplog):
    await assistant.act(BEN, "rem:renovacion:20270315", full=False)
    channel = RecordingChannel(storage)
    clock.set(dt.datetime(2027, 3, 10, 15, 0, tzinfo=UTC))                   # down from 13 Feb to 10 Mar
    assert await _sender(storage, engine, clock, channel).tick() == 1        # only the latest of the window
    assert "5 days left for Renewal of the temporary resident card. The last day is March 15, 2027." in channel.sent[0][1]
    kinds = {r.kind: r.status for r in await storage.reminders.listing()}
    assert kinds == {"opens": "dropped", "closing": "sent", "last_day": "scheduled"}
    clock.set(dt.datetime(2027, 3, 20, 15, 0, tzinfo=UTC))                   # down again, past the last day
    with caplog.at_level(logging.INFO, logger="bot.deadlines.reminders"):
        assert await _sender(storage, engine, clock, channel).tick() == 0
    assert "dropped: due 2027-03-14" in caplog.text and "window closed on 2027-03-15" in caplog.text
    assert len(channel.sent) == 1


async def test_a_reminder_the_channel_refuses_is_not_retried(assistant, storage, engine, clock):
    await assistant.act(BEN, "rem:renovacion:20270315", full=False)
    clock.set(dt.datetime(2027, 2, 13, 15, 0, tzinfo=UTC))
    sender = _sender(storage, engine, clock, RecordingChannel(storage, fail=Outcome.BLOCKED))
    assert await sender.tick() == 0
    assert (await storage.reminders.listing())[0].status == "failed"
    assert await sender.tick() == 0


async def test_a_late_reminder_waits_for_morning_and_says_what_is_true_that_day(assistant, storage, engine, clock):
    await assistant.act(BEN, "rem:renovacion:20270315", full=False)
    channel = RecordingChannel(storage)
    clock.set(dt.datetime(2027, 3, 15, 9, 0, tzinfo=UTC))                    # 03:00 on the last day: too early
    sender = _sender(storage, engine, clock, channel)
    assert await sender.tick() == 0 and channel.sent == []
    clock.set(dt.datetime(2027, 3, 15, 14, 0, tzinfo=UTC))                   # 08:00
    assert await sender.tick() == 1
    assert "today, March 15, 2027, is the last day for Renewal" in channel.sent[0][1]


async def test_a_crash_during_the_request_never_sends_the_reminder_twice(assistant, storage, engine, clock):
    await assistant.act(BEN, "rem:canje:20261125", full=False)
    clock.set(dt.datetime(2026, 12, 18, 15, 0, tzinfo=UTC))                  # the "one week left" reminder

    class DiesMidRequest(RecordingChannel):
        async def remind(self, user, reply, line):
            await super().remind(user, reply, line)       # the request went out...
            raise asyncio.CancelledError                  # ...and the process died before recording it

    with pytest.raises(asyncio.CancelledError):
        await _sender(storage, engine, clock, DiesMidRequest(storage)).tick()
    after_restart = RecordingChannel(storage)
    assert await _sender(storage, engine, clock, after_restart).tick() == 0 and after_restart.sent == []
    assert [r.reported_status for r in await storage.reminders.listing()] == ["sent", "scheduled"]


async def test_reminders_for_the_change_to_permanent_follow_its_window(assistant, storage, engine, clock):
    reply = await assistant.act(BEN, "rem:temporal_a_permanente:20270315", full=False)
    assert "February 13, 2027, March 8, 2027, March 14, 2027" in to_plain(reply)
    channel = RecordingChannel(storage)
    clock.set(dt.datetime(2027, 3, 14, 15, 0, tzinfo=UTC))                   # the day before the card expires
    assert await _sender(storage, engine, clock, channel).tick() == 1         # the two earlier ones superseded
    text = channel.sent[0][1]
    assert "tomorrow, March 15, 2027, is the last day for Change from temporary resident to permanent resident" \
        in text and "not confirmed" in text
    assert channel.sent[0][2][0] == "e:temporal_a_permanente"
