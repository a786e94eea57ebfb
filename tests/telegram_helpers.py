"""Helpers for end-to-end tests: the real bot against the project's fake Bot API server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import socket
from pathlib import Path

from bot.channels.telegram.app import TelegramBot
from bot.config import Settings
from tests.fake_bot_api import FakeBotApi


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def settings_for(server: FakeBotApi, database: Path, **overrides) -> Settings:
    base = Settings(telegram_bot_token=server.token, telegram_api_base_url=server.base_url, database_path=database)
    return dataclasses.replace(base, **overrides)


async def started(server: FakeBotApi, database: Path, engine, **overrides) -> TelegramBot:
    bot = TelegramBot(settings_for(server, database, **overrides), engine)
    await bot.start()
    return bot


def texts_to(server: FakeBotApi, chat_id: int) -> list[str]:
    return [c.params["text"] for c in server.calls_to("sendMessage") if c.chat_id == chat_id and c.result]


def buttons_of(call) -> list[tuple[str, str]]:
    markup = call.params.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]


async def reply_to(server: FakeBotApi, chat_id: int, count: int = 1, timeout: float = 5):
    """The count-th successful sendMessage to `chat_id` (counting from the start of the test)."""
    return await server.wait_for("sendMessage", lambda c: c.chat_id == chat_id and c.result is not None,
                                 count=count, timeout=timeout)
