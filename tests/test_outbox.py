"""The one delivery policy (bot/runtime/outbox.py) with Telegram's classifier, without any network."""

from __future__ import annotations

import datetime as dt

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram.classify import classify
from bot.channels.telegram.render import keyboard
from bot.runtime.outbox import Outbox, Outcome, Purpose, RecipientBlocked, RetryRules, Undeliverable
from bot.answers.replies import Button


class Flaky:
    """An async call that fails with the given errors, then succeeds."""

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"


class Clock:
    """A fake clock whose sleeps only move time forward, so waits are measured, not spent."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


def outbox(clock: Clock, blocked: list | None = None) -> Outbox:
    box = Outbox(RetryRules(transient_attempts=4, rate_limited_attempts=3, base_delay=0.5, max_delay=8),
                 sleep=clock.sleep, clock=clock)
    box.register("telegram", classify)

    async def on_blocked(channel: str, chat: str) -> None:
        (blocked if blocked is not None else []).append((channel, chat))
    box.on_blocked(on_blocked)
    return box


async def test_retry_after_waits_as_long_as_asked_then_retries():
    clock = Clock()
    call = Flaky(RetryAfter(dt.timedelta(seconds=3)))
    assert await outbox(clock).deliver(Purpose.STAFF, "telegram", -100, call) == "sent"
    assert call.calls == 2 and clock.sleeps == [3.1]


async def test_a_rate_limit_holds_that_chat_and_tells_the_listeners():
    clock, heard = Clock(), []
    box = outbox(clock)
    box.rate_limit_listeners.append(lambda channel, wait: heard.append((channel, wait)))
    await box.deliver(Purpose.ANSWER, "telegram", 7, Flaky(RetryAfter(dt.timedelta(seconds=2))))
    assert clock.sleeps == [2.1] and heard == [("telegram", 2.1)]
    await box.deliver(Purpose.ANSWER, "telegram", 8, Flaky())
    assert clock.sleeps == [2.1]  # another chat does not wait


@pytest.mark.parametrize("error", [TimedOut(), NetworkError("Bad Gateway")])
async def test_timeouts_and_5xx_are_retried_with_backoff_even_for_sends(error):
    clock = Clock()
    call = Flaky(error, error)
    assert await outbox(clock).deliver(Purpose.ANSWER, "telegram", 1, call) == "sent"
    assert call.calls == 3 and clock.sleeps == [0.5, 1.0]


async def test_transient_retries_are_bounded():
    clock = Clock()
    call = Flaky(*[NetworkError("Bad Gateway")] * 10)
    with pytest.raises(Undeliverable) as raised:
        await outbox(clock).deliver(Purpose.ANSWER, "telegram", 1, call)
    assert raised.value.outcome is Outcome.TRANSIENT and call.calls == 4


async def test_typing_is_never_retried():
    clock = Clock()
    call = Flaky(TimedOut())
    with pytest.raises(Undeliverable):
        await outbox(clock).deliver(Purpose.TYPING, "telegram", 1, call)
    assert call.calls == 1


async def test_blocked_user_runs_the_hook_once_and_is_not_retried():
    clock, blocked = Clock(), []
    call = Flaky(Forbidden("Forbidden: bot was blocked by the user"))
    with pytest.raises(RecipientBlocked):
        await outbox(clock, blocked).deliver(Purpose.ANSWER, "telegram", 42, call)
    assert call.calls == 1 and blocked == [("telegram", "42")]


async def test_a_forbidden_staff_call_does_not_mark_anyone_blocked():
    clock, blocked = Clock(), []
    with pytest.raises(RecipientBlocked):
        await outbox(clock, blocked).deliver(Purpose.STAFF, "telegram", -100, Flaky(Forbidden("kicked")))
    assert blocked == []


async def test_bad_request_is_not_retried_but_not_modified_is_a_success():
    clock = Clock()
    refused = Flaky(BadRequest("Can't parse entities"))
    with pytest.raises(Undeliverable) as raised:
        await outbox(clock).deliver(Purpose.ANSWER, "telegram", 1, refused)
    assert refused.calls == 1 and raised.value.outcome is Outcome.REJECTED
    same = Flaky(BadRequest("Message is not modified: specified new message content is the same"))
    assert await outbox(clock).deliver(Purpose.PROGRESS, "telegram", 1, same) is None


async def test_chat_not_found_counts_as_gone():
    clock, blocked = Clock(), []
    with pytest.raises(RecipientBlocked):
        await outbox(clock, blocked).deliver(Purpose.BROADCAST, "telegram", 5, Flaky(BadRequest("Chat not found")))
    assert blocked == [("telegram", "5")]


async def test_errors_that_are_not_from_telegram_are_raised_as_they_are():
    clock = Clock()
    with pytest.raises(ZeroDivisionError):
        await outbox(clock).deliver(Purpose.ANSWER, "telegram", 1, Flaky(ZeroDivisionError()))


def test_keyboard_refuses_callback_data_over_64_bytes():
    with pytest.raises(ValueError):
        keyboard([Button("x", "s:" + "é" * 40)])
    assert keyboard([Button("a", "menu"), Button("b", "contact")]).inline_keyboard[0][1].callback_data == "contact"


def test_every_action_the_catalogue_can_produce_fits_in_callback_data(engine, catalogue):
    for entry in catalogue.entries.values():
        for lang in ("es", "en"):
            for reply in (engine.composer.entry(entry, lang, full=False), engine.composer.menu(lang, "menu:with")):
                keyboard(reply.buttons)  # raises if any callback_data is too long


async def test_whatsapp_codes_map_to_the_same_policy():
    from bot.channels.whatsapp.classify import classify as whatsapp
    from bot.channels.whatsapp.client import GraphError
    assert whatsapp(GraphError(400, 131047, "window")).outcome is Outcome.OUTSIDE_WINDOW
    pair = whatsapp(GraphError(400, 131056, "pair"))
    assert pair.outcome is Outcome.RATE_LIMITED and pair.retry_after == 6.0 and not pair.whole_channel
    assert whatsapp(GraphError(429, 130429, "throughput")).whole_channel
    assert whatsapp(GraphError(400, 131026, "undeliverable")).outcome is Outcome.BLOCKED
    assert whatsapp(GraphError(503, 2, "down")).outcome is Outcome.TRANSIENT
    assert whatsapp(GraphError(400, 100, "bad param")).outcome is Outcome.REJECTED


def test_whatsapp_codes_that_are_not_retries_and_those_the_operators_must_fix():
    from bot.channels.whatsapp.classify import RECIPIENT_ONLY, classify as whatsapp
    from bot.channels.whatsapp.client import GraphError
    marketing = whatsapp(GraphError(400, 131049, "This message was not delivered to maintain healthy ecosystem "
                                                 "engagement."))
    assert marketing.outcome is Outcome.REJECTED and not marketing.alert and marketing.code == 131049
    assert "per-user marketing limit" in marketing.reason and 131049 in RECIPIENT_ONLY
    for code, words in ((131042, "payment method"), (132015, "paused"), (132016, "disabled"),
                        (190, "WHATSAPP_ACCESS_TOKEN")):
        verdict = whatsapp(GraphError(400, code, "refused"))
        assert verdict.outcome is Outcome.REJECTED and verdict.alert and verdict.code == code, code
        assert words in verdict.reason and code not in RECIPIENT_ONLY


async def test_a_refusal_the_operators_must_fix_is_logged_as_an_error_with_its_code(caplog):
    import logging
    from bot.channels.whatsapp.classify import classify as whatsapp
    from bot.channels.whatsapp.client import GraphError
    box = Outbox(RetryRules())
    box.register("whatsapp", whatsapp)
    caplog.set_level(logging.WARNING, logger="bot.runtime.outbox")
    with pytest.raises(Undeliverable) as refused:
        await box.deliver(Purpose.BROADCAST, "whatsapp", "a", Flaky(GraphError(400, 131042, "payment issue")))
    assert refused.value.code == 131042 and refused.value.outcome is Outcome.REJECTED
    with pytest.raises(Undeliverable):
        await box.deliver(Purpose.BROADCAST, "whatsapp", "b", Flaky(GraphError(400, 131049, "ecosystem")))
    levels = [(r.levelname, "operators must act" in r.getMessage()) for r in caplog.records]
    assert levels == [("ERROR", True), ("WARNING", False)]


async def test_a_throughput_limit_holds_every_chat_of_that_channel():
    import asyncio
    from bot.channels.whatsapp.classify import classify as whatsapp
    from bot.channels.whatsapp.client import GraphError
    clock = Clock()

    async def sleep(seconds: float) -> None:   # virtual time: a wait moves the clock, then lets others run
        await clock.sleep(seconds)
        await asyncio.sleep(0)
    box = Outbox(RetryRules(), sleep=sleep, clock=clock)
    box.register("whatsapp", whatsapp)
    first = Flaky(GraphError(429, 130429, "throughput"))
    task = asyncio.create_task(box.deliver(Purpose.BROADCAST, "whatsapp", "a", first))
    while first.calls == 0:
        await asyncio.sleep(0)
    other_sent_at = []

    async def other():
        other_sent_at.append(clock.now)
        return "sent"
    await box.deliver(Purpose.BROADCAST, "whatsapp", "b", other)
    await task
    assert first.calls == 2 and 1.0 in clock.sleeps
    assert other_sent_at[0] >= 1.0  # another user's message waited for the channel's limit too
