"""Helpers for end-to-end tests: the real bot against the project's fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import socket
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from bot.app import App, Tuning
from bot.runtime.config import Settings
from tests.fake_bot_api import FakeBotApi


# Shorter backoff than production (the fake answers in microseconds), same rules.
TEST_TUNING = Tuning()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_for(server: FakeBotApi, database: Path, **overrides) -> Settings:
    base = Settings(telegram_bot_token=server.token, telegram_api_base_url=server.base_url, database_path=database)
    return dataclasses.replace(base, **overrides)


@asynccontextmanager
async def server_with_staff_chat(staff_chat: int, members: list[dict], *, forum: bool) -> AsyncIterator[FakeBotApi]:
    """A fake Bot API whose staff group (a forum or a plain supergroup) has the given members."""
    async with FakeBotApi() as fake:
        if forum:
            fake.add_forum_chat(staff_chat, title="Firm support")
        else:
            fake.add_chat(staff_chat, type="supergroup", title="Staff")
        for member in members:
            fake.add_chat_member(staff_chat, member["id"], status="member", user=member)
        yield fake
        fake.assert_no_validation_errors()


@asynccontextmanager
async def running_bot(server: FakeBotApi, database: Path, engine, **overrides) -> AsyncIterator[App]:
    bot = await started(server, database, engine, **overrides)
    try:
        yield bot
    finally:
        await bot.stop()


async def started(server: FakeBotApi, database: Path, engine, **overrides) -> App:
    bot = App(settings_for(server, database, **overrides), engine, TEST_TUNING)
    await bot.start()
    return bot


def texts_to(server: FakeBotApi, chat_id: int) -> list[str]:
    return [c.params["text"] for c in server.calls_to("sendMessage") if c.chat_id == chat_id and c.result]


def buttons_of(call) -> list[tuple[str, str]]:
    markup = call.params.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


async def reply_to(server: FakeBotApi, chat_id: int, count: int = 1, timeout: float = 60):
    """The count-th successful sendMessage to `chat_id` (counting from the start of the test)."""
    return await server.wait_for("sendMessage", lambda c: c.chat_id == chat_id and c.result is not None,
                                 count=count, timeout=timeout)
