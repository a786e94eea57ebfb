"""Reminders on days INM offices may be closed (issue 18): Mexico's federal days of mandatory rest (Ley Federal del
Trabajo art. 74, with the movable Mondays computed) and 24-31 December say so, in the user's language, on the
settable clock."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.conversation.assistant import Assistant, Visitor
from bot.deadlines.holidays import Closure, federal_holidays, nth_monday, offices_may_be_closed
from bot.deadlines.reminders import ReminderSender
from bot.deadlines.service import Deadlines
from bot.clock import SettableClock

from .test_reminders import RecordingChannel

UTC = dt.timezone.utc
D = dt.date
ANA = Visitor("telegram", "1001", "es")
BEN = Visitor("telegram", "1002", "en")


def _nine_am(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)      # 09:00 in Mexico City


@pytest.fixture
def clock():
    return SettableClock(dt.datetime(2026, 12, 1, 18, 0, tzinfo=UTC))


@pytest.fixture
def assistant(engine, storage, clock):
    return Assistant(engine, storage.users, Deadlines(engine, storage.reminders, clock))


# ---------------------------------------------------------------------------------------------- the calendar
def test_the_movable_mondays_are_computed():
    assert nth_monday(2026, 2, 1) == D(2026, 2, 2) and nth_monday(2027, 2, 1) == D(2027, 2, 1)
    assert nth_monday(2026, 3, 3) == D(2026, 3, 16) and nth_monday(2027, 3, 3) == D(2027, 3, 15)
    assert nth_monday(2026, 11, 3) == D(2026, 11, 16) and nth_monday(2028, 11, 3) == D(2028, 11, 20)


def test_the_days_of_article_74():
    assert federal_holidays(2027) == {
        D(2027, 1, 1): Closure.NEW_YEAR, D(2027, 2, 1): Closure.CONSTITUTION, D(2027, 3, 15): Closure.JUAREZ,
        D(2027, 5, 1): Closure.LABOUR, D(2027, 9, 16): Closure.INDEPENDENCE, D(2027, 11, 15): Closure.REVOLUTION,
        D(2027, 12, 25): Closure.CHRISTMAS}
    assert federal_holidays(2030)[D(2030, 10, 1)] is Closure.TRANSMISSION     # every six years since 2024
    assert federal_holidays(2024)[D(2024, 10, 1)] is Closure.TRANSMISSION
    assert D(2027, 10, 1) not in federal_holidays(2027)
    assert federal_holidays(2018)[D(2018, 12, 1)] is Closure.TRANSMISSION     # 1 December before the 2024 reform
    assert D(2018, 10, 1) not in federal_holidays(2018)


def test_the_end_of_the_year_and_ordinary_days():
    assert offices_may_be_closed(D(2026, 12, 23)) is None
    assert all(offices_may_be_closed(D(2026, 12, day)) is Closure.YEAR_END for day in range(24, 32))
    assert offices_may_be_closed(D(2027, 1, 1)) is Closure.NEW_YEAR
    assert offices_may_be_closed(D(2027, 2, 5)) is None                       # the Monday, not the 5th, is the day
    assert offices_may_be_closed(D(2027, 3, 21)) is None


# ---------------------------------------------------------------------------------------------- the reminders
async def test_a_reminder_on_a_federal_holiday_says_offices_may_be_closed(assistant, storage, engine, clock):
    # a card expiring on 3 March 2027: the renewal window opens on 1 February 2027, Constitution Day
    await assistant.act(BEN, "rem:renovacion:20270303", full=False)
    await assistant.act(ANA, "rem:renovacion:20270303", full=False)
    channel = RecordingChannel(storage)
    sender = ReminderSender(storage.reminders, engine, {"telegram": channel}, clock)
    clock.set(_nine_am(D(2027, 2, 1)))
    assert await sender.tick() == 2
    sent = {chat: text for chat, text, _ in channel.sent}
    assert "Today is a federal public holiday in Mexico (Constitution Day): INM offices may be closed." in sent["1002"]
    assert "Hoy es día de descanso obligatorio (Día de la Constitución): las oficinas del INM podrían estar " \
           "cerradas." in sent["1001"]
    clock.set(_nine_am(D(2027, 2, 24)))                                       # a week before: an ordinary day
    assert await sender.tick() == 2
    assert not any("🏛️" in text for _, text, _ in channel.sent[2:])


async def test_a_reminder_between_24_and_31_december_says_offices_may_be_closed(assistant, storage, engine, clock):
    await assistant.act(BEN, "rem:canje:20261125", full=False)                # closes 25 Dec: last-day reminder 24th
    channel = RecordingChannel(storage)
    sender = ReminderSender(storage.reminders, engine, {"telegram": channel}, clock)
    clock.set(_nine_am(D(2026, 12, 18)))
    assert await sender.tick() == 1 and "🏛️" not in channel.sent[0][1]
    clock.set(_nine_am(D(2026, 12, 24)))
    assert await sender.tick() == 1
    assert "Between 24 and 31 December INM offices may be closed: check before you go." in channel.sent[1][1]


def test_the_one_line_reminder_for_whatsapp_carries_the_note_too(engine):
    from bot.deadlines.replies import WindowComposer
    from bot.deadlines.windows import ReminderKind, window_for
    entry = engine.catalogue.get("renovacion")
    window = window_for(entry.id, entry.window, D(2027, 3, 3))
    line = WindowComposer(engine.catalogue, engine.texts).reminder_line(entry, window, ReminderKind.OPENS,
                                                                        D(2027, 2, 1), "en")
    assert "\n" not in line and "INM offices may be closed" in line
