"""kill -9 between receiving a WhatsApp message (200 sent to Meta) and replying: the reply still comes."""

from __future__ import annotations

import asyncio

import pytest_asyncio

from tests.fake_graph_api import FakeGraphApi

from .process_helpers import BotProcess, until
from .telegram_helpers import free_port
from .whatsapp_bot import VERIFY_TOKEN, add_templates


@pytest_asyncio.fixture
async def graph():
    async with FakeGraphApi() as fake:
        add_templates(fake)
        yield fake


def env_for(graph: FakeGraphApi, database, port: int) -> dict[str, str]:
    import os
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_", "STAFF_"))}
    env.update(WHATSAPP_ACCESS_TOKEN=graph.access_token, WHATSAPP_PHONE_NUMBER_ID=graph.phone_number_id,
               WHATSAPP_APP_SECRET=graph.app_secret, WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
               WHATSAPP_API_BASE_URL=graph.base_url, DATABASE_PATH=str(database), PORT=str(port),
               PYTHONUNBUFFERED="1", PTB_TIMEDELTA="1")
    return env


async def test_kill_9_between_receipt_and_reply_loses_nothing(graph, tmp_path):
    port = free_port()
    env = env_for(graph, tmp_path / "bot.sqlite3", port)
    graph.webhook_url = f"http://127.0.0.1:{port}/whatsapp"
    first = BotProcess(env, tmp_path / "first.log").start()
    await until(lambda: "listening for webhooks" in first.output(), timeout=60)
    ana = graph.user(wa_id="5213312345677", name="Ana")
    graph.delay("messages", 30.0, times=None)  # Meta is slow today: the reply is still in flight at the kill
    delivery = await graph.send_text(ana, "perdí mi tarjeta de residente")
    assert delivery.status == 200  # stored: Meta will not deliver it again
    await asyncio.sleep(1.5)  # being handled: its first call to Meta is in flight
    first.kill9()
    assert graph.messages_to(ana) == []
    graph.clear_faults()
    second = BotProcess(env, tmp_path / "second.log").start()
    try:
        await until(lambda: [m for m in graph.messages_to(ana) if "reposición" in str(m.body).lower()], timeout=60)
    finally:
        assert await second.terminate() == 0
