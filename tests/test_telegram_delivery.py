"""The delivery policy and per-chat ordering, without any network."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram.delivery import Delivery, DeliveryFailed, RecipientBlocked, keyboard
from bot.channels.telegram.ordering import PerChatUpdateProcessor
from bot.replies import Button


class Flaky:
    """An async Bot method that fails with the given errors, then succeeds."""

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.calls = 0
        self.__name__ = "send_message"

    async def __call__(self, **kwargs):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "sent"


def delivery(blocked: list | None = None) -> Delivery:
    async def on_blocked(chat_id: int) -> None:
        (blocked if blocked is not None else []).append(chat_id)
    return Delivery(bot=None, on_blocked=on_blocked, base_delay=0.001)  # type: ignore[arg-type]


async def test_retry_after_waits_then_retries():
    method = Flaky(RetryAfter(dt.timedelta(seconds=0.05)))
    start = asyncio.get_running_loop().time()
    assert await delivery().call(method, idempotent=False, chat_id=1) == "sent"
    assert method.calls == 2 and asyncio.get_running_loop().time() - start >= 0.05


@pytest.mark.parametrize("error", [TimedOut(), NetworkError("connection reset")])
async def test_timeouts_are_retried_only_for_idempotent_calls(error):
    assert await delivery().call(Flaky(error), idempotent=True, chat_id=1) == "sent"
    once = Flaky(error)
    with pytest.raises(DeliveryFailed):
        await delivery().call(once, idempotent=False, chat_id=1)
    assert once.calls == 1


async def test_blocked_user_is_reported_and_not_retried():
    blocked: list[int] = []
    method = Flaky(Forbidden("Forbidden: bot was blocked by the user"))
    with pytest.raises(RecipientBlocked):
        await delivery(blocked).call(method, idempotent=True, chat_id=42)
    assert blocked == [42] and method.calls == 1


async def test_bad_request_is_not_retried_but_not_modified_is_fine():
    method = Flaky(BadRequest("Bad Request: chat not found"))
    with pytest.raises(DeliveryFailed):
        await delivery().call(method, idempotent=True, chat_id=1)
    assert method.calls == 1
    assert await delivery().call(Flaky(BadRequest("Message is not modified")), idempotent=True) is None


async def test_retries_are_bounded():
    method = Flaky(*(TimedOut() for _ in range(10)))
    with pytest.raises(DeliveryFailed):
        await delivery().call(method, idempotent=True, chat_id=1)
    assert method.calls == 4


def test_keyboard_refuses_callback_data_over_64_bytes():
    with pytest.raises(ValueError):
        keyboard([Button("x", "s:" + "é" * 40)])
    assert keyboard([Button("a", "menu"), Button("b", "contact")]).inline_keyboard[0][1].callback_data == "contact"


def test_every_action_the_catalogue_can_produce_fits_in_callback_data(engine, catalogue):
    for entry in catalogue.entries.values():
        for lang in ("es", "en"):
            for reply in (engine.composer.entry(entry, lang, full=False), engine.composer.menu(lang, "menu:with")):
                keyboard(reply.buttons)  # raises if any callback_data is too long


def _update(chat_id: int, update_id: int) -> Update:
    return Update.de_json({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "chat": {"id": chat_id, "type": "private"}, "text": "x"}}, None)


async def test_updates_of_one_chat_run_in_order_while_chats_run_concurrently():
    processor = PerChatUpdateProcessor(16)
    events: list[tuple[int, int, str]] = []

    async def handle(chat: int, n: int, pause: float) -> None:
        events.append((chat, n, "start"))
        await asyncio.sleep(pause)
        events.append((chat, n, "end"))

    await asyncio.gather(
        processor.process_update(_update(1, 1), handle(1, 1, 0.05)),
        processor.process_update(_update(1, 2), handle(1, 2, 0.0)),
        processor.process_update(_update(2, 3), handle(2, 3, 0.0)),
    )
    chat_one = [(n, what) for chat, n, what in events if chat == 1]
    assert chat_one == [(1, "start"), (1, "end"), (2, "start"), (2, "end")]
    assert events.index((2, 3, "end")) < events.index((1, 1, "end"))  # chat 2 did not wait for chat 1
    assert processor._locks == {}
