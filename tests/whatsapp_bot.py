"""The real bot with its WhatsApp channel (and optionally the Telegram staff desk) against the fake servers."""

from __future__ import annotations

import dataclasses
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from bot.app import App
from bot.runtime.config import Settings, WhatsAppSettings
from tests.fake_bot_api import FakeBotApi, updates
from tests.fake_graph_api import FakeGraphApi

from .telegram_helpers import TEST_TUNING, free_port

VERIFY_TOKEN = "verify-me-please"
TEMPLATES = {
    ("inm_update", "es_MX"): "Novedades de la firma sobre trámites del INM: {{1}} Responde «baja» si ya no quieres "
                             "recibir avisos.",
    ("inm_update", "en_US"): "An update from the firm on INM procedures: {{1}} Reply \"stop\" if you no longer want "
                             "these updates.",
    ("staff_reply", "es_MX"): "Tienes una respuesta de la firma. Escríbenos aquí para leerla.",
    ("staff_reply", "en_US"): "You have a reply from the firm. Write to us here to read it.",
}


def whatsapp_settings(graph: FakeGraphApi, database: Path, telegram: FakeBotApi | None = None,
                      **overrides) -> Settings:
    wa = WhatsAppSettings(graph.access_token, graph.phone_number_id, graph.app_secret, VERIFY_TOKEN,
                          api_base_url=graph.base_url)
    base = Settings(database_path=database, port=free_port(), whatsapp=wa)
    if telegram is not None:
        base = dataclasses.replace(base, telegram_bot_token=telegram.token, telegram_api_base_url=telegram.base_url)
    return dataclasses.replace(base, **overrides)


def add_templates(graph: FakeGraphApi) -> None:
    for (name, language), body in TEMPLATES.items():
        graph.add_template(name, language, body)


@asynccontextmanager
async def whatsapp_bot(graph: FakeGraphApi, database: Path, engine, telegram: FakeBotApi | None = None,
                       **overrides) -> AsyncIterator[App]:
    settings = whatsapp_settings(graph, database, telegram, **overrides)
    graph.webhook_url = f"http://127.0.0.1:{settings.port}/whatsapp"
    app = App(settings, engine, TEST_TUNING)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


# The staff desk the shared fixtures use (tests/conftest.py: graph, telegram, bot).
STAFF_CHAT = -100321
LUPITA = updates.user(900, "Lupita", "es")
